// Golden byte vectors (spec Part 1, 1.6): every legal encoding of every type decodes to the
// expected value, and the encoder always writes the canonical encoding (the smallest, but for the
// full-width integers of arrays), byte for byte.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>

#include "fixtures.hpp"

namespace amqp {
namespace {

using test::golden_cases;
using test::hex;
using test::to_hex;

TEST(golden, every_vector_decodes_to_its_value) {
  for (const auto& g : golden_cases()) {
    SCOPED_TRACE(g.name);
    const auto bytes = g.bytes();
    auto v = decode_value(bytes);
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_EQ(v->type(), g.expected.type()) << kind_name(v->type());
    EXPECT_EQ(v->format(), bytes[0]);
    EXPECT_TRUE(value::from_view(*v) == g.expected);
    EXPECT_TRUE(g.expected == *v);
  }
}

TEST(golden, owned_values_encode_canonically) {
  for (const auto& g : golden_cases()) {
    SCOPED_TRACE(g.name);
    EXPECT_EQ(test::encode_hex(g.expected), g.canonical_hex());
  }
}

TEST(golden, views_reencode_canonically) {
  for (const auto& g : golden_cases()) {
    SCOPED_TRACE(g.name);
    const auto bytes = g.bytes();
    auto v = decode_value(bytes);
    ASSERT_TRUE(v);
    writer w;
    encoder e(w);
    e.value(*v);
    ASSERT_FALSE(e.error()) << e.error().message();
    EXPECT_EQ(e.count(), 1u);
    EXPECT_EQ(to_hex(w.view()), g.canonical_hex());
    auto again = decode_value(w.view());
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_TRUE(*again == *v);
    EXPECT_TRUE(*v == *again);
  }
}

TEST(golden, different_encodings_of_one_value_compare_equal) {
  for (const auto& g : golden_cases()) {
    if (!*g.canonical) continue;
    SCOPED_TRACE(g.name);
    const auto a = g.bytes();
    const auto b = hex(g.canonical);
    auto x = decode_value(a);
    auto y = decode_value(b);
    ASSERT_TRUE(x && y);
    EXPECT_TRUE(*x == *y);
    EXPECT_TRUE(*y == *x);
  }
}

TEST(golden, boolean_encodings) {
  for (auto [h, want] : {std::pair{"41", true}, {"42", false}, {"56 00", false}, {"56 01", true}}) {
    const auto b = hex(h);
    auto v = decode_value(b);
    ASSERT_TRUE(v) << h;
    EXPECT_EQ(v->type(), kind::boolean);
    EXPECT_EQ(v->as_boolean(), want) << h;
  }
}

TEST(golden, integer_accessors_read_every_width) {
  struct row {
    const char* h;
    kind k;
    std::int64_t want;  // signed view of the value
  };
  const row rows[] = {
      {"43", kind::uint, 0},           {"52 ff", kind::uint, 255},
      {"70 ff ff ff ff", kind::uint, 0xffffffffll},
      {"44", kind::ulong, 0},          {"53 80", kind::ulong, 128},
      {"80 00 00 00 01 00 00 00 00", kind::ulong, 0x100000000ll},
      {"54 80", kind::int_, -128},     {"71 80 00 00 00", kind::int_, INT32_MIN},
      {"55 ff", kind::long_, -1},      {"81 80 00 00 00 00 00 00 00", kind::long_, INT64_MIN},
      {"50 ff", kind::ubyte, 255},     {"51 80", kind::byte, -128},
      {"60 ff fe", kind::ushort, 0xfffe}, {"61 80 01", kind::short_, -32767},
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.h);
    const auto b = hex(r.h);
    auto v = decode_value(b);
    ASSERT_TRUE(v);
    ASSERT_EQ(v->type(), r.k);
    switch (r.k) {
      case kind::uint: EXPECT_EQ(v->as_uint(), static_cast<std::uint32_t>(r.want)); break;
      case kind::ulong: EXPECT_EQ(v->as_ulong(), static_cast<std::uint64_t>(r.want)); break;
      case kind::int_: EXPECT_EQ(v->as_int(), r.want); break;
      case kind::long_: EXPECT_EQ(v->as_long(), r.want); break;
      case kind::ubyte: EXPECT_EQ(v->as_ubyte(), r.want); break;
      case kind::byte: EXPECT_EQ(v->as_byte(), r.want); break;
      case kind::ushort: EXPECT_EQ(v->as_ushort(), r.want); break;
      case kind::short_: EXPECT_EQ(v->as_short(), r.want); break;
      default: FAIL();
    }
  }
}

TEST(golden, floats_are_carried_bit_for_bit) {
  const std::uint32_t fbits[] = {0x7fc00000, 0xffc01234, 0x80000000, 0x7f800000,
                                 0xff800000, 0x00000001, 0x7f800001};
  for (std::uint32_t bits : fbits) {
    writer w;
    encoder(w).float_(std::bit_cast<float>(bits));
    auto v = decode_value(w.view());
    ASSERT_TRUE(v);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(v->as_float()), bits);
    const value owned = value::from_view(*v);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(*owned.get_if<float>()), bits);
  }
  const std::uint64_t dbits[] = {0x7ff8000000000000, 0xfff8000000000001, 0x8000000000000000,
                                 0x7ff0000000000000, 0xfff0000000000000, 0x7ff0000000000001};
  for (std::uint64_t bits : dbits) {
    writer w;
    encoder(w).double_(std::bit_cast<double>(bits));
    EXPECT_EQ(w.size(), 9u);
    auto v = decode_value(w.view());
    ASSERT_TRUE(v);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(v->as_double()), bits);
  }
  // NaN equals the same NaN, -0.0 differs from +0.0: comparison is bitwise.
  EXPECT_TRUE(test::f64(0x7ff8000000000000) == test::f64(0x7ff8000000000000));
  EXPECT_FALSE(test::f64(0x7ff8000000000000) == test::f64(0x7ff8000000000001));
  EXPECT_FALSE(test::f64(0x8000000000000000) == test::f64(0));
  const auto nan = hex("82 7f f8 00 00 00 00 00 00");
  const auto nan2 = hex("82 7f f8 00 00 00 00 00 00");
  EXPECT_TRUE(*decode_value(nan) == *decode_value(nan2));
  const auto pz = hex("72 00 00 00 00");
  const auto nz = hex("72 80 00 00 00");
  EXPECT_FALSE(*decode_value(pz) == *decode_value(nz));
}

