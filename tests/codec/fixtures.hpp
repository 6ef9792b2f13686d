// Shared fixtures of the codec suites: value builders and the golden byte vectors (every type,
// every encoding) that the golden, split and oracle suites all walk.
#pragma once

#include <bit>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "amqp/value.hpp"
#include "support/hex.hpp"

namespace amqp {
inline void PrintTo(const decode_error& e, std::ostream* os) {
  *os << (e.code == errc{} ? std::string("no error") : e.message());
}
}  // namespace amqp

namespace amqp::test {

inline value u8(std::uint8_t v) { return v; }
inline value u16(std::uint16_t v) { return v; }
inline value u32(std::uint32_t v) { return v; }
inline value u64(std::uint64_t v) { return v; }
inline value i8(std::int8_t v) { return v; }
inline value i16(std::int16_t v) { return v; }
inline value i32(std::int32_t v) { return v; }
inline value i64(std::int64_t v) { return v; }
inline value f32(std::uint32_t bits) { return std::bit_cast<float>(bits); }
inline value f64(std::uint64_t bits) { return std::bit_cast<double>(bits); }
inline value ch(char32_t c) { return c; }
inline value ts(std::int64_t ms) { return timestamp{ms}; }
inline value bin(const std::string& hex_text) { return value::bin(hex(hex_text)); }

inline std::array<std::uint8_t, 16> bytes16(const std::string& hex_text) {
  std::array<std::uint8_t, 16> out{};
  const auto b = hex(hex_text);
  for (std::size_t i = 0; i < 16 && i < b.size(); ++i) out[i] = b[i];
  return out;
}
inline value uuid_of(const std::string& hex_text) { return uuid{bytes16(hex_text)}; }
inline value dec128(const std::string& hex_text) { return decimal128{bytes16(hex_text)}; }

inline value arr(kind element_type, std::vector<value> elements) {
  array a;
  a.element_type = element_type;
  a.elements = std::move(elements);
  return a;
}
// An array of described values sharing `descriptor`; `elements` are the values described.
inline value darr(value descriptor, kind element_type, std::vector<value> elements) {
  array a;
  a.element_type = element_type;
  a.descriptor.emplace_back(std::move(descriptor));
  a.elements = std::move(elements);
  return a;
}

// The canonical bytes of `v`, as hex.
inline std::string encode_hex(const value& v) {
  writer w;
  encoder e(w);
  e.value(v);
  if (e.error()) return "error: " + e.error().message();
  return to_hex(w.view());
}

struct golden_case {
  const char* name;
  const char* hex_text;  // a legal encoding
  value expected;        // what it decodes to
  // The canonical encoding of `expected` (the smallest, but for the full-width integers of
  // arrays), which the encoder must produce; empty when it is hex_text itself.
  const char* canonical = "";

