// Memory: once warm, a connection pumped by the transport over the in-memory stream moves
// messages without a heap allocation, neither in the engines nor in the transport, the stream
// or Asio's operations. Global operator new is replaced in this test program to count
// (support/counting_new.cpp).
#include <gtest/gtest.h>

#include "peer.hpp"
#include "support/counting_new.hpp"

namespace amqp::test {
namespace {

// Both sides on one thread, so that the window counts this conversation only: between the
// client's 3,000th and 11,000th message received, 16,000 messages (both directions) cross.
// Bodies of one size: the engine reuses a settled delivery's buffer for the next one, and
// bodies of growing sizes would show the buffers' growth to the largest, not a steady state.
TEST(transport_allocations, none_per_message_once_warm) {
  connection_pair<memory_link> c({.messages = 12'000, .credit = 500, .same_size = true});
  std::uint64_t at_start = 0;
  std::uint64_t at_end = 0;
  c.client.when_received = [&](auto& p) {
    if (p.received == 3'000) at_start = allocations();
    if (p.received == 11'000) at_end = allocations();
  };
  c.start();
  c.run(1);
  expect_clean_conversation(c.client, 12'000, "client");
  expect_clean_conversation(c.server, 12'000, "server");
  ASSERT_GT(at_end, 0u);
  EXPECT_EQ(at_end - at_start, 0u);
  RecordProperty("allocations", static_cast<int>(at_end - at_start));
}

}  // namespace
}  // namespace amqp::test
