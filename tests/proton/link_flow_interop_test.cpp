// Our engine against Qpid Proton's for link flow control: credit and delivery-count across
// the wrap, credit granted with deliveries in flight, drain both ways, available and echo.
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

// ---- Credit, delivery-count, available, drain, echo.

TEST(link_interop, proton_credit_counts_from_our_initial_delivery_count_across_the_wrap) {
  link_interop i(engine_role::client, proton_server({.auto_answer_links = false}));
  auto l = i.ours.attach_sender(
      i.our_session,
      {.name = "s", .target = terminus{.address = "q"}, .initial_delivery_count = 0xfffffffeu});
  ASSERT_TRUE(l);
  i.pump();
  const test::link_handle t = i.theirs.find_link("s").value();
  i.theirs.answer(t, {.target = "q"});
  i.theirs.flow(t, 5);
  i.pump();
  ASSERT_TRUE(i.find<credit_granted>());
  EXPECT_EQ(i.ours.link(*l)->credit, 5u);
  EXPECT_EQ(i.ours.link(*l)->delivery_count, 0xfffffffeu);
  EXPECT_NE(
      i.they_sent("@flow").back().find("delivery-count: uint 4294967294, link-credit: uint 5"),
      std::string::npos);

  for (int k = 0; k < 3; ++k) ASSERT_TRUE(i.ours.send(*l, pattern(10), {.settled = true}));
  i.pump();
  EXPECT_EQ(i.theirs.received().size(), 3u);
  EXPECT_EQ(i.theirs.credit(t), 2);
  EXPECT_EQ(i.ours.link(*l)->delivery_count, 1u);  // wrapped (RFC 1982)
  EXPECT_EQ(i.ours.link(*l)->credit, 2u);

  // More credit: Proton's flow counts from the wrapped delivery-count.
  i.theirs.flow(t, 3);
  i.pump();
  EXPECT_NE(i.they_sent("@flow").back().find("delivery-count: uint 1, link-credit: uint 5"),
            std::string::npos)
      << i.they_sent("@flow").back();
  EXPECT_EQ(i.ours.link(*l)->credit, 5u);
  for (int k = 0; k < 5; ++k) ASSERT_TRUE(i.ours.send(*l, pattern(10), {.settled = true}));
  EXPECT_EQ(i.ours.send(*l, pattern(10), {.settled = true}).error(),
            make_error_code(errc::no_credit));
  i.pump();
  EXPECT_EQ(i.theirs.received().size(), 8u);
  EXPECT_EQ(i.theirs.credit(t), 0);
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, credit_proton_grants_while_our_deliveries_are_in_flight_counts_from_its_count) {
  // Proton's flow names the delivery-count it has seen, behind ours by what is on the wire:
  // our credit is its count plus its credit minus ours (spec Part 2, 2.6.7).
  link_interop i(engine_role::client, proton_server({.auto_answer_links = false}));
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  i.theirs.answer(t, {.target = "q"});
  i.theirs.flow(t, 10);
  i.pump();
  for (int k = 0; k < 4; ++k) ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  EXPECT_EQ(i.ours.link(l)->credit, 6u);
  i.theirs.flow(t, 5);    // Proton has seen none of the four yet
  i.feed_ours(1u << 20);  // its flow crosses our transfers
  EXPECT_NE(i.they_sent("@flow").back().find("delivery-count: uint 0, link-credit: uint 15"),
            std::string::npos)
      << i.they_sent("@flow").back();
  EXPECT_EQ(i.ours.link(l)->credit, 11u);
  i.pump();
  EXPECT_EQ(i.theirs.received().size(), 4u);
  EXPECT_EQ(i.theirs.credit(t), 11);
}

