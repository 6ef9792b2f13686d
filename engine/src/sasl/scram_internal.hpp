// Pieces shared by the SCRAM client and server (scram.hpp): the OpenSSL primitives, key
// buffers that wipe themselves, nonces, and the RFC 5802 section 7 messages.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/codec/types.hpp"
#include "saslprep.hpp"
#include "scram.hpp"

namespace amqp::detail::scram {

// OPENSSL_cleanse: a wipe the compiler may not remove as a dead store.
void wipe(void* p, std::size_t n) noexcept;
void wipe(std::string& s) noexcept;  // wipes and clears
void wipe(std::vector<std::uint8_t>& v) noexcept;


// A key, proof or signature: at most one SHA-512 output, wiped when it goes away.
class key_buffer {
 public:
  static constexpr std::size_t capacity = 64;
  key_buffer() = default;
  key_buffer(const key_buffer&) = delete;
  key_buffer& operator=(const key_buffer&) = delete;
  ~key_buffer() { wipe(bytes_.data(), bytes_.size()); }

  std::uint8_t* data() noexcept { return bytes_.data(); }
  std::size_t size() const noexcept { return size_; }
  void set_size(std::size_t n) noexcept { size_ = n <= capacity ? n : capacity; }
  bytes_view view() const noexcept { return {bytes_.data(), size_}; }
  std::span<std::uint8_t> all() noexcept { return bytes_; }

 private:
  std::array<std::uint8_t, capacity> bytes_{};
  std::size_t size_ = 0;
};

// H(data), HMAC(key, data) and Hi(password, salt, i) = PBKDF2-HMAC (RFC 5802 section 2.2).
// False when OpenSSL fails.
[[nodiscard]] bool digest(scram_hash h, bytes_view data, key_buffer& out) noexcept;
[[nodiscard]] bool hmac(scram_hash h, bytes_view key, bytes_view data, key_buffer& out) noexcept;
[[nodiscard]] bool hi(scram_hash h, std::string_view password, bytes_view salt,
                      std::uint32_t iterations, key_buffer& out) noexcept;
// True when a and b have the same size and bytes; the time taken depends on the size only.
bool equal_secret(bytes_view a, bytes_view b) noexcept;

// Appends `length` printable characters drawn from `random` (see scram_client_options).
void append_nonce(random_source& random, std::size_t length, std::string& out);

// "'alice'" for error messages: at most 64 bytes of the (already validated) name, cut on a
// UTF-8 boundary, bytes below U+0020 and U+007F replaced by '?'.
std::string quoted_name(std::string_view name);
// Peer text for error messages: printable ASCII only, at most 64 bytes.
std::string sanitized(std::string_view text);
// "the password contains a character SASLprep prohibits ...". With `secret`, the text leaves
// out the offending code point, which would be a character of the password.
std::string describe_prep_failure(std::string_view what, const saslprep_error& e, bool secret);

// -- Messages (RFC 5802 section 7) -------------------------------------------------------------
// Parsers take the whole message, check the bounds in scram.hpp first, and return views into
// it. Their error text has no mechanism prefix; the caller adds it.

struct message_error {
  scram_errc code = scram_errc::malformed;
  std::string what;
};
template <class T>
using parsed = result<T, message_error>;

struct client_first_message {
  char cbind_flag = 'n';        // 'n' or 'y' ('p' is refused)
  std::string_view gs2_header;  // "n,," / "y,a=x," exactly as received, for the c= check
  std::string_view authzid;     // escaped saslname, empty when absent
  std::string_view username;    // escaped saslname
  std::string_view nonce;
  std::string_view bare;  // client-first-message-bare
};
struct server_first_message {
  std::string_view nonce;
  std::string_view salt;  // base64
  std::uint32_t iterations = 0;
};
struct client_final_message {
  std::string_view channel_binding;  // base64
  std::string_view nonce;
  std::string_view without_proof;
  std::string_view proof;  // base64
};
struct server_final_message {
  bool is_error = false;
  std::string_view value;  // base64 verifier, or the server-error-value
};

parsed<client_first_message> parse_client_first(std::string_view text);
// An i= above `max_iterations` (or too long to be a number) is refused as unsupported.
parsed<server_first_message> parse_server_first(std::string_view text,
                                                std::uint32_t max_iterations);
parsed<client_final_message> parse_client_final(std::string_view text);
parsed<server_final_message> parse_server_final(std::string_view text);

// saslname escaping (RFC 5802 section 5.1): ',' as "=2C" and '=' as "=3D".
void append_escaped_name(std::string_view name, std::string& out);
// Undoes the escaping; false on '=' not followed by "2C" or "3D".
bool unescape_name(std::string_view escaped, std::string& out);

}  // namespace amqp::detail::scram
