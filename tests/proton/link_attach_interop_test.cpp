// Our engine against Qpid Proton's for attach and detach: every attach field both ways, settle
// modes, links detached and closed from either side.
// Each behaviour runs both ways (our client with a Proton server, a Proton client with our
// server); assertions read our events, Proton's, and the frames that crossed (link_interop.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "link_interop.hpp"

namespace amqp {
namespace {

using namespace interop;

// ---- Attach and detach.

TEST(link_interop, proton_reads_every_attach_field_of_our_sender_and_receiver) {
  link_interop i(engine_role::client, proton_server());
  const value properties =
      value::map_of({{value::sym("product"), "amqp-engine"}, {value::sym("build"), 42}});
  const link_options sender{.name = "our-sender",
                            .source = every_field_source("our-outbox"),
                            .target = every_field_target(std::nullopt),  // dynamic
                            .snd_settle_mode = sender_settle_mode::unsettled,
                            .rcv_settle_mode = receiver_settle_mode::second,
                            .max_message_size = 123456,
                            .offered_capabilities = {"our-offer"},
                            .desired_capabilities = {"our-desire"},
                            .properties = properties};
  const auto [our_sender, their_receiver] = i.our_link(role::sender, sender);
  EXPECT_FALSE(i.theirs.is_sender(their_receiver));
  EXPECT_EQ(from_proton(i.theirs.remote_source_terminus(their_receiver)),
            without_default_outcome(*sender.source));
  EXPECT_EQ(from_proton(i.theirs.remote_target_terminus(their_receiver)), *sender.target);
  EXPECT_EQ(i.theirs.remote_snd_settle_mode(their_receiver), test::snd_settle_mode::unsettled);
  EXPECT_EQ(i.theirs.remote_rcv_settle_mode(their_receiver), test::rcv_settle_mode::second);
  EXPECT_EQ(i.theirs.remote_max_message_size(their_receiver), 123456u);
  EXPECT_EQ(decoded(i.theirs.remote_properties(their_receiver)), properties);
  // Proton has no place for these; they are on the wire.
  const std::string attach = i.we_sent("@attach").at(0);
  EXPECT_NE(attach.find("default-outcome: @modified(0x27) {delivery-failed: true, "
                        "undeliverable-here: false}"),
            std::string::npos)
      << attach;
  EXPECT_NE(attach.find("offered-capabilities: symbol[:our-offer]"), std::string::npos) << attach;
  EXPECT_NE(attach.find("desired-capabilities: symbol[:our-desire]"), std::string::npos) << attach;

  // Proton answers the Proton way, with our termini copied and the dynamic node named.
  const peer_attached* answer = i.find<peer_attached>();
  ASSERT_NE(answer, nullptr);
  EXPECT_TRUE(answer->answer);
  EXPECT_EQ(answer->link, our_sender);
  const link_status* st = i.ours.link(our_sender);
  ASSERT_NE(st, nullptr);
  EXPECT_TRUE(st->attach_received);
  EXPECT_EQ(st->remote_source, without_default_outcome(*sender.source));
  terminus named = *sender.target;
  named.address = "proton-peer-dynamic-1";
  EXPECT_EQ(st->remote_target, named);
  EXPECT_EQ(st->snd_settle_mode, sender_settle_mode::unsettled);
  EXPECT_EQ(st->rcv_settle_mode, receiver_settle_mode::second);
  EXPECT_EQ(st->remote_max_message_size, 0u);  // Proton's answer: no limit

  const link_options receiver{.name = "our-receiver",
                              .source = every_field_source(std::nullopt),  // dynamic
                              .target = every_field_target("our-inbox"),
                              .snd_settle_mode = sender_settle_mode::settled,
                              .rcv_settle_mode = receiver_settle_mode::first,
                              .max_message_size = 4096,
                              .properties = properties};
  const auto [our_receiver, their_sender] = i.our_link(role::receiver, receiver);
  EXPECT_TRUE(i.theirs.is_sender(their_sender));
  EXPECT_EQ(from_proton(i.theirs.remote_source_terminus(their_sender)),
            without_default_outcome(*receiver.source));
  EXPECT_EQ(from_proton(i.theirs.remote_target_terminus(their_sender)), *receiver.target);
  EXPECT_EQ(i.theirs.remote_snd_settle_mode(their_sender), test::snd_settle_mode::settled);
  EXPECT_EQ(i.theirs.remote_rcv_settle_mode(their_sender), test::rcv_settle_mode::first);
  EXPECT_EQ(i.theirs.remote_max_message_size(their_sender), 4096u);
  EXPECT_EQ(decoded(i.theirs.remote_properties(their_sender)), properties);
  const link_status* rst = i.ours.link(our_receiver);
  ASSERT_NE(rst, nullptr);
  EXPECT_TRUE(rst->attach_received);
  terminus source_named = without_default_outcome(*receiver.source);
  source_named.address = "proton-peer-dynamic-2";
  EXPECT_EQ(rst->remote_source, source_named);
  EXPECT_EQ(rst->remote_target, *receiver.target);
  EXPECT_EQ(rst->snd_settle_mode, sender_settle_mode::settled);
  EXPECT_EQ(rst->delivery_count, 0u);  // Proton's initial-delivery-count
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, our_server_reads_every_attach_field_of_proton_links_and_answers_with_its_own) {
  link_interop i(engine_role::server, proton_client());
  const value their_properties = value::map_of({{value::sym("client"), "proton"}});
  // Proton's side of each link, and our answer: other values everywhere, so that each field
  // read on each side is the one the other side sent.
  const terminus their_source = without_default_outcome(every_field_source("their-outbox"));
  const terminus their_target = every_field_target(std::nullopt);
  const auto [our_receiver, their_sender] =
      i.their_link(role::sender,
                   {.name = "their-sender",
                    .snd_settle = test::snd_settle_mode::unsettled,
                    .rcv_settle = test::rcv_settle_mode::second,
                    .max_message_size = 777,
                    .source_terminus = to_proton(their_source),
                    .target_terminus = to_proton(their_target),
                    .properties = encoded(their_properties)},
                   {.source = terminus{.address = "their-outbox", .timeout = 5},
                    .target = terminus{.address = "our-dynamic-node",
                                       .durable = terminus_durability::unsettled_state,
                                       .expiry_policy = "connection-close",
                                       .dynamic = true,
                                       .capabilities = {"queue"}},
                    .rcv_settle_mode = receiver_settle_mode::second,
                    .max_message_size = 2048,
                    .offered_capabilities = {"our-offer"},
                    .properties = value::map_of({{value::sym("server"), "ours"}})});
  const link_status* st = i.ours.link(our_receiver);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->role, role::receiver);
  EXPECT_EQ(st->name, "their-sender");
  EXPECT_EQ(st->remote_source, their_source);
  EXPECT_EQ(st->remote_target, their_target);
  EXPECT_EQ(st->snd_settle_mode, sender_settle_mode::unsettled);
  EXPECT_EQ(st->rcv_settle_mode, receiver_settle_mode::second);
  EXPECT_EQ(st->remote_max_message_size, 777u);
  EXPECT_EQ(st->remote_properties, their_properties);
  EXPECT_EQ(st->delivery_count, 0u);  // Proton's initial-delivery-count

