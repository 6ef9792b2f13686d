// One test per codec error: the exact code and the exact byte offset of the fault.
#include <gtest/gtest.h>

#include <string>

#include "fixtures.hpp"

namespace amqp {
namespace {

using test::hex;

decode_error fails(const std::string& h, const decode_limits& limits = {}) {
  const auto b = hex(h);
  auto v = decode_value(b, limits);
  if (v) return {};
  return v.error();
}

decode_error err(errc code, std::size_t offset) { return {code, offset}; }

TEST(errors, truncated) {
  EXPECT_EQ(fails(""), err(errc::truncated, 0));
  EXPECT_EQ(fails("70 00 00"), err(errc::truncated, 1));
  EXPECT_EQ(fails("98 00"), err(errc::truncated, 1));
  EXPECT_EQ(fails("a1"), err(errc::truncated, 1));
  EXPECT_EQ(fails("b1 00 00 00"), err(errc::truncated, 1));
  EXPECT_EQ(fails("d0 00 00"), err(errc::truncated, 1));
  EXPECT_EQ(fails("00"), err(errc::truncated, 1));
  EXPECT_EQ(fails("00 53"), err(errc::truncated, 2));
  EXPECT_EQ(fails("00 53 10"), err(errc::truncated, 3));
  EXPECT_EQ(fails("00 53 10 70 00"), err(errc::truncated, 4));
}

TEST(errors, size_exceeds_input) {
  EXPECT_EQ(fails("a1 05 68 65"), err(errc::size_exceeds_input, 1));
  EXPECT_EQ(fails("b0 00 00 00 03 01 02"), err(errc::size_exceeds_input, 1));
  EXPECT_EQ(fails("c0 05 01 40"), err(errc::size_exceeds_input, 1));
  EXPECT_EQ(fails("f0 00 00 00 09 00 00 00 01 40"), err(errc::size_exceeds_input, 1));
  EXPECT_EQ(fails("00 a3 05 61"), err(errc::size_exceeds_input, 2));
}

TEST(errors, count_exceeds_size) {
  EXPECT_EQ(fails("c0 02 05 40"), err(errc::count_exceeds_size, 2));
  EXPECT_EQ(fails("d1 00 00 00 06 ff ff ff fe 40 40"), err(errc::count_exceeds_size, 5));
  // Fixed-width array elements: count x width must fit.
  EXPECT_EQ(fails("e0 06 02 70 00 00 00 01"), err(errc::count_exceeds_size, 2));
  EXPECT_EQ(fails("f0 00 00 00 09 ff ff ff ff 71 00 00 00 01"), err(errc::count_exceeds_size, 5));
  // Variable-width elements take at least their length prefix.
  EXPECT_EQ(fails("e0 03 03 a1 00"), err(errc::count_exceeds_size, 2));
}

TEST(errors, compound_size_mismatch) {
  // Elements end before the size does.
  EXPECT_EQ(fails("c0 03 01 40 40"), err(errc::compound_size_mismatch, 4));
  EXPECT_EQ(fails("c1 04 02 40 40 40"), err(errc::compound_size_mismatch, 5));
  EXPECT_EQ(fails("e0 04 01 54 01 00"), err(errc::compound_size_mismatch, 5));
  EXPECT_EQ(fails("e0 03 00 54 00"), err(errc::compound_size_mismatch, 4));
  // A size too small to hold the count.
  EXPECT_EQ(fails("c0 00"), err(errc::compound_size_mismatch, 1));
  EXPECT_EQ(fails("d0 00 00 00 03 00 00 00"), err(errc::compound_size_mismatch, 1));
  // Elements run past the size: more input cannot help, so this is not "truncated".
  EXPECT_EQ(fails("c0 03 02 40 70 00 00 00 00"), err(errc::compound_size_mismatch, 5));
  EXPECT_EQ(fails("c0 03 01 a1 05 68 69"), err(errc::compound_size_mismatch, 4));
  EXPECT_EQ(fails("c0 03 01 70 00 00 00 00"), err(errc::compound_size_mismatch, 4));
  EXPECT_EQ(fails("c0 04 01 c0 05 01 40 40"), err(errc::compound_size_mismatch, 4));
  EXPECT_EQ(fails("e0 03 01 a1 05 68 69"), err(errc::compound_size_mismatch, 4));
  // An array whose size leaves no room for the element constructor.
  EXPECT_EQ(fails("e0 01 00"), err(errc::compound_size_mismatch, 3));
  EXPECT_EQ(fails("e0 04 01 00 53 01"), err(errc::compound_size_mismatch, 6));
}

TEST(errors, odd_map_count) {
  EXPECT_EQ(fails("c1 02 01 40"), err(errc::odd_map_count, 2));
  EXPECT_EQ(fails("d1 00 00 00 07 00 00 00 03 40 40 40"), err(errc::odd_map_count, 5));
}

TEST(errors, unknown_format_code) {
  int unknown = 0;
  for (int code = 0; code < 256; ++code) {
    const auto c = static_cast<std::uint8_t>(code);
    if (is_known_format_code(c)) continue;
    ++unknown;
    const std::uint8_t one[] = {c, 0, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(decode_value(one).error(), err(errc::unknown_format_code, 0)) << code;
    // Also as a list element and as an array element constructor.
    const std::uint8_t in_list[] = {0xc0, 0x02, 0x01, c};
    EXPECT_EQ(decode_value(in_list).error(), err(errc::unknown_format_code, 3)) << code;
    const std::uint8_t in_array[] = {0xe0, 0x02, 0x01, c};
    EXPECT_EQ(decode_value(in_array).error(), err(errc::unknown_format_code, 3)) << code;
    const std::uint8_t described_array[] = {0xe0, 0x05, 0x01, 0x00, 0x53, 0x01, c};
    EXPECT_EQ(decode_value(described_array).error(), err(errc::unknown_format_code, 6)) << code;
  }
  // 0x00 (descriptor mark) + 39 format codes of Part 1, 1.6 are defined.
  EXPECT_EQ(unknown, 256 - 40);
  EXPECT_EQ(fails("00 53 01 ff"), err(errc::unknown_format_code, 3));
}

TEST(errors, invalid_boolean) {
  EXPECT_EQ(fails("56 02"), err(errc::invalid_boolean, 1));
  EXPECT_EQ(fails("56 ff"), err(errc::invalid_boolean, 1));
  EXPECT_EQ(fails("e0 05 03 56 01 00 02"), err(errc::invalid_boolean, 6));
}

TEST(errors, invalid_utf8) {
  // Overlong forms.
  EXPECT_EQ(fails("a1 02 c0 80"), err(errc::invalid_utf8, 2));
  EXPECT_EQ(fails("a1 02 c1 bf"), err(errc::invalid_utf8, 2));
  EXPECT_EQ(fails("a1 03 e0 9f bf"), err(errc::invalid_utf8, 2));
  EXPECT_EQ(fails("a1 04 f0 8f bf bf"), err(errc::invalid_utf8, 2));
  // UTF-16 surrogates.
  EXPECT_EQ(fails("a1 03 ed a0 80"), err(errc::invalid_utf8, 2));
  EXPECT_EQ(fails("a1 04 61 ed bf bf"), err(errc::invalid_utf8, 3));
  // Above U+10FFFF.
  EXPECT_EQ(fails("a1 04 f4 90 80 80"), err(errc::invalid_utf8, 2));
  EXPECT_EQ(fails("a1 04 f5 80 80 80"), err(errc::invalid_utf8, 2));
  EXPECT_EQ(fails("a1 01 ff"), err(errc::invalid_utf8, 2));
  // Bad continuation bytes, and a stray continuation byte.
  EXPECT_EQ(fails("a1 02 c3 28"), err(errc::invalid_utf8, 2));
  EXPECT_EQ(fails("a1 03 e2 82 28"), err(errc::invalid_utf8, 2));
  EXPECT_EQ(fails("a1 04 f0 9f 98 41"), err(errc::invalid_utf8, 2));
  EXPECT_EQ(fails("a1 02 61 80"), err(errc::invalid_utf8, 3));
  // A sequence cut by the end of the string.
  EXPECT_EQ(fails("a1 03 41 e2 82"), err(errc::invalid_utf8, 3));
  EXPECT_EQ(fails("a1 01 c3"), err(errc::invalid_utf8, 2));
  // After an ASCII run long enough for the 8-byte fast path, and in a str32.
  EXPECT_EQ(fails("a1 0b 61 62 63 64 65 66 67 68 69 c3 28"), err(errc::invalid_utf8, 11));
  EXPECT_EQ(fails("b1 00 00 00 0d 61 62 63 64 65 66 67 68 c3 a9 ed a0 80"),
            err(errc::invalid_utf8, 15));
  // Inside a list and as an array element.
  EXPECT_EQ(fails("c0 05 01 a1 02 c0 80"), err(errc::invalid_utf8, 5));
  EXPECT_EQ(fails("e0 07 02 a1 01 61 02 c3 28"), err(errc::invalid_utf8, 7));
}

TEST(errors, utf8_error_offset) {
  EXPECT_EQ(utf8_error_offset(""), 0u);
  EXPECT_EQ(utf8_error_offset("plain ascii, long enough for blocks"), 35u);
  EXPECT_EQ(utf8_error_offset("\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e"), 9u);
  EXPECT_EQ(utf8_error_offset("abcdefgh\xf4\x8f\xbf\xbf"), 12u);
  EXPECT_EQ(utf8_error_offset("abcdefgh\xf4\x90\x80\x80"), 8u);
  EXPECT_EQ(utf8_error_offset("abcdefghijklmno\x80"), 15u);
  EXPECT_EQ(utf8_error_offset("\xed\x9f\xbf\xed\xa0\x80"), 3u);
  EXPECT_EQ(utf8_error_offset(std::string_view("a\0b", 3)), 3u);
}

TEST(errors, invalid_symbol) {
  EXPECT_EQ(fails("a3 03 61 80 62"), err(errc::invalid_symbol, 3));
  EXPECT_EQ(fails("b3 00 00 00 02 61 ff"), err(errc::invalid_symbol, 6));
  EXPECT_EQ(fails("a3 02 c3 a9"), err(errc::invalid_symbol, 2));  // UTF-8 is not ASCII
  // Past the first eight bytes, and in the second block of eight.
  EXPECT_EQ(fails("a3 0a 61 62 63 64 65 66 67 68 69 80"), err(errc::invalid_symbol, 11));
  EXPECT_EQ(fails("b3 00 00 00 11 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 ff"),
            err(errc::invalid_symbol, 21));
  EXPECT_EQ(fails("a3 08 61 62 63 64 65 66 67 ff"), err(errc::invalid_symbol, 9));
  EXPECT_EQ(fails("e0 07 02 a3 01 61 02 62 fe"), err(errc::invalid_symbol, 8));
  EXPECT_EQ(fails("00 a3 01 80 40"), err(errc::invalid_symbol, 3));
}

TEST(errors, invalid_char) {
  EXPECT_EQ(fails("73 00 00 d8 00"), err(errc::invalid_char, 1));
  EXPECT_EQ(fails("73 00 00 df ff"), err(errc::invalid_char, 1));
  EXPECT_EQ(fails("73 00 11 00 00"), err(errc::invalid_char, 1));
  EXPECT_EQ(fails("73 ff ff ff ff"), err(errc::invalid_char, 1));
  EXPECT_EQ(fails("e0 0a 02 73 00 00 00 41 00 00 df ff"), err(errc::invalid_char, 8));
}

// `levels` lists nested in each other around a null.
std::string nested_lists(int levels) {
  std::vector<std::uint8_t> b{0x40};
  for (int i = 0; i < levels; ++i) {
    std::vector<std::uint8_t> outer{0xd0, 0, 0, 0, 0, 0, 0, 0, 1};
    const auto size = static_cast<std::uint32_t>(b.size() + 4);
    outer[1] = static_cast<std::uint8_t>(size >> 24);
    outer[2] = static_cast<std::uint8_t>(size >> 16);
    outer[3] = static_cast<std::uint8_t>(size >> 8);
    outer[4] = static_cast<std::uint8_t>(size);
    outer.insert(outer.end(), b.begin(), b.end());
    b = std::move(outer);
  }
  return test::to_hex(b);
}

TEST(errors, nesting_too_deep) {
  const decode_limits limits;
  const int max = static_cast<int>(limits.max_depth);
  EXPECT_EQ(fails(nested_lists(max)), decode_error{});
  EXPECT_EQ(fails(nested_lists(max + 1)), err(errc::nesting_too_deep, 9u * max));
  // Described values count as a level.
  std::string described;
  for (int i = 0; i < max; ++i) described += "00 53 01 ";
  EXPECT_EQ(fails(described + "40"), decode_error{});
  EXPECT_EQ(fails(described + "00 53 01 40"), err(errc::nesting_too_deep, 3u * max));
  // Arrays too: an array of arrays of ints at a limit of 2 and 1.
  const std::string aa = "e0 06 01 e0 03 01 54 01";
  EXPECT_EQ(fails(aa, {2, 100}), decode_error{});
  EXPECT_EQ(fails(aa, {1, 100}), err(errc::nesting_too_deep, 3));
  EXPECT_EQ(fails("45", {0, 100}), decode_error{});  // list0 holds nothing
  EXPECT_EQ(fails("c0 01 00", {0, 100}), err(errc::nesting_too_deep, 0));
  EXPECT_EQ(fails("00 53 01 40", {0, 100}), err(errc::nesting_too_deep, 0));
  // Mixed: map in list in described, limit 3 passes, 2 fails at the map.
  const std::string mixed = "00 53 01 c0 04 01 c1 01 00";
  EXPECT_EQ(fails(mixed, {3, 100}), decode_error{});
  EXPECT_EQ(fails(mixed, {2, 100}), err(errc::nesting_too_deep, 6));
}

TEST(errors, nested_descriptor) {
  EXPECT_EQ(fails("00 00 53 01 40 40"), err(errc::nested_descriptor, 1));
  EXPECT_EQ(fails("c0 07 01 00 00 53 01 40 40"), err(errc::nested_descriptor, 4));
  // In an array's element constructor: the descriptor itself described...
  EXPECT_EQ(fails("e0 08 01 00 00 53 01 40 54 01"), err(errc::nested_descriptor, 4));
  // ...or a second descriptor where the element format code belongs.
  EXPECT_EQ(fails("e0 09 01 00 53 01 00 53 02 54 01"), err(errc::nested_descriptor, 6));
}

TEST(errors, too_many_elements) {
  const decode_limits limits;
  ASSERT_EQ(limits.max_zero_width_elements, 65536u);
  EXPECT_EQ(fails("f0 00 00 00 05 00 01 00 00 40"), decode_error{});  // exactly the limit
  EXPECT_EQ(fails("f0 00 00 00 05 00 01 00 01 40"), err(errc::too_many_elements, 5));
  EXPECT_EQ(fails("f0 00 00 00 05 ff ff ff ff 41"), err(errc::too_many_elements, 5));
  EXPECT_EQ(fails("f0 00 00 00 05 ff ff ff ff 45"), err(errc::too_many_elements, 5));
  EXPECT_EQ(fails("f0 00 00 00 08 ff ff ff ff 00 53 01 43"), err(errc::too_many_elements, 5));
  // The budget is per decoded value, shared by every array in it.
  EXPECT_EQ(fails("c0 09 02 e0 02 ff 40 e0 02 02 44", {32, 257}), decode_error{});
  EXPECT_EQ(fails("c0 09 02 e0 02 ff 40 e0 02 02 44", {32, 256}),
            err(errc::too_many_elements, 9));
  EXPECT_EQ(fails("e0 02 05 40", {32, 4}), err(errc::too_many_elements, 2));
}

TEST(errors, trailing_bytes) {
  EXPECT_EQ(fails("40 40"), err(errc::trailing_bytes, 1));
  EXPECT_EQ(fails("c0 01 00 00"), err(errc::trailing_bytes, 3));
  EXPECT_EQ(fails("a1 01 61 ff ff"), err(errc::trailing_bytes, 3));
}

TEST(errors, messages_name_the_reason_and_offset) {
  EXPECT_EQ(err(errc::invalid_utf8, 7).message(), "invalid UTF-8 in string at offset 7");
  EXPECT_EQ(err(errc::truncated, 0).error_code(), make_error_code(errc::truncated));
  EXPECT_STREQ(error_category().name(), "amqp");
  for (int e = static_cast<int>(errc::truncated);
       e <= static_cast<int>(errc::array_element_mismatch); ++e) {
    const std::error_code ec = static_cast<errc>(e);
    EXPECT_NE(ec.message(), "unknown AMQP error") << e;
    EXPECT_FALSE(ec.message().empty());
  }
}

TEST(errors, encoder_array_element_mismatch) {
  for (const value& bad : {test::arr(kind::int_, {1, test::u32(2)}),
                           test::arr(kind::string, {"a", value::sym("b")}),
                           test::arr(kind::list, {list{}, map{}}),
                           test::darr(test::u64(1), kind::int_, {1, "x"}),
                           test::arr(kind::described, {value::described_of(test::u64(1), 1)})}) {
    writer w;
    encoder e(w);
    e.null();
    e.value(bad);
    EXPECT_EQ(e.error(), make_error_code(errc::array_element_mismatch));
    EXPECT_EQ(test::to_hex(w.view()), "40");  // nothing written for the bad array
    EXPECT_EQ(e.count(), 1u);
  }
  // Nested inside another array and inside a list, the first error is kept.
  writer w;
  encoder e(w);
  e.value(test::arr(kind::array, {test::arr(kind::int_, {1}), test::arr(kind::int_, {"x"})}));
  EXPECT_EQ(e.error(), make_error_code(errc::array_element_mismatch));
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(e.count(), 0u);
}

TEST(errors, encoder_refuses_what_the_decoder_rejects) {
  for (char32_t c : {char32_t{0xd800}, char32_t{0xdfff}, char32_t{0x110000}}) {
    writer w;
    encoder e(w);
    e.char_(c);
    EXPECT_EQ(e.error(), make_error_code(errc::invalid_char));
    EXPECT_EQ(w.size(), 0u);
    EXPECT_EQ(e.count(), 0u);
  }
  writer w;
  encoder e(w);
  e.value(value::described_of(value::described_of(test::u64(1), 2), 3));
  EXPECT_EQ(e.error(), make_error_code(errc::nested_descriptor));
  EXPECT_EQ(w.size(), 0u);
}

}  // namespace
}  // namespace amqp
