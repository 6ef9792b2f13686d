#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "amqp/message.hpp"
#include "message/fixtures.hpp"
#include "support/hex.hpp"

namespace amqp {
namespace {

using test::hex;

std::size_t offset_in(bytes_view whole, bytes_view part) {
  return static_cast<std::size_t>(part.data() - whole.data());
}

decode_error error_of(const std::vector<std::uint8_t>& bytes) {
  auto r = decode_message(bytes);
  EXPECT_FALSE(r) << "decoded without error: " << test::to_hex(bytes);
  return r ? decode_error{} : r.error();
}

TEST(decode_message, typical_message) {
  const auto bytes = test::typical_bytes();
  ASSERT_EQ(bytes.size(), 78u);
  auto m = decode_message(bytes);
  ASSERT_TRUE(m) << m.error().message();

  ASSERT_TRUE(m->header);
  EXPECT_TRUE(m->header->durable);
  EXPECT_EQ(m->header->priority, 4);
  EXPECT_FALSE(m->header->ttl);
  EXPECT_TRUE(m->delivery_annotations.is_null());
  EXPECT_TRUE(m->message_annotations.is_null());

  ASSERT_TRUE(m->properties);
  EXPECT_EQ(m->properties->message_id.view().as_string(), "id-1");
  EXPECT_FALSE(m->properties->user_id);
  EXPECT_EQ(m->properties->to.view().as_string(), "queue");
  EXPECT_TRUE(m->properties->reply_to.is_null());
  EXPECT_FALSE(m->properties->subject);

  ASSERT_EQ(m->application_properties.type(), kind::map);
  const map_view ap = m->application_properties.as_map();
  EXPECT_EQ(ap.size(), 3u);
  EXPECT_EQ(ap.find("region").as_string(), "eu-west-1");
  EXPECT_EQ(ap.find("count").as_int(), 42);
  EXPECT_TRUE(ap.find("flag").as_boolean());

  EXPECT_EQ(m->body, body_kind::data);
  EXPECT_EQ(m->body_count, 1u);
  EXPECT_EQ(test::to_hex(m->data()), "68 65 6c 6c 6f");
  EXPECT_TRUE(m->value().is_null());
  EXPECT_TRUE(m->footer.is_null());

  // Zero-copy: the views point into the input.
  EXPECT_EQ(m->data().data(), bytes.data() + 73);
  EXPECT_EQ(offset_in(bytes, m->body_bytes), 68u);
  EXPECT_EQ(m->body_bytes.size(), 10u);
  EXPECT_EQ(offset_in(bytes, m->bare), 7u);
  EXPECT_EQ(m->bare.size(), 71u);
}

TEST(decode_message, empty_input_is_a_message_without_sections) {
  auto m = decode_message({});
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->header);
  EXPECT_FALSE(m->properties);
  EXPECT_EQ(m->body, body_kind::none);
  EXPECT_EQ(m->body_count, 0u);
  EXPECT_TRUE(m->bare.empty());
  EXPECT_TRUE(m->body_bytes.empty());
  EXPECT_TRUE(m->data().empty());
}

TEST(decode_message, message_without_body) {
  const auto bytes = hex(std::string(test::typical_header_hex) + test::typical_properties_hex +
                         "00 53 78 c1 01 00");
  auto m = decode_message(bytes);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->body, body_kind::none);
  EXPECT_EQ(m->body_count, 0u);
  EXPECT_TRUE(m->body_bytes.empty());
  // The bare message is just the properties.
  EXPECT_EQ(offset_in(bytes, m->bare), 7u);
  EXPECT_EQ(m->bare.size(), 20u);
  ASSERT_EQ(m->footer.type(), kind::map);
  EXPECT_TRUE(m->footer.as_map().empty());
}

TEST(decode_message, header_and_footer_only_have_no_bare_message) {
  auto m = decode_message(hex("00 53 70 45 00 53 78 c1 01 00"));
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_TRUE(m->header);
  EXPECT_EQ(m->header->priority, 4);
  EXPECT_TRUE(m->bare.empty());
}

