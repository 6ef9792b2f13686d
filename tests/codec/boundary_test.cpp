// Boundary values: the edges where an encoding switches width (255/256 bytes or elements), the
// extremes of every integer type, and sizes near 2^32.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <limits>
#include <string>

#include "fixtures.hpp"

namespace amqp {
namespace {

using test::arr;
using test::hex;
using test::to_hex;

std::vector<std::uint8_t> encode_bytes(const value& v) {
  writer w;
  encoder e(w);
  e.value(v);
  EXPECT_FALSE(e.error()) << e.error().message();
  return {w.data(), w.data() + w.size()};
}

// Encodes, checks the first bytes of the encoding, and that it decodes back to `v`.
void expect_encoding(const value& v, const std::string& head_hex, std::size_t total) {
  const auto b = encode_bytes(v);
  const auto head = hex(head_hex);
  ASSERT_GE(b.size(), head.size());
  EXPECT_EQ(to_hex(bytes_view(b).first(head.size())), to_hex(head));
  EXPECT_EQ(b.size(), total);
  auto d = decode_value(b);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_TRUE(value::from_view(*d) == v);
  // And the view re-encodes to the same bytes.
  writer w;
  encoder(w).value(*d);
  EXPECT_EQ(to_hex(w.view()), to_hex(b));
}

TEST(boundary, unsigned_integers) {
  expect_encoding(test::u32(0), "43", 1);
  expect_encoding(test::u32(255), "52 ff", 2);
  expect_encoding(test::u32(256), "70 00 00 01 00", 5);
  expect_encoding(test::u32(UINT32_MAX), "70 ff ff ff ff", 5);
  expect_encoding(test::u64(0), "44", 1);
  expect_encoding(test::u64(255), "53 ff", 2);
  expect_encoding(test::u64(256), "80 00 00 00 00 00 00 01 00", 9);
  expect_encoding(test::u64(0x100000000), "80 00 00 00 01 00 00 00 00", 9);
  expect_encoding(test::u64(UINT64_MAX), "80 ff ff ff ff ff ff ff ff", 9);
  expect_encoding(test::u8(0), "50 00", 2);
  expect_encoding(test::u8(UINT8_MAX), "50 ff", 2);
  expect_encoding(test::u16(0), "60 00 00", 3);
  expect_encoding(test::u16(UINT16_MAX), "60 ff ff", 3);
}

TEST(boundary, signed_integers) {
  expect_encoding(test::i32(0), "54 00", 2);
  expect_encoding(test::i32(127), "54 7f", 2);
  expect_encoding(test::i32(128), "71 00 00 00 80", 5);
  expect_encoding(test::i32(-128), "54 80", 2);
  expect_encoding(test::i32(-129), "71 ff ff ff 7f", 5);
  expect_encoding(test::i32(INT32_MIN), "71 80 00 00 00", 5);
  expect_encoding(test::i32(INT32_MAX), "71 7f ff ff ff", 5);
  expect_encoding(test::i64(127), "55 7f", 2);
  expect_encoding(test::i64(128), "81 00 00 00 00 00 00 00 80", 9);
  expect_encoding(test::i64(-128), "55 80", 2);
  expect_encoding(test::i64(-129), "81 ff ff ff ff ff ff ff 7f", 9);
  expect_encoding(test::i64(INT64_MIN), "81 80 00 00 00 00 00 00 00", 9);
  expect_encoding(test::i64(INT64_MAX), "81 7f ff ff ff ff ff ff ff", 9);
  expect_encoding(test::i8(INT8_MIN), "51 80", 2);
  expect_encoding(test::i16(INT16_MIN), "61 80 00", 3);
  expect_encoding(test::ts(INT64_MAX), "83 7f ff ff ff ff ff ff ff", 9);
}

TEST(boundary, variable_width_255_and_256_bytes) {
  const std::string s255(255, 'x'), s256(256, 'y');
  expect_encoding(s255, "a1 ff 78", 257);
  expect_encoding(s256, "b1 00 00 01 00 79", 261);
  expect_encoding(value::sym(s255), "a3 ff 78", 257);
  expect_encoding(value::sym(s256), "b3 00 00 01 00 79", 261);
  expect_encoding(value::bin(std::vector<std::uint8_t>(255, 0xee)), "a0 ff ee", 257);
  expect_encoding(value::bin(std::vector<std::uint8_t>(256, 0xee)), "b0 00 00 01 00 ee", 261);
  expect_encoding(std::string(65536, 'z'), "b1 00 01 00 00 7a", 65541);
  // Multi-byte UTF-8 counts bytes, not characters: 128 x U+00E9 is 256 bytes.
  std::string e_acute;
  for (int i = 0; i < 128; ++i) e_acute += "\xc3\xa9";
  expect_encoding(e_acute, "b1 00 00 01 00 c3 a9", 261);
}

TEST(boundary, list_count_255_and_256) {
  list nulls(254);
  expect_encoding(nulls, "c0 ff fe 40", 257);  // body 254 bytes: size 255
  nulls.emplace_back();
  expect_encoding(nulls, "d0 00 00 01 03 00 00 00 ff 40", 264);  // size would be 256
  nulls.emplace_back();
  expect_encoding(nulls, "d0 00 00 01 04 00 00 01 00 40", 265);
}

TEST(boundary, list_size_255_and_256) {
  // One string element of L bytes: list8 size is L + 3 (count, constructor, length).
  expect_encoding(value::list_of({std::string(252, 'a')}), "c0 ff 01 a1 fc 61", 257);
  expect_encoding(value::list_of({std::string(253, 'a')}),
                  "d0 00 00 01 03 00 00 00 01 a1 fd 61", 264);
  // The same switch caused by a nested element deep inside.
  const value deep = value::list_of({value::list_of({value::list_of({std::string(249, 'b')})})});
  expect_encoding(deep, "d0 00 00 01 05 00 00 00 01 c0 ff 01 c0 fc 01 a1 f9 62", 266);
}

TEST(boundary, map_count_and_size) {
  map m;
  for (int i = 0; i < 127; ++i) m.emplace_back(value{}, value{});
  expect_encoding(m, "c1 ff fe 40", 257);  // 254 elements, size 255
  m.emplace_back(value{}, value{});
  expect_encoding(m, "d1 00 00 01 04 00 00 01 00 40", 265);  // 256 elements
  expect_encoding(value::map_of({{value{}, std::string(251, 'c')}}), "c1 ff 02 40 a1 fb 63", 257);
  expect_encoding(value::map_of({{value{}, std::string(252, 'c')}}),
                  "d1 00 00 01 03 00 00 00 02 40 a1 fc 63", 264);
}

TEST(boundary, array_count_and_size) {
  std::vector<value> bytes(253, test::u8(7));
  expect_encoding(arr(kind::ubyte, bytes), "e0 ff fd 50 07", 257);  // 1 + 253 bytes: size 255
  bytes.push_back(test::u8(7));
  expect_encoding(arr(kind::ubyte, bytes), "f0 00 00 01 03 00 00 00 fe 50 07", 264);
  std::vector<value> nulls(255);
  expect_encoding(arr(kind::null, nulls), "e0 02 ff 40", 4);
  nulls.emplace_back();
  expect_encoding(arr(kind::null, nulls), "f0 00 00 00 05 00 00 01 00 40", 10);
}

TEST(boundary, array_elements_switch_width_together) {
  // One long element makes every element use the 4-byte length form.
  expect_encoding(arr(kind::string, {"a", std::string(256, 's')}),
                  "f0 00 00 01 0e 00 00 00 02 b1 00 00 00 01 61 00 00 01 00 73", 275);
  expect_encoding(arr(kind::symbol, {value::sym(std::string(255, 's')), value::sym("b")}),
                  "f0 00 00 01 07 00 00 00 02 a3 ff 73", 268);
  expect_encoding(arr(kind::binary, {value::bin(std::vector<std::uint8_t>(300, 1)), test::bin("")}),
                  "f0 00 00 01 39 00 00 00 02 b0 00 00 01 2c 01", 318);
  // A compound element over 255 bytes: all list elements become list32, empty ones included.
  const value big = value::list_of({std::string(260, 'l')});
  const auto w = encode_bytes(arr(kind::list, {list{}, big, value::list_of({1})}));
  EXPECT_EQ(to_hex(bytes_view(w).first(19)),
            "f0 00 00 01 28 00 00 00 03 d0 00 00 00 04 00 00 00 00 00");
  // Map and array elements likewise.
  const auto m = encode_bytes(arr(kind::map, {map{}, value::map_of({{1, std::string(300, 'm')}})}));
  EXPECT_EQ(to_hex(bytes_view(m).first(18)),
            "f0 00 00 01 48 00 00 00 02 d1 00 00 00 04 00 00 00 00");
  const auto a = encode_bytes(
      arr(kind::array, {arr(kind::ubyte, std::vector<value>(300, test::u8(1))), arr(kind::int_, {})}));
  EXPECT_EQ(to_hex(bytes_view(a).first(19)),
            "f0 00 00 01 43 00 00 00 02 f0 00 00 01 31 00 00 01 2c 50");
  for (const value& v : {arr(kind::list, {list{}, big, value::list_of({1})}),
                         arr(kind::map, {map{}, value::map_of({{1, std::string(300, 'm')}})})}) {
    const auto b = encode_bytes(v);
    auto d = decode_value(b);
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_TRUE(value::from_view(*d) == v);
  }
}

TEST(boundary, symbol_array_switches) {
  const auto run = [](std::vector<std::string> names) {
    std::vector<symbol_view> s;
    for (const auto& n : names) s.emplace_back(n);
    writer w;
    encoder e(w);
    e.symbol_array(s);
    EXPECT_EQ(e.count(), 1u);
    return to_hex(w.view());
  };
  EXPECT_EQ(run({}), "e0 02 00 a3");
  EXPECT_EQ(run({"a", "bc"}), "e0 07 02 a3 01 61 02 62 63");
  // 1 + 2 + 251 bytes of elements: size 255 exactly, then one byte more.
  EXPECT_EQ(run({"x", std::string(250, 'y')}).substr(0, 17), "e0 ff 02 a3 01 78");
  EXPECT_EQ(run({"x", std::string(251, 'y')}).substr(0, 38),
            "f0 00 00 01 03 00 00 00 02 a3 01 78 fb");
  EXPECT_EQ(run({"x", std::string(256, 'y')}).substr(0, 56),
            "f0 00 00 01 0e 00 00 00 02 b3 00 00 00 01 78 00 00 01 00");
  // Whatever the form, it decodes as the array of symbols it was given.
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("sym" + std::to_string(i));
  std::vector<symbol_view> s(names.begin(), names.end());
  writer w;
  encoder(w).symbol_array(s);
  auto d = decode_value(w.view());
  ASSERT_TRUE(d);
  ASSERT_EQ(d->as_array().size(), 300u);
  std::size_t i = 0;
  for (value_view e : d->as_array()) EXPECT_EQ(e.as_string(), names[i++]);
}

TEST(boundary, sizes_near_two_to_the_32_fail_without_reading_further) {
  const std::pair<const char*, decode_error> cases[] = {
      {"b0 ff ff ff ff 00", {errc::size_exceeds_input, 1}},
      {"b1 ff ff ff fe 61 62", {errc::size_exceeds_input, 1}},
      {"b3 80 00 00 00", {errc::size_exceeds_input, 1}},
      {"d0 ff ff ff ff 00 00 00 01 40", {errc::size_exceeds_input, 1}},
      {"d1 ff ff ff ff 00 00 00 00", {errc::size_exceeds_input, 1}},
      {"f0 ff ff ff ff 00 00 00 01 40", {errc::size_exceeds_input, 1}},
      {"c0 06 01 b1 ff ff ff ff", {errc::compound_size_mismatch, 4}},
      // Counts near 2^32 within a small size.
      {"d0 00 00 00 05 ff ff ff ff 40", {errc::count_exceeds_size, 5}},
      {"f0 00 00 00 05 ff ff ff ff a1", {errc::count_exceeds_size, 5}},
      // count x element width wraps a 32-bit product: 2^29 x 8 and 2^28 x 16.
      {"f0 00 00 00 0d 20 00 00 00 80 00 00 00 00 00 00 00 00", {errc::count_exceeds_size, 5}},
      {"f0 00 00 00 05 10 00 00 00 98", {errc::count_exceeds_size, 5}},
      {"f0 00 00 00 05 40 00 00 00 70", {errc::count_exceeds_size, 5}},
      // Zero-width elements claim no bytes; the limit stops them instead.
      {"f0 00 00 00 05 ff ff ff ff 40", {errc::too_many_elements, 5}},
  };
  for (const auto& [h, want] : cases) {
    const auto b = hex(h);
    auto v = decode_value(b);
    ASSERT_FALSE(v) << h;
    EXPECT_EQ(v.error(), want) << h;
  }
}

// A readable region of more than 4 GiB that is never touched, so no memory is committed.
class huge_region {
 public:
  static constexpr std::size_t size = (std::size_t{1} << 32) + 1;
  huge_region() {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) p_ = static_cast<const std::uint8_t*>(p);
  }
  ~huge_region() {
    if (p_) ::munmap(const_cast<std::uint8_t*>(p_), size);
  }
  huge_region(const huge_region&) = delete;
  huge_region& operator=(const huge_region&) = delete;
  const std::uint8_t* data() const { return p_; }

 private:
  const std::uint8_t* p_ = nullptr;
};

TEST(boundary, values_over_4_gib_are_refused_by_the_encoder) {
  if (sizeof(std::size_t) < 8) GTEST_SKIP() << "needs a 64-bit address space";
  huge_region region;
  if (!region.data()) GTEST_SKIP() << "cannot reserve 4 GiB of address space here";
  const bytes_view too_big(region.data(), huge_region::size);
  const std::string_view too_long(reinterpret_cast<const char*>(region.data()), huge_region::size);
  for (int which = 0; which < 3; ++which) {
    writer w;
    encoder e(w);
    auto l = e.begin_list();
    e.null();
    if (which == 0) e.binary(too_big);
    if (which == 1) e.string(too_long);
    if (which == 2) e.symbol(too_long);
    EXPECT_EQ(e.error(), make_error_code(errc::value_too_large)) << which;
    EXPECT_EQ(e.count(), 1u);  // nothing was added to the list
    e.end_list(l);
    EXPECT_EQ(to_hex(w.view()), "c0 02 01 40");
    EXPECT_LT(w.capacity(), 1024u);  // and nothing was allocated for it
  }
}

}  // namespace
}  // namespace amqp
