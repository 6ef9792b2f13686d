// libevent takes its timeouts as relative timevals.
#pragma once

#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace amqp::libevent::detail {

// `d` as a timeval; a deadline already past is zero (due now).
inline timeval to_timeval(std::chrono::steady_clock::duration d) {
  const auto us =
      std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  return {.tv_sec = static_cast<time_t>(us / 1'000'000),
          .tv_usec = static_cast<suseconds_t>(us % 1'000'000)};
}

}  // namespace amqp::libevent::detail
