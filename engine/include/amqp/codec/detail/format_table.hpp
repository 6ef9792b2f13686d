// The shape of every format code (spec Part 1, 1.6): category, prefix width and kind.
// Public only so that hot accessors such as value_view::type() inline; not an API.
#pragma once

#include <array>
#include <cstdint>

#include "amqp/codec/types.hpp"

namespace amqp::detail {

enum class category : std::uint8_t { invalid, fixed, variable, compound, array, described };

// category and width (fixed: value bytes; variable: length prefix; compound and array: size and
// count prefix bytes) of each format code.
// Four bytes, so that a lookup is one load.
struct alignas(4) format_info {
  category cat = category::invalid;
  std::uint8_t width = 0;
  kind type = kind::null;
};
static_assert(sizeof(format_info) == 4);

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

}  // namespace amqp::detail

namespace amqp {
inline kind kind_of(std::uint8_t code) noexcept { return detail::format_table[code].type; }
inline bool is_known_format_code(std::uint8_t code) noexcept {
  return detail::format_table[code].cat != detail::category::invalid;
}
}  // namespace amqp
