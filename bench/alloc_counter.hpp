// Counts heap allocations made by this process: C++ `new` and C `malloc` alike, so that the
// allocations of the C library under comparison are counted the same way as ours.
//
//   const auto before = bench::heap_allocations();
//   run_once();
//   const auto allocs = bench::heap_allocations() - before;
#pragma once

#include <cstdint>

namespace bench {

// Allocations (malloc, calloc, realloc, operator new) since the process started.
std::uint64_t heap_allocations() noexcept;

// False when the C allocator could not be interposed (then only operator new is counted).
bool counts_c_allocations() noexcept;

}  // namespace bench
