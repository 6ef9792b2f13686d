// Memory: once warm, what a connection pumped by the libevent transport allocates per message.
// Two counts: operator new (the engines and the transport; counted by support/counting_new.cpp,
// which replaces it in this test program), and libevent's own allocations, counted through
// event_set_mem_functions. The evbuffers take a chain from the heap whenever the bytes
// appended or read no longer fit the last one and free it once drained, so libevent allocates
// in steady state by design; that figure is measured and recorded, and held below one per
// message rather than to zero.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "peer.hpp"
#include "support/counting_new.hpp"

namespace amqp::test {
namespace {

std::atomic<std::uint64_t> libevent_allocations{0};

void* counted_malloc(std::size_t n) {
  ++libevent_allocations;
  return std::malloc(n);
}
void* counted_realloc(void* p, std::size_t n) {
  ++libevent_allocations;
  return std::realloc(p, n);
}

// Before main: libevent must get its allocator before its first allocation. The replacements
// use the C library's heap, so memory allocated before them is still freed correctly.
const bool counting_libevent = [] {
  event_set_mem_functions(&counted_malloc, &counted_realloc, &std::free);
  return true;
}();

// Both sides on one thread, so that the window counts this conversation only: between the
// client's 3,000th and 11,000th message received, 16,000 messages (both directions) cross.
// Bodies of one size: the engine reuses a settled delivery's buffer for the next one, and
// bodies of growing sizes would show the buffers' growth to the largest, not a steady state.
class transport_allocations : public ::testing::TestWithParam<socket_kind> {};

TEST_P(transport_allocations, none_per_message_in_the_engines_and_the_transport_once_warm) {
  ASSERT_TRUE(counting_libevent);
  connection_pair c(GetParam(), {.messages = 12'000, .credit = 500, .same_size = true});
  std::uint64_t news_at_start = 0;
  std::uint64_t news_at_end = 0;
  std::uint64_t libevent_at_start = 0;
  std::uint64_t libevent_at_end = 0;
  c.client.when_received = [&](peer& p) {
    if (p.received == 3'000) {
      news_at_start = allocations();
      libevent_at_start = libevent_allocations;
    }
    if (p.received == 11'000) {
      news_at_end = allocations();
      libevent_at_end = libevent_allocations;
    }
  };
  c.start();
  c.run();
  expect_clean_conversation(c.client, 12'000, "client");
  expect_clean_conversation(c.server, 12'000, "server");
  ASSERT_GT(news_at_end, 0u);
  EXPECT_EQ(news_at_end - news_at_start, 0u);

  // A chain carries the bytes of many messages: libevent allocates less than once per message.
  const std::uint64_t by_libevent = libevent_at_end - libevent_at_start;
  constexpr double messages = 16'000;
  EXPECT_LT(static_cast<double>(by_libevent), messages);
  RecordProperty("operator_new_calls", static_cast<int>(news_at_end - news_at_start));
  RecordProperty("libevent_allocations", static_cast<int>(by_libevent));
  std::cout << "libevent allocations for 16,000 messages of 72 bytes over " << to_string(GetParam())
            << ": " << by_libevent << " (" << static_cast<double>(by_libevent) / messages
            << " per message)\n";
}

INSTANTIATE_TEST_SUITE_P(, transport_allocations,
                         ::testing::Values(socket_kind::unix_pair, socket_kind::tcp_loopback),
                         socket_kind_name);

}  // namespace
}  // namespace amqp::test