TEST(golden, decimals_are_carried_exactly) {
  const auto b32 = hex("74 a2 3f ff ff");
  EXPECT_EQ(decode_value(b32)->as_decimal32().bits, 0xa23fffffu);
  const auto b64 = hex("84 fe dc ba 98 76 54 32 10");
  EXPECT_EQ(decode_value(b64)->as_decimal64().bits, 0xfedcba9876543210u);
  const auto b128 = hex("94 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e ff");
  const decimal128 d = decode_value(b128)->as_decimal128();
  EXPECT_EQ(to_hex(d.bytes), "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e ff");
  writer w;
  encoder e(w);
  e.decimal32({0xa23fffff});
  e.decimal64({0xfedcba9876543210});
  e.decimal128(d);
  EXPECT_EQ(to_hex(w.view()),
            "74 a2 3f ff ff 84 fe dc ba 98 76 54 32 10 "
            "94 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e ff");
}

TEST(golden, char_is_utf32) {
  const auto b = hex("73 00 10 ff ff");
  EXPECT_EQ(decode_value(b)->as_char(), U'\U0010FFFF');
  writer w;
  encoder e(w);
  e.char_(U'\U0001F600');
  EXPECT_EQ(to_hex(w.view()), "73 00 01 f6 00");
  EXPECT_FALSE(e.error());
}

