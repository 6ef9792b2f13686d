// A hostile or broken peer at the session and link levels: each bad frame closes the smallest
// scope the spec allows with the right condition, and the rest of the connection goes on.
#include <gtest/gtest.h>

#include <string>

#include "amqp/frame.hpp"
#include "amqp/spec.hpp"
#include "links.hpp"

namespace amqp {
namespace {

using namespace std::chrono_literals;

// A server engine whose client is written by hand: open, one session, and frames as a peer
// that is not an engine would send them. The server's application answers every session and
// link, and grants `credit` to every link it receives on.
struct raw_client {
  explicit raw_client(engine_config cfg = test::server_config(), std::uint32_t credit = 10,
                      std::uint32_t window = 4)
      : server(std::move(cfg)), credit_(credit), window_(window) {
    write_protocol_header(in, protocol_id::amqp);
    frame(spec::open{.container_id = "raw"});
    frame(spec::begin{.next_outgoing_id = 0, .incoming_window = 100, .outgoing_window = 100});
    send();
  }
  test::engine_side server;
  writer in;
  time_point now{1h};

  template <class T>
  raw_client& frame(const T& performative, bytes_view payload = {}, std::uint16_t channel = 0) {
    EXPECT_FALSE(write_frame(in, frame_type::amqp, channel, performative, payload));
    return *this;
  }
  raw_client& attach_sender(std::uint32_t handle, std::string_view name = "l") {
    return frame(spec::attach{.name = name,
                              .handle = handle,
                              .role = role::sender,
                              .target = target,
                              .initial_delivery_count = 0});
  }
  raw_client& transfer(std::uint32_t handle, std::uint32_t id, std::string_view body,
                       bool more = false) {
    const std::uint8_t tag[] = {static_cast<std::uint8_t>(id)};
    return frame(spec::transfer{.handle = handle,
                                .delivery_id = id,
                                .delivery_tag = bytes_view(tag),
                                .message_format = 0,
                                .more = more},
                 test::as_bytes(body));
  }
  // Feeds what was written, then lets the server's application answer.
  void send() {
    EXPECT_EQ(server.engine.feed(in.view(), now), in.size());
    in.clear();
    const std::size_t seen = server.events.size();
    server.drain_events();
    for (std::size_t i = seen; i < server.events.size(); ++i) {
      const event e = server.events[i];
      if (std::holds_alternative<peer_opened>(e))
        (void)server.engine.open({.container_id = "server"});
      if (const auto* b = std::get_if<peer_began_session>(&e))
        session = b->session, (void)server.engine.begin_session(b->session, {.incoming_window = window_});
      if (const auto* a = std::get_if<peer_attached>(&e)) {
        (void)server.engine.attach(a->link, {.target = terminus{}, .max_message_size = 64});
        const link_status* st = server.engine.link(a->link);  // gone if already detached
        if (st && st->role == role::receiver)
          (void)server.engine.grant_credit(a->link, credit_);
      }
    }
    server.drain_events();
  }
  const protocol_violation* violation() const { return server.find<protocol_violation>(); }
  std::vector<std::string> sent(std::string_view what) const {
    return test::linked_pair::sent_with(server, what);
  }

  session_handle session;
  const value target = value::described_of(value(std::uint64_t{0x29}), value::list_of({"q"}));

