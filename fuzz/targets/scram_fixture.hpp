// What the SCRAM fuzz targets (scram_server.cpp, scram_client.cpp) and their seed writer
// share: the input layout, the fixed password, salt and identities, the scripted random
// source, and a second computation of RFC 5802 section 3 made straight from OpenSSL's one-shot
// HMAC, digest and PBKDF2, which the targets hold the mechanisms to.
//
// Input layout of both targets:
//   byte 0   options (each target's comment says which bits mean what; bits 0-1 the hash:
//            0 SHA-1, 1 SHA-256, 2 SHA-512, 3 SHA-256 again, the usual one);
//   byte 1   the first byte the scripted random source hands out; it then counts up by one,
//            wrapping, so the nonce a mechanism draws is known from this byte alone;
//   rest     the peer's first message, then a NUL, then the peer's second message. A SCRAM
//            message never holds a NUL (value-char excludes it), so the split loses nothing
//            the parsers would accept; without a NUL the second message is empty.
// A missing byte 0 or 1 counts as 0.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/random.hpp"
#include "sasl/scram.hpp"

namespace scram_fuzz {

using amqp::detail::scram_errc;
using amqp::detail::scram_error;
using amqp::detail::scram_hash;
using bytes = std::vector<std::uint8_t>;

// A broken oracle says what broke, then traps, so the fuzzer keeps the input.
[[noreturn]] inline void broken(const char* what) {
  std::fprintf(stderr, "scram oracle broken: %s\n", what);
  std::fflush(stderr);
  __builtin_trap();
}
inline void check(bool ok, const char* what) {
  if (!ok) broken(what);
}

// The password both sides use. U+00A0 NO-BREAK SPACE is a non-ASCII space that SASLprep maps
// to SPACE (RFC 4013 section 2.1), so a mechanism that hashed the password unprepared would
// compute other keys than `prepared_password`, from which the reference below derives them.
inline constexpr std::string_view password =
    "pencil\xC2\xA0"
    "fuzz-Secret-7";
inline constexpr std::string_view prepared_password = "pencil fuzz-Secret-7";
// The stored credentials of the server target (16 bytes of salt, 4096 iterations: RFC 7677
// section 4's minimum, cheap enough to derive once per process).
inline constexpr std::string_view salt = "fuzz-salt-16byte";
inline constexpr std::uint32_t iterations = 4096;
// The server secret that unknown users' fake salts and keys derive from.
inline constexpr std::string_view unknown_user_secret = "scram fuzz unknown user secret 32";

using amqp::detail::as_bytes;
using amqp::detail::as_text;

// The comma-separated attributes of a SCRAM message, empty ones included.
inline std::vector<std::string_view> fields(std::string_view text) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t comma = text.find(',');
    out.push_back(text.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
  }
}

inline scram_hash hash_of(std::uint8_t options) {
  switch (options & 3) {
    case 0:
      return scram_hash::sha1;
    case 2:
      return scram_hash::sha512;
    default:
      return scram_hash::sha256;
  }
}

// Hands out start, start + 1, ... (mod 256): a scripted source, so a run is repeatable and the
// nonce it yields is known (next_nonce).
class counter_random final : public amqp::random_source {
 public:
  explicit counter_random(std::uint8_t start) : next_(start) {}
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  std::uint8_t next_;
};

// The nonce of `length` characters drawn from a counter at `start`, as scram.hpp documents the
// drawing: one byte per character, bytes >= 186 drawn again, byte % 93 indexing RFC 5802's
// "printable" (U+0021..U+007E without ',') in ASCII order.
inline std::string counter_nonce(std::uint8_t start, std::size_t length) {
  std::string alphabet;
  for (char c = 0x21; c <= 0x7e; ++c)
    if (c != ',') alphabet += c;
  std::string out;
  std::uint8_t b = start;
  while (out.size() < length) {
    const std::uint8_t v = b++;
    if (v < 186) out += alphabet[v % 93];
  }
  return out;
}

struct input {
  std::uint8_t options = 0;
  std::uint8_t random_start = 0;
  std::string_view first;
  std::string_view second;
};

inline input split(const std::uint8_t* data, std::size_t size) {
  input in;
  if (size > 0) in.options = data[0];
  if (size > 1) in.random_start = data[1];
  const std::string_view rest =
      size > 2 ? std::string_view(reinterpret_cast<const char*>(data + 2), size - 2)
               : std::string_view();
  const std::size_t nul = rest.find('\0');
  in.first = rest.substr(0, nul);
  if (nul != std::string_view::npos) in.second = rest.substr(nul + 1);
  return in;
}

