// Big-endian loads and stores and other byte-level helpers of the codec. Public only so that
// the inline decoders of the spec types can use them; not an API.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "amqp/codec/detail/format_table.hpp"
#include "amqp/codec/types.hpp"

namespace amqp::detail {

inline std::uint16_t load_be16(const std::uint8_t* p) noexcept {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return std::endian::native == std::endian::little ? __builtin_bswap16(v) : v;
}
inline std::uint32_t load_be32(const std::uint8_t* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return std::endian::native == std::endian::little ? __builtin_bswap32(v) : v;
}
inline std::uint64_t load_be64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return std::endian::native == std::endian::little ? __builtin_bswap64(v) : v;
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) noexcept {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap16(v);
  std::memcpy(p, &v, 2);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) noexcept {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}
inline void store_be64(std::uint8_t* p, std::uint64_t v) noexcept {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

// A Unicode scalar value: what a char may hold (Part 1, 1.6.16; no surrogates, <= U+10FFFF).
constexpr bool is_unicode_scalar(std::uint32_t c) noexcept {
  return c <= 0x10ffff && (c < 0xd800 || c > 0xdfff);
}

// Reads a 1- or 4-byte size/count prefix.
inline std::uint32_t load_width(const std::uint8_t* p, std::uint8_t width) noexcept {
  return width == 1 ? *p : load_be32(p);
}

}  // namespace amqp::detail