 private:
  std::uint32_t credit_;
  std::uint32_t window_;
};

TEST(link_errors, a_transfer_on_an_unattached_handle_ends_the_session) {
  raw_client p;
  p.transfer(3, 0, "x").send();
  const protocol_violation* v = p.violation();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->error.name, "amqp:session:unattached-handle");
  EXPECT_EQ(v->error.description, "transfer on handle 3, which no attached link uses");
  EXPECT_EQ(v->session, p.session);
  EXPECT_FALSE(v->link.is_set());
  ASSERT_EQ(p.sent("@end").size(), 1u);
  EXPECT_NE(p.sent("@end")[0].find("amqp:session:unattached-handle"), std::string::npos);
  EXPECT_TRUE(p.sent("@close").empty());  // the connection goes on
}

TEST(link_errors, flow_and_detach_on_unattached_handles_end_the_session) {
  for (int which = 0; which < 2; ++which) {
    raw_client p;
    if (which == 0)
      p.frame(spec::flow{.next_incoming_id = 0, .incoming_window = 1, .next_outgoing_id = 0,
                         .outgoing_window = 1, .handle = 9, .link_credit = 1});
    else
      p.frame(spec::detach{.handle = 9});
    p.send();
    ASSERT_NE(p.violation(), nullptr);
    EXPECT_EQ(p.violation()->error.name, "amqp:session:unattached-handle");
  }
}

TEST(link_errors, an_attach_on_a_handle_in_use_ends_the_session_with_handle_in_use) {
  raw_client p;
  p.attach_sender(0, "a").send();
  EXPECT_EQ(p.violation(), nullptr);
  p.attach_sender(0, "b").send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:session:handle-in-use");
  EXPECT_EQ(p.violation()->error.description,
            "attach of link 'b' with handle 0, which an attached link already uses");
}

TEST(link_errors, an_attach_of_a_link_already_attached_ends_the_session) {
  // Completing it as a new link would answer with an attach the peer reads as yet another new
  // link: two confused engines would trade attaches and detaches for ever.
  raw_client p;
  p.attach_sender(0, "a").send();
  EXPECT_EQ(p.violation(), nullptr);
  p.attach_sender(1, "a").send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:illegal-state");
  EXPECT_EQ(p.violation()->error.description,
            "attach of link 'a' with handle 1, which is already attached (spec Part 2, 2.6.1)");
  EXPECT_EQ(p.sent("@end").size(), 1u);
}

TEST(link_errors, a_link_completed_by_the_engine_and_attached_again_at_once_ends_the_session) {
  raw_client p;
  p.attach_sender(0, "x").frame(spec::detach{.handle = 0, .closed = true}).send();
  // Given up before it was answered: the engine completes it (an attach, then a detach).
  ASSERT_EQ(p.sent("@attach").size(), 1u);
  ASSERT_EQ(p.sent("@detach").size(), 1u);
  EXPECT_EQ(p.violation(), nullptr);
  // The same link again, attached and detached at once: the peer took the completion for a
  // new link. Completing it again would start an endless exchange.
  p.attach_sender(1, "x").frame(spec::detach{.handle = 1, .closed = true}).send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:illegal-state");
  EXPECT_EQ(p.violation()->error.description,
            "link 'x' attached and detached again before it was answered: the peer takes its "
            "completions for new links (spec Part 2, 2.6.3)");
  EXPECT_EQ(p.sent("@attach").size(), 1u);
  EXPECT_EQ(p.sent("@end").size(), 1u);
}

TEST(link_errors, a_link_name_is_free_again_once_the_peer_detached_it) {
  raw_client p;
  p.attach_sender(0, "a").send();
  p.frame(spec::detach{.handle = 0, .closed = true}).send();
  p.attach_sender(1, "a").send();  // this side's detach need not have arrived yet
  EXPECT_EQ(p.violation(), nullptr);
  EXPECT_EQ(p.sent("@attach").size(), 2u);
}

TEST(link_errors, an_attach_above_the_handle_max_ends_the_session) {
  engine_config cfg = test::server_config();
  cfg.limits.handle_max = 3;
  raw_client p(cfg);
  p.attach_sender(4).send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:not-allowed");
  EXPECT_EQ(p.violation()->error.description,
            "attach of link 'l' with handle 4, above the handle-max of 3");
}

TEST(link_errors, transfers_beyond_the_incoming_window_end_the_session) {
  // The engine refills a window once half is used, so only a closed one can be overrun.
  raw_client p(test::server_config(), 100, 0);
  p.attach_sender(0).send();
  p.transfer(0, 0, "m").send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:session:window-violation");
  EXPECT_EQ(p.violation()->error.description, "transfer 0 beyond the incoming window granted");
}

TEST(link_errors, the_incoming_window_is_refilled_as_transfers_arrive) {
  raw_client p(test::server_config(), 100, 4);
  p.attach_sender(0).send();
  for (std::uint32_t i = 0; i < 20; ++i) p.transfer(0, i, "m");
  p.send();
  EXPECT_EQ(p.violation(), nullptr);
  EXPECT_EQ(test::linked_pair::received(p.server).size(), 20u);
  EXPECT_EQ(p.sent("@flow").size(), 1u + 10u);  // the credit, then a refill every 2 transfers
}

TEST(link_errors, without_excess_allowed_a_transfer_without_credit_closes_only_the_link) {
  engine_config cfg = test::server_config();
  cfg.limits.max_excess_transfers = 0;
  raw_client p(cfg, 1);
  p.attach_sender(0, "a").attach_sender(1, "b").send();
  p.transfer(0, 0, "ok").transfer(0, 1, "too many").send();
  const protocol_violation* v = p.violation();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->error.name, "amqp:link:transfer-limit-exceeded");
  EXPECT_EQ(v->error.description,
            "transfer on link 'a' without credit (delivery-count 1): 1 beyond it since the last "
            "grant, over the 0 allowed");
  EXPECT_TRUE(v->link.is_set());
  const std::vector<std::string> detach = p.sent("@detach");
  ASSERT_EQ(detach.size(), 1u);
  EXPECT_NE(detach[0].find("closed: true"), std::string::npos);
  EXPECT_TRUE(p.sent("@end").empty());
  // Link b still works, and what arrives for a until its detach is ignored.
  p.transfer(0, 2, "ignored").transfer(1, 3, "for b").send();
  EXPECT_EQ(test::linked_pair::received(p.server).size(), 2u);
  EXPECT_EQ(p.server.count<protocol_violation>(), 1u);
  p.frame(spec::detach{.handle = 0, .closed = true}).send();
  EXPECT_FALSE(p.server.engine.link(v->link));
}

