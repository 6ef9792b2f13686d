// The member types without a plain C++ equivalent: `symbols` (symbol[] fields) and
// `value_ref` (fields of type * and map-typed fields).
#include <gtest/gtest.h>

#include <string>
#include <type_traits>
#include <vector>

#include "spec/samples.hpp"

namespace amqp::test {
namespace {

std::vector<std::string> strings_of(const s::symbols& syms) {
  std::vector<std::string> out;
  for (symbol_view x : syms) out.emplace_back(x.str);
  return out;
}

// --- symbols ---

TEST(symbols_field, a_single_symbol_decodes_and_is_sent_back_as_an_array) {
  // open(container-id "c1", 6 nulls, offered-capabilities: the symbol "foo").
  const auto bytes = hex("00 53 10 c0 10 08 a1 02 63 31 40 40 40 40 40 40 a3 03 66 6f 6f");
  const auto o = s::decode<s::open>(bytes_view(bytes));
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->offered_capabilities.size(), 1u);
  EXPECT_FALSE(o->offered_capabilities.empty());
  EXPECT_TRUE(o->offered_capabilities.contains("foo"));
  EXPECT_FALSE(o->offered_capabilities.contains("fo"));
  EXPECT_EQ(strings_of(o->offered_capabilities), std::vector<std::string>{"foo"});
  EXPECT_EQ(o->offered_capabilities.view().type(), kind::symbol);
  // Sent as an array of one: e0 06 01 a3 03 66 6f 6f.
  EXPECT_EQ(to_hex(encode_one(*o).view()),
            "00 53 10 c0 13 08 a1 02 63 31 40 40 40 40 40 40 e0 06 01 a3 03 66 6f 6f");
}

TEST(symbols_field, an_array_decodes_as_a_view_and_is_sent_back_unchanged) {
  const auto bytes =
      hex("00 53 10 c0 16 08 a1 02 63 31 40 40 40 40 40 40 e0 09 02 a3 03 66 6f 6f 02 62 61");
  const auto o = s::decode<s::open>(bytes_view(bytes));
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(strings_of(o->offered_capabilities), (std::vector<std::string>{"foo", "ba"}));
  EXPECT_EQ(o->offered_capabilities.view().type(), kind::array);
  EXPECT_EQ(to_hex(encode_one(*o).view()), to_hex(bytes));
  // The decoded symbols view the input bytes.
  EXPECT_EQ(static_cast<const void*>((*o->offered_capabilities.begin()).str.data()),
            static_cast<const void*>(bytes.data() + 21));
  // sym32 elements (a non-canonical encoding) decode, and are re-encoded as sym8.
  const auto bytes32 =
      hex("00 53 10 c0 16 08 a1 02 63 31 40 40 40 40 40 40 e0 09 01 b3 00 00 00 03 66 6f 6f");
  const auto o32 = s::decode<s::open>(bytes_view(bytes32));
  ASSERT_TRUE(o32) << o32.error().message();
  EXPECT_EQ(strings_of(o32->offered_capabilities), std::vector<std::string>{"foo"});
  EXPECT_EQ(to_hex(encode_one(*o32).view()),
            "00 53 10 c0 13 08 a1 02 63 31 40 40 40 40 40 40 e0 06 01 a3 03 66 6f 6f");
}

TEST(symbols_field, built_from_arrays_and_spans) {
  static constexpr symbol_view one[] = {symbol_view{"x"}};
  const s::symbols from_c_array = one;
  EXPECT_EQ(strings_of(from_c_array), std::vector<std::string>{"x"});
  const s::symbols from_std_array = mechanisms;
  EXPECT_EQ(strings_of(from_std_array), (std::vector<std::string>{"PLAIN", "ANONYMOUS"}));
  std::vector<symbol_view> v{symbol_view{"a"}, symbol_view{"b"}, symbol_view{"c"}};
  const s::symbols from_span = std::span<const symbol_view>(v);
  EXPECT_EQ(from_span.size(), 3u);
  EXPECT_TRUE(from_span.view().is_null());
  EXPECT_TRUE(s::symbols{}.empty());
  EXPECT_EQ(s::symbols{}.begin(), s::symbols{}.end());
  // A temporary array would dangle, so it does not convert.
  static_assert(!std::is_convertible_v<std::array<symbol_view, 1>, s::symbols>);
  static_assert(std::is_convertible_v<const std::array<symbol_view, 1>&, s::symbols>);
}

TEST(symbols_field, one_symbol_is_sent_as_an_array) {
  static constexpr symbol_view one[] = {symbol_view{"foo"}};
  EXPECT_EQ(to_hex(encode_one(s::coordinator{.capabilities = one}).view()),
            "00 53 30 c0 09 01 e0 06 01 a3 03 66 6f 6f");
  // No symbols: the field is null, so not sent at all.
  EXPECT_EQ(to_hex(encode_one(s::coordinator{}).view()), "00 53 30 45");
}

TEST(symbols_field, many_or_long_symbols) {
  // More than the encoder keeps on its stack, and symbols too long for sym8.
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) texts.push_back("capability-" + std::to_string(i));
  texts.push_back(std::string(300, 'z'));
  std::vector<symbol_view> views;
  for (const auto& t : texts) views.emplace_back(t);
  const s::open o{.container_id = "c", .offered_capabilities = std::span<const symbol_view>(views)};
  const writer w = encode_one(o);
  const auto back = s::decode<s::open>(w.view());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(strings_of(back->offered_capabilities), texts);
  EXPECT_EQ(back->offered_capabilities.view().as_array().element_format(), format_code::sym32);
  // A short list of which one is long: sym32 for all, in array8 or array32 as size demands.
  const symbol_view two[] = {symbol_view{"a"}, symbol_view{texts.back()}};
  const writer w2 = encode_one(s::coordinator{.capabilities = two});
  const auto back2 = s::decode<s::coordinator>(w2.view());
  ASSERT_TRUE(back2);
  EXPECT_EQ(strings_of(back2->capabilities), (std::vector<std::string>{"a", texts.back()}));
  EXPECT_EQ(back2->capabilities.view().as_array().element_format(), format_code::sym32);
}

