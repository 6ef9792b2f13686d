// Memory: once warm, a messaging connection sends at least once, and receives, accepts and
// settles, without a heap allocation per message: neither the handler calls, the events, the
// credit windows nor the engines allocate (what transactions add to the messaging layer
// included). Global operator new is replaced in this test program to count
// (support/counting_new.cpp).
#include <gtest/gtest.h>

#include "fixture.hpp"
#include "support/counting_new.hpp"

namespace amqp::test {
namespace {

// Sends the same message again whenever there is credit, until `total`, and counts what the
// peer settled; allocates nothing itself.
struct steady_sender : messaging_handler {
  message m = text_message("steady state");
  std::size_t total = 0;
  std::size_t sent = 0;
  std::size_t settled = 0;
  std::uint64_t at_start = 0;
  std::uint64_t at_end = 0;
  static constexpr std::size_t window_start = 2'000;
  static constexpr std::size_t window_end = 7'000;

  void on_sendable(messaging_event& e) override {
    sender s = e.sender();
    while (sent < total && s.credit() > 0) {
      if (!s.send(m)) return;
      ++sent;
    }
  }
  void on_settled(messaging_event&) override {
    ++settled;
    if (settled == window_start) at_start = allocations();
    if (settled == window_end) at_end = allocations();
  }
};

struct steady_receiver : messaging_handler {
  std::size_t received = 0;
  void on_message(messaging_event&) override { ++received; }  // auto-accepted
};

TEST(messaging_allocations, none_per_message_once_warm) {
  memory_network net;
  steady_sender client_h;
  steady_receiver server_h;
  memory_container server(net, server_h, "server");
  memory_container client(net, client_h, "client");
  ASSERT_TRUE(server.listen(broker_url));
  client_h.total = 8'000;
  auto c = client.connect(broker_url);
  c.open_sender("queue", {.mode = delivery_mode::at_least_once});
  net.run();
  EXPECT_EQ(server_h.received, client_h.total);
  EXPECT_EQ(client_h.settled, client_h.total);
  ASSERT_GT(client_h.at_end, 0u);
  EXPECT_EQ(client_h.at_end - client_h.at_start, 0u);
  RecordProperty("allocations", static_cast<int>(client_h.at_end - client_h.at_start));
}

}  // namespace
}  // namespace amqp::test
