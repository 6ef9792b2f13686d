// Deliveries: sending and receiving messages whole, in many frames and streamed, aborts, tags,
// message formats, every delivery state, both receiver settle modes, merged dispositions and
// the session window holding transfers back.
#include <gtest/gtest.h>

#include <string>

#include "links.hpp"

namespace amqp {
namespace {

using test::as_bytes;
using test::as_string;
using test::linked_pair;

std::string message_of(std::size_t n, char seed = 'a') {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i % 26);
  return s;
}

struct ready_link : linked_pair {
  explicit ready_link(link_options o = {.name = "l", .target = terminus{.address = "q"}},
                      engine_config client_cfg = test::client_config(),
                      engine_config server_cfg = test::server_config(), session_options so = {})
      : linked_pair(std::move(client_cfg), std::move(server_cfg), so) {
    std::tie(sender, receiver) = attach_pair(o);
    EXPECT_FALSE(server.grant_credit(receiver, 100));
    pump();
  }
  link_handle sender;
  link_handle receiver;
};

TEST(delivery, a_message_arrives_whole_with_its_tag_format_and_id) {
  ready_link p;
  const std::uint8_t tag[] = {0xca, 0xfe};
  auto d = p.client.send(p.sender, as_bytes("hello"), {.tag = tag, .message_format = 0x1234});
  ASSERT_TRUE(d);
  EXPECT_EQ(p.client.link(p.sender)->credit, 99u);
  EXPECT_EQ(p.client.link(p.sender)->delivery_count, 1u);
  EXPECT_EQ(p.client.link(p.sender)->unsettled, 1u);
  p.pump();
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(as_string(p.server.payload(got[0])), "hello");
  EXPECT_EQ(as_string(p.server.delivery_tag(got[0])), "\xca\xfe");
  const delivery_status* st = p.server.delivery(got[0]);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->id, 0u);
  EXPECT_EQ(st->message_format, 0x1234u);
  EXPECT_TRUE(st->complete);
  EXPECT_FALSE(st->remote_settled);
  EXPECT_EQ(st->link, p.receiver);
  EXPECT_EQ(p.server.link(p.receiver)->credit, 99u);
  EXPECT_EQ(p.server.link(p.receiver)->unsettled, 1u);
  EXPECT_EQ(linked_pair::sent_with(p.client_side, "@transfer").at(0),
            "-> [106] ch 0 @transfer(0x14) {handle: uint 0, delivery-id: uint 0, delivery-tag: "
            "b\"\\xca\\xfe\", message-format: uint 4660} payload 5 bytes: 68 65 6c 6c 6f");
}

TEST(delivery, engine_made_tags_differ_and_are_short) {
  ready_link p;
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 200));
  p.pump();
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(p.client.send(p.sender, as_bytes("m"), {.settled = true}));
  p.pump();
  const std::vector<std::string> t = linked_pair::sent_with(p.client_side, "@transfer");
  ASSERT_EQ(t.size(), 300u);
  EXPECT_NE(t[0].find("delivery-tag: b\"\\x00\""), std::string::npos) << t[0];
  EXPECT_NE(t[255].find("delivery-tag: b\"\\xff\""), std::string::npos) << t[255];
  EXPECT_NE(t[256].find("delivery-tag: b\"\\x00\\x01\""), std::string::npos) << t[256];
}

TEST(delivery, a_presettled_message_is_forgotten_by_the_sender_once_written) {
  ready_link p({.name = "l", .target = terminus{}, .snd_settle_mode = sender_settle_mode::settled});
  auto d = p.client.send(p.sender, as_bytes("fire and forget"));
  ASSERT_TRUE(d);
  EXPECT_FALSE(p.client.delivery(*d));  // settled and out: nothing to await
  EXPECT_EQ(p.client.link(p.sender)->unsettled, 0u);
  p.pump();
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(p.server.delivery(got[0])->remote_settled);
  ASSERT_FALSE(p.server.settle(got[0], delivery_state::accepted()));
  p.pump();
  EXPECT_TRUE(linked_pair::sent_with(p.server_side, "@disposition").empty());
  EXPECT_NE(linked_pair::sent_with(p.client_side, "@transfer").at(0).find("settled: true"),
            std::string::npos);
}