TEST(link_interop, our_credit_bounds_what_a_proton_sender_sends) {
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(l, 3));
  i.pump();
  EXPECT_EQ(i.theirs.credit(t), 3);
  for (int k = 0; k < 5; ++k) i.theirs.send(t, std::to_string(k), pattern(10), /*settled=*/true);
  i.pump();
  EXPECT_EQ(i.received().size(), 3u);  // Proton holds back the rest
  EXPECT_EQ(i.ours.link(l)->credit, 0u);
  EXPECT_EQ(i.ours.link(l)->delivery_count, 3u);

  ASSERT_FALSE(i.ours.grant_credit(l, 10));
  i.pump();
  EXPECT_EQ(i.received().size(), 5u);
  EXPECT_EQ(i.ours.link(l)->credit, 8u);
  EXPECT_EQ(i.ours.link(l)->delivery_count, 5u);
  EXPECT_EQ(i.theirs.credit(t), 8);
  EXPECT_NE(i.we_sent("@flow").back().find("delivery-count: uint 3, link-credit: uint 10"),
            std::string::npos)
      << i.we_sent("@flow").back();
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, a_proton_receiver_drains_our_sender) {
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::receiver, {.name = "r", .source = "q"},
                                   {.source = terminus{.address = "q"}});
  i.theirs.flow(t, 5);
  i.pump();
  EXPECT_EQ(i.ours.link(l)->credit, 5u);
  EXPECT_FALSE(i.ours.link(l)->drain);

  // Drain: we send what we have (two messages), then give up the rest.
  std::size_t mark = i.events.size();
  i.theirs.drain(t, 0);
  i.pump();
  EXPECT_EQ(i.all<credit_granted>(mark).size(), 1u);
  EXPECT_TRUE(i.ours.link(l)->drain);
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  ASSERT_FALSE(i.ours.complete_drain(l));
  i.pump();
  EXPECT_EQ(i.theirs.received().size(), 2u);
  EXPECT_EQ(i.theirs.drains_completed(t), 1);
  EXPECT_EQ(i.theirs.credit_drained(t), 3);
  EXPECT_EQ(i.theirs.credit(t), 0);
  EXPECT_FALSE(i.theirs.draining(t));
  EXPECT_EQ(i.ours.link(l)->credit, 0u);
  EXPECT_EQ(i.ours.link(l)->delivery_count, 5u);
  EXPECT_FALSE(i.ours.link(l)->drain);
  const std::string flow = i.we_sent("@flow").back();
  EXPECT_NE(flow.find("delivery-count: uint 5, link-credit: uint 0"), std::string::npos) << flow;
  EXPECT_NE(flow.find("drain: true"), std::string::npos) << flow;
  EXPECT_EQ(i.ours.complete_drain(l), make_error_code(errc::wrong_state));  // no drain asked

  // A drain that the transfers use up needs no flow: the credit is simply gone.
  mark = i.events.size();
  i.theirs.drain(t, 2);
  i.pump();
  EXPECT_TRUE(i.ours.link(l)->drain);
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  EXPECT_FALSE(i.ours.link(l)->drain);
  i.pump();
  EXPECT_EQ(i.theirs.drains_completed(t), 2);
  EXPECT_EQ(i.theirs.received().size(), 4u);
  EXPECT_EQ(i.ours.link(l)->delivery_count, 7u);
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, a_drain_completed_while_our_deliveries_wait_for_the_window_keeps_counts_equal) {
  // Three messages of five frames each against Proton's window of four transfers: when the
  // drain is completed, two of them have not begun on the wire. Proton must still count
  // exactly the deliveries it got plus the credit we gave up, or later credit would differ.
  amqp::limits small;
  small.max_frame_size = 512;
  link_interop i(
      engine_role::client,
      proton_server(
          {.max_frame_size = 512, .session_incoming_capacity = 2048, .auto_answer_links = false}),
      small);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  i.theirs.answer(t, {.target = "q"});
  i.theirs.flow(t, 10);
  i.pump();
  ASSERT_EQ(i.ours.session(i.our_session)->remote_incoming_window, 4u);
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(i.ours.send(l, pattern(2000), {.settled = true}));
  EXPECT_EQ(i.ours.link(l)->queued, 3u);
  i.theirs.drain(t, 0);
  i.feed_ours(1u << 20);  // the drain reaches us before our transfers reach Proton
  ASSERT_TRUE(i.ours.link(l)->drain);
  ASSERT_FALSE(i.ours.complete_drain(l));
  EXPECT_EQ(i.ours.link(l)->delivery_count, 10u);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 3u);
  EXPECT_EQ(i.theirs.credit(t), 0);
  EXPECT_EQ(i.theirs.drains_completed(t), 1);

  i.theirs.flow(t, 5);
  i.pump();
  EXPECT_NE(i.they_sent("@flow").back().find("delivery-count: uint 10, link-credit: uint 5"),
            std::string::npos)
      << i.they_sent("@flow").back();
  EXPECT_EQ(i.ours.link(l)->credit, 5u);
  int sent = 0;
  while (i.ours.send(l, pattern(10), {.settled = true})) ++sent;
  i.pump();
  EXPECT_EQ(sent, 5);
  EXPECT_EQ(i.theirs.received().size(), 8u);
  EXPECT_EQ(i.theirs.credit(t), 0);
}

