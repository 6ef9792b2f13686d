// Our engine against Qpid Proton's for outcomes and settlement: every outcome both ways,
// received state, settling first, pre-settled deliveries, rcv-settle-mode second, thousands of
// messages with coalesced dispositions.
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

// ---- Outcomes.

TEST(link_interop, every_outcome_from_a_proton_receiver_reaches_our_sender) {
  link_interop i(engine_role::client, proton_server());
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  const value annotations = value::map_of({{value::sym("x-opt-retry"), 3}});
  const value info = value::map_of({{value::sym("field"), "body"}});
  const std::vector<test::disposition> theirs = {
      {.type = outcome::accepted},
      {.type = outcome::rejected,
       .error = {"amqp:precondition-failed", "no thanks", encoded(info)}},
      {.type = outcome::released},
      {.type = outcome::modified,
       .delivery_failed = true,
       .undeliverable_here = true,
       .annotations = encoded(annotations)},
      {.type = outcome::modified, .delivery_failed = true},
  };
  const std::vector<delivery_state> expected = {
      delivery_state::accepted(),
      delivery_state::rejected(condition{"amqp:precondition-failed", "no thanks", info}),
      delivery_state::released(),
      delivery_state::modified(true, true, annotations),
      delivery_state::modified(true, false),
  };
  std::vector<delivery_handle> sent;
  for (std::size_t k = 0; k < theirs.size(); ++k) {
    auto d = i.ours.send(l, pattern(20, static_cast<std::uint8_t>(k)));
    ASSERT_TRUE(d);
    sent.push_back(*d);
  }
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), theirs.size());
  for (std::size_t k = 0; k < theirs.size(); ++k) i.theirs.dispose({k}, theirs[k]);
  i.pump();
  const auto answers = i.all<disposition_received>();
  ASSERT_EQ(answers.size(), theirs.size());
  for (const disposition_received& a : answers) {
    // rcv-settle-mode first: outcome and settlement at once. (Proton writes the outcomes that
    // carry fields at once and batches the others, so they arrive out of order.)
    EXPECT_TRUE(a.settled);
    EXPECT_EQ(std::count(sent.begin(), sent.end(), a.delivery), 1);
  }
  for (std::size_t k = 0; k < theirs.size(); ++k) {
    SCOPED_TRACE(k);
    const delivery_status* d = i.ours.delivery(sent[k]);
    ASSERT_NE(d, nullptr);  // ours until we settle it
    EXPECT_TRUE(d->remote_settled);
    EXPECT_EQ(d->remote_state, expected[k]);
    ASSERT_FALSE(i.ours.settle(sent[k]));
    EXPECT_EQ(i.ours.delivery(sent[k]), nullptr);
  }
  i.pump();
  EXPECT_TRUE(i.we_sent("@disposition").empty());  // Proton settled them all first
  EXPECT_EQ(i.ours.link(l)->unsettled, 0u);
}

TEST(link_interop, every_outcome_from_our_receiver_reaches_a_proton_sender) {
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(l, 10));
  i.pump();
  const value annotations = value::map_of({{value::sym("x-opt-reason"), "busy"}});
  const value info = value::map_of({{value::sym("limit"), std::uint32_t{10}}});
  const std::vector<delivery_state> ours = {
      delivery_state::accepted(),
      delivery_state::rejected(condition{"amqp:decode-error", "bad body", info}),
      delivery_state::released(),
      delivery_state::modified(true, true, annotations),
      delivery_state::modified(false, true),
      delivery_state::rejected(),
  };
  const std::vector<test::disposition> expected = {
      {.type = outcome::accepted},
      {.type = outcome::rejected, .error = {"amqp:decode-error", "bad body", encoded(info)}},
      {.type = outcome::released},
      {.type = outcome::modified,
       .delivery_failed = true,
       .undeliverable_here = true,
       .annotations = encoded(annotations)},
      {.type = outcome::modified, .undeliverable_here = true},
      {.type = outcome::rejected},
  };
  for (std::size_t k = 0; k < ours.size(); ++k)
    i.theirs.send(t, std::to_string(k), pattern(20), false);
  i.pump();
  const auto got = i.received();
  ASSERT_EQ(got.size(), ours.size());
  for (std::size_t k = 0; k < ours.size(); ++k) ASSERT_FALSE(i.ours.settle(got[k], ours[k]));
  i.pump();
  for (std::size_t k = 0; k < ours.size(); ++k) {
    SCOPED_TRACE(k);
    const test::sent_delivery& d = i.theirs.sent()[k];
    EXPECT_TRUE(d.remote_settled);
    // Proton keeps the info it read as it encodes it; compare the values, then the rest.
    EXPECT_EQ(decoded(d.remote.error.info), decoded(expected[k].error.info));
    EXPECT_EQ(decoded(d.remote.annotations), decoded(expected[k].annotations));
    test::disposition rest = d.remote;
    rest.error.info = expected[k].error.info;
    rest.annotations = expected[k].annotations;
    EXPECT_EQ(rest, expected[k]);
  }
  EXPECT_EQ(i.theirs.unsettled(t), 0);
}