TEST(delivery, a_settled_send_on_an_unsettled_only_link_is_refused) {
  ready_link p({.name = "l", .target = terminus{}, .snd_settle_mode = sender_settle_mode::unsettled});
  EXPECT_EQ(p.client.send(p.sender, as_bytes("x"), {.settled = true}).error(),
            make_error_code(errc::invalid_argument));
  const std::uint8_t long_tag[33] = {};
  EXPECT_EQ(p.client.send(p.sender, as_bytes("x"), {.tag = long_tag}).error(),
            make_error_code(errc::invalid_argument));
  EXPECT_EQ(p.client.link(p.sender)->credit, 100u);  // refused: nothing changed
}

// Where a traced frame starts in its stream: the number in "-> [N] ...".
std::size_t offset_of(const std::string& line) {
  return std::stoul(line.substr(line.find('[') + 1));
}

engine_config small_frames(engine_config c) {
  c.limits.max_frame_size = 512;
  return c;
}

TEST(delivery, a_message_larger_than_a_frame_is_split_and_reassembled_at_every_cut) {
  const std::string big = message_of(5000);
  for (std::size_t chunk : {0u, 1u, 7u, 511u, 512u, 513u}) {
    ready_link p({.name = "l", .target = terminus{}}, test::client_config(),
                 small_frames(test::server_config()));
    p.chunk = chunk;
    ASSERT_TRUE(p.client.send(p.sender, as_bytes(big)));
    p.pump();
    const std::vector<std::string> t = linked_pair::sent_with(p.client_side, "@transfer");
    ASSERT_EQ(t.size(), 11u) << "chunk " << chunk;  // 10 full frames and the rest
    EXPECT_NE(t[0].find("more: true"), std::string::npos) << t[0];
    EXPECT_EQ(t[10].find("more: true"), std::string::npos) << t[10];
    EXPECT_EQ(t[1].find("delivery-id"), std::string::npos) << t[1];  // only the first names it
    for (std::size_t i = 0; i + 1 < t.size(); ++i)  // every frame but the last is full
      EXPECT_EQ(offset_of(t[i + 1]) - offset_of(t[i]), 512u) << t[i];
    const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
    ASSERT_EQ(got.size(), 1u) << "chunk " << chunk;
    EXPECT_EQ(as_string(p.server.payload(got[0])), big);
    EXPECT_EQ(p.server.link(p.receiver)->credit, 99u);  // one delivery, one credit
    EXPECT_EQ(p.server.session(p.server_session)->next_incoming_id, 11u);
  }
}

TEST(delivery, a_message_in_pieces_goes_out_as_one_run_of_bytes_across_frames) {
  ready_link p({.name = "l", .target = terminus{}}, test::client_config(),
               small_frames(test::server_config()));
  const std::string head = "sections|";
  const std::string body = message_of(1500, 'A');
  const bytes_view parts[] = {as_bytes(head), {}, as_bytes(body), as_bytes("|end")};
  ASSERT_TRUE(p.client.send(p.sender, message_parts(parts)));
  p.pump();
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(as_string(p.server.payload(got[0])), head + body + "|end");
  EXPECT_EQ(linked_pair::sent_with(p.client_side, "@transfer").size(), 4u);
}

TEST(delivery, a_streamed_message_goes_out_as_the_application_gives_it) {
  ready_link p;
  auto d = p.client.send(p.sender, as_bytes("part one, "), {.more = true});
  ASSERT_TRUE(d);
  // One delivery at a time per link: the next must wait for the end of this one.
  EXPECT_EQ(p.client.send(p.sender, as_bytes("x")).error(), make_error_code(errc::wrong_state));
  p.pump();
  EXPECT_TRUE(linked_pair::received(p.server_side).empty());
  ASSERT_FALSE(p.client.send_more(*d, as_bytes("part two, "), true));
  ASSERT_FALSE(p.client.send_more(*d, as_bytes("end"), false));
  EXPECT_EQ(p.client.send_more(*d, as_bytes("!"), false), make_error_code(errc::wrong_state));
  p.pump();
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(as_string(p.server.payload(got[0])), "part one, part two, end");
  EXPECT_EQ(linked_pair::sent_with(p.client_side, "@transfer").size(), 3u);
}

