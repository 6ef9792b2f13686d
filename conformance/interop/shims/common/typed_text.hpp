// The text forms of the typed-value JSON (conformance/interop/README.md, "Values"), with no
// AMQP library behind them: each C++ shim maps these to and from its implementation's types.
//
//   interop::json v = interop::load_values("types.json");        // the "values" array
//   auto bits = interop::parse_bits(interop::text_of(v[35]), 8);  // "0x3fc00000": 0x3fc00000
//   interop::json out = interop::binary_json(bytes);              // hex, or length and sha256
//
// A values file that breaks the format makes the parsers throw bad_value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace interop {

// Ordered, so that a line reads {"index": ..., "body": ..., "property": ...} as the README has it.
using json = nlohmann::ordered_json;

struct bad_value : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The "values" array of a values file.
json load_values(const std::string& path);

// "type" of a TYPED; bad_value when missing.
std::string type_of(const json& typed);
// "value" as a string; bad_value when missing or not a string.
const std::string& text_of(const json& typed);

// A decimal integer that fits T exactly.
template <class T>
T parse_integer(const std::string& text);
extern template std::uint8_t parse_integer(const std::string&);
extern template std::uint16_t parse_integer(const std::string&);
extern template std::uint32_t parse_integer(const std::string&);
extern template std::uint64_t parse_integer(const std::string&);
extern template std::int8_t parse_integer(const std::string&);
extern template std::int16_t parse_integer(const std::string&);
extern template std::int32_t parse_integer(const std::string&);
extern template std::int64_t parse_integer(const std::string&);

// "0x" and exactly 2 * bytes.size() hex digits, most significant first.
void parse_bits(const std::string& text, std::span<std::uint8_t> bytes);
std::uint64_t parse_bits(const std::string& text, int digits);  // 8 or 16 digits
std::string format_bits(std::span<const std::uint8_t> bytes);
std::string format_bits(std::uint64_t bits, int digits);

// "U+0041": a Unicode scalar value.
char32_t parse_char(const std::string& text);
std::string format_char(char32_t c);

// Lower-case 8-4-4-4-12.
std::array<std::uint8_t, 16> parse_uuid(const std::string& text);
std::string format_uuid(std::span<const std::uint8_t> bytes);

// Lower-case hex, two digits a byte.
std::vector<std::uint8_t> parse_hex(const std::string& text);
std::string format_hex(std::span<const std::uint8_t> bytes);

// The generated large values: byte i is (i * 31 + 7) mod 256; character i is 'a' + i mod 26.
std::vector<std::uint8_t> generated_binary(std::size_t n);
std::string generated_string(std::size_t n);
// Whether a TYPED is generated, and its "generate" count (bad_value when not a count).
bool is_generated(const json& typed);
std::size_t generate_count(const json& typed);

// A binary or string as reported: the content, or {"length", "sha256"} above 1024 bytes.
json binary_json(std::span<const std::uint8_t> bytes);
json string_json(std::string_view text);

// Whether the value also goes in the "value" application property: any type but list, map,
// array and described, and not generated.
bool property_allowed(const json& typed);

// {"type": "unrepresentable", "detail": ...}
json unrepresentable(std::string detail);
// The one line a failed shim prints: {"error": ...}.
std::string error_line(const std::string& what);

}  // namespace interop
