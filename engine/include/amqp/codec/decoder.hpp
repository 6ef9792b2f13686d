// Validating, zero-copy decoding of AMQP values (spec Part 1, 1.2 and 1.6).
//
// The decoder checks everything once (every size, count, format code, UTF-8 string, ASCII
// symbol, char, nesting depth) and hands back a `value_view` into the input. It allocates
// nothing. Every failure names the reason and the byte offset, relative to `input.data()`.
// `errc::truncated` and `errc::size_exceeds_input` mean exactly that the input ends before the
// value does, so more bytes could complete it; an element running past the size of its own
// list, map or array is `errc::compound_size_mismatch`, which more input cannot cure.
//
//   std::size_t used = 0;
//   auto v = amqp::decode_value_prefix(bytes, used);   // one value at the start of bytes
//   auto w = amqp::decode_value(bytes);                // exactly one value filling bytes
#pragma once

#include <cstddef>
#include <cstdint>

#include "amqp/codec/value_view.hpp"
#include "amqp/errors.hpp"

namespace amqp {

// Bounds on what a peer can make the decoder do. Part of `amqp::limits`.
struct decode_limits {
  // Lists, maps, arrays and described values nested deeper than this are refused.
  std::uint32_t max_depth = 32;
  // Array elements of zero width (null, true, uint0, list0 ...) take no input bytes, so a tiny
  // input could claim billions of them; this caps their total per decoded value.
  std::uint32_t max_zero_width_elements = 65536;
};

// Decodes the one value that starts at input[0]; `consumed` receives its encoded size.
result<value_view> decode_value_prefix(bytes_view input, std::size_t& consumed,
                                       const decode_limits& limits = {});

// Decodes exactly one value that fills `input`; extra bytes are `errc::trailing_bytes`.
result<value_view> decode_value(bytes_view input, const decode_limits& limits = {});

// Checks that `text` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF);
// returns the offset of the first bad byte, or text.size() when it is valid.
std::size_t utf8_error_offset(std::string_view text) noexcept;

}  // namespace amqp
