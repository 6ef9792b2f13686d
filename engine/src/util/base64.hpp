// Base64 (RFC 4648 section 4, the standard alphabet with '=' padding), as SCRAM carries salts,
// proofs and signatures (RFC 5802 section 7).
//
// Decoding is strict, so that one value has exactly one accepted spelling: the length must be
// a multiple of 4, only the 64 alphabet characters may appear before the padding, padding is
// one or two '=' at the very end, and the bits that padding leaves unused must be zero
// (RFC 4648 section 3.5). No whitespace or line breaks are skipped.
//
//   std::string t = amqp::detail::base64_encode(bytes);     // "QSXCR+Q6sek8bf92"
//   auto b = amqp::detail::base64_decode(t);                // result<std::vector<std::uint8_t>>
//   if (!b) return describe(b.error());                     // "a character outside ..."
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/codec/types.hpp"
#include "amqp/errors.hpp"

namespace amqp::detail {

enum class base64_error : std::uint8_t {
  bad_length,     // not a multiple of 4 characters
  bad_character,  // a character outside the alphabet, or '=' before the end
  bad_padding,    // three '=', or unused bits that are not zero
  too_long,       // more bytes than the caller's buffer holds
};

// A short phrase for an error ("a character outside the base64 alphabet").
std::string_view describe(base64_error e) noexcept;

// The length of the encoding of `n` bytes.
constexpr std::size_t base64_encoded_size(std::size_t n) noexcept {
  return (n + 2) / 3 * 4;
}

// Appends the encoding of `in` to `out`.
void base64_encode_append(bytes_view in, std::string& out);
std::string base64_encode(bytes_view in);

// Decodes `text` into `out` and returns the number of bytes written. Nothing is allocated, so
// secrets can be decoded into a buffer the caller wipes. On an error, `out` may hold partial
// output.
result<std::size_t, base64_error> base64_decode(std::string_view text,
                                                std::span<std::uint8_t> out) noexcept;
// Decodes `text` into a new vector (its size is at most 3/4 of the text's).
result<std::vector<std::uint8_t>, base64_error> base64_decode(std::string_view text);

}  // namespace amqp::detail