TEST(delivery, an_aborted_delivery_is_dropped_by_the_receiver_and_its_credit_spent) {
  ready_link p;
  auto d = p.client.send(p.sender, as_bytes("half a mess"), {.more = true});
  ASSERT_TRUE(d);
  p.pump();
  ASSERT_FALSE(p.client.abort_delivery(*d));
  EXPECT_FALSE(p.client.delivery(*d));  // aborted is settled
  EXPECT_EQ(p.client.link(p.sender)->unsettled, 0u);
  p.pump();
  EXPECT_NE(linked_pair::sent_with(p.client_side, "@transfer").back().find("aborted: true"),
            std::string::npos);
  const transfer_aborted* a = p.server_side.find<transfer_aborted>();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->link, p.receiver);
  EXPECT_TRUE(linked_pair::received(p.server_side).empty());
  EXPECT_EQ(p.server.link(p.receiver)->credit, 99u);
  EXPECT_EQ(p.server.link(p.receiver)->unsettled, 0u);
  // The link goes on.
  ASSERT_TRUE(p.client.send(p.sender, as_bytes("next")));
  p.pump();
  ASSERT_EQ(linked_pair::received(p.server_side).size(), 1u);
}

TEST(delivery, batchable_is_carried_on_the_wire) {
  ready_link p;
  ASSERT_TRUE(p.client.send(p.sender, as_bytes("b"), {.batchable = true}));
  p.pump();
  EXPECT_NE(linked_pair::sent_with(p.client_side, "@transfer").at(0).find("batchable: true"),
            std::string::npos);
}

struct outcome_case {
  delivery_state state;
  std::string wire;
};

TEST(delivery, every_outcome_reaches_the_sender_as_given) {
  const std::vector<outcome_case> cases = {
      {delivery_state::accepted(), "state: @accepted(0x24) {}"},
      {delivery_state::rejected(condition{"amqp:invalid-field", "no body", {}}),
       "state: @rejected(0x25) {error: @error(0x1d) {condition: :amqp:invalid-field, "
       "description: \"no body\"}}"},
      {delivery_state::released(), "state: @released(0x26) {}"},
      {delivery_state::modified(true, true, value::map_of({{value::sym("x-retry"), 3}})),
       "state: @modified(0x27) {delivery-failed: true, undeliverable-here: true, "
       "message-annotations: {:x-retry: int 3}}"},
  };
  for (const outcome_case& c : cases) {
    ready_link p;
    auto d = p.client.send(p.sender, as_bytes("m"));
    ASSERT_TRUE(d);
    p.pump();
    const delivery_handle r = linked_pair::received(p.server_side).at(0);
    ASSERT_FALSE(p.server.settle(r, c.state));
    EXPECT_FALSE(p.server.delivery(r));
    p.pump();
    const std::string line = linked_pair::sent_with(p.server_side, "@disposition").at(0);
    EXPECT_NE(line.find(c.wire), std::string::npos) << line;
    const disposition_received* e = p.client_side.find<disposition_received>();
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->delivery, *d);
    EXPECT_TRUE(e->settled);
    EXPECT_EQ(p.client.delivery(*d)->remote_state, c.state);
    EXPECT_TRUE(p.client.delivery(*d)->remote_settled);
    // The peer settled first: settling here says nothing more.
    ASSERT_FALSE(p.client.settle(*d));
    p.pump();
    EXPECT_TRUE(linked_pair::sent_with(p.client_side, "@disposition").empty());
  }
}

TEST(delivery, received_state_is_an_update_that_does_not_settle) {
  ready_link p;
  auto d = p.client.send(p.sender, as_bytes("m"));
  p.pump();
  const delivery_handle r = linked_pair::received(p.server_side).at(0);
  ASSERT_FALSE(p.server.update_state(r, delivery_state::received(1, 42)));
  p.pump();
  const disposition_received* e = p.client_side.find<disposition_received>();
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->settled);
  EXPECT_EQ(p.client.delivery(*d)->remote_state, delivery_state::received(1, 42));
  EXPECT_FALSE(p.client.delivery(*d)->remote_settled);
  const std::string line = linked_pair::sent_with(p.server_side, "@disposition").at(0);
  EXPECT_EQ(line,
            "-> [147] ch 0 @disposition(0x15) {role: receiver, first: uint 0, state: "
            "@received(0x23) {section-number: uint 1, section-offset: ulong 42}}");
}

