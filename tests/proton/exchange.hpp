// Moving bytes between our engine and a Qpid Proton peer in memory, the way the interop
// fixtures do, and the fixture of the connection-level interop tests.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "amqp/engine.hpp"
#include "proton_peer.hpp"

namespace amqp::test {

// Moves bytes both ways until neither side writes (at most `rounds` rounds), passing on the
// end of each stream, at most `chunk` bytes per feed. `drain()` polls our events: it runs
// whenever our engine stops reading on waiting events, and after each round.
template <class Drain>
void exchange(connection_engine& ours, proton_peer& theirs, time_point now, int rounds,
              Drain&& drain, std::size_t chunk = SIZE_MAX) {
  for (int round = 0; round < rounds; ++round) {
    std::size_t moved = 0;
    for (bytes_view out = ours.pending_output(); !out.empty(); out = ours.pending_output()) {
      const std::size_t n = std::min(out.size(), chunk);
      moved += theirs.feed(out.first(n));
      ours.consume_output(n);  // what Proton did not take, it will never read
    }
    for (auto out = theirs.output(); !out.empty(); out = theirs.output()) {
      const std::size_t n = std::min(out.size(), chunk);
      std::size_t used = ours.feed(out.first(n), now);
      while (used < n) {
        drain();
        used += ours.feed(out.subspan(used, n - used), now);
      }
      theirs.consume_output(n);
      moved += n;
    }
    if (ours.is_finished() && !theirs.input_closed()) theirs.feed_eof();
    if (theirs.output_closed() && ours.wants_input()) ours.feed_eof(now);
    drain();
    if (moved == 0) break;
  }
}

// Our engine (configured as `ours`, client or server) and a Proton peer in the other role,
// on a virtual clock; our events are collected in `events`.
struct interop {
  interop(engine_config ours_config, proton_options theirs_options)
      : ours(ours_config),
        theirs(ours_config.role == engine_role::client ? proton_role::server : proton_role::client,
               std::move(theirs_options)) {}
  interop(engine_role our_role, proton_options theirs_options)
      : interop(engine_config{.role = our_role}, std::move(theirs_options)) {}

  // Moves bytes both ways until neither side writes, passing on the end of each stream.
  void pump() {
    exchange(
        ours, theirs, now, 1000, [this] { drain(); }, chunk);
  }
  void advance(std::chrono::milliseconds d) {
    now += d;
    ms += d.count();
    ours.handle_timeout(now);
    theirs.tick(ms);
    pump();
  }
  void drain() {
    while (auto e = ours.poll_event()) events.push_back(std::move(*e));
  }
  template <class E>
  const E* find() const {
    for (const event& e : events)
      if (const auto* x = std::get_if<E>(&e)) return x;
    return nullptr;
  }

  std::size_t chunk = SIZE_MAX;  // bytes per feed, each way
  time_point now{std::chrono::hours(1)};
  std::int64_t ms = 3'600'000;
  connection_engine ours;
  proton_peer theirs;
  std::vector<event> events;
};

}  // namespace amqp::test
