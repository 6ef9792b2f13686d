// Memory: once warm, a messaging connection sends at least once, and receives, accepts and
// settles, without a heap allocation per message: neither the handler calls, the events, the
// credit windows nor the engines allocate (what transactions add to the messaging layer
// included). Global operator new is replaced in this test program to count.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "fixture.hpp"

namespace {
std::atomic<std::uint64_t> allocation_count{0};

void* counted_allocate(std::size_t n) {
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) {
  return counted_allocate(n);
}
void* operator new[](std::size_t n) {
  return counted_allocate(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

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
    if (settled == window_start) at_start = allocation_count.load();
    if (settled == window_end) at_end = allocation_count.load();
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
