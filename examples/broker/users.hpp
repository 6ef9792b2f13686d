// The example broker's users: who may connect with SASL PLAIN or SCRAM, read from a text file
// that need not hold any password in the clear.
//
//   auto users = broker::user_store::load("users.txt", amqp::system_random());
//   if (!users) { std::cerr << users.error() << '\n'; return 1; }
//   options.authenticate = [&](const amqp::sasl_auth_requested& r) {
//     return users->authenticate(r);
//   };
//
// The file, one user per line (blank lines and lines starting with # are skipped):
//
//   alice:secret
//   bob:scram-sha-256:<salt>:<iterations>:<stored-key>:<server-key>
//
// The first form holds a clear password (the rest of the line after the first colon; it may
// not begin with "scram-sha-"). The second holds what RFC 5802 (section 3) has a server
// store: salt, StoredKey and ServerKey in base64 and the PBKDF2 iteration count, for
// SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512; `broker --hash-user NAME:PASSWORD` prints such a
// line. A user may have one line per mechanism. Clear passwords are turned into SCRAM-SHA-256
// credentials (with a random salt) when the file is read and then forgotten; PLAIN is checked
// by deriving the same keys from the password presented.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/events.hpp"
#include "amqp/messaging/options.hpp"
#include "amqp/random.hpp"
#include "amqp/sasl.hpp"

namespace broker {

struct user {
  std::string name;
  std::vector<amqp::scram_credentials> credentials;  // at most one per mechanism
};

class user_store {
 public:
  // Reads the file's text. `random` salts the clear passwords. Errors name the line and what
  // is wrong with it ("line 3: iterations must be 1 to 1000000"), never a password.
  static amqp::result<user_store, std::string> parse(std::string_view text,
                                                     amqp::random_source& random);
  // The same from a file; errors name the file.
  static amqp::result<user_store, std::string> load(const std::string& path,
                                                    amqp::random_source& random);

  // The decision on a client's credentials: PLAIN is checked here, SCRAM is handed the user's
  // stored keys for the engine to check the proof. Unknown users, mechanisms the user has no
  // keys for, and requests to act as someone else (an authzid other than the user) are refused.
  amqp::sasl_verdict authenticate(const amqp::sasl_auth_requested& request) const;

  // What to offer: the SCRAM mechanisms some user has keys for (SCRAM-SHA-256 first), then
  // PLAIN.
  std::vector<std::string> mechanisms() const;

  const user* find(std::string_view name) const noexcept;
  std::size_t size() const noexcept { return users_.size(); }

 private:
  std::vector<user> users_;
};

struct user_line_error {
  std::string message;
};

// The user-file line for `name` with `password` under `mechanism` ("SCRAM-SHA-256"), salted
// from `random`. Errors name what is wrong (an unknown mechanism, a name the file cannot hold).
amqp::result<std::string, user_line_error> make_user_line(std::string_view name,
                                                      std::string_view password,
                                                      std::string_view mechanism,
                                                      amqp::random_source& random,
                                                      std::uint32_t iterations = 4096);

// Base64 (RFC 4648, with padding). decode_base64 accepts the padding or its absence and
// refuses anything else that is not the alphabet.
std::string encode_base64(const std::vector<std::uint8_t>& bytes);
bool decode_base64(std::string_view text, std::vector<std::uint8_t>& out);

}  // namespace broker
