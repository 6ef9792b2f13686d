// system_random(): the documented process-wide random_source (amqp/random.hpp) over OpenSSL;
// random_uuid() from any source.
#include <openssl/err.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

#include "amqp/random.hpp"

namespace amqp {
namespace {

class openssl_random final : public random_source {
 public:
  void fill(std::span<std::uint8_t> out) override {
    // RAND_bytes takes an int: draw huge requests in slices.
    constexpr std::size_t slice = INT_MAX;
    while (!out.empty()) {
      const std::size_t n = out.size() < slice ? out.size() : slice;
      if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) fail();
      out = out.subspan(n);
    }
  }

 private:
  // Predictable nonces would be worse than no connection: stop the process, loudly.
  [[noreturn]] static void fail() noexcept {
    char reason[256] = "unknown error";
    const unsigned long code = ERR_get_error();
    if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
    std::fprintf(stderr, "amqp::system_random: OpenSSL RAND_bytes failed (%s); aborting\n", reason);
    std::abort();
  }
};

}  // namespace

random_source& system_random() noexcept {
  // Stateless apart from OpenSSL's own (thread-safe) generator.
  static openssl_random instance;
  return instance;
}

std::string random_uuid(random_source& random) {
  std::array<std::uint8_t, 16> b{};
  random.fill(b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4 (RFC 4122, 4.4)
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                b[14], b[15]);
  return out;
}

}  // namespace amqp
