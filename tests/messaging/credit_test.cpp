// Receivers' credit: the window kept granted and topped up at half, credit given by the
// application alone, and what crosses the wire for it.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <regex>

#include "fixture.hpp"

namespace amqp::test {
namespace {

// The link-credit of a traced flow.
std::optional<std::uint32_t> link_credit(const std::string& flow) {
  static const std::regex credit(R"(link-credit: (?:uint )?(\d+))");
  std::smatch m;
  if (!std::regex_search(flow, m, credit)) return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(m[1]));
}

// A server whose senders send `total` messages each as credit allows, counting the highest
// credit it ever saw.
struct sourcing_pair : messaging_pair {
  int total = 50;
  int sent = 0;
  std::uint32_t highest_credit = 0;

  sourcing_pair() {
    listen();
    server_h.on("on_sendable", [this](messaging_event& e) {
      highest_credit = std::max(highest_credit, e.sender().credit());
      while (e.sender().credit() > 0 && sent < total)
        ASSERT_TRUE(e.sender().send(text_message(numbered("m", sent++))));
    });
  }
  std::vector<std::uint32_t> client_credits() const {
    std::vector<std::uint32_t> out;
    for (const std::string& f : sent_with(client_trace, "@flow"))
      if (auto c = link_credit(f)) out.push_back(*c);
    return out;
  }
};

TEST(credit, a_window_is_granted_with_the_attach_and_topped_up_at_half_not_per_message) {
  sourcing_pair p;
  p.net.chunk = 1;  // one transfer per dispatch: the top-up is decided message by message
  auto c = p.connect();
  auto r = c.open_receiver("queue", {.credit_window = 10});
  p.net.run();
  EXPECT_EQ(p.client_h.count("on_message"), 50u);
  const std::vector<std::uint32_t> credits = p.client_credits();
  ASSERT_FALSE(credits.empty());
  EXPECT_EQ(credits.front(), 10u);
  // The first grant, then one flow per half window used.
  EXPECT_EQ(credits.size(), 1u + 50u / 5u) << testing::PrintToString(credits);
  for (std::uint32_t credit : credits) EXPECT_LE(credit, 10u);
  EXPECT_LE(p.highest_credit, 10u);
  ASSERT_TRUE(r.status());
  EXPECT_EQ(r.status()->credit, 10u);  // back to the full window once all was handled
}

TEST(credit, transfers_arriving_together_are_answered_with_one_flow) {
  sourcing_pair p;
  auto c = p.connect();
  c.open_receiver("queue", {.credit_window = 10});
  p.net.run();
  EXPECT_EQ(p.client_h.count("on_message"), 50u);
  // Ten transfers reach the receiver in one read: one top-up per batch of ten.
  const std::vector<std::uint32_t> credits = p.client_credits();
  EXPECT_EQ(credits.size(), 1u + 50u / 10u) << testing::PrintToString(credits);
  EXPECT_LE(p.highest_credit, 10u);
}

TEST(credit, the_receiver_keeps_at_most_its_window_outstanding) {
  sourcing_pair p;
  p.total = 1000;
  int handled = 0;
  std::uint32_t most = 0;
  p.net.chunk = 7;
  p.client_h.on("on_message", [&](messaging_event& e) {
    ++handled;
    most = std::max(most, e.receiver().status()->credit);
  });
  auto c = p.connect();
  c.open_receiver("queue", {.credit_window = 4});
  p.net.run();
  EXPECT_EQ(handled, 1000);
  EXPECT_LE(most, 4u);
  EXPECT_LE(p.highest_credit, 4u);
  // At least half a window per flow.
  EXPECT_LE(p.client_credits().size(), 1u + 1000u / 2u);
}

TEST(credit, a_window_of_zero_grants_only_what_the_application_adds) {
  sourcing_pair p;
  auto c = p.connect();
  auto r = c.open_receiver("queue", {.credit_window = 0});
  p.net.run();
  EXPECT_EQ(p.client_h.count("on_message"), 0u);
  EXPECT_TRUE(p.client_credits().empty());
  EXPECT_EQ(r.status()->credit, 0u);

  ASSERT_FALSE(r.add_credit(3));
  p.net.pump();
  EXPECT_EQ(p.client_h.count("on_message"), 3u);
  EXPECT_EQ(r.status()->credit, 0u);  // not topped up
  ASSERT_FALSE(r.add_credit(2));
  p.net.pump();
  EXPECT_EQ(p.client_h.count("on_message"), 5u);
  EXPECT_EQ(p.client_credits(), (std::vector<std::uint32_t>{3, 2}));
}

TEST(credit, credit_added_inside_on_message_goes_out_with_the_dispatch) {
  sourcing_pair p;
  p.total = 6;
  p.client_h.on("on_message", [](messaging_event& e) { EXPECT_FALSE(e.receiver().add_credit(1)); });
  auto c = p.connect();
  auto r = c.open_receiver("queue", {.credit_window = 0});
  p.net.run();
  ASSERT_FALSE(r.add_credit(1));
  p.net.pump();
  EXPECT_EQ(p.client_h.count("on_message"), 6u);
  // Not signalled to the binding: a dispatch's output is written after it anyway.
  EXPECT_EQ(p.net.output_signals(c), 1u);  // the add_credit from the test
}

TEST(credit, a_closed_receiver_is_not_topped_up) {
  sourcing_pair p;
  p.total = 20;
  p.net.chunk = 1;
  bool closed = false;
  p.client_h.on("on_message", [&](messaging_event& e) {
    if (!closed) {
      closed = true;
      e.receiver().close();
    }
  });
  auto c = p.connect();
  c.open_receiver("queue", {.credit_window = 2});
  p.net.run();
  EXPECT_EQ(p.client_credits(), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(p.client_h.count("on_link_closed"), 1u);
}

}  // namespace
}  // namespace amqp::test
