// Global operator new replaced for the engine tests: it counts allocations, and on request
// fails one of them, so that tests can prove a warm engine does not allocate and that running
// out of memory anywhere leaves an engine poisoned but safe.
//
//   const auto before = test::allocations();
//   run_steady_state();
//   EXPECT_EQ(test::allocations() - before, 0u);
//
//   test::fail_allocation(7);   // the 7th allocation from now throws std::bad_alloc
#pragma once

#include <cstdint>

namespace amqp::test {

// operator new calls so far in this process.
std::uint64_t allocations() noexcept;
// The n-th allocation from now (n >= 1) throws std::bad_alloc, once; 0 cancels.
void fail_allocation(std::uint64_t n) noexcept;
// Whether the allocation asked to fail has failed.
bool allocation_failed() noexcept;

}  // namespace amqp::test
