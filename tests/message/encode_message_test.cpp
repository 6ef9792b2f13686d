#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp/message.hpp"
#include "amqp/value.hpp"
#include "message/fixtures.hpp"
#include "support/hex.hpp"

namespace amqp {
namespace {

using test::hex;
using test::to_hex;

// owned -> bytes -> view -> owned, and view -> bytes -> view.
void expect_round_trips(const message& m) {
  writer w;
  ASSERT_FALSE(encode_message(w, m));
  auto v = decode_message(w.view());
  ASSERT_TRUE(v) << v.error().message() << " in " << to_hex(w.view());
  EXPECT_EQ(v->body, m.body_type);
  EXPECT_EQ(message::from_view(*v), m) << to_hex(w.view());

  writer again;
  ASSERT_FALSE(encode_message(again, *v));
  // The encoding of an owned message is canonical, so re-encoding its view changes nothing.
  EXPECT_EQ(to_hex(again.view()), to_hex(w.view()));
  auto v2 = decode_message(again.view());
  ASSERT_TRUE(v2);
  EXPECT_EQ(message::from_view(*v2), message::from_view(*v));
}

TEST(encode_message, typical_message_golden_bytes) {
  writer w;
  ASSERT_FALSE(encode_message(w, test::typical_message()));
  EXPECT_EQ(to_hex(w.view()), to_hex(test::typical_bytes()));
}

TEST(encode_message, appends_to_what_the_writer_holds) {
  writer w;
  w.push_back(0xaa);
  ASSERT_FALSE(encode_message(w, test::typical_message()));
  ASSERT_EQ(w.size(), 79u);
  EXPECT_EQ(w.data()[0], 0xaa);
  EXPECT_EQ(to_hex(w.view().subspan(1)), to_hex(test::typical_bytes()));
}

TEST(encode_message, empty_message_encodes_to_nothing) {
  writer w;
  ASSERT_FALSE(encode_message(w, message{}));
  EXPECT_TRUE(w.empty());
  auto v = decode_message(w.view());
  ASSERT_TRUE(v);
  EXPECT_EQ(message::from_view(*v), message{});
}

TEST(encode_message, full_message_golden_bytes) {
  message m = test::full_message();
  m.set_value(value::sym("v"));
  writer w;
  ASSERT_FALSE(encode_message(w, m));
  const std::string expected =
      // header: durable, priority 9, ttl 60000, first-acquirer, delivery-count 3
      "00 53 70 c0 0c 05 41 50 09 70 00 00 ea 60 41 52 03 "
      // delivery-annotations {:x-opt-da: [1, "two"]}
      "00 53 71 c1 15 02 a3 08 78 2d 6f 70 74 2d 64 61 c0 08 02 54 01 a1 03 74 77 6f "
      // message-annotations {:x-opt-partition: 7L, 0x1234ul: :by-code}
      "00 53 72 c1 26 04 a3 0f 78 2d 6f 70 74 2d 70 61 72 74 69 74 69 6f 6e 55 07 "
      "80 00 00 00 00 00 00 12 34 a3 07 62 79 2d 63 6f 64 65 "
      // properties, every field
      "00 53 73 c0 6f 0d 53 63 a0 05 67 75 65 73 74 a1 0e 71 75 65 75 65 3a 2f 2f 6f 72 64 65 "
      "72 73 a1 05 6f 72 64 65 72 a1 07 72 65 70 6c 69 65 73 a0 03 01 02 03 a3 10 61 70 70 6c "
      "69 63 61 74 69 6f 6e 2f 6a 73 6f 6e a3 04 67 7a 69 70 83 00 00 01 8b cf e6 52 60 83 00 "
      "00 01 8b cf e5 68 00 a1 05 67 72 6f 75 70 52 11 a1 0b 72 65 70 6c 79 2d 67 72 6f 75 70 "
      // application-properties {"region": "eu-west-1", "count": -5L, "ratio": 0.5}
      "00 53 74 c1 2d 06 a1 06 72 65 67 69 6f 6e a1 09 65 75 2d 77 65 73 74 2d 31 a1 05 63 6f "
      "75 6e 74 55 fb a1 05 72 61 74 69 6f 82 3f e0 00 00 00 00 00 00 "
      // amqp-value :v
      "00 53 77 a3 01 76 "
      // footer {:x-checksum: 0xdeadbeef}
      "00 53 78 c1 12 02 a3 0a 78 2d 63 68 65 63 6b 73 75 6d 70 de ad be ef";
  EXPECT_EQ(to_hex(w.view()), to_hex(hex(expected)));
}

TEST(encode_message, properties_are_omitted_when_every_field_is_unset) {
  message m;
  m.set_data({});
  EXPECT_EQ(to_hex(test::encoded(m)), "00 53 75 a0 00");
  m.properties.group_sequence = 0;  // set, even if zero
  EXPECT_EQ(to_hex(test::encoded(m)),
            "00 53 73 c0 0d 0c 40 40 40 40 40 40 40 40 40 40 40 43 00 53 75 a0 00");
}

TEST(encode_message, header_with_defaults_is_an_empty_list) {
  message m;
  m.header = spec::header{};
  EXPECT_EQ(to_hex(test::encoded(m)), "00 53 70 45");
}

TEST(encode_message, several_data_sections) {
  message m;
  m.body_type = body_kind::data;
  m.body = {test::bin_of("ab"), test::bin_of(""), test::bin_of("c")};
  EXPECT_EQ(to_hex(test::encoded(m)), "00 53 75 a0 02 61 62 00 53 75 a0 00 00 53 75 a0 01 63");
}

TEST(encode_message, set_data_and_set_value_replace_the_body) {
  message m;
  m.body_type = body_kind::amqp_sequence;
  m.body = {value::list_of({1}), value::list_of({2})};
  const std::uint8_t payload[] = {1, 2};
  m.set_data(payload);
  EXPECT_EQ(m.body_type, body_kind::data);
  ASSERT_EQ(m.body.size(), 1u);
  EXPECT_EQ(m.body[0], value::bin(payload));
  m.set_value(std::string("x"));
  EXPECT_EQ(m.body_type, body_kind::amqp_value);
  ASSERT_EQ(m.body.size(), 1u);
  EXPECT_EQ(m.body[0], value("x"));
}

TEST(encode_message, round_trip_every_section_with_each_body_kind) {
  message m = test::full_message();

  m.set_data(std::vector<std::uint8_t>(300, 0x5a));  // wide binary
  expect_round_trips(m);

  m.body_type = body_kind::data;
  m.body = {test::bin_of("one"), test::bin_of(""), test::bin_of("three")};
  expect_round_trips(m);

  m.body_type = body_kind::amqp_sequence;
  m.body = {value::list_of({1, "two", value::sym("three")}), value::list_of({}),
            value::list_of({value::map_of({{"k", 1.5}})})};
  expect_round_trips(m);

  m.set_value(value::map_of({{"nested", value::list_of({true, std::uint64_t{1} << 40})}}));
  expect_round_trips(m);

  m.set_value(value{});  // an amqp-value section holding null is still a body
  expect_round_trips(m);

  m.body_type = body_kind::none;
  m.body.clear();
  expect_round_trips(m);
}

TEST(encode_message, round_trip_many_body_sections) {
  message m;
  m.body_type = body_kind::data;
  for (int i = 0; i < 20; ++i) m.body.push_back(test::bin_of(std::string(i, 'x')));
  expect_round_trips(m);
  m.body_type = body_kind::amqp_sequence;
  m.body.clear();
  for (int i = 0; i < 12; ++i) m.body.push_back(value::list_of({i}));
  expect_round_trips(m);
}

TEST(encode_message, round_trip_each_section_alone) {
  const message full = test::full_message();
  message m;
  m.header = full.header;
  expect_round_trips(m);
  m = {};
  m.delivery_annotations = full.delivery_annotations;
  expect_round_trips(m);
  m = {};
  m.message_annotations = full.message_annotations;
  expect_round_trips(m);
  m = {};
  m.properties = full.properties;
  expect_round_trips(m);
  m = {};
  m.application_properties = full.application_properties;
  expect_round_trips(m);
  m = {};
  m.footer = full.footer;
  expect_round_trips(m);
}

TEST(encode_message, round_trip_each_property_alone) {
  const message::properties_type full = test::full_message().properties;
  using P = message::properties_type;
  const std::vector<void (*)(P&, const P&)> setters{
      [](P& p, const P& f) { p.message_id = f.message_id; },
      [](P& p, const P& f) { p.user_id = f.user_id; },
      [](P& p, const P& f) { p.to = f.to; },
      [](P& p, const P& f) { p.subject = f.subject; },
      [](P& p, const P& f) { p.reply_to = f.reply_to; },
      [](P& p, const P& f) { p.correlation_id = f.correlation_id; },
      [](P& p, const P& f) { p.content_type = f.content_type; },
      [](P& p, const P& f) { p.content_encoding = f.content_encoding; },
      [](P& p, const P& f) { p.absolute_expiry_time = f.absolute_expiry_time; },
      [](P& p, const P& f) { p.creation_time = f.creation_time; },
      [](P& p, const P& f) { p.group_id = f.group_id; },
      [](P& p, const P& f) { p.group_sequence = f.group_sequence; },
      [](P& p, const P& f) { p.reply_to_group_id = f.reply_to_group_id; },
  };
  for (std::size_t i = 0; i < setters.size(); ++i) {
    SCOPED_TRACE(i);
    message m;
    setters[i](m.properties, full);
    expect_round_trips(m);
    // Field i is the last one on the wire: the list holds i + 1 elements.
    auto v = decode_message(test::encoded(m));
    ASSERT_TRUE(v);
    EXPECT_EQ(test::encoded(m)[5], i + 1);
  }
}

// A view of non-canonical bytes (symbolic descriptors, wide encodings) re-encodes to the
// canonical form, which decodes to the same message.
TEST(encode_message, view_re_encodes_canonically) {
  const auto bytes = hex(
      "00 a3 10 61 6d 71 70 3a 68 65 61 64 65 72 3a 6c 69 73 74 d0 00 00 00 07 00 00 00 02 42 50 04"
      " 00 80 00 00 00 00 00 00 00 73 c0 09 03 40 40 b1 00 00 00 01 71"
      " 00 53 74 d1 00 00 00 0f 00 00 00 02 b1 00 00 00 01 6b 70 00 00 00 01"
      " 00 53 76 45 00 53 76 c0 02 01 43");
  auto v = decode_message(bytes);
  ASSERT_TRUE(v) << v.error().message();
  writer w;
  ASSERT_FALSE(encode_message(w, *v));
  EXPECT_EQ(to_hex(w.view()),
            "00 53 70 45 00 53 73 c0 06 03 40 40 a1 01 71 00 53 74 c1 06 02 a1 01 6b 52 01"
            " 00 53 76 45 00 53 76 c0 02 01 43");
  auto again = decode_message(w.view());
  ASSERT_TRUE(again);
  EXPECT_EQ(message::from_view(*again), message::from_view(*v));
}

TEST(encode_message, view_keeps_present_but_empty_sections) {
  const auto bytes = hex("00 53 71 c1 01 00 00 53 73 45 00 53 75 a0 00 00 53 78 c1 01 00");
  auto v = decode_message(bytes);
  ASSERT_TRUE(v);
  writer w;
  ASSERT_FALSE(encode_message(w, *v));
  EXPECT_EQ(to_hex(w.view()), to_hex(bytes));
}

TEST(encode_message, hand_built_view) {
  const auto body = hex("00 53 75 a0 02 01 02  00 a3 10 61 6d 71 70 3a 64 61 74 61 3a 62 69 6e 61 72 79 a0 01 03");
  message_view v;
  v.properties = spec::properties{.message_id = "m", .subject = "s"};
  v.body = body_kind::data;
  v.body_bytes = body;
  v.body_count = 2;
  writer w;
  ASSERT_FALSE(encode_message(w, v));
  EXPECT_EQ(to_hex(w.view()),
            "00 53 73 c0 09 04 a1 01 6d 40 40 a1 01 73 00 53 75 a0 02 01 02 00 53 75 a0 01 03");
}

TEST(encode_message, refuses_bodies_that_do_not_fit_their_kind) {
  auto refused = [](const message& m, errc code) {
    writer w;
    w.push_back(0x01);
    EXPECT_EQ(encode_message(w, m), make_error_code(code));
    EXPECT_EQ(to_hex(w.view()), "01");  // unchanged
  };
  message m = test::typical_message();
  m.body = {std::string("not binary")};
  refused(m, errc::field_type_mismatch);
  m.body = {test::bin_of("ok"), value::list_of({})};
  refused(m, errc::field_type_mismatch);
  m.body.clear();
  refused(m, errc::section_order);  // data needs at least one section
  m.body_type = body_kind::amqp_sequence;
  m.body = {test::bin_of("x")};
  refused(m, errc::field_type_mismatch);
  m.body_type = body_kind::amqp_value;
  m.body = {1, 2};
  refused(m, errc::section_order);
  m.body.clear();
  refused(m, errc::section_order);
  m.body_type = body_kind::none;
  m.body = {1};
  refused(m, errc::section_order);
}

TEST(encode_message, refuses_hand_built_views_that_do_not_fit) {
  auto refused = [](const message_view& v, errc code) {
    writer w;
    EXPECT_EQ(encode_message(w, v), make_error_code(code));
    EXPECT_TRUE(w.empty());
  };
  const auto data = hex("00 53 75 a0 01 07");
  message_view v;
  v.body = body_kind::data;
  v.body_count = 1;
  refused(v, errc::invalid_section);  // no body_bytes
  v.body_bytes = data;
  writer ok;
  EXPECT_FALSE(encode_message(ok, v));
  v.body_count = 2;
  refused(v, errc::invalid_section);  // fewer sections than announced
  v.body_count = 1;
  v.body = body_kind::amqp_value;
  refused(v, errc::invalid_section);  // another kind
  v.body = body_kind::none;
  v.body_count = 0;
  refused(v, errc::invalid_section);  // body bytes without a body
  const auto not_only_body = hex("00 53 75 a0 01 07 00 53 78 c1 01 00");
  v.body = body_kind::data;
  v.body_count = 1;
  v.body_bytes = not_only_body;
  refused(v, errc::invalid_section);  // a footer among the body bytes
  const auto malformed = hex("00 53 75 a0 05 07");
  v.body_bytes = malformed;
  refused(v, errc::invalid_section);
  const auto list = hex("45");
  auto l = decode_value(list);
  ASSERT_TRUE(l);
  v = {};
  v.footer = *l;
  refused(v, errc::field_type_mismatch);
}

TEST(encode_message, from_view_deep_copies) {
  message copy;
  {
    auto bytes = test::typical_bytes();
    auto v = decode_message(bytes);
    ASSERT_TRUE(v);
    copy = message::from_view(*v);
    std::fill(bytes.begin(), bytes.end(), 0);  // the copy does not look at the input again
  }
  EXPECT_EQ(copy, test::typical_message());
}

TEST(encode_message, equality_looks_at_every_part) {
  const message a = test::full_message();
  std::vector<message> others(8, a);
  others[0].header->ttl = 1;
  others[1].header.reset();
  others[2].delivery_annotations.clear();
  others[3].message_annotations.pop_back();
  others[4].properties.group_sequence = 18;
  others[5].application_properties[0].second = "eu-west-2";
  others[6].set_data({});
  others[7].footer.clear();
  for (const message& o : others) EXPECT_FALSE(o == a);
  EXPECT_TRUE(a == test::full_message());
}

}  // namespace
}  // namespace amqp
