// Fuzz target: the TLS stage as a client (engine/src/tls/tls_stage.hpp), fed a server's bytes
// after its ClientHello.
//
// The input is two bytes of options (the context: verify the peer and "localhost", TLS 1.2
// only without verification, TLS 1.3 only with a client certificate, the IP literal 127.0.0.1
// without verification; the buffer limits; whether the application writes, closes, or takes
// output and plaintext slowly) and a seed for how the server's bytes are cut into reads, then
// the bytes themselves. tls_harness.hpp says how and lists the invariants checked after every
// call: bounded buffers, no stall, states that never come back, a clean OpenSSL error queue, a
// failed stage that stays failed with an error, and a feed_eof() at the end that leaves the
// stage failed or closed.
#include <cstddef>
#include <cstdint>

#include "tls_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tls_fuzz::run(true, data, size);
  return 0;
}