TEST(decode_message, annotations_and_footer) {
  const auto bytes = hex(
      "00 53 71 c1 0b 02 a3 04 78 2d 64 61 a1 02 64 61"  // delivery-annotations {x-da: "da"}
      "00 53 72 c1 06 02 53 05 a3 01 6d"                 // message-annotations {5ul: :m}
      "00 53 77 40"                                      // amqp-value null
      "00 53 78 c1 09 02 a3 01 66 70 00 00 00 01");      // footer {f: 1u (wide)}
  auto m = decode_message(bytes);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->delivery_annotations.as_map().find("x-da").as_string(), "da");
  auto ma = *m->message_annotations.as_map().begin();
  EXPECT_EQ(ma.key.as_ulong(), 5u);
  EXPECT_EQ(ma.value.as_string(), "m");
  EXPECT_EQ(m->body, body_kind::amqp_value);
  EXPECT_EQ(m->body_count, 1u);
  EXPECT_TRUE(m->value().is_null());
  EXPECT_EQ(m->footer.as_map().find("f").as_uint(), 1u);
  EXPECT_EQ(offset_in(bytes, m->bare), 27u);
  EXPECT_EQ(m->bare.size(), 4u);
  EXPECT_EQ(offset_in(bytes, m->body_bytes), 27u);
}

TEST(decode_message, amqp_value_body) {
  const auto bytes = hex("00 53 77 a1 05 68 65 6c 6c 6f");
  auto m = decode_message(bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->body, body_kind::amqp_value);
  EXPECT_EQ(m->value().as_string(), "hello");
  EXPECT_TRUE(m->data().empty());
  EXPECT_EQ(m->bare.size(), bytes.size());
}

TEST(decode_message, several_amqp_sequence_sections) {
  const auto bytes = hex("00 53 76 45  00 53 76 c0 03 01 52 07  00 53 76 d0 00 00 00 04 00 00 00 00");
  auto m = decode_message(bytes);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->body, body_kind::amqp_sequence);
  ASSERT_EQ(m->body_count, 3u);
  std::vector<value_view> sections(m->body_sections().begin(), m->body_sections().end());
  ASSERT_EQ(sections.size(), 3u);
  EXPECT_EQ(sections[0].count(), 0u);
  EXPECT_EQ((*sections[1].as_list().begin()).as_uint(), 7u);
  EXPECT_EQ(sections[2].count(), 0u);
  EXPECT_EQ(sections[2].format(), format_code::list32);
  EXPECT_EQ(m->body_bytes.size(), bytes.size());
  EXPECT_TRUE(m->data().empty());
  EXPECT_TRUE(m->value().is_null());
}

TEST(decode_message, many_data_sections_with_wide_and_symbolic_descriptors) {
  std::string text;
  for (int i = 0; i < 11; ++i) text += "00 53 75 a0 01 3" + std::to_string(i % 10) + " ";
  text += "00 80 00 00 00 00 00 00 00 75 a0 01 41 ";
  text += "00 a3 10 61 6d 71 70 3a 64 61 74 61 3a 62 69 6e 61 72 79 b0 00 00 00 01 42";
  const auto bytes = hex(text);
  auto m = decode_message(bytes);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->body, body_kind::data);
  EXPECT_EQ(m->body_count, 13u);
  std::string firsts;
  for (value_view b : m->body_sections()) {
    ASSERT_EQ(b.type(), kind::binary);
    firsts += static_cast<char>(b.as_binary()[0]);
  }
  EXPECT_EQ(firsts, "0123456789" "0AB");
  EXPECT_EQ(m->body_bytes.size(), bytes.size());  // all thirteen
  EXPECT_EQ(m->data()[0], 0x30);
}

TEST(decode_message, symbolic_descriptors) {
  auto sym = [](std::string_view name) {
    std::string h = "00 a3 " + test::to_hex(std::vector<std::uint8_t>{
                                   static_cast<std::uint8_t>(name.size())}) + " ";
    h += test::to_hex({reinterpret_cast<const std::uint8_t*>(name.data()), name.size()});
    return h + " ";
  };
  const auto bytes = hex(sym("amqp:header:list") + "c0 02 01 41" +
                         sym("amqp:delivery-annotations:map") + "c1 01 00" +
                         sym("amqp:message-annotations:map") + "c1 01 00" +
                         sym("amqp:properties:list") + "c0 04 02 40 a0 00" +
                         sym("amqp:application-properties:map") + "c1 01 00" +
                         sym("amqp:data:binary") + "a0 01 41" +
                         sym("amqp:data:binary") + "a0 01 42" +
                         sym("amqp:footer:map") + "c1 01 00");
  auto m = decode_message(bytes);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_TRUE(m->header);
  EXPECT_TRUE(m->header->durable);
  EXPECT_EQ(m->delivery_annotations.type(), kind::map);
  EXPECT_EQ(m->message_annotations.type(), kind::map);
  ASSERT_TRUE(m->properties);
  ASSERT_TRUE(m->properties->user_id);
  EXPECT_TRUE(m->properties->user_id->empty());
  EXPECT_EQ(m->application_properties.type(), kind::map);
  EXPECT_EQ(m->body, body_kind::data);
  EXPECT_EQ(m->body_count, 2u);
  EXPECT_EQ(m->footer.type(), kind::map);

  auto seq = decode_message(hex(sym("amqp:amqp-sequence:list") + "45"));
  ASSERT_TRUE(seq);
  EXPECT_EQ(seq->body, body_kind::amqp_sequence);
  const auto val_bytes = hex(sym("amqp:amqp-value:*") + "52 05");
  auto val = decode_message(val_bytes);
  ASSERT_TRUE(val);
  EXPECT_EQ(val->value().as_uint(), 5u);
}

