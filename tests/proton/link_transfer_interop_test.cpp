// Our engine against Qpid Proton's for messages: one and many frames, every size around the
// frame boundaries, aborts, messages in pieces, the session window, batchable transfers.
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

// ---- Messages.

TEST(link_interop, single_frame_messages_cross_both_ways_with_their_tags) {
  link_interop i(engine_role::client, proton_server({.auto_accept = true}));
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  const std::string tag = "our-tag-1";
  ASSERT_TRUE(i.ours.send(
      l, pattern(300, 1),
      {.tag = bytes_view(reinterpret_cast<const std::uint8_t*>(tag.data()), tag.size())}));
  ASSERT_TRUE(i.ours.send(l, pattern(200, 2)));  // a tag the engine makes
  ASSERT_TRUE(i.ours.send(l, pattern(0)));       // an empty message is one frame too
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 3u);
  EXPECT_EQ(i.theirs.received()[0].tag, tag);
  EXPECT_EQ(i.theirs.received()[0].bytes, pattern(300, 1));
  EXPECT_EQ(i.theirs.received()[1].bytes, pattern(200, 2));
  EXPECT_FALSE(i.theirs.received()[1].tag.empty());
  EXPECT_NE(i.theirs.received()[1].tag, i.theirs.received()[2].tag);
  EXPECT_TRUE(i.theirs.received()[2].bytes.empty());
  EXPECT_EQ(i.we_sent("@transfer").size(), 3u);
  EXPECT_TRUE(i.we_sent("more: true").empty());
  EXPECT_EQ(i.all<disposition_received>().size(), 3u);  // auto_accept

  link_interop j(engine_role::server, proton_client());
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 10));
  j.pump();
  j.theirs.send(u, "their-tag-1", pattern(300, 3), false);
  j.pump();
  const auto got = j.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(bytes_of(j.ours.payload(got[0])), pattern(300, 3));
  EXPECT_EQ(string_of(j.ours.delivery_tag(got[0])), "their-tag-1");
  const delivery_status* d = j.ours.delivery(got[0]);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->link, r);
  EXPECT_TRUE(d->complete);
  EXPECT_FALSE(d->remote_settled);
  EXPECT_EQ(d->size, 300u);
  EXPECT_EQ(d->message_format, 0u);
  EXPECT_EQ(j.ours.link(r)->unsettled, 1u);
}

TEST(link_interop, a_10_kb_message_crosses_in_512_byte_frames_both_ways) {
  amqp::limits small;
  small.max_frame_size = 512;
  const std::vector<std::uint8_t> message = pattern(10 * 1024, 5);

  link_interop i(engine_role::client, proton_server({.max_frame_size = 512, .auto_accept = true}),
                 small);
  EXPECT_EQ(i.ours.max_frame_size(), 512u);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  auto d = i.ours.send(l, message);
  ASSERT_TRUE(d);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_EQ(i.theirs.received()[0].bytes, message);
  const auto transfers = i.we_sent("@transfer");
  EXPECT_GE(transfers.size(), message.size() / 512 + 1);
  EXPECT_EQ(i.we_sent("more: true").size(), transfers.size() - 1);
  EXPECT_LE(i.largest_frame("-> "), 512u);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::accepted());

  link_interop j(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 1));
  j.pump();
  j.theirs.send(u, "big", message, false);
  j.pump();
  const auto got = j.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(bytes_of(j.ours.payload(got[0])), message);
  const auto theirs = j.they_sent("@transfer");
  EXPECT_GE(theirs.size(), message.size() / 512 + 1);
  EXPECT_EQ(j.they_sent("more: true").size(), theirs.size() - 1);
  EXPECT_LE(j.largest_frame("<- "), 512u);
  ASSERT_FALSE(j.ours.settle(got[0], delivery_state::accepted()));
  j.pump();
  EXPECT_EQ(j.theirs.sent()[0].remote.type, outcome::accepted);
  EXPECT_TRUE(j.theirs.sent()[0].remote_settled);
}

