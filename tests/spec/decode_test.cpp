// Decoding composites: the descriptor forms a peer may send, short lists, and every error with
// the offset of the offending value (its first byte, relative to the start of the input).
#include <gtest/gtest.h>

#include <string>

#include "spec/samples.hpp"

namespace amqp::test {
namespace {

template <s::composite T>
decode_error error_of(std::string_view text) {
  const auto bytes = hex(text);
  const auto r = s::decode<T>(bytes_view(bytes));
  EXPECT_FALSE(r) << "decoded although invalid: " << text;
  return r ? decode_error{} : r.error();
}

decode_error err(errc code, std::size_t offset) {
  return {code, offset};
}

// --- What decodes ---

TEST(composite_decode, accepts_the_symbolic_descriptor) {
  // "amqp:open:list" as a sym8 descriptor.
  const auto bytes = hex("00 a3 0e 61 6d 71 70 3a 6f 70 65 6e 3a 6c 69 73 74 c0 05 01 a1 02 63 31");
  const auto o = s::decode<s::open>(bytes_view(bytes));
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->container_id, "c1");
  // sym32 too.
  const auto bytes32 =
      hex("00 b3 00 00 00 0e 61 6d 71 70 3a 6f 70 65 6e 3a 6c 69 73 74 c0 05 01 a1 02 63 31");
  EXPECT_TRUE(s::decode<s::open>(bytes_view(bytes32)));
  // The symbol of another type is refused, at the descriptor.
  const auto begin_sym =
      hex("00 a3 0f 61 6d 71 70 3a 62 65 67 69 6e 3a 6c 69 73 74 c0 05 01 a1 02 63 31");
  const auto b = s::decode<s::open>(bytes_view(begin_sym));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), err(errc::unexpected_descriptor, 1));
}

TEST(composite_decode, accepts_every_ulong_form_of_the_descriptor) {
  const auto full = hex("00 80 00 00 00 00 00 00 00 10 c0 05 01 a1 02 63 31");
  const auto o = s::decode<s::open>(bytes_view(full));
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->container_id, "c1");
  // accepted is 0x24; ulong0 is 0 and names no type.
  EXPECT_TRUE(s::decode<s::accepted>(bytes_view(hex("00 80 00 00 00 00 00 00 00 24 45"))));
  EXPECT_EQ(error_of<s::accepted>("00 44 45"), err(errc::unexpected_descriptor, 1));
  // The same id in another domain is another descriptor.
  EXPECT_EQ(error_of<s::open>("00 80 00 00 00 01 00 00 00 10 c0 05 01 a1 02 63 31"),
            err(errc::unexpected_descriptor, 1));
  // A descriptor of the wrong kind (uint, string).
  EXPECT_EQ(error_of<s::open>("00 52 10 c0 05 01 a1 02 63 31"),
            err(errc::unexpected_descriptor, 1));
  EXPECT_EQ(error_of<s::open>("00 a1 0e 61 6d 71 70 3a 6f 70 65 6e 3a 6c 69 73 74 45"),
            err(errc::unexpected_descriptor, 1));
}

TEST(composite_decode, accepts_lists_shorter_than_the_field_count) {
  // flow with its four mandatory fields only (list8), then the same in list32.
  const auto f_bytes = hex("00 53 13 c0 08 04 40 52 01 52 02 52 03");
  const auto f = s::decode<s::flow>(bytes_view(f_bytes));
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->next_incoming_id);
  EXPECT_EQ(f->outgoing_window, 3u);
  EXPECT_FALSE(f->link_credit);
  const auto f32_bytes = hex("00 53 13 d0 00 00 00 0b 00 00 00 04 40 52 01 52 02 52 03");
  const auto f32 = s::decode<s::flow>(bytes_view(f32_bytes));
  ASSERT_TRUE(f32);
  EXPECT_EQ(diff(*f, *f32), "");
  // Types without mandatory fields accept the empty list (list0 and an empty list8).
  EXPECT_TRUE(s::decode<s::close>(bytes_view(hex("00 53 18 45"))));
  EXPECT_TRUE(s::decode<s::close>(bytes_view(hex("00 53 18 c0 01 00"))));
  const auto src_bytes = hex("00 53 28 45");
  const auto src = s::decode<s::source>(bytes_view(src_bytes));
  ASSERT_TRUE(src);
  EXPECT_EQ(src->expiry_policy, s::expiry_policy::session_end);
  // Explicit nulls read like absent fields.
  const auto h_bytes = hex("00 53 70 c0 06 05 40 40 40 40 40");
  const auto h = s::decode<s::header>(bytes_view(h_bytes));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->priority, 4u);
}