inline bytes make_input(std::uint8_t options, std::uint8_t random_start, std::string_view first,
                        std::string_view second) {
  bytes out{options, random_start};
  out.insert(out.end(), first.begin(), first.end());
  out.push_back(0);
  out.insert(out.end(), second.begin(), second.end());
  return out;
}

// ---- the reference computation (RFC 5802 section 3) -------------------------------------------

inline const EVP_MD* md_of(scram_hash h) {
  switch (h) {
    case scram_hash::sha1:
      return EVP_sha1();
    case scram_hash::sha256:
      return EVP_sha256();
    case scram_hash::sha512:
      return EVP_sha512();
  }
  std::abort();
}

inline bytes ref_hmac(scram_hash h, amqp::bytes_view key, amqp::bytes_view data) {
  bytes out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  check(HMAC(md_of(h), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
             out.data(), &len) != nullptr,
        "reference HMAC failed");
  out.resize(len);
  return out;
}

inline bytes ref_digest(scram_hash h, amqp::bytes_view data) {
  bytes out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  check(EVP_Digest(data.data(), data.size(), out.data(), &len, md_of(h), nullptr) == 1,
        "reference digest failed");
  out.resize(len);
  return out;
}

// Standard base64 with padding, from OpenSSL rather than the engine's own encoder.
inline std::string ref_base64(amqp::bytes_view b) {
  std::string out((b.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), b.data(),
                                static_cast<int>(b.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Decodes canonical base64 (what the engine's strict decoder accepted), or returns false.
inline bool ref_unbase64(std::string_view text, bytes& out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  out.assign(text.size() / 4 * 3, 0);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the zero bytes that padding stands for.
  std::size_t size = static_cast<std::size_t>(n);
  if (text.back() == '=') --size;
  if (text[text.size() - 2] == '=') --size;
  out.resize(size);
  return true;
}

// The keys of RFC 5802 section 3 for one password, salt and iteration count.
struct keys {
  bytes salted;  // SaltedPassword = Hi(Normalize(password), salt, i)
  bytes client_key;
  bytes stored_key;
  bytes server_key;
};

inline keys derive(scram_hash h, std::string_view prepared, amqp::bytes_view salt_bytes,
                   std::uint32_t count) {
  keys k;
  k.salted.resize(static_cast<std::size_t>(EVP_MD_get_size(md_of(h))));
  check(PKCS5_PBKDF2_HMAC(prepared.data(), static_cast<int>(prepared.size()), salt_bytes.data(),
                          static_cast<int>(salt_bytes.size()), static_cast<int>(count), md_of(h),
                          static_cast<int>(k.salted.size()), k.salted.data()) == 1,
        "reference PBKDF2 failed");
  k.client_key = ref_hmac(h, k.salted, as_bytes("Client Key"));
  k.stored_key = ref_digest(h, k.client_key);
  k.server_key = ref_hmac(h, k.salted, as_bytes("Server Key"));
  return k;
}

// ClientProof and ServerSignature for one AuthMessage.
struct signatures {
  bytes proof;
  bytes server_signature;
};

inline signatures sign(scram_hash h, const keys& k, std::string_view auth_message) {
  signatures s;
  const bytes client_signature = ref_hmac(h, k.stored_key, as_bytes(auth_message));
  s.proof = k.client_key;
  for (std::size_t i = 0; i < s.proof.size(); ++i) s.proof[i] ^= client_signature[i];
  s.server_signature = ref_hmac(h, k.server_key, as_bytes(auth_message));
  return s;
}

// ---- error texts --------------------------------------------------------------------------------

// Error texts name the mechanism first ("SCRAM-SHA-256: ...").
inline void check_prefix(const scram_error& e, scram_hash h) {
  const std::string prefix = std::string(amqp::detail::mechanism_name(h)) + ": ";
  check(e.message.size() > prefix.size() && e.message.compare(0, prefix.size(), prefix) == 0,
        "an error text does not start with the mechanism name");
}

// True when `secret` shows up in `text` without the input having carried it there: error
// texts may quote the peer (a username, an e= value), never a secret of their own.
inline bool leaks(std::string_view text, std::string_view secret, std::string_view input) {
  return !secret.empty() && text.find(secret) != std::string_view::npos &&
         input.find(secret) == std::string_view::npos;
}

}  // namespace scram_fuzz