TEST(link_errors, a_transfer_before_any_credit_was_granted_closes_the_link) {
  raw_client p;
  p.attach_sender(0).transfer(0, 0, "early").send();  // before the attach is even answered
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:link:transfer-limit-exceeded");
  EXPECT_EQ(p.violation()->error.description,
            "transfer on link 'l' without credit (delivery-count 0), none granted");
  EXPECT_TRUE(test::linked_pair::received(p.server).empty());
}

// Transfers beyond credit are taken up to limits::max_excess_transfers per grant (spec
// Part 2, 2.6.7 lets a receiver handle them normally).
TEST(link_errors, transfers_beyond_credit_within_the_allowed_excess_are_delivered_and_counted) {
  engine_config cfg = test::server_config();
  cfg.limits.max_excess_transfers = 2;
  raw_client p(cfg, 1);
  p.attach_sender(0).send();
  p.transfer(0, 0, "granted").transfer(0, 1, "excess 1").transfer(0, 2, "excess 2").send();
  EXPECT_EQ(p.violation(), nullptr);
  const std::vector<delivery_handle> got = test::linked_pair::received(p.server);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(test::as_string(p.server.engine.payload(got[2])), "excess 2");
  const link_status* st = p.server.engine.link(p.server.find<peer_attached>()->link);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->delivery_count, 3u);
  EXPECT_EQ(st->credit, 0u);
  EXPECT_EQ(st->excess_transfers, 2u);
  EXPECT_TRUE(p.sent("@detach").empty());
}

