// Fuzz target: a whole client-role connection_engine that has sent its header and open
// (pipelined, spec Part 2, 2.4.1), fed the server's byte stream.
//
// The input is the server's bytes as the client would read them, as in Proton's
// connection-driver corpus (a client driver) and go-amqp's conn corpus (a client, reads marked
// with "SPLIT\n"). The client answers peer_closed with its close, on a virtual clock;
// engine_harness.hpp says how the reads, the clock and the limits derive from the input, and
// lists the invariants: a broken one traps.
#include <cstddef>
#include <cstdint>

#include "engine_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  engine_harness::run(amqp::engine_role::client, data, size);
  return 0;
}
