// The validating core of the decoder, shared by `decode_value` and the typed decoders of the
// spec types (spec/detail/field_reader.hpp), so that one pass over the bytes both checks them
// and fills the caller's structures. Public only so that those templates can use it; not an API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "amqp/codec/value_view.hpp"
#include "amqp/errors.hpp"

namespace amqp {
struct decode_limits;
std::size_t utf8_error_offset(std::string_view text) noexcept;
}  // namespace amqp

namespace amqp::detail {

// Offset of the first byte outside 7-bit ASCII, or n.
inline std::size_t non_ascii_offset(const std::uint8_t* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] >= 0x80) return i;
  return n;
}

// Whether the n bytes at p are 7-bit ASCII: whole words at a time (the last one overlapping),
// so that the short strings of addresses, ids and keys take no loop.
inline bool is_ascii(const std::uint8_t* p, std::size_t n) noexcept {
  constexpr std::uint64_t high = 0x8080808080808080ull;
  if (n >= 8) {
    std::uint64_t first, last;
    std::memcpy(&first, p, 8);
    std::memcpy(&last, p + n - 8, 8);
    std::uint64_t any = first | last;
    for (std::size_t i = 8; i + 8 < n; i += 8) {  // only strings over 16 bytes loop
      std::uint64_t word;
      std::memcpy(&word, p + i, 8);
      any |= word;
    }
    return (any & high) == 0;
  }
  if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return ((a | b) & 0x80808080u) == 0;
  }
  if (n >= 2) return ((p[0] | p[1] | p[n - 1]) & 0x80) == 0;
  return n == 0 || p[0] < 0x80;
}

// Offset of the first byte of the n at p that is not well-formed UTF-8, or n.
inline std::size_t utf8_offset(const std::uint8_t* p, std::size_t n) noexcept {
  if (is_ascii(p, n)) return n;
  return utf8_error_offset({reinterpret_cast<const char*>(p), n});
}

// One decode: the start of the caller's buffer (for offsets), the limits, the budget of
// zero-width array elements and the first error. Positions are passed by reference and advanced
// past what was read; `end` is where the enclosing value (or the input) ends.
class checker {
 public:
  checker(const std::uint8_t* base, const decode_limits& limits) noexcept;

  const decode_error& error() const noexcept { return error_; }
  std::uint32_t max_depth() const noexcept { return max_depth_; }

  // Validates the value whose constructor is at p (p may equal end) and views it in out.
  bool value(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t depth,
             value_view& out);
  // Validates the value at p, then reports `code` at its constructor: the value is well formed
  // but not what the caller expected there. Always false.
  bool refuse(errc code, const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t depth);

  // Records the error (the first one stays) and returns false.
  bool fail(errc code, const std::uint8_t* at) noexcept {
    error_ = {code, static_cast<std::size_t>(at - base_)};
    return false;
  }
  // Called when an element runs past the end of its list, map or array: the compound's size is
  // wrong, and no amount of further input would fix it, so this is not `truncated`.
  bool overran_compound() noexcept {
    if (error_.code == errc::truncated || error_.code == errc::size_exceeds_input)
      error_.code = errc::compound_size_mismatch;
    return false;
  }
  // Fails with `truncated` unless `n` bytes are left at p.
  bool need(const std::uint8_t* p, const std::uint8_t* end, std::size_t n) noexcept {
    return static_cast<std::size_t>(end - p) >= n || fail(errc::truncated, p);
  }

 private:
  bool skip(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t depth);
  bool payload(std::uint8_t code, const std::uint8_t* at, const std::uint8_t*& p,
               const std::uint8_t* end, std::uint32_t depth);
  bool described(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t depth);
  bool fixed_content(std::uint8_t code, const std::uint8_t* p);
  bool compound(std::uint8_t code, const std::uint8_t* at, const std::uint8_t*& p,
                const std::uint8_t* end, std::uint32_t depth);
  bool elements(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t count,
                std::uint32_t depth);
  bool array_elements(std::uint32_t count, const std::uint8_t* count_at, const std::uint8_t*& p,
                      const std::uint8_t* end, std::uint32_t depth);

  const std::uint8_t* base_;
  std::uint32_t max_depth_;
  std::uint32_t zero_width_left_;
  decode_error error_{};
};

}  // namespace amqp::detail
