// Arrays (spec Part 1, 1.6.24): one constructor shared by all elements, possibly described. The
// encoder measures the elements to pick that constructor; these tests cover each element kind,
// descriptors, nesting, and what happens to the rest of the output when an array is refused.
#include <gtest/gtest.h>

#include "fixtures.hpp"

namespace amqp {
namespace {

using test::arr;
using test::darr;
using test::hex;
using test::to_hex;

// Two sample elements of every kind an array can hold.
std::vector<std::pair<kind, std::vector<value>>> samples() {
  return {
      {kind::null, {value{}, value{}}},
      {kind::boolean, {true, false}},
      {kind::ubyte, {test::u8(0), test::u8(200)}},
      {kind::ushort, {test::u16(0), test::u16(60000)}},
      {kind::uint, {test::u32(0), test::u32(70000)}},
      {kind::ulong, {test::u64(1), test::u64(1ull << 40)}},
      {kind::byte, {test::i8(-1), test::i8(1)}},
      {kind::short_, {test::i16(-300), test::i16(300)}},
      {kind::int_, {test::i32(-1), test::i32(-100000)}},
      {kind::long_, {test::i64(5), test::i64(-(1ll << 40))}},
      {kind::float_, {test::f32(0x7fc00001), test::f32(0x80000000)}},
      {kind::double_, {test::f64(0x3ff0000000000000), test::f64(0xfff0000000000000)}},
      {kind::decimal32, {decimal32{1}, decimal32{0xffffffff}}},
      {kind::decimal64, {decimal64{2}, decimal64{0x8000000000000000}}},
      {kind::decimal128, {test::dec128("01"), test::dec128("ff ee dd cc bb aa 99 88 77 66 55 44 33 22 11 00")}},
      {kind::char_, {test::ch(U'x'), test::ch(0x10ffff)}},
      {kind::timestamp, {test::ts(0), test::ts(-5)}},
      {kind::uuid, {test::uuid_of("0f"), test::uuid_of("f0 e1")}},
      {kind::binary, {test::bin("00"), test::bin("")}},
      {kind::string, {"\xc3\xa9t\xc3\xa9", ""}},
      {kind::symbol, {value::sym("a:b"), value::sym("")}},
      {kind::list, {list{}, value::list_of({1, "two", value::sym("three")})}},
      {kind::map, {value::map_of({{"k", 1}}), map{}}},
      {kind::array, {arr(kind::int_, {1}), arr(kind::string, {"s"})}},
  };
}

// Encodes `v`, decodes it, checks the view against `v` every way there is, and checks that the
// view re-encodes to the very same bytes.
void round_trip(const value& v) {
  writer w;
  encoder e(w);
  e.value(v);
  ASSERT_FALSE(e.error()) << e.error().message();
  auto d = decode_value(w.view());
  ASSERT_TRUE(d) << d.error().message() << " in " << to_hex(w.view());
  EXPECT_TRUE(value::from_view(*d) == v) << to_hex(w.view());
  EXPECT_TRUE(v == *d);
  writer again;
  encoder(again).value(*d);
  EXPECT_EQ(to_hex(again.view()), to_hex(w.view()));
}

TEST(array, every_element_kind_round_trips) {
  for (const auto& [k, elements] : samples()) {
    SCOPED_TRACE(kind_name(k));
    round_trip(arr(k, elements));
    round_trip(arr(k, {}));
    round_trip(arr(k, {elements[0]}));
    round_trip(darr(test::u64(0x77), k, elements));
    round_trip(darr(value::sym("com.example:x"), k, {}));
    round_trip(arr(kind::array, {arr(k, elements), arr(k, {}), darr(test::u64(1), k, elements)}));
    round_trip(value::list_of({arr(k, elements), value::map_of({{"a", arr(k, elements)}})}));
  }
}

TEST(array, view_accessors) {
  const auto b = hex("e0 0a 01 00 a3 03 66 6f 6f a1 01 61");
  auto v = decode_value(b);
  ASSERT_TRUE(v);
  const array_view a = v->as_array();
  EXPECT_EQ(a.size(), 1u);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a.element_type(), kind::described);
  EXPECT_EQ(a.element_format(), format_code::str8);
  EXPECT_TRUE(a.descriptor().as_symbol() == "foo");
  const value_view e = *a.begin();
  EXPECT_EQ(e.type(), kind::described);
  EXPECT_EQ(e.format(), 0);
  EXPECT_TRUE(e.as_described().is(0, "foo"));
  EXPECT_EQ(e.as_described().value().as_string(), "a");
  EXPECT_TRUE(e.as_described().descriptor() == a.descriptor());

