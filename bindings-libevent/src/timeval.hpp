// libevent takes its timeouts as relative timevals.
#pragma once

#include <event2/event.h>
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

// Arms `timer` to fire `d` from now. libevent counts a timeout from the time it cached when
// the loop's turn began: the cache is refreshed first, else the time this turn's callbacks
// took (a handler's work, a slow machine) would be taken off `d` and the timer fire early.
inline void arm_timer(::event* timer, std::chrono::steady_clock::duration d) {
  event_base_update_cache_time(event_get_base(timer));
  const timeval tv = to_timeval(d);
  evtimer_add(timer, &tv);
}

}  // namespace amqp::libevent::detail
