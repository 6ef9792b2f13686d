// The AMQP 1.0 primitive types (spec Part 1, 1.6) and their format codes.
//
// `kind` names a type independently of its encoding; `format_code` names one encoding.
// Scalar types that C++ has no distinct type for get a small wrapper here, so that an owned
// `amqp::value` and the encoder can tell a uuid from 16 bytes of binary, a symbol from a string,
// a timestamp from a long.
//
//   amqp::symbol_view s{"amqp:accepted:list"};
//   amqp::timestamp t{1700000000000};  // milliseconds since the Unix epoch
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <span>
#include <string_view>

namespace amqp {

// A read-only view of bytes. Views never own; their lifetime is the lifetime of what they view.
using bytes_view = std::span<const std::uint8_t>;

namespace detail {
// The same bytes seen as bytes or as text (strings, symbols and SASL messages are both).
inline bytes_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_text(bytes_view b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
}  // namespace detail

enum class kind : std::uint8_t {
  null,
  boolean,
  ubyte,
  ushort,
  uint,
  ulong,
  byte,
  short_,
  int_,
  long_,
  float_,
  double_,
  decimal32,
  decimal64,
  decimal128,
  char_,
  timestamp,
  uuid,
  binary,
  string,
  symbol,
  list,
  map,
  array,
  described,
};

// The spec's name of a kind ("ubyte", "short", "decimal128", "described").
std::string_view kind_name(kind k) noexcept;

// Format codes (spec Part 1, 1.6). Grouped by the width of their size/count prefix.
namespace format_code {
inline constexpr std::uint8_t described = 0x00;
inline constexpr std::uint8_t null = 0x40;
inline constexpr std::uint8_t boolean_true = 0x41;
inline constexpr std::uint8_t boolean_false = 0x42;
inline constexpr std::uint8_t uint0 = 0x43;
inline constexpr std::uint8_t ulong0 = 0x44;
inline constexpr std::uint8_t list0 = 0x45;
inline constexpr std::uint8_t ubyte = 0x50;
inline constexpr std::uint8_t byte = 0x51;
inline constexpr std::uint8_t smalluint = 0x52;
inline constexpr std::uint8_t smallulong = 0x53;
inline constexpr std::uint8_t smallint = 0x54;
inline constexpr std::uint8_t smalllong = 0x55;
inline constexpr std::uint8_t boolean = 0x56;
inline constexpr std::uint8_t ushort = 0x60;
inline constexpr std::uint8_t short_ = 0x61;
inline constexpr std::uint8_t uint = 0x70;
inline constexpr std::uint8_t int_ = 0x71;
inline constexpr std::uint8_t float_ = 0x72;
inline constexpr std::uint8_t char_ = 0x73;
inline constexpr std::uint8_t decimal32 = 0x74;
inline constexpr std::uint8_t ulong = 0x80;
inline constexpr std::uint8_t long_ = 0x81;
inline constexpr std::uint8_t double_ = 0x82;
inline constexpr std::uint8_t timestamp = 0x83;
inline constexpr std::uint8_t decimal64 = 0x84;
inline constexpr std::uint8_t decimal128 = 0x94;
inline constexpr std::uint8_t uuid = 0x98;
inline constexpr std::uint8_t vbin8 = 0xa0;
inline constexpr std::uint8_t str8 = 0xa1;
inline constexpr std::uint8_t sym8 = 0xa3;
inline constexpr std::uint8_t vbin32 = 0xb0;
inline constexpr std::uint8_t str32 = 0xb1;
inline constexpr std::uint8_t sym32 = 0xb3;
inline constexpr std::uint8_t list8 = 0xc0;
inline constexpr std::uint8_t map8 = 0xc1;
inline constexpr std::uint8_t list32 = 0xd0;
inline constexpr std::uint8_t map32 = 0xd1;
inline constexpr std::uint8_t array8 = 0xe0;
inline constexpr std::uint8_t array32 = 0xf0;
}  // namespace format_code

// IEEE 754-2008 decimals are carried bit for bit: the library does no decimal arithmetic.
struct decimal32 {
  std::uint32_t bits = 0;
  friend auto operator<=>(const decimal32&, const decimal32&) = default;
};
struct decimal64 {
  std::uint64_t bits = 0;
  friend auto operator<=>(const decimal64&, const decimal64&) = default;
};
struct decimal128 {
  std::array<std::uint8_t, 16> bytes{};  // network byte order, as on the wire
  friend auto operator<=>(const decimal128&, const decimal128&) = default;
};

// RFC 4122 UUID, 16 bytes in network byte order.
struct uuid {
  std::array<std::uint8_t, 16> bytes{};
  friend auto operator<=>(const uuid&, const uuid&) = default;
};

// Milliseconds since the Unix epoch (spec Part 1, 1.6.19), may be negative.
struct timestamp {
  std::int64_t ms = 0;
  friend auto operator<=>(const timestamp&, const timestamp&) = default;
};

// A symbol: 7-bit ASCII, a distinct type from string on the wire.
struct symbol_view {
  std::string_view str;
  constexpr symbol_view() = default;
  constexpr explicit symbol_view(std::string_view s) : str(s) {}
  friend constexpr bool operator==(symbol_view a, symbol_view b) { return a.str == b.str; }
  friend constexpr bool operator==(symbol_view a, std::string_view b) { return a.str == b; }
};

// True when `code` is a constructor the type system defines (0x00 is the descriptor mark).
inline bool is_known_format_code(std::uint8_t code) noexcept;
// The kind an encoding belongs to; precondition: is_known_format_code(code) and code != 0.
inline kind kind_of(std::uint8_t code) noexcept;  // defined in codec/detail/format_table.hpp

}  // namespace amqp

// The inline definitions of kind_of and is_known_format_code.
#include "amqp/codec/detail/format_table.hpp"  // IWYU pragma: export