  EXPECT_EQ(i.theirs.state(their_sender),
            (test::endpoint_state{test::endpoint::active, test::endpoint::active}));
  EXPECT_EQ(from_proton(i.theirs.remote_source_terminus(their_sender)),
            (terminus{.address = "their-outbox", .timeout = 5}));
  EXPECT_EQ(from_proton(i.theirs.remote_target_terminus(their_sender)),
            (terminus{.address = "our-dynamic-node",
                      .durable = terminus_durability::unsettled_state,
                      .expiry_policy = "connection-close",
                      .dynamic = true,
                      .capabilities = {"queue"}}));
  EXPECT_EQ(i.theirs.remote_rcv_settle_mode(their_sender), test::rcv_settle_mode::second);
  EXPECT_EQ(i.theirs.remote_max_message_size(their_sender), 2048u);
  EXPECT_EQ(decoded(i.theirs.remote_properties(their_sender)),
            value::map_of({{value::sym("server"), "ours"}}));

  // The other role: a Proton receiver asking for a dynamic source.
  const terminus dynamic_source = without_default_outcome(every_field_source(std::nullopt));
  const terminus inbox = every_field_target("their-inbox");
  const auto [our_sender, their_receiver] =
      i.their_link(role::receiver,
                   {.name = "their-receiver",
                    .snd_settle = test::snd_settle_mode::settled,
                    .rcv_settle = test::rcv_settle_mode::first,
                    .source_terminus = to_proton(dynamic_source),
                    .target_terminus = to_proton(inbox)},
                   {.source = terminus{.address = "our-temporary-queue",
                                       .dynamic = true,
                                       .distribution_mode = "move",
                                       .filter = value::map_of({{value::sym("f"), "x"}}),
                                       .outcomes = {"amqp:accepted:list"},
                                       .capabilities = {"temporary-queue"}},
                    .target = inbox,
                    .snd_settle_mode = sender_settle_mode::settled,
                    .initial_delivery_count = 100});
  const link_status* sst = i.ours.link(our_sender);
  ASSERT_NE(sst, nullptr);
  EXPECT_EQ(sst->role, role::sender);
  EXPECT_EQ(sst->remote_source, dynamic_source);
  EXPECT_EQ(sst->remote_target, inbox);
  EXPECT_EQ(sst->snd_settle_mode, sender_settle_mode::settled);
  EXPECT_EQ(sst->rcv_settle_mode, receiver_settle_mode::first);
  EXPECT_EQ(from_proton(i.theirs.remote_source_terminus(their_receiver)),
            (terminus{.address = "our-temporary-queue",
                      .dynamic = true,
                      .distribution_mode = "move",
                      .filter = value::map_of({{value::sym("f"), "x"}}),
                      .outcomes = {"amqp:accepted:list"},
                      .capabilities = {"temporary-queue"}}));
  EXPECT_EQ(from_proton(i.theirs.remote_target_terminus(their_receiver)), inbox);
  EXPECT_EQ(i.theirs.remote_snd_settle_mode(their_receiver), test::snd_settle_mode::settled);
  EXPECT_EQ(i.theirs.remote_max_message_size(their_receiver), 0u);  // a sender's is informative
  i.theirs.flow(their_receiver, 1);  // Proton counts from our initial-delivery-count
  i.pump();
  EXPECT_NE(i.they_sent("@flow").back().find("delivery-count: uint 100, link-credit: uint 1"),
            std::string::npos)
      << i.they_sent("@flow").back();
  EXPECT_EQ(i.ours.link(our_sender)->credit, 1u);
  EXPECT_FALSE(i.find<protocol_violation>());
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

TEST(link_interop, the_receiver_decides_rcv_settle_mode_and_the_sender_snd_settle_mode) {
  // Each side's attach states the mode of its own role and only wishes the other's (spec Part
  // 2, 2.7.3): what is in force is the sender's snd-settle-mode and the receiver's
  // rcv-settle-mode, whoever attached first.
  link_interop i(engine_role::client, proton_server({.auto_answer_links = false}));
  auto l = i.ours.attach_sender(i.our_session, {.name = "s",
                                                .target = terminus{.address = "q"},
                                                .snd_settle_mode = sender_settle_mode::unsettled,
                                                .rcv_settle_mode = receiver_settle_mode::second});
  ASSERT_TRUE(l);
  i.pump();
  const test::link_handle t = i.theirs.find_link("s").value();
  i.theirs.answer(t, {.target = "q",
                      .snd_settle = test::snd_settle_mode::settled,
                      .rcv_settle = test::rcv_settle_mode::first});
  i.pump();
  ASSERT_TRUE(i.find<peer_attached>());
  EXPECT_EQ(i.ours.link(*l)->snd_settle_mode, sender_settle_mode::unsettled);
  EXPECT_EQ(i.ours.link(*l)->rcv_settle_mode, receiver_settle_mode::first);

  link_interop j(engine_role::server, proton_client());
  const auto [r, u] = j.their_link(role::sender,
                                   {.name = "r",
                                    .target = "q",
                                    .snd_settle = test::snd_settle_mode::settled,
                                    .rcv_settle = test::rcv_settle_mode::second},
                                   {.target = terminus{.address = "q"},
                                    .snd_settle_mode = sender_settle_mode::unsettled,
                                    .rcv_settle_mode = receiver_settle_mode::first});
  EXPECT_EQ(j.ours.link(r)->snd_settle_mode, sender_settle_mode::settled);
  EXPECT_EQ(j.ours.link(r)->rcv_settle_mode, receiver_settle_mode::first);
  EXPECT_EQ(j.theirs.remote_rcv_settle_mode(u), test::rcv_settle_mode::first);
  EXPECT_EQ(j.theirs.remote_snd_settle_mode(u), test::snd_settle_mode::unsettled);
}

// The four ways a link ends: each role, detached (it may be attached again) or closed.
struct ending {
  role ours;
  bool closed;
  std::string name;
};
const std::vector<ending> endings = {{role::sender, false, "sender-detached"},
                                     {role::sender, true, "sender-closed"},
                                     {role::receiver, false, "receiver-detached"},
                                     {role::receiver, true, "receiver-closed"}};

TEST(link_interop, our_links_detach_and_close_with_a_proton_server) {
  link_interop i(engine_role::client, proton_server());
  for (const ending& e : endings) {
    SCOPED_TRACE(e.name);
    const auto [l, t] = i.our_link(
        e.ours,
        {.name = e.name, .source = terminus{.address = "a"}, .target = terminus{.address = "b"}});
    i.theirs.clear_events();
    const std::size_t mark = i.events.size();
    ASSERT_FALSE(e.closed ? i.ours.close_link(l) : i.ours.detach(l));
    i.pump();
    EXPECT_EQ(i.theirs.count("PN_LINK_REMOTE_CLOSE"), e.closed ? 1u : 0u);
    EXPECT_EQ(i.theirs.count("PN_LINK_REMOTE_DETACH"), e.closed ? 0u : 1u);
    EXPECT_EQ(i.theirs.state(t).remote,
              e.closed ? test::endpoint::closed : test::endpoint::active);  // see detach()
    const auto answers = i.all<peer_detached>(mark);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].link, l);
    EXPECT_EQ(answers[0].closed, e.closed);
    EXPECT_FALSE(answers[0].error);
    EXPECT_EQ(i.ours.link(l), nullptr);  // both detaches exchanged: the handle is stale
    const std::string detach = i.we_sent("@detach").back();
    EXPECT_EQ(detach.find("closed: true") != std::string::npos, e.closed) << detach;
  }
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, proton_links_detach_and_close_with_our_server) {
  link_interop i(engine_role::server, proton_client());
  for (const ending& e : endings) {
    SCOPED_TRACE(e.name);
    // Proton's link has the opposite role of ours.
    const role theirs = e.ours == role::sender ? role::receiver : role::sender;
    const auto [l, t] =
        i.their_link(theirs, {.name = e.name, .source = "a", .target = "b"},
                     {.source = terminus{.address = "a"}, .target = terminus{.address = "b"}});
    const std::size_t mark = i.events.size();
    if (e.closed) {
      i.theirs.close(t);
    } else {
      i.theirs.detach(t);
    }
    i.pump();
    const auto detached = i.all<peer_detached>(mark);
    ASSERT_EQ(detached.size(), 1u);
    EXPECT_EQ(detached[0].link, l);
    EXPECT_EQ(detached[0].closed, e.closed);
    ASSERT_NE(i.ours.link(l), nullptr);  // ours to answer
    EXPECT_TRUE(i.ours.link(l)->detach_received);
    i.theirs.clear_events();
    ASSERT_FALSE(e.closed ? i.ours.close_link(l) : i.ours.detach(l));
    i.pump();
    EXPECT_EQ(i.ours.link(l), nullptr);
    if (e.closed) {
      EXPECT_EQ(i.theirs.state(t),
                (test::endpoint_state{test::endpoint::closed, test::endpoint::closed}));
    } else {
      EXPECT_EQ(i.theirs.count("PN_LINK_REMOTE_DETACH"), 1u);
    }
  }
  EXPECT_FALSE(i.find<protocol_violation>());
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

}  // namespace
}  // namespace amqp
