// Internal: the shape of every format code, and big-endian loads and stores.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "amqp/codec/types.hpp"

namespace amqp::detail {

enum class category : std::uint8_t { invalid, fixed, variable, compound, array, described };

// category and width (fixed: value bytes; variable: length prefix; compound and array: size and
// count prefix bytes) of each format code.
struct format_info {
  category cat = category::invalid;
  std::uint8_t width = 0;
  kind type = kind::null;
};

consteval std::array<format_info, 256> make_format_table() {
  std::array<format_info, 256> t{};
  auto set = [&](std::uint8_t code, category c, std::uint8_t w, kind k) { t[code] = {c, w, k}; };
  using enum category;
  set(0x00, described, 0, kind::described);
  set(0x40, fixed, 0, kind::null);
  set(0x41, fixed, 0, kind::boolean);
  set(0x42, fixed, 0, kind::boolean);
  set(0x43, fixed, 0, kind::uint);
  set(0x44, fixed, 0, kind::ulong);
  set(0x45, fixed, 0, kind::list);
  set(0x50, fixed, 1, kind::ubyte);
  set(0x51, fixed, 1, kind::byte);
  set(0x52, fixed, 1, kind::uint);
  set(0x53, fixed, 1, kind::ulong);
  set(0x54, fixed, 1, kind::int_);
  set(0x55, fixed, 1, kind::long_);
  set(0x56, fixed, 1, kind::boolean);
  set(0x60, fixed, 2, kind::ushort);
  set(0x61, fixed, 2, kind::short_);
  set(0x70, fixed, 4, kind::uint);
  set(0x71, fixed, 4, kind::int_);
  set(0x72, fixed, 4, kind::float_);
  set(0x73, fixed, 4, kind::char_);
  set(0x74, fixed, 4, kind::decimal32);
  set(0x80, fixed, 8, kind::ulong);
  set(0x81, fixed, 8, kind::long_);
  set(0x82, fixed, 8, kind::double_);
  set(0x83, fixed, 8, kind::timestamp);
  set(0x84, fixed, 8, kind::decimal64);
  set(0x94, fixed, 16, kind::decimal128);
  set(0x98, fixed, 16, kind::uuid);
  set(0xa0, variable, 1, kind::binary);
  set(0xa1, variable, 1, kind::string);
  set(0xa3, variable, 1, kind::symbol);
  set(0xb0, variable, 4, kind::binary);
  set(0xb1, variable, 4, kind::string);
  set(0xb3, variable, 4, kind::symbol);
  set(0xc0, compound, 1, kind::list);
  set(0xc1, compound, 1, kind::map);
  set(0xd0, compound, 4, kind::list);
  set(0xd1, compound, 4, kind::map);
  set(0xe0, array, 1, kind::array);
  set(0xf0, array, 4, kind::array);
  return t;
}

inline constexpr std::array<format_info, 256> format_table = make_format_table();

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