TEST(composite_decode, accepts_non_canonical_encodings_of_fields) {
  // uint as 0x70 and smalluint, ubyte, boolean as 0x56, strings as str32.
  const auto bytes =
      hex("00 53 70 c0 0c 04 56 01 50 07 70 00 00 00 05 56 00");  // durable, priority, ttl, f-a
  const auto h = s::decode<s::header>(bytes_view(bytes));
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_TRUE(h->durable);
  EXPECT_EQ(h->priority, 7u);
  EXPECT_EQ(h->ttl, 5u);
  EXPECT_FALSE(h->first_acquirer);
  const auto o_bytes = hex("00 53 10 c0 08 01 b1 00 00 00 02 63 31");
  const auto o = s::decode<s::open>(bytes_view(o_bytes));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->container_id, "c1");
}

// --- Every error, with its offset ---

TEST(composite_decode_error, unexpected_descriptor) {
  EXPECT_EQ(error_of<s::open>("a1 02 63 31"), err(errc::unexpected_descriptor, 0))
      << "not described";
  EXPECT_EQ(error_of<s::open>("45"), err(errc::unexpected_descriptor, 0));
  EXPECT_EQ(error_of<s::open>("00 53 11 c0 05 01 a1 02 63 31"),
            err(errc::unexpected_descriptor, 1));
}

TEST(composite_decode_error, not_a_list) {
  EXPECT_EQ(error_of<s::open>("00 53 10 a1 02 63 31"), err(errc::not_a_list, 3));
  EXPECT_EQ(error_of<s::close>("00 53 18 c1 01 00"), err(errc::not_a_list, 3)) << "a map";
  EXPECT_EQ(error_of<s::close>("00 53 18 40"), err(errc::not_a_list, 3)) << "null";
  EXPECT_EQ(error_of<s::close>("00 53 18 e0 02 00 a3"), err(errc::not_a_list, 3)) << "an array";
  EXPECT_EQ(error_of<s::close>("00 53 18 00 53 18 45"), err(errc::not_a_list, 3)) << "described";
  EXPECT_EQ(error_of<s::close>("00 a3 0f 61 6d 71 70 3a 63 6c 6f 73 65 3a 6c 69 73 74 a0 00"),
            err(errc::not_a_list, 18));
}

TEST(composite_decode_error, too_many_fields) {
  // The offset is the first field beyond the type's last.
  EXPECT_EQ(error_of<s::close>("00 53 18 c0 03 02 40 40"), err(errc::too_many_fields, 7));
  EXPECT_EQ(error_of<s::accepted>("00 53 24 c0 02 01 40"), err(errc::too_many_fields, 6));
  EXPECT_EQ(error_of<s::received>("00 53 23 c0 07 03 43 44 a1 02 78 79"),
            err(errc::too_many_fields, 8));
}

TEST(composite_decode_error, missing_mandatory_field) {
  // Absent: the offset is the list; null: the null.
  EXPECT_EQ(error_of<s::open>("00 53 10 45"), err(errc::missing_mandatory_field, 3));
  EXPECT_EQ(error_of<s::open>("00 53 10 c0 02 01 40"), err(errc::missing_mandatory_field, 6));
  EXPECT_EQ(error_of<s::begin>("00 53 11 c0 03 02 40 43"), err(errc::missing_mandatory_field, 3));
  EXPECT_EQ(error_of<s::begin>("00 53 11 c0 05 04 40 43 40 43"),
            err(errc::missing_mandatory_field, 8));
  EXPECT_EQ(error_of<s::received>("00 53 23 c0 02 01 43"), err(errc::missing_mandatory_field, 3));
  EXPECT_EQ(error_of<s::discharge>("00 53 32 c0 02 01 40"), err(errc::missing_mandatory_field, 6));
  // A mandatory multiple field may not be an empty array either (Part 1, 1.4).
  EXPECT_EQ(error_of<s::sasl_mechanisms>("00 53 40 c0 05 01 e0 02 00 a3"),
            err(errc::missing_mandatory_field, 6));
  EXPECT_EQ(error_of<s::sasl_mechanisms>("00 53 40 45"), err(errc::missing_mandatory_field, 3));
  // An optional multiple field may be an empty array.
  const auto o_bytes = hex("00 53 10 c0 0f 08 a1 02 63 31 40 40 40 40 40 40 e0 02 00 a3");
  const auto o = s::decode<s::open>(bytes_view(o_bytes));
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_TRUE(o->offered_capabilities.empty());
}

