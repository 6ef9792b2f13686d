// The scalars of the text notation (amqp/text.hpp) read back: the text that follows a type
// name ("uint 7", "float nan(0x7fc00001)", "timestamp 2026-11-23T20:14:00.000Z") or stands
// bare in an array of that type ("uint[1, 2]").
#pragma once

#include <optional>
#include <string_view>

#include "amqp/codec/value.hpp"
#include "peer/text_cursor.hpp"

namespace amqp::peer {

// The kind whose kind_name() is `name` ("uint", "short", "decimal128", "list"); nullopt for
// any other word.
std::optional<kind> kind_named(std::string_view name) noexcept;

// The kinds whose values are written after their type name: integers, floating point,
// decimals, char, timestamp and uuid.
bool is_typed_scalar(kind k) noexcept;

// Reads a value of typed-scalar kind `k` at the cursor (white space before it skipped) and
// checks that a delimiter follows. Integers are decimal with a '-' for the signed kinds and
// must fit the kind; floating point is the shortest form the printer writes, or any decimal
// or exponent form, inf, -inf, nan, nan(0xBITS) with the bits of a NaN; decimals are 0x and
// up to 8, 16 or 32 hex digits of their bits; a char is 'c' (one character) or U+HEX;
// timestamps are [+-]YYYY-MM-DDTHH:MM:SS.mmmZ in UTC (a sign for years outside 0000..9999);
// a uuid is 8-4-4-4-12 hex digits. Throws syntax_error.
value read_typed_scalar(text_cursor& c, kind k);

// A number written without a type (in a field of known kind, or a comparison): an integer
// that fits a long or a ulong, or a double. Throws syntax_error.
value read_untyped_number(text_cursor& c);

// The value `n` (from read_untyped_number) as kind `k` (an integer or floating-point kind);
// nullopt when it does not fit.
std::optional<value> convert_number(const value& n, kind k);

}  // namespace amqp::peer