TEST(link_interop, received_state_updates_a_delivery_without_settling_it_both_ways) {
  // received (spec Part 3, 3.4.1) is where a resumed transfer could go on from: a state, not
  // an outcome, so the delivery stays unsettled until its outcome follows.
  link_interop i(engine_role::client, proton_server());
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  auto d = i.ours.send(l, pattern(20));
  ASSERT_TRUE(d);
  i.pump();
  i.theirs.dispose({0}, {.type = outcome::received, .section_number = 2, .section_offset = 100},
                   /*settle=*/false);
  i.pump();
  ASSERT_EQ(i.all<disposition_received>().size(), 1u);
  EXPECT_FALSE(i.all<disposition_received>()[0].settled);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::received(2, 100));
  EXPECT_FALSE(i.ours.delivery(*d)->remote_settled);
  i.theirs.dispose({0}, {.type = outcome::accepted});
  i.pump();
  ASSERT_EQ(i.all<disposition_received>().size(), 2u);
  EXPECT_TRUE(i.all<disposition_received>()[1].settled);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::accepted());

  link_interop j(engine_role::server, proton_client());
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 1));
  j.pump();
  j.theirs.send(u, "t", pattern(20), false);
  j.pump();
  ASSERT_EQ(j.received().size(), 1u);
  const delivery_handle got = j.received()[0];
  ASSERT_FALSE(j.ours.update_state(got, delivery_state::received(1, 7)));
  j.pump();
  EXPECT_EQ(
      j.theirs.sent()[0].remote,
      (test::disposition{.type = outcome::received, .section_number = 1, .section_offset = 7}));
  EXPECT_FALSE(j.theirs.sent()[0].remote_settled);
  EXPECT_EQ(j.ours.delivery(got)->state, delivery_state::received(1, 7));
  ASSERT_FALSE(j.ours.settle(got, delivery_state::accepted()));
  j.pump();
  EXPECT_EQ(j.theirs.sent()[0].remote.type, outcome::accepted);
  EXPECT_TRUE(j.theirs.sent()[0].remote_settled);
}

// ---- Settlement.

TEST(link_interop, a_sender_may_settle_before_the_outcome_both_ways) {
  // Giving up on the outcome (spec Part 2, 2.6.12): the receiver learns the delivery is
  // settled and answers nothing more.
  link_interop i(engine_role::client, proton_server());
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  auto d = i.ours.send(l, pattern(20));
  ASSERT_TRUE(d);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_FALSE(i.theirs.received()[0].remote_settled);
  ASSERT_FALSE(i.ours.settle(*d));
  i.pump();
  EXPECT_TRUE(i.theirs.received()[0].remote_settled);
  EXPECT_TRUE(i.theirs.received()[0].settled);
  EXPECT_TRUE(i.they_sent("@disposition").empty());
  EXPECT_EQ(i.theirs.unsettled(t), 0);

  link_interop j(engine_role::server, proton_client());
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 1));
  j.pump();
  const test::sent_handle sent = j.theirs.send(u, "a", pattern(20), false);
  j.pump();
  ASSERT_EQ(j.received().size(), 1u);
  const delivery_handle got = j.received()[0];
  EXPECT_FALSE(j.ours.delivery(got)->remote_settled);
  j.theirs.settle(sent);
  j.pump();
  const auto settled = j.all<disposition_received>();
  ASSERT_EQ(settled.size(), 1u);
  EXPECT_EQ(settled[0].delivery, got);
  EXPECT_TRUE(settled[0].settled);
  EXPECT_EQ(j.ours.delivery(got)->remote_state.kind, delivery_state::type::none);
  ASSERT_FALSE(j.ours.settle(got, delivery_state::accepted()));
  j.pump();
  EXPECT_TRUE(j.we_sent("@disposition").empty());  // too late to tell: the sender forgot it
}