TEST(composite_decode_error, field_type_mismatch) {
  // container-id as a symbol.
  EXPECT_EQ(error_of<s::open>("00 53 10 c0 04 01 a3 01 78"), err(errc::field_type_mismatch, 6));
  // max-frame-size as a ulong.
  EXPECT_EQ(error_of<s::open>("00 53 10 c0 0f 03 a1 02 63 31 40 80 00 00 00 00 00 00 02 00"),
            err(errc::field_type_mismatch, 11));
  // channel-max as a uint.
  EXPECT_EQ(error_of<s::open>("00 53 10 c0 09 04 a1 02 63 31 40 40 52 07"),
            err(errc::field_type_mismatch, 12));
  // role as a ubyte, handle as a ulong.
  EXPECT_EQ(error_of<s::attach>("00 53 12 c0 07 03 a1 01 6c 43 50 01"),
            err(errc::field_type_mismatch, 10));
  EXPECT_EQ(error_of<s::attach>("00 53 12 c0 07 03 a1 01 6c 53 01 41"),
            err(errc::field_type_mismatch, 9));
  // delivery-tag as a string, settled as a ubyte.
  EXPECT_EQ(error_of<s::transfer>("00 53 14 c0 07 03 43 40 a1 02 74 31"),
            err(errc::field_type_mismatch, 8));
  EXPECT_EQ(error_of<s::transfer>("00 53 14 c0 07 05 43 40 40 40 50 01"),
            err(errc::field_type_mismatch, 10));
  // absolute-expiry-time as a ulong.
  EXPECT_EQ(error_of<s::properties>("00 53 73 c0 0b 09 40 40 40 40 40 40 40 40 53 05"),
            err(errc::field_type_mismatch, 14));
  // A symbol[] field holding a string, or an array of strings.
  EXPECT_EQ(error_of<s::open>("00 53 10 c0 0e 08 a1 02 63 31 40 40 40 40 40 40 a1 01 78"),
            err(errc::field_type_mismatch, 16));
  EXPECT_EQ(error_of<s::open>("00 53 10 c0 11 08 a1 02 63 31 40 40 40 40 40 40 e0 04 01 a1 01 78"),
            err(errc::field_type_mismatch, 16));
  // A composite-typed field (detach's error) that is not a described value.
  EXPECT_EQ(error_of<s::detach>("00 53 16 c0 06 03 43 40 a1 01 78"),
            err(errc::field_type_mismatch, 8));
}

TEST(composite_decode_error, map_typed_fields_must_be_maps) {
  // open.properties (fields) as a list, begin.properties as a string.
  EXPECT_EQ(error_of<s::open>("00 53 10 c0 0e 0a a1 02 63 31 40 40 40 40 40 40 40 40 45"),
            err(errc::field_type_mismatch, 18));
  EXPECT_EQ(error_of<s::begin>("00 53 11 c0 0b 08 40 43 43 43 40 40 40 a1 01 78"),
            err(errc::field_type_mismatch, 13));
  // attach.unsettled (map) as a list.
  EXPECT_EQ(error_of<s::attach>("00 53 12 c0 0b 08 a1 01 6c 43 41 40 40 40 40 45"),
            err(errc::field_type_mismatch, 15));
  // error.info, modified.message-annotations, source.filter and dynamic-node-properties.
  EXPECT_EQ(error_of<s::error>("00 53 1d c0 08 03 a3 01 78 40 a1 01 78"),
            err(errc::field_type_mismatch, 10));
  EXPECT_EQ(error_of<s::modified>("00 53 27 c0 04 03 40 40 45"), err(errc::field_type_mismatch, 8));
  EXPECT_EQ(error_of<s::source>("00 53 28 c0 09 08 40 40 40 40 40 40 40 45"),
            err(errc::field_type_mismatch, 13));
  EXPECT_EQ(error_of<s::target>("00 53 29 c0 08 06 40 40 40 40 40 a1 00"),
            err(errc::field_type_mismatch, 11));
  // A map decodes, an empty one too.
  const auto m_bytes = hex("00 53 27 c0 0a 03 40 40 c1 05 02 a3 01 78 43");
  const auto m = s::decode<s::modified>(bytes_view(m_bytes));
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->message_annotations.type(), kind::map);
  EXPECT_TRUE(s::decode<s::modified>(bytes_view(hex("00 53 27 c0 06 03 40 40 c1 01 00"))));
}

