// Our engine against Qpid Proton's at the limits: max-message-size, links closed with errors,
// deliveries left in doubt, the reassembly budget, many links on two sessions.
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

// ---- Limits and errors.

TEST(link_interop, max_message_size_is_announced_and_enforced_both_ways) {
  link_interop i(engine_role::server, proton_client());
  const auto [s, t] = i.their_link(
      role::receiver, {.name = "small-receiver", .source = "q", .max_message_size = 1000},
      {.source = terminus{.address = "q"}});
  EXPECT_EQ(i.ours.link(s)->remote_max_message_size, 1000u);
  i.theirs.flow(t, 5);
  i.pump();
  EXPECT_EQ(i.ours.send(s, pattern(1001)).error(), make_error_code(errc::invalid_argument));
  ASSERT_TRUE(i.ours.send(s, pattern(1000)));
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_EQ(i.theirs.received()[0].bytes.size(), 1000u);

  // Our receiver announces 600 bytes; Proton sends more anyway, and the link is closed.
  const auto [r, u] = i.their_link(role::sender, {.name = "big-sender", .target = "q"},
                                   {.target = terminus{.address = "q"}, .max_message_size = 600});
  EXPECT_EQ(i.theirs.remote_max_message_size(u), 600u);
  ASSERT_FALSE(i.ours.grant_credit(r, 5));
  i.pump();
  i.theirs.send(u, "fits", pattern(600), false);
  i.theirs.send(u, "too-big", pattern(700), false);
  i.pump();
  EXPECT_EQ(i.received().size(), 1u);
  const protocol_violation* v = i.find<protocol_violation>();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->link, r);
  EXPECT_EQ(v->error.name, "amqp:link:message-size-exceeded");
  EXPECT_EQ(i.theirs.state(u).remote, test::endpoint::closed);
  EXPECT_EQ(i.theirs.remote_condition(u).name, "amqp:link:message-size-exceeded");
  i.theirs.close(u);
  i.pump();
  EXPECT_EQ(i.ours.link(r), nullptr);                           // both detaches exchanged
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::active);  // the other link lives on
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

TEST(link_interop, our_links_closed_or_detached_with_an_error_tell_proton_why) {
  link_interop i(engine_role::server, proton_client());
  const value info = value::map_of({{value::sym("retry-after"), std::uint32_t{30}}});
  const auto [r, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  const auto [s, u] = i.their_link(role::receiver, {.name = "r", .source = "q"},
                                   {.source = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.close_link(r, condition{"amqp:unauthorized-access", "not yours", info}));
  ASSERT_FALSE(i.ours.detach(s, condition{"amqp:link:detach-forced", "moving", {}}));
  i.pump();
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::closed);
  const test::condition closed = i.theirs.remote_condition(t);
  EXPECT_EQ(closed.name, "amqp:unauthorized-access");
  EXPECT_EQ(closed.description, "not yours");
  EXPECT_EQ(decoded(closed.info), info);
  EXPECT_EQ(i.theirs.remote_condition(u), (test::condition{"amqp:link:detach-forced", "moving"}));
  EXPECT_EQ(i.theirs.count("PN_LINK_REMOTE_DETACH"), 1u);
  // Proton answers only when told to; then both links are gone here.
  i.theirs.close(t);
  i.theirs.detach(u);
  i.pump();
  EXPECT_EQ(i.ours.link(r), nullptr);
  EXPECT_EQ(i.ours.link(s), nullptr);
  EXPECT_EQ(i.all<peer_detached>().size(), 2u);
}

TEST(link_interop, a_proton_link_closed_with_an_error_leaves_our_unsettled_deliveries_in_doubt) {
  link_interop i(engine_role::client, proton_server({.auto_answer_links = false}));
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  i.theirs.answer(t, {.target = "q"});
  i.theirs.flow(t, 5);
  i.pump();
  auto a = i.ours.send(l, pattern(20, 1));
  auto b = i.ours.send(l, pattern(20, 2));
  ASSERT_TRUE(a && b);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 2u);

  const value info = value::map_of({{value::sym("node"), "q"}});
  i.theirs.close(t, {"amqp:resource-deleted", "queue deleted", encoded(info)});
  i.pump();
  const auto detached = i.all<peer_detached>();
  ASSERT_EQ(detached.size(), 1u);
  EXPECT_EQ(detached[0].link, l);
  EXPECT_TRUE(detached[0].closed);
  ASSERT_TRUE(detached[0].error);
  EXPECT_EQ(*detached[0].error, (condition{"amqp:resource-deleted", "queue deleted", info}));
  EXPECT_FALSE(i.find<delivery_in_doubt>());  // not before the link is over
  EXPECT_EQ(i.ours.send(l, pattern(20)).error(), make_error_code(errc::wrong_state));

  ASSERT_FALSE(i.ours.close_link(l));
  i.pump();
  EXPECT_EQ(i.ours.link(l), nullptr);
  EXPECT_EQ(i.theirs.state(t),
            (test::endpoint_state{test::endpoint::closed, test::endpoint::closed}));
  const auto doubts = i.all<delivery_in_doubt>();
  ASSERT_EQ(doubts.size(), 2u);
  EXPECT_EQ(doubts[0].delivery, *a);
  EXPECT_EQ(doubts[1].delivery, *b);
  EXPECT_NE(i.ours.delivery(*a), nullptr);  // ours until we settle them
  EXPECT_FALSE(i.ours.settle(*a));
  EXPECT_FALSE(i.ours.settle(*b));
  EXPECT_EQ(i.ours.delivery(*a), nullptr);
  i.pump();
  EXPECT_TRUE(i.we_sent("@disposition").empty());  // the link is gone: nothing to tell
}