TEST(link_interop, pre_settled_deliveries_are_never_answered_both_ways) {
  link_interop i(engine_role::client, proton_server());
  const auto [l, t] = i.our_link(role::sender, {.name = "s",
                                                .target = terminus{.address = "q"},
                                                .snd_settle_mode = sender_settle_mode::settled});
  auto forced = i.ours.send(l, pattern(20));  // the link's mode settles it
  ASSERT_TRUE(forced);
  EXPECT_EQ(i.ours.delivery(*forced), nullptr);  // written whole: nothing to await
  const auto [m, u] = i.our_link(role::sender, {.name = "m", .target = terminus{.address = "q"}});
  ASSERT_TRUE(i.ours.send(m, pattern(20), {.settled = true}));
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 2u);
  for (const auto& d : i.theirs.received()) {
    EXPECT_TRUE(d.remote_settled);
    EXPECT_TRUE(d.settled);
  }
  EXPECT_EQ(i.we_sent("settled: true").size(), 2u);
  EXPECT_TRUE(i.they_sent("@disposition").empty());
  EXPECT_FALSE(i.find<disposition_received>());
  EXPECT_EQ(i.ours.link(l)->unsettled, 0u);
  // An unsettled-only link refuses a settled send.
  const auto [n, v] = i.our_link(role::sender, {.name = "n",
                                                .target = terminus{.address = "q"},
                                                .snd_settle_mode = sender_settle_mode::unsettled});
  EXPECT_EQ(i.ours.send(n, pattern(20), {.settled = true}).error(),
            make_error_code(errc::invalid_argument));

  link_interop j(engine_role::server, proton_client());
  const auto [r, w] = j.their_link(
      role::sender, {.name = "s", .target = "q", .snd_settle = test::snd_settle_mode::settled},
      {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 5));
  j.pump();
  j.theirs.send(w, "a", pattern(20), /*settled=*/true);
  j.pump();
  ASSERT_EQ(j.received().size(), 1u);
  const delivery_handle got = j.received()[0];
  EXPECT_TRUE(j.ours.delivery(got)->remote_settled);
  ASSERT_FALSE(j.ours.settle(got, delivery_state::accepted()));  // nothing to tell Proton
  j.pump();
  EXPECT_TRUE(j.we_sent("@disposition").empty());
  EXPECT_EQ(j.ours.link(r)->unsettled, 0u);
}

TEST(link_interop, a_pre_settled_message_of_many_frames_crosses_both_ways) {
  amqp::limits small;
  small.max_frame_size = 512;
  const std::vector<std::uint8_t> message = pattern(3000, 2);
  link_interop i(engine_role::client, proton_server({.max_frame_size = 512}), small);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  ASSERT_TRUE(i.ours.send(l, message, {.settled = true}));
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_TRUE(i.theirs.received()[0].remote_settled);
  EXPECT_EQ(i.theirs.received()[0].bytes, message);
  EXPECT_TRUE(i.they_sent("@disposition").empty());

  link_interop j(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 1));
  j.pump();
  j.theirs.send(u, "t", message, true);
  j.pump();
  ASSERT_EQ(j.received().size(), 1u);
  EXPECT_TRUE(j.ours.delivery(j.received()[0])->remote_settled);
  EXPECT_EQ(bytes_of(j.ours.payload(j.received()[0])), message);
  ASSERT_FALSE(j.ours.settle(j.received()[0]));
  j.pump();
  EXPECT_TRUE(j.we_sent("@disposition").empty());
}

TEST(link_interop, rcv_settle_mode_second_has_the_receiver_settle_after_our_sender) {
  link_interop i(engine_role::client, proton_server());
  const auto [l, t] = i.our_link(role::sender, {.name = "s",
                                                .target = terminus{.address = "q"},
                                                .rcv_settle_mode = receiver_settle_mode::second});
  EXPECT_EQ(i.ours.link(l)->rcv_settle_mode, receiver_settle_mode::second);  // Proton agreed
  auto d = i.ours.send(l, pattern(20));
  ASSERT_TRUE(d);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  // The receiver gives its outcome and keeps the delivery...
  i.theirs.dispose({0}, {.type = outcome::accepted}, /*settle=*/false);
  i.pump();
  const auto answers = i.all<disposition_received>();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_FALSE(answers[0].settled);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::accepted());
  EXPECT_FALSE(i.theirs.received()[0].settled);
  // ...until the sender settles; then the receiver settles too.
  ASSERT_FALSE(i.ours.settle(*d));
  i.pump();
  const auto ours = i.we_sent("@disposition");
  ASSERT_EQ(ours.size(), 1u);
  EXPECT_NE(ours[0].find("role: sender, first: uint 0, settled: true"), std::string::npos)
      << ours[0];
  EXPECT_TRUE(i.theirs.received()[0].remote_settled);
  EXPECT_TRUE(i.theirs.received()[0].settled);
  EXPECT_EQ(i.theirs.unsettled(t), 0);
  EXPECT_EQ(i.ours.link(l)->unsettled, 0u);
}