TEST(link_interop, aborted_deliveries_are_dropped_both_ways_and_the_link_carries_on) {
  amqp::limits small;
  small.max_frame_size = 512;

  link_interop i(engine_role::client, proton_server({.max_frame_size = 512, .auto_accept = true}),
                 small);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  auto d = i.ours.send(l, pattern(2000), {.more = true});  // five frames, more to come
  ASSERT_TRUE(d);
  i.pump();
  EXPECT_TRUE(i.theirs.received().empty());
  ASSERT_FALSE(i.ours.abort_delivery(*d));
  EXPECT_EQ(i.ours.delivery(*d), nullptr);  // settled and gone
  auto next = i.ours.send(l, pattern(100, 9));
  ASSERT_TRUE(next);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 2u);
  EXPECT_TRUE(i.theirs.received()[0].aborted);
  EXPECT_FALSE(i.theirs.received()[1].aborted);
  EXPECT_EQ(i.theirs.received()[1].bytes, pattern(100, 9));
  const auto aborted = i.we_sent("aborted: true");
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_EQ(aborted[0].find("payload"), std::string::npos) << aborted[0];  // no bytes with it
  // Only the next one waits for us to settle it (Proton accepted it); the aborted one is gone.
  EXPECT_EQ(i.ours.link(l)->unsettled, 1u);
  EXPECT_EQ(i.ours.delivery(*next)->remote_state, delivery_state::accepted());
  EXPECT_EQ(i.ours.link(l)->delivery_count, 2u);  // the aborted one took its credit

  link_interop j(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 10));
  j.pump();
  const test::sent_handle doomed = j.theirs.begin_delivery(u, "doomed");
  j.theirs.send_chunk(doomed, pattern(2000));
  j.pump();
  EXPECT_TRUE(j.received().empty());
  j.theirs.abort(doomed);
  j.theirs.send(u, "next", pattern(100, 8), false);
  j.pump();
  const auto dropped = j.all<transfer_aborted>();
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].link, r);
  const auto got = j.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(string_of(j.ours.delivery_tag(got[0])), "next");
  EXPECT_EQ(bytes_of(j.ours.payload(got[0])), pattern(100, 8));
  EXPECT_EQ(j.ours.link(r)->unsettled, 1u);  // only "next"
  EXPECT_EQ(j.ours.link(r)->delivery_count, 2u);
  EXPECT_FALSE(j.find<protocol_violation>());
}

TEST(link_interop, messages_of_every_size_around_the_frame_boundaries_cross_intact_both_ways) {
  // Where a message ends exactly at, just before or just after the end of a frame is where
  // the splitting (and the last frame's more flag) can go wrong.
  amqp::limits small;
  small.max_frame_size = 512;
  std::vector<std::size_t> sizes;
  for (std::size_t n = 450; n <= 520; ++n) sizes.push_back(n);
  for (std::size_t n = 940; n <= 1010; ++n) sizes.push_back(n);

  link_interop i(engine_role::client,
                 proton_server({.max_frame_size = 512, .credit_window = 200, .auto_accept = true}),
                 small);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  for (std::size_t n : sizes) ASSERT_TRUE(i.ours.send(l, pattern(n, static_cast<std::uint8_t>(n))));
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), sizes.size());
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    EXPECT_EQ(i.theirs.received()[k].bytes, pattern(sizes[k], static_cast<std::uint8_t>(sizes[k])))
        << sizes[k] << " bytes";
  }
  EXPECT_LE(i.largest_frame("-> "), 512u);

  link_interop j(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, static_cast<std::uint32_t>(sizes.size())));
  j.pump();
  for (std::size_t n : sizes) {
    j.theirs.send(u, std::to_string(n), pattern(n, static_cast<std::uint8_t>(n)), true);
  }
  j.pump();
  const auto got = j.received();
  ASSERT_EQ(got.size(), sizes.size());
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    EXPECT_EQ(bytes_of(j.ours.payload(got[k])),
              pattern(sizes[k], static_cast<std::uint8_t>(sizes[k])))
        << sizes[k] << " bytes";
  }
  EXPECT_FALSE(j.find<protocol_violation>());
}

TEST(link_interop, a_message_given_in_pieces_crosses_whole_both_ways) {
  amqp::limits small;
  small.max_frame_size = 512;
  const std::vector<std::uint8_t> message = pattern(3000, 4);
  const auto piece = [&](std::size_t from, std::size_t to) {
    return bytes_view(message).subspan(from, to - from);
  };

  link_interop i(engine_role::client, proton_server({.max_frame_size = 512, .auto_accept = true}),
                 small);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  auto d = i.ours.send(l, piece(0, 100), {.more = true});
  ASSERT_TRUE(d);
  i.pump();
  ASSERT_FALSE(i.ours.send_more(*d, piece(100, 1700), true));
  i.pump();
  EXPECT_TRUE(i.theirs.received().empty());
  ASSERT_FALSE(i.ours.send_more(*d, piece(1700, 3000), true));
  ASSERT_FALSE(i.ours.send_more(*d, {}, false));  // the end, with no bytes
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_EQ(i.theirs.received()[0].bytes, message);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::accepted());

  link_interop j(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 1));
  j.pump();
  const test::sent_handle h = j.theirs.begin_delivery(u, "pieces");
  for (std::size_t at = 0; at < message.size(); at += 700) {
    j.theirs.send_chunk(h, piece(at, std::min(message.size(), at + 700)));
    j.pump();
  }
  EXPECT_TRUE(j.received().empty());
  j.theirs.end_delivery(h, false);
  j.pump();
  ASSERT_EQ(j.received().size(), 1u);
  EXPECT_EQ(bytes_of(j.ours.payload(j.received()[0])), message);
}

