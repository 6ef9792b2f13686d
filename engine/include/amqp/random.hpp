// The engine's only source of randomness: the application injects a `random_source`, and the
// engine draws from it whatever must be unpredictable (SCRAM nonces, generated container ids).
// The engine never seeds, reads a clock or opens a device to get randomness of its own, so a
// test can hand it a scripted source and replay a conversation byte for byte.
//
//   amqp::random_source& rng = amqp::system_random();  // OpenSSL's CSPRNG, process-wide
//   std::array<std::uint8_t, 16> id;
//   rng.fill(id);
//
// A test double only has to implement fill():
//
//   struct counting_random final : amqp::random_source {
//     std::uint8_t next = 0;
//     void fill(std::span<std::uint8_t> out) override { for (auto& b : out) b = next++; }
//   };
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace amqp {

class random_source {
 public:
  virtual ~random_source() = default;
  // Fills every byte of `out`. An implementation must either fill all of it with
  // unpredictable bytes or not return: there is no error path, because every caller would
  // have to treat a failure as fatal anyway, and a caller that ignored it would go on with
  // predictable nonces.
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// The process-wide source over OpenSSL's RAND_bytes (a CSPRNG seeded by OpenSSL from the
// operating system). Safe to call from any thread: the instance holds no state of its own and
// OpenSSL's generator is thread-safe. The reference stays valid for the life of the process.
//
// If RAND_bytes ever fails (OpenSSL could not seed, or ran out of memory), fill() writes one
// line naming the failure to stderr and calls std::abort(): continuing with bytes that might
// be predictable would silently break the security of every nonce drawn afterwards.
random_source& system_random() noexcept;

// A random (version 4, RFC 4122) UUID in its text form, "2f1c...-4...": container ids and link
// names that must not meet another's.
std::string random_uuid(random_source& random = system_random());

}  // namespace amqp