TEST(decode_message, wide_descriptor_codes) {
  // ulong descriptors in their 8-byte and smallulong forms name the same sections.
  const auto bytes = hex("00 80 00 00 00 00 00 00 00 77 52 05");
  auto m = decode_message(bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->value().as_uint(), 5u);
}

// Errors from the value decoder keep their reason; the offset is moved to the message start.
TEST(decode_message, value_errors_are_relative_to_the_message) {
  auto bytes = test::typical_bytes();
  bytes[27 + 6 + 2] = 0xff;  // first byte of "region" is no longer UTF-8
  EXPECT_EQ(error_of(bytes), (decode_error{errc::invalid_utf8, 35}));

  EXPECT_EQ(error_of(hex("00 53 70 45  00 53 75 ff")), (decode_error{errc::unknown_format_code, 7}));
  EXPECT_EQ(error_of(hex("00 53 70 45  00 53 75 a0 05 00")),
            (decode_error{errc::size_exceeds_input, 8}));
  EXPECT_EQ(error_of(hex("00 53 70 45  00 00 53 75")), (decode_error{errc::nested_descriptor, 5}));
}

TEST(decode_message, decode_limits_apply_per_section) {
  // amqp-value [[[]]]: depth 4 counting the described section.
  const auto bytes = hex("00 53 77 c0 05 01 c0 02 01 45");
  EXPECT_TRUE(decode_message(bytes));
  auto r = decode_message(bytes, decode_limits{.max_depth = 2});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), (decode_error{errc::nesting_too_deep, 6}));
}

TEST(decode_message, values_that_are_not_sections) {
  // A bare string after the header.
  EXPECT_EQ(error_of(hex("00 53 70 45  a1 02 68 69")), (decode_error{errc::invalid_section, 4}));
  // A described value with a descriptor of another type (open), a code past the footer, a
  // code below the header, an unknown symbol, a descriptor that is neither ulong nor symbol.
  EXPECT_EQ(error_of(hex("00 53 10 45")), (decode_error{errc::invalid_section, 0}));
  EXPECT_EQ(error_of(hex("00 53 75 a0 00  00 53 79 45")), (decode_error{errc::invalid_section, 5}));
  EXPECT_EQ(error_of(hex("00 53 6f 45")), (decode_error{errc::invalid_section, 0}));
  EXPECT_EQ(error_of(hex("00 a3 0e 61 6d 71 70 3a 6f 70 65 6e 3a 6c 69 73 74 45")),
            (decode_error{errc::invalid_section, 0}));
  EXPECT_EQ(error_of(hex("00 a3 0f 61 6d 71 70 3a 68 65 61 64 65 72 3a 6d 61 70 45")),
            (decode_error{errc::invalid_section, 0}));  // amqp:header:map
  EXPECT_EQ(error_of(hex("00 52 70 45")), (decode_error{errc::invalid_section, 0}));  // uint
  EXPECT_EQ(error_of(hex("00 a1 01 70 45")), (decode_error{errc::invalid_section, 0}));
}

