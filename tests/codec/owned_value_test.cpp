// The owned value: construction, comparison with itself and with views, deep copies out of
// views, and the lookups on views (map_view::find, described_view::is).
#include <gtest/gtest.h>

#include "fixtures.hpp"

namespace amqp {
namespace {

using test::arr;
using test::darr;
using test::hex;
using test::to_hex;

// One value of every kind, nested ones included.
std::vector<value> every_kind() {
  return {
      value{},
      true,
      test::u8(1),
      test::u16(2),
      test::u32(3),
      test::u64(4),
      test::i8(-5),
      test::i16(-6),
      test::i32(-7),
      test::i64(-8),
      test::f32(0x40490fdb),
      test::f64(0x400921fb54442d18),
      decimal32{9},
      decimal64{10},
      test::dec128("0b"),
      test::ch(U'\u00e9'),
      test::ts(1234567890123),
      test::uuid_of("12 34"),
      test::bin("de ad be ef"),
      "string \xe2\x9c\x93",
      value::sym("amqp:symbol"),
      value::list_of({1, "a", list{}, value::list_of({value{}})}),
      value::map_of({{"k", 1}, {value::sym("s"), map{}}, {2, value::list_of({3})}}),
      arr(kind::ulong, {test::u64(1), test::u64(1000)}),
      value::described_of(test::u64(0x24), value::list_of({value::sym("x")})),
  };
}

TEST(owned_value, alternatives_follow_kind) {
  const auto all = every_kind();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kind::described) + 1);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].type(), static_cast<kind>(i)) << i;
    EXPECT_EQ(all[i].get().index(), i);
  }
  EXPECT_TRUE(value{}.is_null());
  EXPECT_EQ(value(42).type(), kind::int_);
  EXPECT_EQ(value(42u).type(), kind::uint);
  EXPECT_EQ(value("text").type(), kind::string);
  EXPECT_EQ(value(std::string_view("view")).type(), kind::string);
  EXPECT_EQ(value::sym("s").type(), kind::symbol);
  EXPECT_EQ(kind_name(kind::short_), "short");
  EXPECT_EQ(kind_name(kind::described), "described");
}

TEST(owned_value, every_kind_round_trips) {
  for (const value& v : every_kind()) {
    SCOPED_TRACE(kind_name(v.type()));
    writer w;
    encoder e(w);
    e.value(v);
    ASSERT_FALSE(e.error());
    EXPECT_EQ(e.count(), 1u);
    EXPECT_EQ(to_hex(encode(v).view()), to_hex(w.view()));
    auto d = decode_value(w.view());
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_EQ(d->type(), v.type());
    EXPECT_TRUE(value::from_view(*d) == v);
    EXPECT_TRUE(v == *d);
  }
  // All of them in one list, and in a map keyed by each other.
  list all(every_kind());
  map m;
  for (const value& v : every_kind()) m.emplace_back(v, v);
  for (const value& v : {value(all), value(m), value::described_of(value::sym("d"), all)}) {
    const writer w = encode(v);
    auto d = decode_value(w.view());
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_TRUE(value::from_view(*d) == v);
    EXPECT_TRUE(v == *d);
  }
}

TEST(owned_value, deeply_nested_values_round_trip) {
  // 24 steps, six of which add two levels (array, list): 30 levels, within the default 32.
  value v = "leaf";
  for (int i = 0; i < 24; ++i) {
    switch (i % 4) {
      case 0: v = value::list_of({i, v}); break;
      case 1: v = value::map_of({{value::sym("k"), v}}); break;
      case 2: v = value::described_of(test::u64(static_cast<std::uint64_t>(i)), v); break;
      case 3: v = arr(kind::list, {value::list_of({v}), list{}}); break;
    }
  }
  const writer w = encode(v);
  auto d = decode_value(w.view());
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_TRUE(value::from_view(*d) == v);
  const value copy = v;  // deep copy through box<>
  EXPECT_TRUE(copy == v);
}

TEST(owned_value, equality_is_by_kind_and_value) {
  EXPECT_FALSE(value(1) == value(1u));             // int vs uint
  EXPECT_FALSE(value("a") == value::sym("a"));     // string vs symbol
  EXPECT_FALSE(value(test::bin("61")) == value("a"));
  EXPECT_FALSE(value(list{}) == value(map{}));
  EXPECT_TRUE(value::map_of({{"a", 1}, {"b", 2}}) == value::map_of({{"a", 1}, {"b", 2}}));
  EXPECT_FALSE(value::map_of({{"a", 1}, {"b", 2}}) == value::map_of({{"b", 2}, {"a", 1}}));
  EXPECT_FALSE(arr(kind::int_, {}) == arr(kind::uint, {}));
  EXPECT_FALSE(darr(test::u64(1), kind::int_, {1}) == arr(kind::int_, {1}));
  EXPECT_FALSE(darr(test::u64(1), kind::int_, {1}) == darr(test::u64(2), kind::int_, {1}));
  EXPECT_FALSE(value::described_of(test::u64(1), 2) == value::described_of(test::u64(1), 3));
  EXPECT_TRUE(value::described_of(test::u64(1), 2) == value::described_of(test::u64(1), 2));
  EXPECT_TRUE(test::f32(0x7fc00000) == test::f32(0x7fc00000));
  EXPECT_FALSE(test::f32(0x80000000) == test::f32(0));
}

