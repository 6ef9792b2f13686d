#include "alloc_hooks.hpp"

#include <cstdlib>
#include <new>

namespace {
// The tests are single-threaded; plain counters keep the hooks cheap and reentrancy-free.
std::uint64_t count = 0;
std::uint64_t fail_at = 0;
bool failed = false;

void* allocate(std::size_t n) {
  ++count;
  if (fail_at != 0 && count == fail_at) {
    fail_at = 0;
    failed = true;
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace amqp::test {

std::uint64_t allocations() noexcept { return count; }

void fail_allocation(std::uint64_t n) noexcept {
  failed = false;
  fail_at = n == 0 ? 0 : count + n;
}

bool allocation_failed() noexcept { return failed; }

}  // namespace amqp::test