TEST(composite_decode_error, invalid_field_value) {
  // snd-settle-mode 3 (choices 0..2), rcv-settle-mode 2 (choices 0..1).
  EXPECT_EQ(error_of<s::attach>("00 53 12 c0 08 04 a1 01 6c 43 42 50 03"),
            err(errc::invalid_field_value, 11));
  EXPECT_EQ(error_of<s::attach>("00 53 12 c0 09 05 a1 01 6c 43 42 40 50 02"),
            err(errc::invalid_field_value, 12));
  EXPECT_EQ(error_of<s::transfer>("00 53 14 c0 09 07 43 40 40 40 40 40 50 02"),
            err(errc::invalid_field_value, 12));
  // sasl-code 9 (choices 0..4).
  EXPECT_EQ(error_of<s::sasl_outcome>("00 53 44 c0 03 01 50 09"),
            err(errc::invalid_field_value, 6));
  EXPECT_EQ(error_of<s::sasl_outcome>("00 53 44 c0 03 01 50 05"),
            err(errc::invalid_field_value, 6));
  // terminus-durability 3 (choices 0..2).
  EXPECT_EQ(error_of<s::source>("00 53 28 c0 04 02 40 52 03"), err(errc::invalid_field_value, 7));
  // The last valid choice of each decodes.
  EXPECT_TRUE(s::decode<s::sasl_outcome>(bytes_view(hex("00 53 44 c0 03 01 50 04"))));
  EXPECT_TRUE(s::decode<s::source>(bytes_view(hex("00 53 28 c0 04 02 40 52 02"))));
  const auto a_bytes = hex("00 53 12 c0 0a 05 a1 01 6c 43 42 50 02 50 01");
  const auto a = s::decode<s::attach>(bytes_view(a_bytes));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->snd_settle_mode, s::sender_settle_mode::mixed);
  EXPECT_EQ(a->rcv_settle_mode, s::receiver_settle_mode::second);
}

TEST(composite_decode_error, nested_errors_keep_absolute_offsets) {
  // detach(handle 0, closed null, error(condition as a string)): the condition is at 14.
  EXPECT_EQ(error_of<s::detach>("00 53 16 c0 0c 03 43 40 00 53 1d c0 04 01 a1 01 78"),
            err(errc::field_type_mismatch, 14));
  // ... error with no condition: the nested list at 11.
  EXPECT_EQ(error_of<s::detach>("00 53 16 c0 07 03 43 40 00 53 1d 45"),
            err(errc::missing_mandatory_field, 11));
  // ... error with another descriptor: the nested descriptor at 9.
  EXPECT_EQ(error_of<s::detach>("00 53 16 c0 07 03 43 40 00 53 1e 45"),
            err(errc::unexpected_descriptor, 9));
  // end(error whose info is a list): the list at 16.
  EXPECT_EQ(error_of<s::end>("00 53 17 c0 0c 01 00 53 1d c0 06 03 a3 01 78 40 45"),
            err(errc::field_type_mismatch, 16));
  // rejected (messaging) and close: same rule.
  EXPECT_EQ(error_of<s::rejected>("00 53 25 c0 0a 01 00 53 1d c0 04 01 a1 01 78"),
            err(errc::field_type_mismatch, 12));
  EXPECT_EQ(error_of<s::close>("00 53 18 c0 07 01 00 53 1d c0 01 00"),
            err(errc::missing_mandatory_field, 9));
}

TEST(composite_decode_error, offsets_are_relative_to_the_base_given) {
  // The detach from above, behind 5 bytes of other data: offsets move by 5 with that base,
  // and count from the detach's own first byte without one.
  const auto bytes = hex("01 02 03 04 05 00 53 16 c0 0c 03 43 40 00 53 1d c0 04 01 a1 01 78");
  std::size_t used = 0;
  const auto v = decode_value_prefix(bytes_view(bytes).subspan(5), used);
  ASSERT_TRUE(v);
  const auto r = s::decode<s::detach>(*v, bytes.data());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), err(errc::field_type_mismatch, 19));
  const auto no_base = s::decode<s::detach>(*v);
  ASSERT_FALSE(no_base);
  EXPECT_EQ(no_base.error(), err(errc::field_type_mismatch, 14));
}

TEST(composite_decode_error, value_errors_pass_through) {
  // Malformed bytes fail in the value decoder, with its error and offset.
  const auto r_bytes = hex("00 53 10 c0 05 01 a1 02 63");
  const auto r = s::decode<s::open>(bytes_view(r_bytes));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().code, errc::missing_mandatory_field);
  const auto t_bytes = hex("00 53 18 45 45");
  const auto t = s::decode<s::close>(bytes_view(t_bytes));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error(), err(errc::trailing_bytes, 4));
}

}  // namespace
}  // namespace amqp::test