  const auto p = hex("e0 05 03 52 00 01 ff");
  const array_view u = decode_value(p)->as_array();
  EXPECT_EQ(u.element_type(), kind::uint);
  EXPECT_EQ(u.element_format(), format_code::smalluint);
  EXPECT_TRUE(u.descriptor().is_null());
  std::vector<std::uint32_t> got;
  for (value_view x : u) got.push_back(x.as_uint());
  EXPECT_EQ(got, (std::vector<std::uint32_t>{0, 1, 255}));

  const auto z = hex("e0 02 00 71");
  const array_view none = decode_value(z)->as_array();
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.element_type(), kind::int_);
  EXPECT_TRUE(none.begin() == none.end());
}

TEST(array, zero_width_element_views) {
  const auto b = hex("e0 02 03 41");
  const array_view a = decode_value(b)->as_array();
  int n = 0;
  for (value_view x : a) {
    EXPECT_TRUE(x.as_boolean());
    ++n;
  }
  EXPECT_EQ(n, 3);
  const auto l = hex("e0 05 02 00 53 09 45");
  const array_view ls = decode_value(l)->as_array();
  for (value_view x : ls) {
    EXPECT_EQ(x.type(), kind::described);
    EXPECT_EQ(x.as_described().descriptor().as_ulong(), 9u);
    EXPECT_EQ(x.as_described().value().type(), kind::list);
    EXPECT_TRUE(x.as_described().value().as_list().empty());
  }
  // Re-encoded canonically as list8 elements.
  writer w;
  encoder(w).value(*decode_value(l));
  EXPECT_EQ(to_hex(w.view()), "e0 09 02 00 53 09 c0 01 00 01 00");
}

TEST(array, views_with_unusual_element_codes_reencode_canonically) {
  // Each input is a legal but non-canonical array; its canonical form is exact.
  const std::pair<const char*, const char*> legal[] = {
      {"e0 04 02 54 01 ff", "e0 0a 02 71 00 00 00 01 ff ff ff ff"},
      {"e0 04 02 55 01 02", "e0 12 02 81 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 02"},
      {"e0 04 02 52 01 ff", "e0 0a 02 70 00 00 00 01 00 00 00 ff"},
      {"e0 0b 02 b3 00 00 00 01 61 00 00 00 00", "e0 05 02 a3 01 61 00"},
      {"e0 02 04 44", "e0 22 04 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"},
      {"e0 0a 01 d1 00 00 00 04 00 00 00 00", "e0 04 01 c1 01 00"},
      {"e0 0b 01 f0 00 00 00 05 00 00 00 00 40", "e0 05 01 e0 02 00 40"},
      {"f0 00 00 00 0f 00 00 00 01 00 80 00 00 00 00 00 00 00 05 43", "e0 09 01 00 53 05 70 00 00 00 00"},
  };
  for (const auto& [in, out] : legal) {
    SCOPED_TRACE(in);
    const auto b = hex(in);
    auto v = decode_value(b);
    ASSERT_TRUE(v) << v.error().message();
    writer w;
    encoder e(w);
    e.value(*v);
    ASSERT_FALSE(e.error());
    EXPECT_EQ(to_hex(w.view()), to_hex(hex(out)));
    EXPECT_TRUE(*decode_value(w.view()) == *v);
  }
}

TEST(array, counts_as_one_element_of_its_container) {
  writer w;
  encoder e(w);
  auto m = e.begin_list();
  e.value(arr(kind::int_, {1, 2, 3}));
  e.value(darr(test::u64(1), kind::string, {"x"}));
  EXPECT_EQ(e.count(), 2u);
  e.end_list(m);
  EXPECT_EQ(e.count(), 1u);
  EXPECT_EQ(to_hex(w.view()),
            "c0 1a 02 e0 0e 03 71 00 00 00 01 00 00 00 02 00 00 00 03 e0 07 01 00 53 01 a1 01 78");
}