TEST(link_interop, a_proton_message_beyond_our_reassembly_limit_closes_its_link) {
  amqp::limits small;
  small.max_frame_size = 512;
  small.max_reassembly_bytes = 4096;
  link_interop i(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(r, 5));
  i.pump();
  i.theirs.send(t, "fits", pattern(4000), true);  // whole before the limit is crossed
  i.theirs.send(t, "too-big", pattern(10 * 1024), true);
  i.pump();
  ASSERT_EQ(i.received().size(), 1u);
  const protocol_violation* v = i.find<protocol_violation>();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->link, r);
  EXPECT_EQ(v->error.name, "amqp:resource-limit-exceeded");
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::closed);
  EXPECT_EQ(i.theirs.remote_condition(t).name, "amqp:resource-limit-exceeded");
  i.theirs.close(t);
  i.pump();
  EXPECT_EQ(i.ours.link(r), nullptr);
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

TEST(link_interop, aborts_and_links_closed_mid_delivery_give_back_the_reassembly_budget) {
  // 8 KiB for messages still arriving: each partial delivery below holds most of it, so a
  // whole message after it only fits if the partial one's bytes were given back.
  amqp::limits small;
  small.max_frame_size = 512;
  small.max_reassembly_bytes = 8 * 1024;
  const std::vector<std::uint8_t> message = pattern(7 * 1024, 3);
  link_interop i(engine_role::server, proton_client({.max_frame_size = 512}), small);
  auto [r, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                             {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(r, 100));
  i.pump();
  for (int k = 0; k < 3; ++k) {
    const test::sent_handle partial = i.theirs.begin_delivery(t, "partial");
    i.theirs.send_chunk(partial, message);
    i.pump();
    i.theirs.abort(partial);
    i.theirs.send(t, "whole", message, true);
    i.pump();
  }
  EXPECT_EQ(i.all<transfer_aborted>().size(), 3u);
  ASSERT_EQ(i.received().size(), 3u);
  EXPECT_FALSE(i.find<protocol_violation>());

  // Now a link we close while a message is half way: the frames after our detach are
  // ignored, and once Proton's detach arrives the half message is forgotten.
  i.theirs.send(t, "half", message, true);
  i.feed_ours(3000);
  ASSERT_FALSE(i.ours.close_link(r));
  i.pump();
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::closed);
  i.theirs.close(t);
  i.pump();
  EXPECT_EQ(i.ours.link(r), nullptr);
  EXPECT_EQ(i.received().size(), 3u);
  std::tie(r, t) = i.their_link(role::sender, {.name = "s2", .target = "q"},
                                {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(r, 1));
  i.pump();
  i.theirs.send(t, "after", message, true);
  i.pump();
  ASSERT_EQ(i.received().size(), 4u);
  EXPECT_EQ(bytes_of(i.ours.payload(i.received()[3])), message);
  EXPECT_FALSE(i.find<protocol_violation>());
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

// ---- Several links and sessions.

TEST(link_interop, many_links_on_two_sessions_carry_their_own_messages_and_reuse_handles) {
  link_interop i(engine_role::server, proton_client());
  // A second session, begun by Proton and answered by us.
  const std::size_t mark = i.events.size();
  const test::session_handle second = i.theirs.begin();
  i.pump();
  session_handle our_second;
  for (const peer_began_session& b : i.all<peer_began_session>(mark)) our_second = b.session;
  ASSERT_FALSE(i.ours.begin_session(our_second));
  i.pump();

  struct pair {
    link_handle ours;
    test::link_handle theirs;
  };
  std::vector<pair> links;
  for (int k = 0; k < 20; ++k) {
    const std::string name = "link-" + std::to_string(k);
    const test::session_handle s = k % 2 ? second : i.their_session;
    const std::size_t before = i.events.size();
    const test::link_handle t = i.theirs.open_sender(s, {.name = name, .target = name});
    i.pump();
    link_handle l;
    for (const peer_attached& a : i.all<peer_attached>(before)) l = a.link;
    ASSERT_TRUE(l.is_set());
    EXPECT_EQ(i.ours.link(l)->session, k % 2 ? our_second : i.our_session);
    ASSERT_FALSE(i.ours.attach(l, {.target = terminus{.address = name}}));
    ASSERT_FALSE(i.ours.grant_credit(l, 5));
    links.push_back({l, t});
  }
  i.pump();
  EXPECT_EQ(i.ours.link(links[19].ours)->handle, 9u);  // ten per session
  for (std::size_t k = 0; k < links.size(); ++k)
    i.theirs.send(links[k].theirs, std::to_string(k), pattern(10, static_cast<std::uint8_t>(k)),
                  true);
  i.pump();
  const auto got = i.received();
  ASSERT_EQ(got.size(), links.size());
  for (std::size_t k = 0; k < links.size(); ++k) {
    const delivery_status* d = i.ours.delivery(got[k]);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->link, links[std::stoul(string_of(i.ours.delivery_tag(got[k])))].ours);
    EXPECT_EQ(
        bytes_of(i.ours.payload(got[k])),
        pattern(10, static_cast<std::uint8_t>(std::stoul(string_of(i.ours.delivery_tag(got[k]))))));
    ASSERT_FALSE(i.ours.settle(got[k]));
  }

  // Close the first four (two per session); new links take the handles freed.
  for (std::size_t k = 0; k < 4; ++k) {
    i.theirs.close(links[k].theirs);
    i.pump();
    ASSERT_FALSE(i.ours.close_link(links[k].ours));
  }
  i.pump();
  const std::size_t before = i.events.size();
  const test::link_handle again =
      i.theirs.open_receiver(i.their_session, {.name = "again", .source = "q"});
  i.pump();
  link_handle l;
  for (const peer_attached& a : i.all<peer_attached>(before)) l = a.link;
  ASSERT_TRUE(l.is_set());
  ASSERT_FALSE(i.ours.attach(l, {.source = terminus{.address = "q"}}));
  i.pump();
  EXPECT_EQ(i.ours.link(l)->handle, 0u);
  EXPECT_EQ(i.ours.link(l)->remote_handle, 0u);  // Proton reuses its lowest free handle too
  i.theirs.flow(again, 1);
  i.pump();
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_EQ(i.theirs.received()[0].link, again);
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, a_session_proton_ends_leaves_our_unsettled_deliveries_in_doubt) {
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::receiver, {.name = "r", .source = "q"},
                                   {.source = terminus{.address = "q"}});
  i.theirs.flow(t, 5);
  i.pump();
  auto a = i.ours.send(l, pattern(10));
  auto b = i.ours.send(l, pattern(10), {.settled = true});
  ASSERT_TRUE(a && b);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 2u);
  i.theirs.end(i.their_session, {"amqp:internal-error", "going", {}});
  i.pump();
  const peer_ended_session* e = i.find<peer_ended_session>();
  ASSERT_NE(e, nullptr);
  ASSERT_FALSE(i.ours.end_session(e->session));
  i.pump();
  const auto doubts = i.all<delivery_in_doubt>();
  ASSERT_EQ(doubts.size(), 1u);  // the settled one needed no answer
  EXPECT_EQ(doubts[0].delivery, *a);
  EXPECT_EQ(i.ours.link(l), nullptr);
  EXPECT_FALSE(i.ours.settle(*a));
}

}  // namespace
}  // namespace amqp