TEST(link_errors, a_transfer_beyond_the_allowed_excess_closes_the_link) {
  engine_config cfg = test::server_config();
  cfg.limits.max_excess_transfers = 2;
  raw_client p(cfg, 1);
  p.attach_sender(0).send();
  for (std::uint32_t i = 0; i < 4; ++i) p.transfer(0, i, "m");
  p.send();
  const protocol_violation* v = p.violation();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->error.name, "amqp:link:transfer-limit-exceeded");
  EXPECT_EQ(v->error.description,
            "transfer on link 'l' without credit (delivery-count 3): 3 beyond it since the last "
            "grant, over the 2 allowed");
  EXPECT_EQ(test::linked_pair::received(p.server).size(), 3u);
  ASSERT_EQ(p.sent("@detach").size(), 1u);
  EXPECT_NE(p.sent("@detach")[0].find("amqp:link:transfer-limit-exceeded"), std::string::npos);
}

TEST(link_errors, each_grant_restarts_the_count_of_excess_transfers) {
  engine_config cfg = test::server_config();
  cfg.limits.max_excess_transfers = 1;
  raw_client p(cfg, 1);
  p.attach_sender(0).send();
  p.transfer(0, 0, "granted").transfer(0, 1, "excess").send();
  const link_handle l = p.server.find<peer_attached>()->link;
  ASSERT_FALSE(p.server.engine.grant_credit(l, 1));
  p.transfer(0, 2, "granted").transfer(0, 3, "excess").send();
  EXPECT_EQ(p.violation(), nullptr);
  EXPECT_EQ(p.server.engine.link(l)->excess_transfers, 2u);
  p.transfer(0, 4, "one too many").send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.description,
            "transfer on link 'l' without credit (delivery-count 4): 2 beyond it since the last "
            "grant, over the 1 allowed");
}

// A sender that counts credit topped up while it sends from its own delivery-count, not the
// receiver's, overruns by what was in flight (RabbitMQ 3.x does, now and then): the default
// lets that through.
TEST(link_errors, a_sender_counting_a_top_up_from_its_own_delivery_count_keeps_its_link) {
  raw_client p(test::server_config(), 2);
  p.attach_sender(0).send();
  const link_handle l = p.server.find<peer_attached>()->link;
  // The receiver tops its credit up before the 2 transfers on their way arrive.
  ASSERT_FALSE(p.server.engine.grant_credit(l, 2));
  EXPECT_NE(p.sent("@flow").back().find("delivery-count: uint 0, link-credit: uint 4"),
            std::string::npos);
  for (std::uint32_t i = 0; i < 6; ++i) p.transfer(0, i, "m");  // 2 + 4: 2 beyond the limit
  p.send();
  EXPECT_EQ(p.violation(), nullptr);
  EXPECT_EQ(test::linked_pair::received(p.server).size(), 6u);
  const link_status* st = p.server.engine.link(l);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->delivery_count, 6u);
  EXPECT_EQ(st->credit, 0u);
  EXPECT_EQ(st->excess_transfers, 2u);
  // The next grant counts from the delivery-count, the excess included: exactly 3 more.
  ASSERT_FALSE(p.server.engine.grant_credit(l, 3));
  EXPECT_NE(p.sent("@flow").back().find("delivery-count: uint 6, link-credit: uint 3"),
            std::string::npos);
  for (std::uint32_t i = 6; i < 9; ++i) p.transfer(0, i, "m");
  p.send();
  EXPECT_EQ(st->credit, 0u);
  EXPECT_EQ(st->excess_transfers, 2u);
  p.transfer(0, 9, "m").send();
  EXPECT_EQ(p.violation(), nullptr);
  EXPECT_EQ(st->excess_transfers, 3u);
}

TEST(link_errors, a_drain_completes_when_the_credit_is_used_and_an_excess_after_it_is_taken) {
  raw_client p(test::server_config(), 2);
  p.attach_sender(0).send();
  const link_handle l = p.server.find<peer_attached>()->link;
  ASSERT_FALSE(p.server.engine.drain(l));
  p.transfer(0, 0, "1").transfer(0, 1, "2").transfer(0, 2, "excess").send();
  EXPECT_EQ(p.violation(), nullptr);
  EXPECT_EQ(p.server.count<link_drained>(), 1u);
  EXPECT_EQ(test::linked_pair::received(p.server).size(), 3u);
  const link_status* st = p.server.engine.link(l);
  ASSERT_NE(st, nullptr);
  EXPECT_FALSE(st->drain);
  EXPECT_EQ(st->excess_transfers, 1u);
}

