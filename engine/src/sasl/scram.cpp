// SCRAM mechanism names, the OpenSSL primitives (RFC 5802 section 2.2), server credentials
// (section 3), nonces and error text helpers.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <climits>

#include "saslprep.hpp"
#include "scram_internal.hpp"

namespace amqp::detail {
namespace {

const EVP_MD* md_of(scram_hash h) noexcept {
  switch (h) {
    case scram_hash::sha1:
      return EVP_sha1();
    case scram_hash::sha256:
      return EVP_sha256();
    case scram_hash::sha512:
      return EVP_sha512();
  }
  return nullptr;
}

// RFC 5802 section 7, "printable": U+0021..U+007E without ','. Nonces are made of these.
constexpr std::size_t printable_count = 93;
constexpr std::array<char, printable_count> make_printable() {
  std::array<char, printable_count> a{};
  std::size_t n = 0;
  for (char c = 0x21; c <= 0x7e; ++c)
    if (c != ',') a[n++] = c;
  return a;
}
constexpr std::array<char, printable_count> printable = make_printable();
// The largest multiple of 93 that fits a byte: bytes at or above it are redrawn, so that
// byte % 93 is uniform.
constexpr unsigned nonce_byte_limit = 256 / printable_count * printable_count;  // 186

}  // namespace

std::string_view mechanism_name(scram_hash h) noexcept {
  switch (h) {
    case scram_hash::sha1:
      return "SCRAM-SHA-1";
    case scram_hash::sha256:
      return "SCRAM-SHA-256";
    case scram_hash::sha512:
      return "SCRAM-SHA-512";
  }
  return "SCRAM";
}

std::optional<scram_hash> scram_hash_from_name(std::string_view mechanism) noexcept {
  for (scram_hash h : {scram_hash::sha1, scram_hash::sha256, scram_hash::sha512})
    if (mechanism == mechanism_name(h)) return h;
  return std::nullopt;
}

std::size_t scram_digest_size(scram_hash h) noexcept {
  switch (h) {
    case scram_hash::sha1:
      return 20;
    case scram_hash::sha256:
      return 32;
    case scram_hash::sha512:
      return 64;
  }
  return 0;
}

namespace scram {

void wipe(void* p, std::size_t n) noexcept {
  if (n != 0) OPENSSL_cleanse(p, n);
}
void wipe(std::string& s) noexcept {
  wipe(s.data(), s.size());
  s.clear();
}
void wipe(std::vector<std::uint8_t>& v) noexcept {
  wipe(v.data(), v.size());
  v.clear();
}

bool digest(scram_hash h, bytes_view data, key_buffer& out) noexcept {
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md_of(h), nullptr) != 1) return false;
  out.set_size(len);
  return len == scram_digest_size(h);
}

bool hmac(scram_hash h, bytes_view key, bytes_view data, key_buffer& out) noexcept {
  if (key.size() > INT_MAX) return false;
  unsigned len = 0;
  if (HMAC(md_of(h), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(),
           &len) == nullptr)
    return false;
  out.set_size(len);
  return len == scram_digest_size(h);
}

bool hi(scram_hash h, std::string_view password, bytes_view salt, std::uint32_t iterations,
        key_buffer& out) noexcept {
  if (password.size() > INT_MAX || salt.size() > INT_MAX || iterations == 0 || iterations > INT_MAX)
    return false;
  const std::size_t size = scram_digest_size(h);
  // Hi() is PBKDF2 with HMAC-H and one block of output (RFC 5802 section 2.2).
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), md_of(h),
                        static_cast<int>(size), out.data()) != 1)
    return false;
  out.set_size(size);
  return true;
}

bool equal_secret(bytes_view a, bytes_view b) noexcept {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void append_nonce(random_source& random, std::size_t length, std::string& out) {
  out.reserve(out.size() + length);
  std::array<std::uint8_t, 32> pool{};
  std::size_t left = length;
  while (left > 0) {
    // Draw exactly as many bytes as characters are missing, so a scripted source in a test
    // maps byte for byte onto the nonce.
    const std::size_t n = std::min(left, pool.size());
    random.fill(std::span<std::uint8_t>(pool.data(), n));
    for (std::size_t i = 0; i < n; ++i) {
      if (pool[i] >= nonce_byte_limit) continue;
      out += printable[pool[i] % printable_count];
      --left;
    }
  }
}

std::string quoted_name(std::string_view name) {
  constexpr std::size_t max = 64;
  std::size_t n = std::min(name.size(), max);
  // Do not cut a UTF-8 sequence: back up to the start of the character at the cut.
  if (n < name.size())
    while (n > 0 && (static_cast<unsigned char>(name[n]) & 0xc0) == 0x80) --n;
  std::string out = "'";
  for (char c : name.substr(0, n)) {
    const auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? '?' : c;
  }
  if (n < name.size()) out += "...";
  out += '\'';
  return out;
}

std::string sanitized(std::string_view text) {
  constexpr std::size_t max = 64;
  std::string out;
  for (char c : text.substr(0, std::min(text.size(), max))) {
    const auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? c : '?';
  }
  if (text.size() > max) out += "...";
  return out;
}

std::string describe_prep_failure(std::string_view what, const saslprep_error& e, bool secret) {
  std::string out(what);
  switch (e.code) {
    case saslprep_errc::invalid_utf8:
      out += " is not valid UTF-8";
      break;
    case saslprep_errc::prohibited:
      // A password's characters are secret, even the offending one.
      out += " contains a character SASLprep prohibits (RFC 4013 section 2.3)";
      if (!secret) out += ": " + code_point_name(e.code_point);
      break;
    case saslprep_errc::empty:
      out += " is empty after SASLprep (RFC 4013)";
      break;
  }
  return out;
}

}  // namespace scram

scram_result<scram_credentials> make_scram_credentials(scram_hash hash, std::string_view password,
                                                       bytes_view salt, std::uint32_t iterations) {
  const auto fail = [&](scram_errc code, std::string_view what) {
    return scram_error{code, std::string(mechanism_name(hash)) + ": " + std::string(what), {}};
  };
  if (salt.empty() || salt.size() > scram_max_salt_size)
    return fail(scram_errc::invalid_argument, "the salt must be 1 to 256 bytes");
  if (iterations == 0 || iterations > INT_MAX)
    return fail(scram_errc::invalid_argument, "the iteration count must be 1 to 2147483647");
  std::string prepared;
  if (auto e = saslprep(password, prepared)) {
    scram::wipe(prepared);
    return fail(scram_errc::invalid_name, scram::describe_prep_failure("the password", *e, true));
  }
  scram::key_buffer salted, client_key, stored_key, server_key;
  const bool ok = scram::hi(hash, prepared, salt, iterations, salted) &&
                  scram::hmac(hash, salted.view(), as_bytes("Client Key"), client_key) &&
                  scram::digest(hash, client_key.view(), stored_key) &&
                  scram::hmac(hash, salted.view(), as_bytes("Server Key"), server_key);
  scram::wipe(prepared);
  if (!ok) return fail(scram_errc::crypto_failure, "OpenSSL failed to derive the keys");
  scram_credentials c;
  c.hash = hash;
  c.salt.assign(salt.begin(), salt.end());
  c.iterations = iterations;
  c.stored_key.assign(stored_key.view().begin(), stored_key.view().end());
  c.server_key.assign(server_key.view().begin(), server_key.view().end());
  return c;
}

}  // namespace amqp::detail