TEST(link_interop, our_sender_waits_for_the_proton_session_window_to_open) {
  // Proton's window is its incoming capacity over the frame size: 2048 / 512 = 4 transfers.
  amqp::limits small;
  small.max_frame_size = 512;
  link_interop i(engine_role::client,
                 proton_server({.max_frame_size = 512,
                                .session_incoming_capacity = 2048,
                                .credit_window = 50,
                                .auto_accept = true}),
                 small);
  ASSERT_EQ(i.ours.session(i.our_session)->remote_incoming_window, 4u);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  const std::vector<std::uint8_t> big = pattern(10 * 1024, 6);
  ASSERT_TRUE(i.ours.send(l, big));
  for (int k = 0; k < 20; ++k)
    ASSERT_TRUE(i.ours.send(l, pattern(100, static_cast<std::uint8_t>(k))));
  EXPECT_GT(i.ours.link(l)->queued, 0u);  // held back until Proton opens its window
  i.pump();
  EXPECT_EQ(i.ours.link(l)->queued, 0u);
  ASSERT_EQ(i.theirs.received().size(), 21u);
  EXPECT_EQ(i.theirs.received()[0].bytes, big);
  EXPECT_EQ(i.theirs.received()[20].bytes, pattern(100, 19));
  EXPECT_EQ(i.all<disposition_received>().size(), 21u);
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

TEST(link_interop, a_proton_sender_stays_within_our_session_window) {
  // Our incoming-window of 8 transfers, refilled once half used: Proton must wait for each
  // refill (a transfer beyond it would end the session with window-violation).
  amqp::limits small;
  small.max_frame_size = 512;
  link_interop i(engine_role::server, proton_client({.max_frame_size = 512}), small,
                 {.incoming_window = 8});
  const auto [r, u] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(r, 1000));
  i.pump();
  const std::vector<std::uint8_t> big = pattern(10 * 1024, 7);
  i.theirs.send(u, "big", big, true);
  for (int k = 0; k < 200; ++k) i.theirs.send(u, std::to_string(k), pattern(30), true);
  i.pump();
  const auto got = i.received();
  ASSERT_EQ(got.size(), 201u);
  EXPECT_EQ(bytes_of(i.ours.payload(got[0])), big);
  EXPECT_FALSE(i.find<protocol_violation>());
  EXPECT_GT(i.we_sent("@flow").size(), 20u);  // the refills
}

TEST(link_interop, a_message_sent_in_parts_reaches_proton_as_one) {
  // The sections an application encodes and a body it holds elsewhere, sent without joining
  // them first; the frame boundaries fall inside the parts.
  amqp::limits small;
  small.max_frame_size = 512;
  link_interop i(engine_role::client, proton_server({.max_frame_size = 512, .auto_accept = true}),
                 small);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  const std::vector<std::uint8_t> head = pattern(300, 1), body = pattern(2500, 2),
                                  tail = pattern(7, 3);
  const bytes_view parts[] = {head, body, {}, tail};
  auto d = i.ours.send(l, message_parts(parts));
  ASSERT_TRUE(d);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  std::vector<std::uint8_t> whole = head;
  whole.insert(whole.end(), body.begin(), body.end());
  whole.insert(whole.end(), tail.begin(), tail.end());
  EXPECT_EQ(i.theirs.received()[0].bytes, whole);
  EXPECT_LE(i.largest_frame("-> "), 512u);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::accepted());
}

TEST(link_interop, batchable_transfers_are_received_by_proton) {
  // Proton never sends batchable itself, so this goes one way.
  link_interop i(engine_role::client, proton_server({.auto_accept = true}));
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  for (int k = 0; k < 5; ++k) ASSERT_TRUE(i.ours.send(l, pattern(50), {.batchable = true}));
  i.pump();
  EXPECT_EQ(i.we_sent("batchable: true").size(), 5u);
  EXPECT_EQ(i.theirs.received().size(), 5u);
  const auto answers = i.all<disposition_received>();
  ASSERT_EQ(answers.size(), 5u);
  for (const auto& a : answers) {
    EXPECT_TRUE(a.settled);
    EXPECT_EQ(i.ours.delivery(a.delivery)->remote_state, delivery_state::accepted());
  }
}

}  // namespace
}  // namespace amqp