TEST(delivery, in_second_mode_the_receiver_settles_after_the_sender) {
  ready_link p({.name = "l",
                .target = terminus{},
                .snd_settle_mode = sender_settle_mode::unsettled,
                .rcv_settle_mode = receiver_settle_mode::second});
  auto d = p.client.send(p.sender, as_bytes("exactly once"));
  p.pump();
  const delivery_handle r = linked_pair::received(p.server_side).at(0);
  EXPECT_EQ(p.server.settle(r, delivery_state::accepted()), make_error_code(errc::wrong_state));
  ASSERT_FALSE(p.server.update_state(r, delivery_state::accepted()));
  p.pump();
  ASSERT_TRUE(p.client_side.find<disposition_received>());
  EXPECT_EQ(p.client.delivery(*d)->remote_state, delivery_state::accepted());
  ASSERT_FALSE(p.client.settle(*d));
  p.pump();
  const disposition_received* e = p.server_side.find<disposition_received>();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->delivery, r);
  EXPECT_TRUE(e->settled);
  ASSERT_FALSE(p.server.settle(r));
  p.pump();
  EXPECT_EQ(linked_pair::sent_with(p.server_side, "@disposition").size(), 1u);
  const std::string sender_line = linked_pair::sent_with(p.client_side, "@disposition").at(0);
  EXPECT_NE(sender_line.find("role: sender, first: uint 0, settled: true"), std::string::npos)
      << sender_line;
}

TEST(delivery, consecutive_settlements_with_one_state_go_out_as_one_range) {
  ready_link p;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p.client.send(p.sender, as_bytes("m")));
  p.pump();
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 10u);
  for (int i = 0; i < 6; ++i) ASSERT_FALSE(p.server.settle(got[i], delivery_state::accepted()));
  ASSERT_FALSE(p.server.settle(got[6], delivery_state::released()));
  ASSERT_FALSE(p.server.settle(got[8], delivery_state::accepted()));
  ASSERT_FALSE(p.server.settle(got[7], delivery_state::accepted()));
  ASSERT_FALSE(p.server.settle(got[9], delivery_state::accepted()));
  p.pump();
  EXPECT_EQ(linked_pair::sent_with(p.server_side, "@disposition"),
            (std::vector<std::string>{
                "-> [147] ch 0 @disposition(0x15) {role: receiver, first: uint 0, last: uint 5, "
                "settled: true, state: @accepted(0x24) {}}",
                "-> [170] ch 0 @disposition(0x15) {role: receiver, first: uint 6, settled: true, "
                "state: @released(0x26) {}}",
                "-> [193] ch 0 @disposition(0x15) {role: receiver, first: uint 7, last: uint 9, "
                "settled: true, state: @accepted(0x24) {}}"}));
  EXPECT_EQ(p.client_side.count<disposition_received>(), 10u);
  EXPECT_EQ(p.client.link(p.sender)->unsettled, 10u);  // until the application settles
}

TEST(delivery, a_range_disposition_settles_every_delivery_it_names) {
  ready_link p;
  std::vector<delivery_handle> sent;
  for (int i = 0; i < 5; ++i) sent.push_back(*p.client.send(p.sender, as_bytes("m")));
  p.pump();
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  for (delivery_handle r : got) ASSERT_FALSE(p.server.settle(r, delivery_state::accepted()));
  p.pump();
  ASSERT_EQ(linked_pair::sent_with(p.server_side, "@disposition").size(), 1u);
  for (delivery_handle d : sent) {
    ASSERT_TRUE(p.client.delivery(d));
    EXPECT_TRUE(p.client.delivery(d)->remote_settled);
    EXPECT_FALSE(p.client.settle(d));
  }
  EXPECT_EQ(p.client.link(p.sender)->unsettled, 0u);
}

TEST(delivery, transfers_beyond_the_peers_session_window_wait_for_it_to_open) {
  ready_link p({.name = "l", .target = terminus{}}, test::client_config(),
               small_frames(test::server_config()), {.incoming_window = 4, .outgoing_window = 4});
  const std::string big = message_of(3000);  // 6 frames of 512
  auto d = p.client.send(p.sender, as_bytes(big));
  ASSERT_TRUE(d);
  EXPECT_EQ(p.client.link(p.sender)->queued, 1u);
  ASSERT_TRUE(p.client.send(p.sender, as_bytes("after")));
  EXPECT_EQ(p.client.link(p.sender)->queued, 2u);
  p.pump();  // the receiver refills its window as it goes
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(as_string(p.server.payload(got[0])), big);
  EXPECT_EQ(as_string(p.server.payload(got[1])), "after");
  EXPECT_EQ(p.client.link(p.sender)->queued, 0u);
  EXPECT_GE(linked_pair::sent_with(p.server_side, "@flow").size(), 3u);
}