TEST(link_errors, a_message_over_the_max_message_size_closes_the_link) {
  raw_client p;
  p.attach_sender(0).send();
  p.transfer(0, 0, std::string(40, 'x'), true).transfer(0, 0, std::string(40, 'y')).send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:link:message-size-exceeded");
  EXPECT_EQ(p.violation()->error.description,
            "a message of 80 bytes on link 'l', above its max-message-size of 64");
  EXPECT_TRUE(test::linked_pair::received(p.server).empty());
}

TEST(link_errors, the_first_transfer_of_a_delivery_must_name_it) {
  raw_client p;
  p.attach_sender(0).send();
  p.frame(spec::transfer{.handle = 0}, test::as_bytes("x")).send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:invalid-field");
  EXPECT_EQ(p.violation()->error.description,
            "the first transfer of a delivery on link 'l' has no delivery-id");
}

TEST(link_errors, delivery_ids_that_go_backwards_end_the_session) {
  raw_client p;
  p.attach_sender(0).send();
  p.transfer(0, 5, "a").transfer(0, 4, "b").send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:not-allowed");
  EXPECT_EQ(p.violation()->error.description, "delivery-id 4 does not follow 5 (spec Part 2, 2.7.5)");
}

TEST(link_errors, a_transfer_on_a_link_where_the_peer_receives_closes_the_link) {
  raw_client p;
  const value source = value::described_of(value(std::uint64_t{0x28}), value::list_of({"q"}));
  p.frame(spec::attach{.name = "r", .handle = 0, .role = role::receiver, .source = source}).send();
  p.transfer(0, 0, "wrong way").send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:not-allowed");
}

TEST(link_errors, a_senders_attach_without_initial_delivery_count_closes_the_link) {
  raw_client p;
  p.frame(spec::attach{.name = "s", .handle = 0, .role = role::sender}).send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:invalid-field");
  EXPECT_EQ(p.sent("@attach").size(), 1u);  // answered, then closed
  EXPECT_EQ(p.sent("@detach").size(), 1u);
}

TEST(link_errors, deliveries_still_arriving_are_bounded_across_the_connection) {
  engine_config cfg = test::server_config();
  cfg.limits.max_reassembly_bytes = 100;
  raw_client p(cfg);
  p.attach_sender(0, "a").attach_sender(1, "b").send();
  p.transfer(0, 0, std::string(60, 'a'), true).send();
  EXPECT_EQ(p.violation(), nullptr);
  p.transfer(1, 1, std::string(60, 'b'), true).send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:resource-limit-exceeded");
  EXPECT_EQ(p.violation()->error.description,
            "a delivery on link 'b' would hold more than the 100 bytes allowed for messages "
            "still arriving");
}

TEST(link_errors, a_disposition_with_an_unknown_state_ends_the_session) {
  raw_client p;
  const value bogus = value::described_of(value(std::uint64_t{0x99}), value::list_of({}));
  p.frame(spec::disposition{.role = role::receiver, .first = 0, .state = bogus}).send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->error.name, "amqp:decode-error");
}

TEST(link_errors, a_range_disposition_of_four_billion_ids_costs_what_is_unsettled) {
  raw_client p;
  const value accepted = value::described_of(value(std::uint64_t{0x24}), value::list_of({}));
  p.frame(spec::disposition{.role = role::receiver, .first = 1, .last = 0, .settled = true,
                            .state = accepted})
      .send();
  EXPECT_EQ(p.violation(), nullptr);  // names nothing this side sent: ignored
}

}  // namespace
}  // namespace amqp
