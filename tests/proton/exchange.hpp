// Moving bytes between our engine and a Qpid Proton peer in memory, the way both interop
// fixtures do.
#pragma once

#include "amqp/engine.hpp"
#include "proton_peer.hpp"

namespace amqp::test {

// Moves bytes both ways until neither side writes (at most `rounds` rounds), passing on the
// end of each stream. `drain()` polls our events: it runs whenever our engine stops reading
// on waiting events, and after each round.
template <class Drain>
void exchange(connection_engine& ours, proton_peer& theirs, time_point now, int rounds,
              Drain&& drain) {
  for (int round = 0; round < rounds; ++round) {
    std::size_t moved = 0;
    if (const bytes_view out = ours.pending_output(); !out.empty()) {
      moved += theirs.feed(out);
      ours.consume_output(out.size());  // what Proton did not take, it will never read
    }
    if (const auto out = theirs.output(); !out.empty()) {
      const std::size_t n = out.size();
      std::size_t used = ours.feed(out, now);
      while (used < n) {
        drain();
        used += ours.feed(out.subspan(used), now);
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

}  // namespace amqp::test