TEST(delivery, an_aborted_delivery_the_window_holds_back_is_gone_at_once_and_never_in_doubt) {
  for (const bool detach_first : {false, true}) {
    SCOPED_TRACE(detach_first ? "the link detaches before the window opens" : "the window opens");
    ready_link p({.name = "l", .target = terminus{}}, test::client_config(),
                 small_frames(test::server_config()), {.incoming_window = 2, .outgoing_window = 2});
    auto big = p.client.send(p.sender, as_bytes(message_of(3000)));  // 6 frames: 4 wait
    ASSERT_TRUE(big);
    auto d = p.client.send(p.sender, as_bytes("then abandoned"), {.more = true});
    ASSERT_TRUE(d);
    ASSERT_FALSE(p.client.abort_delivery(*d));
    EXPECT_FALSE(p.client.delivery(*d));  // aborted is settled, whatever still waits
    EXPECT_EQ(p.client.settle(*d), make_error_code(errc::invalid_handle));
    EXPECT_EQ(p.client.link(p.sender)->unsettled, 1u);
    if (detach_first) {
      ASSERT_FALSE(p.client.detach(p.sender));
    }
    p.pump();
    if (detach_first) {
      ASSERT_TRUE(p.server_side.find<peer_detached>());
      ASSERT_FALSE(p.server.detach(p.receiver));
      p.pump();
      EXPECT_FALSE(p.client.link(p.sender));
    }
    EXPECT_EQ(p.client_side.count<delivery_in_doubt>(), detach_first ? 1u : 0u);
    if (const delivery_in_doubt* doubt = p.client_side.find<delivery_in_doubt>()) {
      EXPECT_EQ(doubt->delivery, *big);  // the unsettled message, not the aborted one
    }
    if (!detach_first) {
      EXPECT_EQ(linked_pair::received(p.server_side).size(), 1u);
      EXPECT_EQ(p.server_side.count<transfer_aborted>(), 1u);
      EXPECT_EQ(p.client.link(p.sender)->queued, 0u);
    }
  }
}

TEST(delivery, a_streamed_delivery_with_no_bytes_yet_keeps_its_place_in_the_session) {
  // Its delivery-id is taken at send(): its first transfer goes out then, without bytes, so
  // that a delivery on another link cannot overtake it (ids follow in order, 2.7.5).
  ready_link p;
  auto [other, other_receiver] = p.attach_pair({.name = "m", .target = terminus{}});
  ASSERT_FALSE(p.server.grant_credit(other_receiver, 10));
  p.pump();
  auto d = p.client.send(p.sender, bytes_view(), {.more = true});
  ASSERT_TRUE(d);
  ASSERT_TRUE(p.client.send(other, as_bytes("overtaker?")));
  ASSERT_FALSE(p.client.send_more(*d, as_bytes("streamed"), false));
  p.pump();
  EXPECT_EQ(p.server_side.count<protocol_violation>(), 0u);
  const std::vector<std::string> transfers = linked_pair::sent_with(p.client_side, "@transfer");
  ASSERT_EQ(transfers.size(), 3u);
  EXPECT_NE(transfers[0].find("delivery-id: uint 0"), std::string::npos) << transfers[0];
  EXPECT_NE(transfers[0].find("more: true"), std::string::npos) << transfers[0];
  EXPECT_NE(transfers[1].find("delivery-id: uint 1"), std::string::npos) << transfers[1];
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(as_string(p.server.payload(got[0])), "overtaker?");
  EXPECT_EQ(as_string(p.server.payload(got[1])), "streamed");
}

TEST(delivery, a_message_over_the_receivers_max_message_size_is_refused_by_the_sender) {
  ready_link p({.name = "l", .target = terminus{}, .max_message_size = 10});
  EXPECT_EQ(p.client.send(p.sender, as_bytes("eleven byte")).error(),
            make_error_code(errc::invalid_argument));
  EXPECT_TRUE(p.client.send(p.sender, as_bytes("ten bytes!")));
  auto d = p.client.send(p.sender, as_bytes("six by"), {.more = true});
  ASSERT_TRUE(d);
  EXPECT_EQ(p.client.send_more(*d, as_bytes("tes!!"), false), make_error_code(errc::invalid_argument));
  EXPECT_FALSE(p.client.send_more(*d, as_bytes("tes!"), false));
  p.pump();
  EXPECT_EQ(linked_pair::received(p.server_side).size(), 2u);
}

}  // namespace
}  // namespace amqp
