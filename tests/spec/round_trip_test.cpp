// Every composite type: encode -> decode round trips with all fields set and with only the
// mandatory ones, and the run-time table is the one the structs' traits declare.
#include <gtest/gtest.h>

#include <set>

#include "spec/samples.hpp"

namespace amqp::test {
namespace {

template <class T>
class composite_round_trip : public ::testing::Test {};
TYPED_TEST_SUITE(composite_round_trip, composite_test_types);

constexpr std::size_t field_count(const s::type_info& t) {
  return t.fields.size();
}

TYPED_TEST(composite_round_trip, sample_sets_every_field) {
  using T = TypeParam;
  const writer w = encode_one(sample<T>());
  const list_view fields = encoded_fields(w);
  ASSERT_EQ(fields.size(), field_count(s::traits<T>::info)) << to_hex(w.view());
  std::size_t i = 0;
  for (value_view f : fields)
    EXPECT_FALSE(f.is_null()) << s::traits<T>::info.fields[i++].name << " is not set";
}

TYPED_TEST(composite_round_trip, all_fields) {
  using T = TypeParam;
  const T in = sample<T>();
  const writer w = encode_one(in);
  const auto out = s::decode<T>(w.view());
  ASSERT_TRUE(out) << out.error().message() << "\n" << to_hex(w.view());
  EXPECT_EQ(diff(in, *out), "");
  // Decoding views the input; encoding the decoded struct gives the same bytes.
  EXPECT_EQ(to_hex(encode_one(*out).view()), to_hex(w.view()));
}

TYPED_TEST(composite_round_trip, mandatory_fields_only) {
  using T = TypeParam;
  const T in = mandatory_only<T>();
  const writer w = encode_one(in);
  const auto out = s::decode<T>(w.view());
  ASSERT_TRUE(out) << out.error().message() << "\n" << to_hex(w.view());
  EXPECT_EQ(diff(in, *out), "") << "the optional fields decode to their defaults";
  // Trailing optional fields are omitted: the list ends with the last mandatory field, and
  // an optional field before it is null.
  const auto& info = s::traits<T>::info;
  std::size_t last_mandatory = 0;
  for (std::size_t i = 0; i < info.fields.size(); ++i)
    if (info.fields[i].is_mandatory()) last_mandatory = i + 1;
  const list_view fields = encoded_fields(w);
  EXPECT_EQ(fields.size(), last_mandatory) << to_hex(w.view());
  std::size_t i = 0;
  for (value_view f : fields) {
    EXPECT_EQ(f.is_null(), !info.fields[i].is_mandatory()) << info.fields[i].name;
    ++i;
  }
}

TYPED_TEST(composite_round_trip, every_truncation_fails_cleanly) {
  using T = TypeParam;
  const writer w = encode_one(sample<T>());
  for (std::size_t n = 0; n < w.size(); ++n) {
    const auto r = s::decode<T>(bytes_view(w.data(), n));
    ASSERT_FALSE(r) << "decoded from " << n << " of " << w.size() << " bytes";
    EXPECT_LE(r.error().offset, n);
  }
}

TYPED_TEST(composite_round_trip, decodes_inside_a_larger_buffer_with_absolute_offsets) {
  using T = TypeParam;
  // The composite as the third element of a list: decode from the element's view.
  writer w;
  encoder e(w);
  const auto m = e.begin_list();
  e.string("before");
  e.uint(0);
  s::encode(e, sample<T>());
  e.end_list(m);
  const value_view outer = view_of(w);
  auto it = outer.as_list().begin();
  ++it;
  ++it;
  const auto out = s::decode<T>(*it, w.data());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(diff(sample<T>(), *out), "");
  // The same bytes wrapped in a described value of another descriptor fail at the descriptor.
  writer bad;
  encoder eb(bad);
  eb.descriptor(0xfe);
  eb.string("x");
  const auto wrong = s::decode<T>(bad.view());
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error(), (decode_error{errc::unexpected_descriptor, 1}));
}

TYPED_TEST(composite_round_trip, table_entry_is_the_traits_declaration) {
  using T = TypeParam;
  const s::type_info& info = s::traits<T>::info;
  const s::type_info* by_code = s::find_type(info.code);
  ASSERT_NE(by_code, nullptr);
  EXPECT_EQ(by_code, s::find_type(info.symbol));
  EXPECT_EQ(by_code->name, info.name);
  EXPECT_FALSE(by_code->restricted);
  EXPECT_EQ(by_code->fields.size(), info.fields.size());
  if (!info.fields.empty()) {
    EXPECT_EQ(by_code->fields.data(), info.fields.data());
  }
  constexpr std::size_t n = std::tuple_size_v<std::remove_cvref_t<decltype(s::traits<T>::fields)>>;
  EXPECT_EQ(info.fields.size(), n);
}

TEST(composite_table, lists_every_composite_struct_and_the_sections) {
  std::set<std::uint64_t> structs;
  std::apply([&](auto... t) { (structs.insert(s::traits<decltype(t)>::info.code), ...); },
             all_composites{});
  std::set<std::uint64_t> composites, sections;
  for (const s::type_info& t : s::all_types())
    (t.restricted ? sections : composites).insert(t.code);
  EXPECT_EQ(structs, composites);
  EXPECT_EQ(sections, (std::set<std::uint64_t>{0x71, 0x72, 0x74, 0x75, 0x76, 0x77, 0x78}));
  // Sorted by code, so that lookup by code can bisect.
  for (std::size_t i = 1; i < s::all_types().size(); ++i)
    EXPECT_LT(s::all_types()[i - 1].code, s::all_types()[i].code);
}

TEST(composite_table, finds_types_by_descriptor_value) {
  writer w;
  encoder e(w);
  e.symbol("amqp:detach:list");
  const s::type_info* t = s::find_type(view_of(w));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "detach");
  w.clear();
  encoder(w).ulong(0x75);
  t = s::find_type(view_of(w));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "data");
  EXPECT_TRUE(t->restricted);
  w.clear();
  encoder(w).uint(0x75);
  EXPECT_EQ(s::find_type(view_of(w)), nullptr) << "a uint is not a descriptor";
  EXPECT_EQ(s::find_type(std::uint64_t{0x19}), nullptr);
  EXPECT_EQ(s::find_type(std::uint64_t{0x1'0000'0010}), nullptr) << "another domain";
  EXPECT_EQ(s::find_type(std::string_view("amqp:open:map")), nullptr);
}

}  // namespace
}  // namespace amqp::test
