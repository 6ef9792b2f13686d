// Interposes the C allocator of glibc (the executable's malloc wins over libc's for every
// shared library too) and replaces the global operator new, counting each allocation.
#include "alloc_counter.hpp"

#include <cstddef>
#include <cstdlib>
#include <new>

extern "C" {
void* __libc_malloc(std::size_t n);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t n);
void __libc_free(void* p);
}

namespace {
// The benchmarks are single-threaded; a plain counter keeps the measurement itself cheap.
std::uint64_t c_allocations = 0;
std::uint64_t cxx_allocations = 0;
}  // namespace

extern "C" {
void* malloc(std::size_t n) noexcept {
  ++c_allocations;
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) noexcept {
  ++c_allocations;
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) noexcept {
  ++c_allocations;
  return __libc_realloc(p, n);
}
void free(void* p) noexcept { __libc_free(p); }
}

// operator new goes through malloc above, so it is counted there; the second counter tells
// whether the interposition took effect.
void* operator new(std::size_t n) {
  ++cxx_allocations;
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace bench {

bool counts_c_allocations() noexcept { return c_allocations >= cxx_allocations; }

std::uint64_t heap_allocations() noexcept {
  return counts_c_allocations() ? c_allocations : cxx_allocations;
}

}  // namespace bench
