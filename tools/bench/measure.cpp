// The counters of measure.hpp. The executable's own malloc, memcpy and their kin win over the
// C library's for every shared library too (the dynamic linker looks in the executable
// first), so the allocations and copies of Qpid Proton are seen exactly like ours. They all
// end in the C library's implementation: the counting changes no behaviour.
#include "bench/measure.hpp"

#include <atomic>
#include <bit>
#include <chrono>
#include <cstring>

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

// AddressSanitizer interposes the allocator and memcpy itself; two interposers cannot both win.
#if defined(__SANITIZE_ADDRESS__)
#define AMQP_BENCH_COUNTERS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AMQP_BENCH_COUNTERS 0
#endif
#endif
#ifndef AMQP_BENCH_COUNTERS
#define AMQP_BENCH_COUNTERS 1
#endif

#if AMQP_BENCH_COUNTERS
#include <dlfcn.h>
#include <malloc.h>

#include <cerrno>
#include <cstdlib>
#include <new>
#endif

namespace amqp::bench {
namespace {

// Relaxed loads and stores, never read-modify-write instructions: as cheap as plain integers
// on the hot path, and still well-defined when a signal handler allocates or copies (at worst
// its update is lost).
std::atomic<std::uint64_t> allocations{0};
std::atomic<std::uint64_t> copied_bytes{0};
std::atomic<std::int64_t> live_bytes{0};
std::atomic<std::int64_t> peak_bytes{0};
std::atomic<std::int64_t> peak_baseline{0};
std::atomic<bool> counting{true};

template <class T>
void add(std::atomic<T>& counter, T n) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace

bool counters_available() noexcept {
  return AMQP_BENCH_COUNTERS != 0;
}

void stop_counting() noexcept {
  counting.store(false, std::memory_order_relaxed);
}

instruction_counter::instruction_counter() noexcept {
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_INSTRUCTIONS;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  attr.inherit = 1;
  attr.disabled = 1;
  const long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  if (fd < 0) return;
  fd_ = static_cast<int>(fd);
  if (ioctl(fd_, PERF_EVENT_IOC_RESET, 0) != 0 || ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

instruction_counter::~instruction_counter() {
  if (fd_ >= 0) close(fd_);
}

std::uint64_t instruction_counter::read() const noexcept {
  std::uint64_t n = 0;
  if (fd_ < 0 || ::read(fd_, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) return 0;
  return n;
}

void reset_heap_peak() noexcept {
  const std::int64_t now = live_bytes.load(std::memory_order_relaxed);
  peak_baseline.store(now, std::memory_order_relaxed);
  peak_bytes.store(now, std::memory_order_relaxed);
}

std::uint64_t heap_peak_bytes() noexcept {
  const std::int64_t above =
      peak_bytes.load(std::memory_order_relaxed) - peak_baseline.load(std::memory_order_relaxed);
  return above > 0 ? static_cast<std::uint64_t>(above) : 0;
}

[[gnu::noinline]] phase_totals run_measured_phase(void (*body)(void*), void* context) {
  const std::uint64_t allocations_before = allocations.load(std::memory_order_relaxed);
  const std::uint64_t copied_before = copied_bytes.load(std::memory_order_relaxed);
  const auto start = std::chrono::steady_clock::now();
  body(context);
  const auto end = std::chrono::steady_clock::now();
  return {.seconds = std::chrono::duration<double>(end - start).count(),
          .allocations = allocations.load(std::memory_order_relaxed) - allocations_before,
          .copied_bytes = copied_bytes.load(std::memory_order_relaxed) - copied_before};
}

#if AMQP_BENCH_COUNTERS

namespace {

void note_allocated(void* p) noexcept {
  if (!p || !counting.load(std::memory_order_relaxed)) return;
  add<std::uint64_t>(allocations, 1);
  const std::int64_t now =
      live_bytes.load(std::memory_order_relaxed) + static_cast<std::int64_t>(malloc_usable_size(p));
  live_bytes.store(now, std::memory_order_relaxed);
  if (now > peak_bytes.load(std::memory_order_relaxed))
    peak_bytes.store(now, std::memory_order_relaxed);
}

std::int64_t usable_size(void* p) noexcept {
  return p && counting.load(std::memory_order_relaxed)
             ? static_cast<std::int64_t>(malloc_usable_size(p))
             : 0;
}

using copy_fn = void* (*)(void*, const void*, std::size_t);

// The C library's memcpy and memmove, looked up once before main. Until then (copies made by
// the constructors of shared libraries, and by the look-up itself) byte_move stands in.
std::atomic<copy_fn> real_memcpy{nullptr};
std::atomic<copy_fn> real_memmove{nullptr};

// Through volatile bytes, so that the compiler cannot turn the loops back into a call to
// memcpy or memmove, which would land here again.
void* byte_move(void* dst, const void* src, std::size_t n) noexcept {
  auto* d = static_cast<volatile unsigned char*>(dst);
  const auto* s = static_cast<const volatile unsigned char*>(src);
  if (reinterpret_cast<std::uintptr_t>(dst) <= reinterpret_cast<std::uintptr_t>(src)) {
    for (std::size_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    for (std::size_t i = n; i-- > 0;) d[i] = s[i];
  }
  return dst;
}

void* forward_copy(const std::atomic<copy_fn>& real, void* dst, const void* src,
                   std::size_t n) noexcept {
  const copy_fn f = real.load(std::memory_order_relaxed);
  return f ? f(dst, src, n) : byte_move(dst, src, n);
}

void* counted_copy(const std::atomic<copy_fn>& real, void* dst, const void* src,
                   std::size_t n) noexcept {
  if (n >= min_counted_copy && counting.load(std::memory_order_relaxed))
    add<std::uint64_t>(copied_bytes, n);
  return forward_copy(real, dst, src, n);
}

__attribute__((constructor(101))) void resolve_copy_functions() {
  real_memmove.store(std::bit_cast<copy_fn>(dlsym(RTLD_NEXT, "memmove")));
  real_memcpy.store(std::bit_cast<copy_fn>(dlsym(RTLD_NEXT, "memcpy")));
}

}  // namespace

void network_copy(void* dst, const void* src, std::size_t n) noexcept {
  forward_copy(real_memcpy, dst, src, n);
}

#else

void network_copy(void* dst, const void* src, std::size_t n) noexcept {
  std::memcpy(dst, src, n);
}

#endif

}  // namespace amqp::bench

#if AMQP_BENCH_COUNTERS

// glibc's allocator under its exported internal names: replacing malloc, free, calloc,
// realloc and the aligned forms is the documented way to replace its allocator, and glibc's
// own internal allocations go through the replacements too.
extern "C" {
void* __libc_malloc(std::size_t n);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t n);
void* __libc_memalign(std::size_t alignment, std::size_t n);
void* __libc_valloc(std::size_t n);
void* __libc_pvalloc(std::size_t n);
void __libc_free(void* p);
[[noreturn]] void __chk_fail();
}

namespace counters = amqp::bench;

extern "C" {

void* malloc(std::size_t n) noexcept {
  void* p = __libc_malloc(n);
  counters::note_allocated(p);
  return p;
}

void* calloc(std::size_t n, std::size_t size) noexcept {
  void* p = __libc_calloc(n, size);
  counters::note_allocated(p);
  return p;
}

void* realloc(void* p, std::size_t n) noexcept {
  const std::int64_t before = counters::usable_size(p);
  void* q = __libc_realloc(p, n);
  // Null with n > 0 is a failure that leaves p allocated; with n == 0, p was freed.
  if (q || n == 0) counters::add(counters::live_bytes, -before);
  counters::note_allocated(q);
  return q;
}

void free(void* p) noexcept {
  counters::add(counters::live_bytes, -counters::usable_size(p));
  __libc_free(p);
}

void* memalign(std::size_t alignment, std::size_t n) noexcept {
  void* p = __libc_memalign(alignment, n);
  counters::note_allocated(p);
  return p;
}

void* aligned_alloc(std::size_t alignment, std::size_t n) noexcept {
  return memalign(alignment, n);
}

int posix_memalign(void** out, std::size_t alignment, std::size_t n) noexcept {
  if (alignment == 0 || alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0)
    return EINVAL;
  void* p = memalign(alignment, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(std::size_t n) noexcept {
  void* p = __libc_valloc(n);
  counters::note_allocated(p);
  return p;
}

void* pvalloc(std::size_t n) noexcept {
  void* p = __libc_pvalloc(n);
  counters::note_allocated(p);
  return p;
}

void* memcpy(void* dst, const void* src, std::size_t n) noexcept {
  return counters::counted_copy(counters::real_memcpy, dst, src, n);
}

void* memmove(void* dst, const void* src, std::size_t n) noexcept {
  return counters::counted_copy(counters::real_memmove, dst, src, n);
}

// The forms that code built with _FORTIFY_SOURCE calls (Debian builds Proton so).
void* __memcpy_chk(void* dst, const void* src, std::size_t n, std::size_t dst_size) noexcept {
  if (dst_size < n) __chk_fail();
  return counters::counted_copy(counters::real_memcpy, dst, src, n);
}

void* __memmove_chk(void* dst, const void* src, std::size_t n, std::size_t dst_size) noexcept {
  if (dst_size < n) __chk_fail();
  return counters::counted_copy(counters::real_memmove, dst, src, n);
}

}  // extern "C"

// operator new and delete go through the malloc and free above, so each allocation is counted
// once whichever way it was made. The aligned and nothrow forms of the C++ library end in
// aligned_alloc and these.
void* operator new(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t n) {
  return operator new(n);
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

#endif