TEST(array, a_refused_array_leaves_the_output_as_it_was) {
  writer w;
  encoder e(w);
  auto m = e.begin_list();
  e.uint(1);
  // The bad element is deep inside: an array of lists holding an array of mixed kinds.
  e.value(arr(kind::list, {list{}, value::list_of({arr(kind::int_, {1, "x"})})}));
  EXPECT_EQ(e.error(), make_error_code(errc::array_element_mismatch));
  e.uint(2);
  e.end_list(m);
  // The outer array is dropped as a whole; the list goes on around it.
  EXPECT_EQ(to_hex(w.view()), "c0 05 02 52 01 52 02");
}

TEST(array, an_earlier_error_does_not_break_later_arrays) {
  writer w;
  encoder e(w);
  e.char_(0xd800);  // refused: sets error()
  ASSERT_EQ(e.error(), make_error_code(errc::invalid_char));
  e.value(arr(kind::list, {value::list_of({1})}));
  e.value(arr(kind::string, {"a"}));
  e.value(arr(kind::array, {arr(kind::int_, {1})}));
  EXPECT_EQ(e.error(), make_error_code(errc::invalid_char));  // the first error is kept
  EXPECT_EQ(e.count(), 3u);
  EXPECT_EQ(to_hex(w.view()),
            "e0 06 01 c0 03 01 54 01 e0 04 01 a1 01 61 e0 09 01 e0 06 01 71 00 00 00 01");
}

TEST(array, refused_descriptors_and_chars) {
  writer w;
  encoder e(w);
  e.value(darr(value::described_of(test::u64(1), 2), kind::int_, {1}));
  EXPECT_EQ(e.error(), make_error_code(errc::nested_descriptor));
  EXPECT_EQ(w.size(), 0u);
  writer w2;
  encoder e2(w2);
  e2.value(arr(kind::char_, {test::ch(U'a'), test::ch(0x110000)}));
  EXPECT_EQ(e2.error(), make_error_code(errc::invalid_char));
  EXPECT_EQ(w2.size(), 0u);
  EXPECT_EQ(e2.count(), 0u);
}

TEST(array, equality_sees_element_kind_and_descriptor) {
  const auto a = hex("e0 05 00 00 53 01 71");  // empty array of described ints
  const auto b = hex("e0 05 00 00 53 01 a1");  // empty array of described strings
  const auto c = hex("e0 05 00 00 53 02 71");  // another descriptor
  const auto d = hex("f0 00 00 00 08 00 00 00 00 00 53 01 54");
  auto va = decode_value(a), vb = decode_value(b), vc = decode_value(c), vd = decode_value(d);
  ASSERT_TRUE(va && vb && vc && vd);
  EXPECT_FALSE(*va == *vb);
  EXPECT_FALSE(*va == *vc);
  EXPECT_TRUE(*va == *vd);
  EXPECT_FALSE(value::from_view(*va) == value::from_view(*vb));
  EXPECT_TRUE(value::from_view(*va) == value::from_view(*vd));
  const auto i = hex("e0 02 00 71");
  const auto s = hex("e0 02 00 a1");
  EXPECT_FALSE(*decode_value(i) == *decode_value(s));
  EXPECT_FALSE(*decode_value(i) == *va);
}

TEST(array, large_arrays_of_compounds_round_trip) {
  std::vector<value> lists;
  for (int i = 0; i < 300; ++i) lists.push_back(value::list_of({i, std::string(i % 7, 'q')}));
  round_trip(arr(kind::list, lists));
  std::vector<value> maps;
  for (int i = 0; i < 40; ++i) maps.push_back(value::map_of({{value::sym("n"), i}}));
  maps.push_back(value::map_of({{value::sym("big"), std::string(400, 'b')}}));
  round_trip(arr(kind::map, maps));
  round_trip(darr(value::sym("d"), kind::map, maps));
  std::vector<value> arrays;
  for (int i = 0; i < 20; ++i) arrays.push_back(arr(kind::long_, {test::i64(i), test::i64(-i)}));
  arrays.push_back(arr(kind::ubyte, std::vector<value>(256, test::u8(9))));
  round_trip(arr(kind::array, arrays));
  round_trip(arr(kind::array, {arr(kind::array, {arr(kind::list, lists)})}));
}

}  // namespace
}  // namespace amqp
