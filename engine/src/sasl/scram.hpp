// SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), client and server, on
// OpenSSL. Internal to the engine: the SASL stage drives these objects with the bytes of
// sasl-init, sasl-challenge, sasl-response and sasl-outcome frames.
//
// Client:
//   amqp::detail::scram_client c(scram_hash::sha256, "user", "pencil", "", amqp::system_random());
//   auto first = c.initial_response();       // sasl-init initial-response
//   auto last = c.on_challenge(challenge);   // sasl-response
//   auto ok = c.on_outcome(additional_data); // sasl-outcome additional-data: "v=..."
//
// Server (two steps, so the application can look the user up asynchronously):
//   amqp::detail::scram_server s(scram_hash::sha256, amqp::system_random());
//   auto who = s.on_client_first(initial_response);   // username, authzid
//   auto challenge = known ? s.challenge(credentials) // sasl-challenge
//                          : s.challenge_unknown_user(server_secret, 4096);
//   auto last = s.on_client_final(response);         // "v=..." for sasl-outcome, or an error
//
// Channel binding is not offered: the client sends gs2 flag "n" and the server accepts "n" and
// "y" (RFC 5802 section 6) and refuses "p=". Each object handles one exchange. Error texts
// name the mechanism and what failed, never a password, salted password, key, proof or
// signature.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "amqp/codec/types.hpp"
#include "amqp/errors.hpp"
#include "amqp/random.hpp"

namespace amqp::detail {

enum class scram_hash : std::uint8_t { sha1, sha256, sha512 };

// "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512" (the IANA SASL mechanism names).
std::string_view mechanism_name(scram_hash h) noexcept;
// The hash of a mechanism name (exact, case-sensitive match), or nullopt.
std::optional<scram_hash> scram_hash_from_name(std::string_view mechanism) noexcept;
// Output size of the hash in bytes: 20, 32 or 64; also the size of every SCRAM key and proof.
std::size_t scram_digest_size(scram_hash h) noexcept;

enum class scram_errc : std::uint8_t {
  malformed,              // the peer's message breaks RFC 5802 section 7 or one of our bounds
  unsupported,            // the peer needs what we do not offer: channel binding, an m= extension
  invalid_name,           // SASLprep or the '=2C'/'=3D' escaping refused a username or password
  nonce_mismatch,         // the peer's nonce is not the one this exchange agreed on
  authentication_failed,  // a client proof or a server signature that does not verify
  server_error,           // the server's final message reports an error (e=...)
  invalid_argument,       // the application passed unusable credentials, secret or options
  wrong_state,            // a call out of turn; nothing changed
  crypto_failure,         // OpenSSL failed (typically out of memory)
};

struct scram_error {
  scram_errc code{};
  // "SCRAM-SHA-256: server signature mismatch (...)": says what failed, never a secret.
  std::string message;
  // Server only: the server-final-message that reports the failure to the client (RFC 5802
  // section 7, server-error), e.g. "e=invalid-proof", to send as the sasl-outcome's
  // additional-data. Empty when RFC 5802 has no place for it (before the server-first-message).
  std::string server_final;
};

template <class T>
using scram_result = result<T, scram_error>;

// What a server stores instead of a password (RFC 5802 section 3): the salt, the iteration
// count, StoredKey = H(ClientKey) and ServerKey, where ClientKey and ServerKey are HMACs of
// SaltedPassword = Hi(SASLprep(password), salt, i). Neither key lets an attacker who reads it
// log in as the user (the proof needs ClientKey, which StoredKey does not reveal).
struct scram_credentials {
  scram_hash hash = scram_hash::sha256;
  std::vector<std::uint8_t> salt;
  std::uint32_t iterations = 4096;
  std::vector<std::uint8_t> stored_key;
  std::vector<std::uint8_t> server_key;
};

// Bounds on what a server may ask of us and on what we accept from a peer.
inline constexpr std::uint32_t scram_max_iterations_default = 1'000'000;
inline constexpr std::size_t scram_max_message_size = 8192;  // bytes of one SCRAM message
inline constexpr std::size_t scram_max_nonce_length = 512;   // characters of r=, both parts
inline constexpr std::size_t scram_max_salt_size = 256;      // bytes of a decoded salt
inline constexpr std::size_t scram_min_fresh_nonce = 16;     // bounds of options.nonce_length
inline constexpr std::size_t scram_max_fresh_nonce = 128;

// Derives the credentials for `password` (SASLprep'd first). Errors: invalid_name (SASLprep
// refused the password), invalid_argument (empty or oversized salt, iterations 0 or above
// INT_MAX), crypto_failure. RFC 7677 section 4 recommends at least 4096 iterations.
scram_result<scram_credentials> make_scram_credentials(scram_hash hash, std::string_view password,
                                                       bytes_view salt, std::uint32_t iterations);

struct scram_client_options {
  // Characters of the client nonce. Each is drawn from one random byte (bytes >= 186 are
  // redrawn) as alphabet[byte % 93], the alphabet being RFC 5802's "printable" (U+0021..U+007E
  // without ','), in ASCII order: about 6.5 bits per character, 157 bits by default.
  std::size_t nonce_length = 24;
  // The most PBKDF2 iterations a server may make us compute (RFC 5802 lets the server choose
  // any count). Each iteration costs two HMAC compressions, so a hostile server asking for
  // 2^32 - 1 would keep a core busy for many minutes; the client refuses counts above this
  // bound instead. 1,000,000 takes under a second on one current x86-64 core (about 0.3 s
  // for SHA-1 and SHA-256 and 0.7 s for SHA-512 with OpenSSL 3.0) and is 244 times the 4096
  // that RFC 7677 section 4 names as the minimum. Values above INT_MAX act as INT_MAX.
  std::uint32_t max_iterations = scram_max_iterations_default;
};

class scram_client {
 public:
  // `password` is SASLprep'd here and kept (wiped afterwards) only until on_challenge has
  // derived the keys; `authzid` empty means none. The random source must outlive the client.
  scram_client(scram_hash hash, std::string_view username, std::string_view password,
               std::string_view authzid, random_source& random, scram_client_options options = {});
  ~scram_client();
  scram_client(const scram_client&) = delete;
  scram_client& operator=(const scram_client&) = delete;

