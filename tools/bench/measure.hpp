// What amqp-bench measures besides the wire: heap allocations and live heap bytes (the C
// allocator and operator new are interposed), bytes moved by large memcpy/memmove calls (the
// C library's are interposed too, so copies made inside shared libraries such as Qpid Proton
// count), and the wall clock, snapshotted around a measured phase.
//
//   amqp::bench::reset_heap_peak();
//   auto pump = [&] { pump_until(target); };
//   const amqp::bench::phase_totals t = amqp::bench::measure(pump);
//   const double allocs_per_msg = double(t.allocations) / double(n);
//   const std::uint64_t peak = amqp::bench::heap_peak_bytes();
//
// The process is single-threaded; the counters are not meant for concurrent use.
#pragma once

#include <cstddef>
#include <cstdint>

namespace amqp::bench {

// memcpy/memmove calls of at least this many bytes count as payload copies; smaller ones move
// frame headers, fields and pieces of the encoding rather than message bodies.
inline constexpr std::size_t min_counted_copy = 1024;

// False when the counters are compiled out (under AddressSanitizer, which interposes the same
// functions): then allocations, copied bytes and the heap peak all read zero.
bool counters_available() noexcept;

// Makes the bytes live now the baseline of heap_peak_bytes().
void reset_heap_peak() noexcept;

// The highest live heap bytes above the baseline since the last reset_heap_peak().
std::uint64_t heap_peak_bytes() noexcept;

// Turns the counting off for the rest of the process: malloc, free, memcpy and memmove then
// only forward to the C library. For processes that measure nothing of their own (the
// children of `amqp-bench tcp`), so that the counting's cost falls on no implementation.
void stop_counting() noexcept;

// Copies n bytes without being counted: the in-memory "network" between two engines, which
// stands for the socket and is no copy of the engines'.
void network_copy(void* dst, const void* src, std::size_t n) noexcept;

struct phase_totals {
  double seconds = 0;              // wall time (steady clock)
  std::uint64_t allocations = 0;   // malloc, calloc, realloc, aligned forms, operator new
  std::uint64_t copied_bytes = 0;  // in memcpy/memmove calls of at least min_counted_copy
};

// Runs body(context) between two snapshots of the clock and the counters. It is never inlined
// and keeps this name so that an instruction counter can collect inside it only
// (tools/bench/callgrind.sh).
phase_totals run_measured_phase(void (*body)(void*), void* context);

// run_measured_phase for any callable.
template <class F>
phase_totals measure(F& body) {
  return run_measured_phase([](void* f) { (*static_cast<F*>(f))(); }, &body);
}

// The user-space instructions this process (every thread it starts from now on included)
// retires from construction on, read with perf_event_open. Unavailable where the CPU's
// counters are not exposed (many virtual machines) or not permitted (perf_event_paranoid).
class instruction_counter {
 public:
  instruction_counter() noexcept;
  ~instruction_counter();
  instruction_counter(const instruction_counter&) = delete;
  instruction_counter& operator=(const instruction_counter&) = delete;
  bool available() const noexcept { return fd_ >= 0; }
  // The count so far; 0 when unavailable.
  std::uint64_t read() const noexcept;

 private:
  int fd_ = -1;
};

}  // namespace amqp::bench