TEST(link_interop, rcv_settle_mode_second_has_our_receiver_settle_after_a_proton_sender) {
  link_interop i(engine_role::server, proton_client());
  const auto [r, t] = i.their_link(
      role::sender,
      {.name = "s",
       .target = "q",
       .snd_settle = test::snd_settle_mode::unsettled,
       .rcv_settle = test::rcv_settle_mode::second},
      {.target = terminus{.address = "q"}, .rcv_settle_mode = receiver_settle_mode::second});
  EXPECT_EQ(i.theirs.remote_rcv_settle_mode(t), test::rcv_settle_mode::second);
  ASSERT_FALSE(i.ours.grant_credit(r, 5));
  i.pump();
  const test::sent_handle sent = i.theirs.send(t, "a", pattern(20), false);
  i.pump();
  ASSERT_EQ(i.received().size(), 1u);
  const delivery_handle got = i.received()[0];
  // Settling first would break the mode: the engine refuses.
  EXPECT_EQ(i.ours.settle(got, delivery_state::accepted()), make_error_code(errc::wrong_state));
  ASSERT_FALSE(i.ours.update_state(got, delivery_state::accepted()));
  i.pump();
  EXPECT_EQ(i.theirs.sent()[sent.index].remote.type, outcome::accepted);
  EXPECT_FALSE(i.theirs.sent()[sent.index].remote_settled);
  const auto ours = i.we_sent("@disposition");
  ASSERT_EQ(ours.size(), 1u);
  EXPECT_EQ(ours[0].find("settled: true"), std::string::npos) << ours[0];

  const std::size_t mark = i.events.size();
  i.theirs.settle(sent);
  i.pump();
  const auto settled = i.all<disposition_received>(mark);
  ASSERT_EQ(settled.size(), 1u);
  EXPECT_EQ(settled[0].delivery, got);
  EXPECT_TRUE(settled[0].settled);
  EXPECT_TRUE(i.ours.delivery(got)->remote_settled);
  ASSERT_FALSE(i.ours.settle(got));
  i.pump();
  EXPECT_EQ(i.we_sent("@disposition").size(), 1u);  // the sender forgot it: nothing to say
  EXPECT_EQ(i.ours.link(r)->unsettled, 0u);
  EXPECT_EQ(i.theirs.unsettled(t), 0);
}

// ---- Many messages.

constexpr std::size_t many = 5000;

// The delivery-ids a disposition trace line covers: first, and last when it is a range.
std::size_t ids_covered(const std::string& line) {
  const auto number_after = [&](std::string_view key) -> std::optional<std::uint32_t> {
    const std::size_t at = line.find(key);
    if (at == std::string::npos) return std::nullopt;
    return static_cast<std::uint32_t>(std::stoul(line.substr(at + key.size())));
  };
  const std::uint32_t first = number_after("first: uint ").value_or(0);
  return number_after("last: uint ").value_or(first) - first + 1;
}