TEST(owned_value, compares_with_views_semantically) {
  // The view's encoding does not matter, only kind and value.
  const auto wide = hex("d0 00 00 00 10 00 00 00 03 70 00 00 00 00 53 07 b1 00 00 00 00");
  auto v = decode_value(wide);
  ASSERT_TRUE(v);
  EXPECT_TRUE(value::list_of({test::u32(0), test::u64(7), ""}) == *v);
  EXPECT_FALSE(value::list_of({test::u32(0), test::u64(7), value::sym("")}) == *v);
  EXPECT_FALSE(value::list_of({test::u32(0), test::u64(7)}) == *v);
  EXPECT_FALSE(value::list_of({0, test::u64(7), ""}) == *v);
  // A value the encoder refuses equals nothing.
  EXPECT_FALSE(value(arr(kind::int_, {"x"})) == *v);
  // Views compare with views the same way.
  const auto canonical = hex("c0 06 03 43 53 07 a1 00");
  EXPECT_TRUE(*decode_value(canonical) == *v);
  const auto other = hex("c0 06 03 43 53 08 a1 00");
  EXPECT_FALSE(*decode_value(other) == *v);
}

TEST(owned_value, from_view_copies_out_of_the_input) {
  auto bytes = hex("c1 0d 02 a3 03 6b 65 79 a1 05 76 61 6c 75 65");
  value owned;
  {
    auto v = decode_value(bytes);
    ASSERT_TRUE(v);
    owned = value::from_view(*v);
  }
  std::fill(bytes.begin(), bytes.end(), 0);
  EXPECT_TRUE(owned == value::map_of({{value::sym("key"), "value"}}));
  const map* m = owned.get_if<map>();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->front().first.get_if<symbol>()->str, "key");
  EXPECT_EQ(*m->front().second.get_if<std::string>(), "value");
}

TEST(owned_value, map_view_find) {
  const writer w = encode(value::map_of({{value::sym("a"), 1},
                                         {"b", 2},
                                         {3, "not a string key"},
                                         {value::sym("a"), 4},
                                         {test::bin("63"), 5}}));
  auto v = decode_value(w.view());
  ASSERT_TRUE(v);
  const map_view m = v->as_map();
  EXPECT_EQ(m.size(), 5u);
  EXPECT_EQ(v->count(), 10u);
  EXPECT_EQ(m.find("a").as_int(), 1);  // the first of two equal keys
  EXPECT_EQ(m.find("b").as_int(), 2);
  EXPECT_TRUE(m.find("c").is_null());  // binary keys are not names
  EXPECT_TRUE(m.find("3").is_null());
  EXPECT_TRUE(m.find("").is_null());
  int n = 0;
  for (const map_entry e : m) {
    EXPECT_FALSE(e.key.is_null());
    ++n;
  }
  EXPECT_EQ(n, 5);
  const auto empty = hex("c1 01 00");
  EXPECT_TRUE(decode_value(empty)->as_map().empty());
  EXPECT_TRUE(decode_value(empty)->as_map().find("a").is_null());
}

TEST(owned_value, described_view_is) {
  const auto by_code = hex("00 53 70 45");
  const auto by_name = hex("00 a3 10 61 6d 71 70 3a 68 65 61 64 65 72 3a 6c 69 73 74 45");
  const auto by_wide_code = hex("00 80 00 00 00 00 00 00 00 70 45");
  const auto by_string = hex("00 a1 03 61 62 63 45");
  for (const auto* b : {&by_code, &by_name, &by_wide_code}) {
    auto v = decode_value(*b);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->as_described().is(0x70, "amqp:header:list"));
    EXPECT_FALSE(v->as_described().is(0x71, "amqp:other:list"));
    EXPECT_EQ(v->as_described().value().type(), kind::list);
  }
  EXPECT_FALSE(decode_value(by_string)->as_described().is(0x70, "abc"));
}

TEST(owned_value, list_view_iteration_and_symbols) {
  const writer w = encode(value::list_of({value::sym("x"), value::sym("yy"), 3}));
  auto v = decode_value(w.view());
  ASSERT_TRUE(v);
  const list_view l = v->as_list();
  EXPECT_EQ(l.size(), 3u);
  auto it = l.begin();
  EXPECT_TRUE((*it).as_symbol() == symbol_view{"x"});
  EXPECT_TRUE((*it++).as_symbol() == "x");
  EXPECT_EQ((*it).as_symbol().str, "yy");
  ++it;
  EXPECT_EQ((*it).as_int(), 3);
  ++it;
  EXPECT_TRUE(it == l.end());
  EXPECT_TRUE(symbol_view{"a"} == symbol_view{"a"});
  EXPECT_FALSE(symbol_view{"a"} == symbol_view{"b"});
}

TEST(owned_value, box_has_value_semantics) {
  described d{test::u64(1), value("inner")};
  described copy = d;
  *copy.inner = "changed";
  EXPECT_EQ(*d.inner->get_if<std::string>(), "inner");
  copy = d;
  EXPECT_TRUE(copy == d);
  described moved = std::move(copy);
  EXPECT_TRUE(moved == d);
}

}  // namespace
}  // namespace amqp