  std::string_view mechanism() const noexcept { return mechanism_name(hash_); }

  // The client-first-message: gs2 header ("n,," or "n,a=<authzid>,") + "n=<user>,r=<nonce>".
  // Errors: invalid_name (username, authzid or password refused by SASLprep / UTF-8 checks),
  // invalid_argument (nonce_length outside [16, 128]), wrong_state.
  scram_result<std::string> initial_response();
  // Checks the server-first-message and returns the client-final-message with the proof.
  // Errors: malformed, unsupported (m=, an iteration count above max_iterations),
  // nonce_mismatch, crypto_failure, wrong_state.
  scram_result<std::string> on_challenge(bytes_view server_first);
  // Checks the server-final-message: success when v= carries the expected server signature.
  // Errors: authentication_failed (signature mismatch), server_error (e=), malformed,
  // wrong_state.
  scram_result<std::monostate> on_outcome(bytes_view server_final);

 private:
  enum class state : std::uint8_t { initial, sent_first, sent_final, done, failed };
  // An error for a refused call (nothing changes), and one that ends the exchange.
  scram_error error(scram_errc code, std::string_view what) const;
  scram_error fail(scram_errc code, std::string_view what);

  scram_hash hash_;
  random_source& random_;
  scram_client_options options_;
  state state_ = state::initial;
  std::string username_;  // SASLprep'd, not yet escaped
  std::string authzid_;
  std::string password_;  // SASLprep'd; wiped once the keys are derived
  std::optional<scram_error> prep_error_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string nonce_;                           // the client's part
  std::vector<std::uint8_t> server_signature_;  // expected v=, wiped by the destructor
};

// What the client-first-message says about who is logging in.
struct scram_client_identity {
  std::string username;  // unescaped and SASLprep'd: the key to look credentials up by
  std::string authzid;   // unescaped, not prepared; empty when the client sent none
};

struct scram_server_options {
  // Characters of the server's nonce part; drawn as scram_client_options::nonce_length says.
  std::size_t nonce_length = 24;
};

class scram_server {
 public:
  // The random source must outlive the server.
  scram_server(scram_hash hash, random_source& random, scram_server_options options = {});
  ~scram_server();
  scram_server(const scram_server&) = delete;
  scram_server& operator=(const scram_server&) = delete;

  std::string_view mechanism() const noexcept { return mechanism_name(hash_); }
  // The username from on_client_first (empty before).
  const std::string& username() const noexcept { return username_; }

  // Parses and validates the client-first-message. Errors: malformed, unsupported (channel
  // binding "p=", mandatory extension "m="), invalid_name (bad escaping, not UTF-8, refused by
  // SASLprep), wrong_state.
  scram_result<scram_client_identity> on_client_first(bytes_view client_first);
  // The server-first-message for a known user. Errors: invalid_argument (credentials for
  // another hash, keys of the wrong size, empty or oversized salt, iterations 0), wrong_state;
  // on those nothing changes and the call may be repeated.
  scram_result<std::string> challenge(const scram_credentials& credentials);
  // The server-first-message for a user that does not exist (or must not log in), so that an
  // attacker cannot tell unknown users from wrong passwords (RFC 5802 section 9): the salt is
  // derived from `server_secret` and the username, so it is the same on every attempt, and
  // looks like a real one when `iterations` and `salt_length` match real users'. The exchange
  // then fails in on_client_final exactly like a wrong password. `server_secret` must be at
  // least 16 bytes and stay the same across connections; salt_length must be in [1, 64].
  scram_result<std::string> challenge_unknown_user(bytes_view server_secret,
                                                   std::uint32_t iterations = 4096,
                                                   std::size_t salt_length = 16);
  // Checks the client-final-message and returns the server-final-message "v=..." to send
  // with a successful sasl-outcome. Errors (with server_final set): malformed
  // ("e=invalid-encoding"), nonce_mismatch ("e=other-error"), authentication_failed
  // ("e=channel-bindings-dont-match" or "e=invalid-proof"); wrong_state.
  scram_result<std::string> on_client_final(bytes_view client_final);

 private:
  enum class state : std::uint8_t { initial, got_first, sent_first, done, failed };
  // An error for a refused call (nothing changes), and one that ends the exchange.
  scram_error error(scram_errc code, std::string_view what,
                    std::string_view server_final = {}) const;
  scram_error fail(scram_errc code, std::string_view what, std::string_view server_final = {});
  std::string server_first(bytes_view salt, std::uint32_t iterations);

  scram_hash hash_;
  random_source& random_;
  scram_server_options options_;
  state state_ = state::initial;
  std::string username_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string nonce_;  // client part + server part, once challenged
  std::string server_first_;
  std::vector<std::uint8_t> stored_key_;  // wiped by the destructor
  std::vector<std::uint8_t> server_key_;
  bool unknown_user_ = false;
};

}  // namespace amqp::detail