TEST(golden, timestamp_uuid_and_variable_width_views) {
  const auto t = hex("83 ff ff ff ff fa d9 a4 00");
  EXPECT_EQ(decode_value(t)->as_timestamp().ms, -86400000);
  const auto u = hex("98 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff");
  EXPECT_EQ(to_hex(decode_value(u)->as_uuid().bytes),
            "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff");
  const auto s = hex("b1 00 00 00 02 68 69");
  auto sv = decode_value(s);
  EXPECT_EQ(sv->as_string(), "hi");
  EXPECT_EQ(sv->data(), s.data() + 5);  // zero-copy: a view into the input
  const auto y = hex("a3 03 66 6f 6f");
  EXPECT_TRUE(decode_value(y)->as_symbol() == "foo");
  const auto bb = hex("b0 00 00 00 02 00 ff");
  EXPECT_EQ(to_hex(decode_value(bb)->as_binary()), "00 ff");
}

TEST(golden, encoder_scalar_calls_pick_the_smallest_form) {
  writer w;
  encoder e(w);
  e.null();
  e.boolean(true);
  e.boolean(false);
  e.ubyte(7);
  e.ushort(0x0102);
  e.uint(0);
  e.uint(255);
  e.uint(256);
  e.ulong(0);
  e.ulong(255);
  e.ulong(256);
  e.byte(-1);
  e.short_(-2);
  e.int_(-128);
  e.int_(-129);
  e.int_(127);
  e.int_(128);
  e.long_(-128);
  e.long_(-129);
  e.long_(127);
  e.long_(128);
  e.timestamp({-1});
  EXPECT_EQ(e.count(), 22u);
  EXPECT_EQ(to_hex(w.view()),
            "40 41 42 50 07 60 01 02 43 52 ff 70 00 00 01 00 44 53 ff "
            "80 00 00 00 00 00 00 01 00 51 ff 61 ff fe 54 80 71 ff ff ff 7f 54 7f "
            "71 00 00 00 80 55 80 81 ff ff ff ff ff ff ff 7f 55 7f "
            "81 00 00 00 00 00 00 00 80 83 ff ff ff ff ff ff ff ff");
}

TEST(golden, encoder_variable_width_and_descriptor_calls) {
  writer w;
  encoder e(w);
  const std::uint8_t raw[] = {1, 2};
  e.binary(raw);
  e.string("hi");
  e.symbol("s");
  e.descriptor(0x10);
  e.null();
  e.descriptor(symbol_view{"d"});
  e.null();
  EXPECT_EQ(e.count(), 5u);  // a descriptor and its value are one element
  EXPECT_EQ(to_hex(w.view()), "a0 02 01 02 a1 02 68 69 a3 01 73 00 53 10 40 00 a3 01 64 40");
}

TEST(golden, proton_style_full_width_values_decode) {
  // The same values Proton writes in full width, as a run of values.
  const auto b = hex("41 42 50 2a 60 00 2a 61 ff d6 70 00 00 30 39 71 ff ff cf c7");
  std::size_t at = 0;
  std::vector<value> got;
  while (at < b.size()) {
    std::size_t used = 0;
    auto v = decode_value_prefix(bytes_view(b).subspan(at), used);
    ASSERT_TRUE(v) << v.error().message();
    got.push_back(value::from_view(*v));
    at += used;
  }
  ASSERT_EQ(got.size(), 7u);
  EXPECT_TRUE(got[0] == true);
  EXPECT_TRUE(got[2] == test::u8(42));
  EXPECT_TRUE(got[3] == test::u16(42));
  EXPECT_TRUE(got[4] == test::i16(-42));
  EXPECT_TRUE(got[5] == test::u32(12345));
  EXPECT_TRUE(got[6] == test::i32(-12345));
}

}  // namespace
}  // namespace amqp
