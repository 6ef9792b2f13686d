// system_random(): the documented process-wide random_source (amqp/random.hpp) over OpenSSL.
#include <openssl/err.h>
#include <openssl/rand.h>

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

}  // namespace amqp
