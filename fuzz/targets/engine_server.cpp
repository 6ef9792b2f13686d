// Fuzz target: a whole server-role connection_engine, fed a client's byte stream (spec Part 2,
// 2.2 to 2.4: header exchange, open, close, idle timeout; and whatever the engine grows).
//
// The input is the client's bytes as they would arrive on the socket; go-amqp style inputs
// mark their reads with "SPLIT\n". The server answers peer_opened with its open and
// peer_closed with its close, on a virtual clock; engine_harness.hpp says how the reads, the
// clock and the limits derive from the input, and lists the invariants: a broken one traps.
#include <cstddef>
#include <cstdint>

#include "engine_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  engine_harness::run(amqp::engine_role::server, data, size);
  return 0;
}