  std::vector<std::uint8_t> bytes() const { return hex(hex_text); }
  std::string canonical_hex() const {
    return to_hex(hex(*canonical ? canonical : hex_text));
  }
};

inline const std::vector<golden_case>& golden_cases() {
  static const std::vector<golden_case> cases = [] {
    std::vector<golden_case> c;
    auto add = [&](const char* name, const char* h, value v, const char* canon = "") {
      c.push_back({name, h, std::move(v), canon});
    };
    // 1.6.1 null, 1.6.2 boolean
    add("null", "40", value{});
    add("true", "41", true);
    add("false", "42", false);
    add("boolean_byte_false", "56 00", false, "42");
    add("boolean_byte_true", "56 01", true, "41");
    // 1.6.3 - 1.6.6 unsigned
    add("ubyte_0", "50 00", u8(0));
    add("ubyte_max", "50 ff", u8(255));
    add("ushort_0", "60 00 00", u16(0));
    add("ushort_1234", "60 12 34", u16(0x1234));
    add("ushort_max", "60 ff ff", u16(0xffff));
    add("uint0", "43", u32(0));
    add("smalluint_0", "52 00", u32(0), "43");
    add("smalluint_1", "52 01", u32(1));
    add("smalluint_max", "52 ff", u32(255));
    add("uint_0", "70 00 00 00 00", u32(0), "43");
    add("uint_7", "70 00 00 00 07", u32(7), "52 07");
    add("uint_256", "70 00 00 01 00", u32(256));
    add("uint_max", "70 ff ff ff ff", u32(0xffffffff));
    add("ulong0", "44", u64(0));
    add("smallulong_0", "53 00", u64(0), "44");
    add("smallulong_max", "53 ff", u64(255));
    add("ulong_0", "80 00 00 00 00 00 00 00 00", u64(0), "44");
    add("ulong_42", "80 00 00 00 00 00 00 00 2a", u64(42), "53 2a");
    add("ulong_256", "80 00 00 00 00 00 00 01 00", u64(256));
    add("ulong_max", "80 ff ff ff ff ff ff ff ff", u64(0xffffffffffffffff));
    // 1.6.7 - 1.6.10 signed
    add("byte_0", "51 00", i8(0));
    add("byte_min", "51 80", i8(-128));
    add("byte_max", "51 7f", i8(127));
    add("short_min", "61 80 00", i16(-32768));
    add("short_max", "61 7f ff", i16(32767));
    add("short_minus1", "61 ff ff", i16(-1));
    add("smallint_0", "54 00", i32(0));
    add("smallint_min", "54 80", i32(-128));
    add("smallint_max", "54 7f", i32(127));
    add("int_minus1", "71 ff ff ff ff", i32(-1), "54 ff");
    add("int_128", "71 00 00 00 80", i32(128));
    add("int_minus129", "71 ff ff ff 7f", i32(-129));
    add("int_min", "71 80 00 00 00", i32(INT32_MIN));
    add("int_max", "71 7f ff ff ff", i32(INT32_MAX));
    add("smalllong_0", "55 00", i64(0));
    add("smalllong_min", "55 80", i64(-128));
    add("smalllong_max", "55 7f", i64(127));
    add("long_5", "81 00 00 00 00 00 00 00 05", i64(5), "55 05");
    add("long_128", "81 00 00 00 00 00 00 00 80", i64(128));
    add("long_minus129", "81 ff ff ff ff ff ff ff 7f", i64(-129));
    add("long_min", "81 80 00 00 00 00 00 00 00", i64(INT64_MIN));
    add("long_max", "81 7f ff ff ff ff ff ff ff", i64(INT64_MAX));
    // 1.6.11 - 1.6.12 IEEE 754 binary32/64, carried bit for bit
    add("float_1", "72 3f 80 00 00", f32(0x3f800000));
    add("float_minus0", "72 80 00 00 00", f32(0x80000000));
    add("float_inf", "72 7f 80 00 00", f32(0x7f800000));
    add("float_minus_inf", "72 ff 80 00 00", f32(0xff800000));
    add("float_nan", "72 7f c0 00 00", f32(0x7fc00000));
    add("float_nan_payload", "72 ff c0 12 34", f32(0xffc01234));
    add("float_denormal", "72 00 00 00 01", f32(0x00000001));
    add("double_1", "82 3f f0 00 00 00 00 00 00", f64(0x3ff0000000000000));
    add("double_minus0", "82 80 00 00 00 00 00 00 00", f64(0x8000000000000000));
    add("double_inf", "82 7f f0 00 00 00 00 00 00", f64(0x7ff0000000000000));
    add("double_minus_inf", "82 ff f0 00 00 00 00 00 00", f64(0xfff0000000000000));
    add("double_nan_payload", "82 7f f8 00 00 00 00 00 01", f64(0x7ff8000000000001));
    // 1.6.13 - 1.6.15 decimals, opaque bits
    add("decimal32", "74 22 50 00 01", decimal32{0x22500001});
    add("decimal64", "84 22 38 00 00 00 00 00 07", decimal64{0x2238000000000007});
    add("decimal128", "94 22 08 00 00 00 00 00 00 00 00 00 00 00 00 00 2a",
        dec128("22 08 00 00 00 00 00 00 00 00 00 00 00 00 00 2a"));
    // 1.6.16 char: UTF-32BE
    add("char_nul", "73 00 00 00 00", ch(0));
    add("char_A", "73 00 00 00 41", ch(U'A'));
    add("char_d7ff", "73 00 00 d7 ff", ch(0xd7ff));
    add("char_e000", "73 00 00 e0 00", ch(0xe000));
    add("char_emoji", "73 00 01 f6 00", ch(0x1f600));
    add("char_max", "73 00 10 ff ff", ch(0x10ffff));
    // 1.6.17 timestamp
    add("timestamp", "83 00 00 01 8b cf e5 68 00", ts(1700000000000));
    add("timestamp_0", "83 00 00 00 00 00 00 00 00", ts(0));
    add("timestamp_minus_day", "83 ff ff ff ff fa d9 a4 00", ts(-86400000));
    add("timestamp_min", "83 80 00 00 00 00 00 00 00", ts(INT64_MIN));
    // 1.6.18 uuid
    add("uuid", "98 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff",
        uuid_of("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"));
    // 1.6.19 binary
    add("vbin8_empty", "a0 00", bin(""));
    add("vbin8", "a0 03 00 ff 80", bin("00 ff 80"));
    add("vbin32_empty", "b0 00 00 00 00", bin(""), "a0 00");
    add("vbin32", "b0 00 00 00 03 00 ff 80", bin("00 ff 80"), "a0 03 00 ff 80");
    // 1.6.20 string
    add("str8_empty", "a1 00", "");
    add("str8", "a1 05 68 65 6c 6c 6f", "hello");
    add("str8_multibyte", "a1 09 c3 a9 e2 82 ac f0 9d 84 9e", "\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e");
    add("str8_max_scalar", "a1 04 f4 8f bf bf", "\xf4\x8f\xbf\xbf");
    add("str8_edges", "a1 09 ed 9f bf ee 80 80 ef bf bf", "\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf");
    add("str8_nul", "a1 01 00", std::string(1, '\0'));
    add("str32_empty", "b1 00 00 00 00", "", "a1 00");
    add("str32", "b1 00 00 00 02 68 69", "hi", "a1 02 68 69");
    // 1.6.21 symbol
    add("sym8_empty", "a3 00", value::sym(""));
    add("sym8", "a3 03 66 6f 6f", value::sym("foo"));
    add("sym8_ascii_edges", "a3 02 00 7f", value::sym(std::string("\0\x7f", 2)));
    add("sym32", "b3 00 00 00 03 66 6f 6f", value::sym("foo"), "a3 03 66 6f 6f");
    // 1.6.22 list
    add("list0", "45", list{});
    add("list8_empty", "c0 01 00", list{}, "45");
    add("list32_empty", "d0 00 00 00 04 00 00 00 00", list{}, "45");
    add("list8", "c0 04 02 41 52 07", value::list_of({true, u32(7)}));
    add("list32", "d0 00 00 00 07 00 00 00 02 41 52 07", value::list_of({true, u32(7)}),
        "c0 04 02 41 52 07");
    add("list8_nested", "c0 06 02 45 c0 02 01 40", value::list_of({list{}, value::list_of({{}})}));
    // 1.6.23 map
    add("map8_empty", "c1 01 00", map{});
    add("map32_empty", "d1 00 00 00 04 00 00 00 00", map{}, "c1 01 00");
    add("map8", "c1 06 02 a1 01 61 54 01", value::map_of({{"a", 1}}));
    add("map32", "d1 00 00 00 09 00 00 00 02 a1 01 61 54 01", value::map_of({{"a", 1}}),
        "c1 06 02 a1 01 61 54 01");
    add("map8_symbol_key_list_value", "c1 08 02 a3 01 6b c0 02 01 40",
        value::map_of({{value::sym("k"), value::list_of({{}})}}));
    add("map8_null_and_int_keys", "c1 08 04 40 40 54 01 a1 01 78",
        value::map_of({{value{}, value{}}, {1, "x"}}));
    // 1.6.24 array: one constructor for all elements
    add("array_null_empty", "e0 02 00 40", arr(kind::null, {}));
    add("array_null", "e0 02 02 40", arr(kind::null, {value{}, value{}}));
    add("array_boolean", "e0 05 03 56 01 00 01", arr(kind::boolean, {true, false, true}));
    add("array_true", "e0 02 02 41", arr(kind::boolean, {true, true}), "e0 04 02 56 01 01");
    add("array_false", "e0 02 01 42", arr(kind::boolean, {false}), "e0 03 01 56 00");
    add("array_ubyte", "e0 04 02 50 00 ff", arr(kind::ubyte, {u8(0), u8(255)}));
    add("array_ushort", "e0 06 02 60 00 01 ff ff", arr(kind::ushort, {u16(1), u16(0xffff)}));
    add("array_smalluint", "e0 05 03 52 00 01 ff", arr(kind::uint, {u32(0), u32(1), u32(255)}),
        "e0 0e 03 70 00 00 00 00 00 00 00 01 00 00 00 ff");
    add("array_uint", "e0 0a 02 70 00 00 00 00 00 00 01 00", arr(kind::uint, {u32(0), u32(256)}));
    add("array_uint0", "e0 02 03 43", arr(kind::uint, {u32(0), u32(0), u32(0)}),
        "e0 0e 03 70 00 00 00 00 00 00 00 00 00 00 00 00");
    add("array_smallulong", "e0 03 01 53 07", arr(kind::ulong, {u64(7)}),
        "e0 0a 01 80 00 00 00 00 00 00 00 07");
    add("array_ulong", "e0 12 02 80 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00",
        arr(kind::ulong, {u64(256), u64(0)}));
    add("array_ulong0", "e0 02 02 44", arr(kind::ulong, {u64(0), u64(0)}),
        "e0 12 02 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    add("array_byte", "e0 04 02 51 ff 7f", arr(kind::byte, {i8(-1), i8(127)}));
    add("array_short", "e0 04 01 61 ff fe", arr(kind::short_, {i16(-2)}));
    add("array_smallint", "e0 04 02 54 80 7f", arr(kind::int_, {i32(-128), i32(127)}),
        "e0 0a 02 71 ff ff ff 80 00 00 00 7f");
    add("array_int", "e0 0a 02 71 00 00 00 80 ff ff ff 7f", arr(kind::int_, {i32(128), i32(-129)}));
    add("array8_int_wide_small_values", "e0 0a 02 71 00 00 00 01 00 00 00 02",
        arr(kind::int_, {i32(1), i32(2)}));
    add("array32_int", "f0 00 00 00 0d 00 00 00 02 71 00 00 00 01 00 00 00 02",
        arr(kind::int_, {i32(1), i32(2)}), "e0 0a 02 71 00 00 00 01 00 00 00 02");
    add("array32_empty", "f0 00 00 00 05 00 00 00 00 71", arr(kind::int_, {}), "e0 02 00 71");
    add("array_smalllong", "e0 03 01 55 ff", arr(kind::long_, {i64(-1)}),
        "e0 0a 01 81 ff ff ff ff ff ff ff ff");
    add("array_long", "e0 0a 01 81 ff ff ff ff ff ff ff 7f", arr(kind::long_, {i64(-129)}));
    add("array_float", "e0 0a 02 72 3f 80 00 00 80 00 00 00",
        arr(kind::float_, {f32(0x3f800000), f32(0x80000000)}));
    add("array_double", "e0 0a 01 82 7f f8 00 00 00 00 00 01",
        arr(kind::double_, {f64(0x7ff8000000000001)}));
    add("array_decimal32", "e0 06 01 74 22 50 00 01", arr(kind::decimal32, {decimal32{0x22500001}}));
    add("array_decimal64", "e0 0a 01 84 22 38 00 00 00 00 00 07",
        arr(kind::decimal64, {decimal64{0x2238000000000007}}));
    add("array_decimal128", "e0 12 01 94 22 08 00 00 00 00 00 00 00 00 00 00 00 00 00 2a",
        arr(kind::decimal128, {dec128("22 08 00 00 00 00 00 00 00 00 00 00 00 00 00 2a")}));
    add("array_char", "e0 0a 02 73 00 00 00 61 00 10 ff ff", arr(kind::char_, {ch(U'a'), ch(0x10ffff)}));
    add("array_timestamp", "e0 0a 01 83 ff ff ff ff ff ff ff ff", arr(kind::timestamp, {ts(-1)}));
    add("array_uuid", "e0 12 01 98 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff",
        arr(kind::uuid, {uuid_of("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff")}));
    add("array_binary", "e0 06 02 a0 00 02 01 02", arr(kind::binary, {bin(""), bin("01 02")}));
    add("array_string", "e0 08 03 a1 01 61 01 62 01 63", arr(kind::string, {"a", "b", "c"}));
    add("array_str32", "e0 08 01 b1 00 00 00 02 68 69", arr(kind::string, {"hi"}),
        "e0 05 01 a1 02 68 69");
    add("array_symbol", "e0 08 02 a3 03 66 6f 6f 01 78",
        arr(kind::symbol, {value::sym("foo"), value::sym("x")}));
    add("array_list", "e0 08 02 c0 03 01 54 01 01 00",
        arr(kind::list, {value::list_of({1}), list{}}));
    add("array_list0", "e0 02 03 45", arr(kind::list, {list{}, list{}, list{}}),
        "e0 08 03 c0 01 00 01 00 01 00");
    add("array_list32", "e0 0b 01 d0 00 00 00 05 00 00 00 01 40",
        arr(kind::list, {value::list_of({{}})}), "e0 05 01 c0 02 01 40");
    add("array_map", "e0 09 01 c1 06 02 a1 01 61 54 01",
        arr(kind::map, {value::map_of({{"a", 1}})}));
    add("array_map_empty", "e0 06 02 c1 01 00 01 00", arr(kind::map, {map{}, map{}}));
    add("array_array", "e0 0b 02 e0 04 02 54 01 02 03 01 54 03",
        arr(kind::array, {arr(kind::int_, {1, 2}), arr(kind::int_, {3})}),
        "e0 14 02 e0 0a 02 71 00 00 00 01 00 00 00 02 06 01 71 00 00 00 03");
    add("array_array_mixed", "e0 0b 02 e0 03 01 54 01 04 01 a1 01 78",
        arr(kind::array, {arr(kind::int_, {1}), arr(kind::string, {"x"})}),
        "e0 0e 02 e0 06 01 71 00 00 00 01 04 01 a1 01 78");
    add("array_array_described", "e0 09 01 e0 06 01 00 53 01 54 01",
        arr(kind::array, {darr(u64(1), kind::int_, {1})}),
        "e0 0c 01 e0 09 01 00 53 01 71 00 00 00 01");
    add("array_described_ulong", "e0 07 02 00 53 10 54 01 02",
        darr(u64(0x10), kind::int_, {1, 2}), "e0 0d 02 00 53 10 71 00 00 00 01 00 00 00 02");
    add("array_described_symbol", "e0 0a 01 00 a3 03 66 6f 6f a1 01 61",
        darr(value::sym("foo"), kind::string, {"a"}));
    add("array_described_wide_descriptor",
        "e0 0e 02 00 80 00 00 00 00 00 00 00 10 54 01 02",
        darr(u64(0x10), kind::int_, {1, 2}), "e0 0d 02 00 53 10 71 00 00 00 01 00 00 00 02");
    add("array_described_list", "e0 0b 02 00 53 13 c0 03 01 54 01 01 00",
        darr(u64(0x13), kind::list, {value::list_of({1}), list{}}));
    add("array_described_null", "e0 05 02 00 53 01 40", darr(u64(1), kind::null, {value{}, value{}}));
    // 1.2 described types
    add("described_ulong", "00 53 10 45", value::described_of(u64(0x10), list{}));
    add("described_symbol", "00 a3 03 66 6f 6f 40", value::described_of(value::sym("foo"), {}));
    add("described_wide_ulong", "00 80 00 00 00 00 00 00 00 10 45",
        value::described_of(u64(0x10), list{}), "00 53 10 45");
    add("described_list", "00 53 70 c0 04 02 42 50 04",
        value::described_of(u64(0x70), value::list_of({false, u8(4)})));
    add("described_described", "00 53 01 00 53 02 40",
        value::described_of(u64(1), value::described_of(u64(2), {})));
    add("described_string_descriptor", "00 a1 01 78 40", value::described_of("x", {}));
    return c;
  }();
  return cases;
}

}  // namespace amqp::test
