// The one-pass typed decoder (decode from bytes) against the two-pass path (the value decoder,
// then decode from the view): for every composite type, and for every single-byte change of its
// encoding, both accept the same inputs and read the same fields. Plus what only the one-pass
// path has: decode_prefix, errors in byte order, the nesting limit inside fields.
#include <gtest/gtest.h>

#include "spec/samples.hpp"

namespace amqp::test {
namespace {

template <class T>
class one_pass : public ::testing::Test {};
TYPED_TEST_SUITE(one_pass, composite_test_types);

// Decodes `bytes` both ways; a failure describes the disagreement.
template <s::composite T>
::testing::AssertionResult agree(bytes_view bytes) {
  const auto fused = s::decode<T>(bytes);
  const auto value = decode_value(bytes);
  const auto typed = value ? s::decode<T>(*value, bytes.data()) : result<T>(value.error());
  if (fused.has_value() != typed.has_value())
    return ::testing::AssertionFailure()
           << "one pass " << (fused ? "accepts" : "refuses (" + fused.error().message() + ")")
           << ", two passes " << (typed ? "accept" : "refuse (" + typed.error().message() + ")");
  if (fused && !diff(*fused, *typed).empty())
    return ::testing::AssertionFailure() << "fields differ: " << diff(*fused, *typed);
  // Both refuse: the error is in the input (the one pass may find a different first fault).
  if (!fused && fused.error().offset > bytes.size())
    return ::testing::AssertionFailure() << "offset beyond the input";
  return ::testing::AssertionSuccess();
}

TYPED_TEST(one_pass, agrees_with_two_passes_under_every_byte_change) {
  using T = TypeParam;
  const writer w = encode_one(sample<T>());
  std::vector<std::uint8_t> bytes(w.view().begin(), w.view().end());
  ASSERT_TRUE(agree<T>(bytes));
  // Each byte replaced by values that hit format codes, sizes and counts of every kind.
  const std::uint8_t replacements[] = {0x00, 0x01, 0x02, 0x40, 0x41, 0x43, 0x45, 0x50, 0x52,
                                       0x53, 0x56, 0x70, 0x80, 0x98, 0xa0, 0xa1, 0xa3, 0xb1,
                                       0xc0, 0xc1, 0xd0, 0xe0, 0xf0, 0x7f, 0xff};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::uint8_t original = bytes[i];
    for (std::uint8_t r : replacements) {
      bytes[i] = r;
      EXPECT_TRUE(agree<T>(bytes)) << "byte " << i << " = " << int{r} << " in " << to_hex(bytes);
    }
    bytes[i] = original;
  }
  // And every truncation.
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_TRUE(agree<T>(bytes_view(bytes).first(n))) << "first " << n << " bytes";
}

TYPED_TEST(one_pass, decode_prefix_reports_the_size_and_leaves_what_follows) {
  using T = TypeParam;
  writer w = encode_one(sample<T>());
  const std::size_t size = w.size();
  w.push_back(0xaa);  // a payload, say
  std::size_t used = 0;
  const auto r = s::decode_prefix<T>(w.view(), used);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(used, size);
  EXPECT_EQ(diff(*r, sample<T>()), "");
  const auto exact = s::decode<T>(w.view());
  ASSERT_FALSE(exact);
  EXPECT_EQ(exact.error(), (decode_error{errc::trailing_bytes, size}));
}

TEST(one_pass_errors, the_first_bad_byte_is_reported) {
  // transfer: handle is a string (wrong type, offset 5), and the list claims more bytes than
  // there are. The two-pass path sees the size first; the one pass sees the fields in order
  // and reports the first fault it meets, here the size of the list.
  const auto short_list = hex("00 53 14 c0 10 02 a1 01 78 52 01");
  const auto r = s::decode<s::transfer>(bytes_view(short_list));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), (decode_error{errc::size_exceeds_input, 4}));
  // A well-formed list: the string handle is refused at its constructor, before the
  // delivery-id that is cut short.
  const auto wrong_type = hex("00 53 14 c0 07 02 a1 01 78 70 00 00");
  const auto w = s::decode<s::transfer>(bytes_view(wrong_type));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error(), (decode_error{errc::field_type_mismatch, 6}));
  // A field of the wrong type that is malformed itself is reported as malformed.
  const auto bad_string = hex("00 53 14 c0 05 02 a1 05 78 52");
  const auto b = s::decode<s::transfer>(bytes_view(bad_string));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), (decode_error{errc::compound_size_mismatch, 7}));
  // An element that runs past its list is the list's fault, not a truncation.
  const auto overrun = hex("00 53 14 c0 03 02 43 70 00 00 00 00 00");
  const auto o = s::decode<s::transfer>(bytes_view(overrun));
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error(), (decode_error{errc::compound_size_mismatch, 8}));
}

TEST(one_pass_errors, nesting_limit_applies_inside_fields) {
  // detach(handle 0, closed true, error(condition "x", info {k: [[...]]})): the error's info
  // map is at depth 4 (detach 0, its list 1, error 2, error's list 3, info 4); the lists in it
  // go deeper. With max_depth 6 the list at depth 6 is refused at its constructor.
  const auto bytes = hex(
      "00 53 16 c0 19 03 43 41"
      " 00 53 1d c0 11 03 a3 01 78 40"
      " c1 0a 02 a3 01 6b c0 04 01 c0 01 00");
  const auto fine = s::decode<s::detach>(bytes_view(bytes));
  ASSERT_TRUE(fine) << fine.error().message();
  const auto r = s::decode<s::detach>(bytes_view(bytes), decode_limits{.max_depth = 6});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), (decode_error{errc::nesting_too_deep, 27}));
  const auto two = decode_value(bytes_view(bytes), decode_limits{.max_depth = 6});
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error(), r.error()) << "both paths count depth alike";
}

}  // namespace
}  // namespace amqp::test