TEST(decode_message, sections_out_of_order) {
  const std::string header = "00 53 70 45 ";           // 4 bytes
  const std::string da = "00 53 71 c1 01 00 ";         // 6 bytes
  const std::string ma = "00 53 72 c1 01 00 ";         // 6 bytes
  const std::string props = "00 53 73 45 ";            // 4 bytes
  const std::string ap = "00 53 74 c1 01 00 ";         // 6 bytes
  const std::string data = "00 53 75 a0 00 ";          // 5 bytes
  const std::string seq = "00 53 76 45 ";              // 4 bytes
  const std::string value = "00 53 77 40 ";            // 4 bytes
  const std::string footer = "00 53 78 c1 01 00 ";     // 6 bytes
  auto order = [](const std::string& text, std::size_t at) {
    EXPECT_EQ(error_of(hex(text)), (decode_error{errc::section_order, at})) << text;
  };
  order(props + header, 4);
  order(header + header, 4);
  order(ma + da, 6);
  order(da + da, 6);
  order(ma + ma, 6);
  order(props + props, 4);
  order(ap + props, 6);
  order(ap + ap, 6);
  order(data + ap, 5);
  order(data + props, 5);
  order(footer + data, 6);
  order(footer + footer, 6);
  order(footer + header, 6);
  // Body kinds never mix, and there is at most one amqp-value.
  order(data + seq, 5);
  order(seq + data, 4);
  order(data + data + value, 10);
  order(value + value, 4);
  order(value + data, 4);
  order(seq + value, 4);
  // Everything in order is fine.
  EXPECT_TRUE(decode_message(hex(header + da + ma + props + ap + data + data + footer)));
  EXPECT_TRUE(decode_message(hex(header + da + ma + props + ap + seq + seq + footer)));
  EXPECT_TRUE(decode_message(hex(header + da + ma + props + ap + value + footer)));
}

TEST(decode_message, section_contents_of_the_wrong_type) {
  auto mismatch = [](const std::string& text, std::size_t at) {
    EXPECT_EQ(error_of(hex(text)), (decode_error{errc::field_type_mismatch, at})) << text;
  };
  mismatch("00 53 71 45", 3);                    // delivery-annotations: a list
  mismatch("00 53 72 40", 3);                    // message-annotations: null
  mismatch("00 53 70 45 00 53 74 a1 00", 7);     // application-properties: a string
  mismatch("00 53 75 a0 00 00 53 78 45", 8);     // footer: a list
  mismatch("00 53 75 a1 02 68 69", 3);           // data: a string
  mismatch("00 53 75 a0 00 00 53 75 40", 8);     // second data: null
  mismatch("00 53 76 c1 01 00", 3);              // amqp-sequence: a map
  mismatch("00 a3 10 61 6d 71 70 3a 64 61 74 61 3a 62 69 6e 61 72 79 45", 19);
}

TEST(decode_message, header_and_properties_errors) {
  // header: not a list, a field of the wrong type (priority as uint), too many fields.
  EXPECT_EQ(error_of(hex("00 53 70 40")), (decode_error{errc::not_a_list, 3}));
  EXPECT_EQ(error_of(hex("00 53 70 c0 04 02 40 52 05")),
            (decode_error{errc::field_type_mismatch, 7}));
  EXPECT_EQ(error_of(hex("00 53 70 c0 07 06 40 40 40 40 40 40")),
            (decode_error{errc::too_many_fields, 11}));
  // properties: subject as a symbol, after a valid header.
  EXPECT_EQ(error_of(hex("00 53 70 45 00 53 73 c0 07 04 40 40 40 a3 01 73")),
            (decode_error{errc::field_type_mismatch, 13}));
  // properties: a map instead of a list.
  EXPECT_EQ(error_of(hex("00 53 73 c1 01 00")), (decode_error{errc::not_a_list, 3}));
}

// Every proper prefix of a valid message either ends on a section boundary (and is a valid,
// shorter message) or fails as truncated; none crashes or reads past its end.
TEST(decode_message, every_truncation_fails_cleanly) {
  writer w;
  message m = test::full_message();
  m.body_type = body_kind::data;
  m.body = {test::bin_of("first"), test::bin_of("second")};
  ASSERT_FALSE(encode_message(w, m));
  const bytes_view whole = w.view();

  // Section boundaries, from decoding the whole message section by section.
  std::vector<std::size_t> boundaries{0};
  for (std::size_t at = 0; at < whole.size();) {
    std::size_t used = 0;
    ASSERT_TRUE(decode_value_prefix(whole.subspan(at), used));
    at += used;
    boundaries.push_back(at);
  }
  ASSERT_EQ(boundaries.size(), 9u);  // the start and the end of 8 sections

  for (std::size_t n = 0; n < whole.size(); ++n) {
    // A copy of exactly n bytes, so that the sanitizers catch any read past the end.
    const std::vector<std::uint8_t> prefix(whole.begin(), whole.begin() + n);
    auto r = decode_message(prefix);
    const bool boundary =
        std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end();
    if (boundary) {
      EXPECT_TRUE(r) << "prefix of " << n << ": " << r.error().message();
      continue;
    }
    ASSERT_FALSE(r) << "prefix of " << n << " decoded";
    EXPECT_TRUE(r.error().code == errc::truncated || r.error().code == errc::size_exceeds_input)
        << "prefix of " << n << ": " << r.error().message();
    EXPECT_LE(r.error().offset, n);
  }
}

}  // namespace
}  // namespace amqp
