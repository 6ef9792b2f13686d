// Heap allocations counted: a test program that links counting_new.cpp replaces the global
// operator new with one that counts every call, so that a test can check that a warm path
// allocates nothing.
//
//   const std::uint64_t before = amqp::test::allocations();
//   run_warm_path();
//   EXPECT_EQ(amqp::test::allocations() - before, 0u);
#pragma once

#include <cstdint>

namespace amqp::test {

// operator new and new[] calls so far, in every thread.
std::uint64_t allocations() noexcept;

}  // namespace amqp::test