// --- value_ref ---

TEST(value_ref_field, holds_a_string) {
  const s::value_ref r = "queue-a";
  EXPECT_FALSE(r.is_null());
  EXPECT_EQ(r.type(), kind::string);
  EXPECT_EQ(r.view().as_string(), "queue-a");
  EXPECT_EQ(r.owned(), nullptr);
  EXPECT_EQ(encoded_hex(r), "a1 07 71 75 65 75 65 2d 61");
  const std::string text = "";
  const s::value_ref empty = std::string_view(text);
  EXPECT_FALSE(empty.is_null()) << "an empty string is a value";
  EXPECT_EQ(encoded_hex(empty), "a1 00");
}

TEST(value_ref_field, holds_an_owned_value_without_copying_it) {
  const value id = std::uint64_t{7};
  const s::value_ref r = id;
  EXPECT_EQ(r.owned(), &id);
  EXPECT_EQ(r.type(), kind::ulong);
  EXPECT_FALSE(r.is_null());
  EXPECT_EQ(encoded_hex(r), "53 07");
  const value null_value;
  const s::value_ref n = null_value;
  EXPECT_TRUE(n.is_null());
  EXPECT_EQ(n.type(), kind::null);
  // Temporaries would dangle, so they do not bind.
  static_assert(!std::is_constructible_v<s::value_ref, value>);
  static_assert(!std::is_constructible_v<s::value_ref, value&&>);
  static_assert(std::is_constructible_v<s::value_ref, const value&>);
}

TEST(value_ref_field, holds_a_decoded_view) {
  const auto bytes = hex("c1 05 02 a3 01 6b 43");  // {k: 0}
  const auto v = decode_value(bytes_view(bytes));
  ASSERT_TRUE(v);
  const s::value_ref r = *v;
  EXPECT_EQ(r.type(), kind::map);
  EXPECT_EQ(r.view().data(), v->data());
  EXPECT_EQ(r.owned(), nullptr);
  EXPECT_EQ(encoded_hex(r), "c1 05 02 a3 01 6b 43");
  EXPECT_TRUE(s::value_ref{}.is_null());
  EXPECT_EQ(s::value_ref{}.type(), kind::null);
}

TEST(value_ref_field, each_kind_of_reference_encodes_in_a_composite) {
  // properties: message-id from an owned ulong, to from a string, reply-to from a view.
  const auto reply = hex("a1 01 72");
  const auto reply_view = decode_value(bytes_view(reply));
  ASSERT_TRUE(reply_view);
  const value id = std::uint64_t{0x100};
  const s::properties p{.message_id = id, .to = "t", .reply_to = *reply_view};
  const std::string golden = "00 53 73 c0 12 05 80 00 00 00 00 00 00 01 00 40 a1 01 74 40 a1 01 72";
  EXPECT_EQ(to_hex(encode_one(p).view()), golden);
  const auto bytes = hex(golden);
  const auto back = s::decode<s::properties>(bytes_view(bytes));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->message_id.type(), kind::ulong);
  EXPECT_EQ(back->message_id.view().as_ulong(), 0x100u);
  EXPECT_EQ(back->to.view().as_string(), "t");
  EXPECT_EQ(back->reply_to.view().as_string(), "r");
  EXPECT_TRUE(back->correlation_id.is_null());
  // A decoded struct's refs view the input: the same bytes come back.
  EXPECT_EQ(to_hex(encode_one(*back).view()), golden);
}

TEST(value_ref_field, star_fields_take_any_value) {
  // transactional-state's txn-id as binary, then as a string: both are accepted (type *).
  EXPECT_TRUE(s::decode<s::transactional_state>(bytes_view(hex("00 53 34 c0 04 01 a0 01 01"))));
  EXPECT_TRUE(s::decode<s::transactional_state>(bytes_view(hex("00 53 34 c0 04 01 a1 01 01"))));
  // A described outcome inside stays a view that decodes on its own.
  const auto bytes = hex("00 53 34 c0 08 02 a0 01 01 00 53 24 45");
  const auto t = s::decode<s::transactional_state>(bytes_view(bytes));
  ASSERT_TRUE(t);
  EXPECT_TRUE(s::decode<s::accepted>(t->outcome.view(), bytes.data()));
}

}  // namespace
}  // namespace amqp::test