TEST(link_interop, thousands_of_proton_messages_are_settled_by_our_coalesced_dispositions) {
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  constexpr std::uint32_t window = 100;
  ASSERT_FALSE(i.ours.grant_credit(l, window));
  for (std::size_t k = 0; k < many; ++k) {
    i.theirs.send(t, std::to_string(k), pattern(16, static_cast<std::uint8_t>(k)), false);
  }
  // Proton sends what the credit allows; we settle what arrived, at-least-once, and top up.
  std::size_t seen = 0;
  for (int round = 0; round < 1000 && seen < many; ++round) {
    const std::size_t mark = i.events.size();
    i.pump();
    std::uint32_t settled = 0;
    for (const delivery_handle d : i.received(mark)) {
      EXPECT_EQ(string_of(i.ours.delivery_tag(d)), std::to_string(seen));
      EXPECT_EQ(bytes_of(i.ours.payload(d)), pattern(16, static_cast<std::uint8_t>(seen)));
      ASSERT_FALSE(i.ours.settle(d, delivery_state::accepted()));
      ++seen;
      ++settled;
    }
    if (settled > 0) {
      ASSERT_FALSE(i.ours.grant_credit(l, settled));
    }
  }
  i.pump();
  ASSERT_EQ(seen, many);
  ASSERT_EQ(i.theirs.sent().size(), many);
  std::size_t accepted = 0;
  for (const test::sent_delivery& d : i.theirs.sent())
    accepted += d.remote_settled && d.remote.type == outcome::accepted;
  EXPECT_EQ(accepted, many);
  EXPECT_EQ(i.theirs.unsettled(t), 0);
  EXPECT_EQ(i.ours.link(l)->unsettled, 0u);
  // One disposition per credit window's worth of settlements, ranges covering every id once.
  const auto dispositions = i.we_sent("@disposition");
  EXPECT_LE(dispositions.size(), many / window + 1);
  std::size_t covered = 0;
  for (const std::string& d : dispositions) covered += ids_covered(d);
  EXPECT_EQ(covered, many);
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, thousands_of_our_messages_are_accepted_by_proton) {
  link_interop i(engine_role::client, proton_server({.credit_window = 100, .auto_accept = true}));
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  std::size_t sent = 0;
  std::size_t accepted = 0;
  for (int round = 0; round < 10000 && accepted < many; ++round) {
    while (sent < many && i.ours.link(l)->credit > 0) {
      ASSERT_TRUE(i.ours.send(l, pattern(16, static_cast<std::uint8_t>(sent))));
      ++sent;
    }
    const std::size_t mark = i.events.size();
    i.pump();
    for (const disposition_received& a : i.all<disposition_received>(mark)) {
      EXPECT_TRUE(a.settled);
      EXPECT_EQ(i.ours.delivery(a.delivery)->remote_state, delivery_state::accepted());
      ASSERT_FALSE(i.ours.settle(a.delivery));
      ++accepted;
    }
  }
  EXPECT_EQ(accepted, many);
  ASSERT_EQ(i.theirs.received().size(), many);
  for (std::size_t k = 0; k < many; k += 997) {
    EXPECT_EQ(i.theirs.received()[k].bytes, pattern(16, static_cast<std::uint8_t>(k)));
  }
  EXPECT_EQ(i.ours.link(l)->unsettled, 0u);
  EXPECT_TRUE(i.we_sent("@disposition").empty());
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, settlements_in_any_order_keep_each_delivery_its_own_outcome) {
  // Coalescing merges runs of consecutive ids with the same state; settled in a shuffled
  // order with three outcomes, each delivery must still reach Proton with its own.
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  constexpr std::size_t n = 300;
  ASSERT_FALSE(i.ours.grant_credit(l, n));
  i.pump();
  for (std::size_t k = 0; k < n; ++k) i.theirs.send(t, std::to_string(k), pattern(8), false);
  i.pump();
  const auto got = i.received();
  ASSERT_EQ(got.size(), n);
  const auto outcome_of = [](std::size_t k) {
    return k % 7 == 3   ? delivery_state::released()
           : k % 5 == 1 ? delivery_state::rejected()
                        : delivery_state::accepted();
  };
  std::vector<std::size_t> order(n);
  for (std::size_t k = 0; k < n; ++k) order[k] = k;
  // Runs forwards, runs backwards and jumps: a fixed shuffle, so that a failure repeats.
  std::reverse(order.begin() + 50, order.begin() + 120);
  for (std::size_t k = 130; k + 7 < n; k += 11) std::swap(order[k], order[k + 7]);
  for (std::size_t k : order) ASSERT_FALSE(i.ours.settle(got[k], outcome_of(k)));
  i.pump();
  const std::map<delivery_state::type, outcome> as_proton = {
      {delivery_state::type::accepted, outcome::accepted},
      {delivery_state::type::rejected, outcome::rejected},
      {delivery_state::type::released, outcome::released}};
  for (std::size_t k = 0; k < n; ++k) {
    SCOPED_TRACE(k);
    EXPECT_TRUE(i.theirs.sent()[k].remote_settled);
    EXPECT_EQ(i.theirs.sent()[k].remote.type, as_proton.at(outcome_of(k).kind));
  }
  std::size_t covered = 0;
  for (const std::string& d : i.we_sent("@disposition")) covered += ids_covered(d);
  EXPECT_EQ(covered, n);
  EXPECT_LT(i.we_sent("@disposition").size(), n);
}

}  // namespace
}  // namespace amqp
