// Fuzz target: the TLS stage as a server (engine/src/tls/tls_stage.hpp), fed a client's bytes.
//
// The input is two bytes of options (the context: both versions, TLS 1.2 only, TLS 1.3 with
// client certificates required, client certificates optional; the buffer limits; whether the
// application writes, closes, or takes output and plaintext slowly) and a seed for how the
// client's bytes are cut into reads, then the bytes themselves. tls_harness.hpp says how and
// lists the invariants checked after every call: bounded buffers, no stall, states that never
// come back, a clean OpenSSL error queue, a failed stage that stays failed with an error, and
// a feed_eof() at the end that leaves the stage failed or closed.
#include <cstddef>
#include <cstdint>

#include "tls_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tls_fuzz::run(false, data, size);
  return 0;
}
