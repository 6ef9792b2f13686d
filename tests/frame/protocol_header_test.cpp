// Protocol headers (spec Part 2, 2.2; Part 5, 5.2 and 5.3).
#include <gtest/gtest.h>

#include "frame_streams.hpp"

namespace amqp {
namespace {

using test::hex;
using test::to_hex;

TEST(protocol_header, writes_each_protocol_id) {
  writer w;
  write_protocol_header(w, protocol_id::amqp);
  write_protocol_header(w, protocol_id::tls);
  write_protocol_header(w, protocol_id::sasl);
  EXPECT_EQ(to_hex(w.view()),
            "41 4d 51 50 00 01 00 00 41 4d 51 50 02 01 00 00 41 4d 51 50 03 01 00 00");
}

TEST(protocol_header, parses_each_protocol_id) {
  for (protocol_id id : {protocol_id::amqp, protocol_id::tls, protocol_id::sasl}) {
    auto b = test::header_bytes(id);
    auto h = parse_protocol_header(b);
    ASSERT_TRUE(h) << h.error().message();
    EXPECT_EQ(*h, (protocol_header{id, 1, 0, 0}));
  }
}

TEST(protocol_header, reads_only_the_first_eight_bytes) {
  auto b = hex("41 4d 51 50 03 01 00 00 ff ff");
  auto h = parse_protocol_header(b);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, protocol_id::sasl);
}

struct bad_header {
  const char* bytes;
  errc code;
  std::size_t offset;
};

TEST(protocol_header, reports_the_first_bad_byte) {
  const bad_header cases[] = {
      {"48 54 54 50 2f 31 2e 31", errc::invalid_protocol_header, 0},  // "HTTP/1.1"
      {"61 4d 51 50 00 01 00 00", errc::invalid_protocol_header, 0},  // lower case
      {"41 4e 51 50 00 01 00 00", errc::invalid_protocol_header, 1},
      {"41 4d 52 50 00 01 00 00", errc::invalid_protocol_header, 2},
      {"41 4d 51 58 00 01 00 00", errc::invalid_protocol_header, 3},
      {"41 4d 51 58 07 09 09 09", errc::invalid_protocol_header, 3},  // magic checked first
      {"41 4d 51 50 01 01 00 00", errc::unsupported_protocol, 4},     // no protocol id 1
      {"41 4d 51 50 04 01 00 00", errc::unsupported_protocol, 4},
      {"41 4d 51 50 ff 01 00 00", errc::unsupported_protocol, 4},
      {"41 4d 51 50 00 00 09 01", errc::unsupported_protocol, 5},  // AMQP 0-9-1
      {"41 4d 51 50 00 02 00 00", errc::unsupported_protocol, 5},
      {"41 4d 51 50 00 01 01 00", errc::unsupported_protocol, 6},
      {"41 4d 51 50 03 01 00 01", errc::unsupported_protocol, 7},
      {"41 4d 51 50 02 01 00 ff", errc::unsupported_protocol, 7},
  };
  for (const auto& c : cases) {
    auto b = hex(c.bytes);
    auto h = parse_protocol_header(b);
    ASSERT_FALSE(h) << c.bytes;
    EXPECT_EQ(h.error(), (decode_error{c.code, c.offset})) << c.bytes;
  }
}

TEST(protocol_header, short_input) {
  auto good = hex("41 4d 51 50 00");
  auto h = parse_protocol_header(good);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error(), (decode_error{errc::truncated, 5}));

  auto none = parse_protocol_header({});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), (decode_error{errc::truncated, 0}));

  // A bad byte is reported even before the header is complete.
  auto bad = hex("41 4d 58");
  auto b = parse_protocol_header(bad);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), (decode_error{errc::invalid_protocol_header, 2}));
}

TEST(protocol_header, error_messages_name_the_offset) {
  auto b = hex("41 4d 51 50 00 01 01 00");
  auto h = parse_protocol_header(b);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().message(), "unsupported protocol id or version at offset 6");
  EXPECT_EQ(h.error().error_code(), make_error_code(errc::unsupported_protocol));
}

}  // namespace
}  // namespace amqp