TEST(link_interop, our_receiver_drains_a_proton_sender) {
  link_interop i(engine_role::client, proton_server({.auto_answer_links = false}));
  const auto [l, t] = i.our_link(role::receiver, {.name = "r", .source = terminus{.address = "q"}});
  i.theirs.answer(t, {.source = "q"});
  ASSERT_FALSE(i.ours.grant_credit(l, 5));
  i.pump();
  i.theirs.send(t, "a", pattern(10), true);
  i.theirs.send(t, "b", pattern(10), true);
  i.pump();
  EXPECT_EQ(i.received().size(), 2u);

  // Proton hands the three credits left back at once (auto_drain).
  std::size_t mark = i.events.size();
  ASSERT_FALSE(i.ours.drain(l));
  EXPECT_TRUE(i.ours.link(l)->drain);
  EXPECT_NE(i.we_sent("@flow").back().find("drain: true"), std::string::npos);
  i.pump();
  EXPECT_EQ(i.all<link_drained>(mark).size(), 1u);
  EXPECT_EQ(i.theirs.credit_drained(t), 3);
  EXPECT_EQ(i.ours.link(l)->credit, 0u);
  EXPECT_EQ(i.ours.link(l)->delivery_count, 5u);
  EXPECT_FALSE(i.ours.link(l)->drain);

  // Nothing to drain: done at once.
  mark = i.events.size();
  ASSERT_FALSE(i.ours.drain(l));
  i.pump();
  EXPECT_EQ(i.all<link_drained>(mark).size(), 1u);
  EXPECT_EQ(i.we_sent("@flow").size(), 2u);  // the credit, the first drain: no flow for this one
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, a_drain_ends_when_a_proton_sender_uses_up_the_credit) {
  link_interop i(engine_role::server, proton_client({.auto_drain = false}));
  const auto [l, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(l, 3));
  ASSERT_FALSE(i.ours.drain(l));
  i.pump();
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::active);
  EXPECT_FALSE(i.find<link_drained>());
  for (int k = 0; k < 3; ++k) i.theirs.send(t, std::to_string(k), pattern(10), true);
  i.pump();
  EXPECT_EQ(i.received().size(), 3u);
  const auto drained = i.all<link_drained>();
  ASSERT_EQ(drained.size(), 1u);
  EXPECT_EQ(drained[0].link, l);
  EXPECT_FALSE(i.ours.link(l)->drain);
  // The sender hands back what is left after a partial use: the rest of a second drain.
  ASSERT_FALSE(i.ours.grant_credit(l, 4));
  ASSERT_FALSE(i.ours.drain(l));
  i.pump();
  i.theirs.send(t, "x", pattern(10), true);
  EXPECT_EQ(i.theirs.complete_drain(t), 3);
  i.pump();
  EXPECT_EQ(i.all<link_drained>().size(), 2u);
  EXPECT_EQ(i.ours.link(l)->credit, 0u);
  EXPECT_EQ(i.ours.link(l)->delivery_count, 7u);
}

TEST(link_interop, our_flow_state_with_available_and_echo_is_accepted_by_proton) {
  // Proton 0.37 reads neither available nor echo (it never answers an echo and never sends
  // available): what can be checked is that our flows carry them and that Proton carries on.
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::receiver, {.name = "r", .source = "q"},
                                   {.source = terminus{.address = "q"}});
  i.theirs.flow(t, 2);
  i.pump();
  ASSERT_FALSE(i.ours.set_available(l, 7));
  EXPECT_EQ(i.ours.link(l)->available, 7u);
  ASSERT_FALSE(i.ours.request_flow(l));
  const std::vector<std::string> flows = i.we_sent("@flow");
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_NE(flows[0].find("delivery-count: uint 0, link-credit: uint 2, available: uint 7}"),
            std::string::npos)
      << flows[0];
  EXPECT_NE(flows[1].find("available: uint 7, echo: true}"), std::string::npos) << flows[1];
  i.pump();
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  i.pump();
  EXPECT_EQ(i.theirs.received().size(), 1u);
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::active);
}

}  // namespace
}  // namespace amqp
