// The frame header and frame body (spec Part 2, 2.3; Part 5, 5.3.1).
#include <gtest/gtest.h>

#include "frame_streams.hpp"

namespace amqp {
namespace {

using test::hex;
using test::to_hex;

TEST(frame_header, parses_an_amqp_frame_header) {
  auto b = hex("00 00 01 00 02 00 01 02");
  auto h = parse_frame_header(b, 512);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->size, 256u);
  EXPECT_EQ(h->doff, 2);
  EXPECT_EQ(h->type, frame_type::amqp);
  EXPECT_EQ(h->channel, 0x0102);
}

TEST(frame_header, parses_a_sasl_frame_header_and_keeps_its_raw_channel) {
  auto b = hex("00 00 00 10 03 01 12 34");
  auto h = parse_frame_header(b, 512);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->size, 16u);
  EXPECT_EQ(h->doff, 3);
  EXPECT_EQ(h->type, frame_type::sasl);
  EXPECT_EQ(h->channel, 0x1234);
}

TEST(frame_header, boundaries_that_are_accepted) {
  // The smallest frame: a header and nothing else.
  EXPECT_TRUE(parse_frame_header(hex("00 00 00 08 02 00 00 00"), 512));
  // Exactly the maximum size.
  EXPECT_TRUE(parse_frame_header(hex("00 00 02 00 02 00 00 00"), 512));
  EXPECT_TRUE(parse_frame_header(hex("ff ff ff ff ff 00 ff ff"), 0xffffffffu));
  // doff * 4 == size: an empty frame with an extended header.
  EXPECT_TRUE(parse_frame_header(hex("00 00 00 0c 03 00 00 00"), 512));
  EXPECT_TRUE(parse_frame_header(hex("00 00 03 fc ff 00 00 00"), 1020));
}

struct bad_frame_header {
  const char* bytes;
  std::uint32_t max;
  errc code;
  std::size_t offset;
};

TEST(frame_header, reports_each_malformation) {
  const bad_frame_header cases[] = {
      {"00 00 00 00 02 00 00 00", 512, errc::frame_size_too_small, 0},
      {"00 00 00 07 02 00 00 00", 512, errc::frame_size_too_small, 0},
      {"00 00 02 01 02 00 00 00", 512, errc::frame_size_too_large, 0},
      {"ff ff ff ff 02 00 00 00", 0xfffffffeu, errc::frame_size_too_large, 0},
      {"00 00 00 10 00 00 00 00", 512, errc::invalid_data_offset, 4},
      {"00 00 00 10 01 00 00 00", 512, errc::invalid_data_offset, 4},
      {"00 00 00 08 03 00 00 00", 512, errc::invalid_data_offset, 4},  // 12 > 8
      {"00 00 00 0f 04 00 00 00", 512, errc::invalid_data_offset, 4},  // 16 > 15
      {"00 00 00 08 02 02 00 00", 512, errc::unknown_frame_type, 5},
      {"00 00 00 08 02 ff 00 00", 512, errc::unknown_frame_type, 5},
      // Checked in order: size, then doff, then type.
      {"00 00 00 07 00 05 00 00", 512, errc::frame_size_too_small, 0},
      {"00 00 02 01 00 05 00 00", 512, errc::frame_size_too_large, 0},
      {"00 00 00 08 01 05 00 00", 512, errc::invalid_data_offset, 4},
  };
  for (const auto& c : cases) {
    auto h = parse_frame_header(hex(c.bytes), c.max);
    ASSERT_FALSE(h) << c.bytes;
    EXPECT_EQ(h.error(), (decode_error{c.code, c.offset})) << c.bytes;
  }
}

TEST(frame_header, short_input_is_truncated) {
  auto h = parse_frame_header(hex("00 00 00 08 02 00 00"), 512);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error(), (decode_error{errc::truncated, 7}));
}

frame_header amqp_header(std::size_t body_size, std::uint8_t doff = 2, std::uint16_t channel = 0) {
  return {static_cast<std::uint32_t>(8 + body_size), doff, frame_type::amqp, channel};
}

frame_header sasl_header(std::size_t body_size, std::uint8_t doff = 2, std::uint16_t channel = 0) {
  return {static_cast<std::uint32_t>(8 + body_size), doff, frame_type::sasl, channel};
}

TEST(frame_body, empty_amqp_frame_is_a_heartbeat) {
  auto f = decode_frame_body(amqp_header(0, 2, 3), {});
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_TRUE(f->is_empty());
  EXPECT_EQ(f->type, frame_type::amqp);
  EXPECT_EQ(f->channel, 3);
  EXPECT_TRUE(f->payload.empty());
  EXPECT_TRUE(f->extended_header.empty());
  EXPECT_EQ(f->offset, 0u);
}

TEST(frame_body, empty_frame_with_an_extended_header) {
  auto body = hex("01 02 03 04 05 06 07 08");
  auto f = decode_frame_body(amqp_header(8, 4), body);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->is_empty());
  EXPECT_EQ(to_hex(f->extended_header), "01 02 03 04 05 06 07 08");
  EXPECT_EQ(f->extended_header.data(), body.data());
}

TEST(frame_body, performative_then_payload_viewed_in_place) {
  // close (0x18) as an empty list, then two payload bytes.
  auto body = hex("00 53 18 45 aa bb");
  auto f = decode_frame_body(amqp_header(body.size(), 2, 9), body);
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_FALSE(f->is_empty());
  EXPECT_EQ(f->channel, 9);
  ASSERT_EQ(f->performative.type(), kind::described);
  EXPECT_TRUE(f->performative.as_described().is(0x18, "amqp:close:list"));
  EXPECT_EQ(to_hex(f->payload), "aa bb");
  EXPECT_EQ(f->payload.data(), body.data() + 4);
}

TEST(frame_body, extended_header_is_skipped) {
  auto body = hex("de ad be ef 00 53 18 45 cc");
  auto f = decode_frame_body(amqp_header(body.size(), 3), body);
  ASSERT_TRUE(f);
  EXPECT_EQ(to_hex(f->extended_header), "de ad be ef");
  EXPECT_TRUE(f->performative.as_described().is(0x18, "amqp:close:list"));
  EXPECT_EQ(to_hex(f->payload), "cc");
}

TEST(frame_body, symbolic_descriptor_is_accepted) {
  auto body = hex("00 a3 0f 61 6d 71 70 3a 63 6c 6f 73 65 3a 6c 69 73 74 45");
  auto f = decode_frame_body(amqp_header(body.size()), body);
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_TRUE(f->performative.as_described().is(0x18, "amqp:close:list"));
  EXPECT_TRUE(f->payload.empty());
}

TEST(frame_body, bytes_beyond_the_frame_are_ignored) {
  auto body = hex("00 53 18 45 aa bb");
  auto f = decode_frame_body(amqp_header(5), body);
  ASSERT_TRUE(f);
  EXPECT_EQ(to_hex(f->payload), "aa");
}

TEST(frame_body, sasl_frame_ignores_its_channel) {
  auto body = hex("00 53 44 c0 03 01 50 00");
  auto f = decode_frame_body(sasl_header(body.size(), 2, 0x1234), body);
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->type, frame_type::sasl);
  EXPECT_EQ(f->channel, 0);
  auto outcome = spec::decode<spec::sasl_outcome>(f->performative);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->code, spec::sasl_code::ok);
}

struct bad_frame_body {
  frame_header header;
  const char* body;
  errc code;
  std::size_t offset;
};

TEST(frame_body, reports_each_error_with_its_offset) {
  const bad_frame_body cases[] = {
      // Not a described value.
      {amqp_header(1), "45", errc::invalid_frame_body, 0},
      {amqp_header(1), "40", errc::invalid_frame_body, 0},
      {amqp_header(3), "a1 01 78", errc::invalid_frame_body, 0},
      {amqp_header(5, 3), "00 00 00 00 45", errc::invalid_frame_body, 4},
      // An empty SASL frame (spec Part 5, 5.3.1), with and without an extended header.
      {sasl_header(0), "", errc::invalid_frame_body, 0},
      {sasl_header(4, 3), "00 00 00 00", errc::invalid_frame_body, 4},
      // Errors of the value decoder, relative to the body.
      {amqp_header(6), "00 53 10 c0 10 00", errc::size_exceeds_input, 4},
      {amqp_header(4), "00 53 10 ff", errc::unknown_format_code, 3},
      {amqp_header(8, 3), "01 02 03 04 00 53 10 ff", errc::unknown_format_code, 7},
      {amqp_header(5), "00 00 53 10 45", errc::nested_descriptor, 1},
      {amqp_header(1), "00", errc::truncated, 1},
      // The frame ends inside the performative, even though more bytes follow in memory.
      {amqp_header(3), "00 53 18 45", errc::truncated, 3},
      // Only one value in a SASL frame.
      {sasl_header(9), "00 53 44 c0 03 01 50 00 ee", errc::trailing_bytes, 8},
      {sasl_header(13, 3), "00 00 00 00 00 53 44 c0 03 01 50 00 ee", errc::trailing_bytes, 12},
      // Fewer bytes than the header says.
      {amqp_header(12), "00 53 18 45 00", errc::truncated, 5},
      // Headers that parse_frame_header refuses.
      {frame_header{4, 2, frame_type::amqp, 0}, "", errc::frame_size_too_small, 0},
      {frame_header{16, 1, frame_type::amqp, 0}, "", errc::invalid_data_offset, 0},
      {frame_header{16, 5, frame_type::amqp, 0}, "", errc::invalid_data_offset, 0},
  };
  for (const auto& c : cases) {
    auto body = hex(c.body);
    auto f = decode_frame_body(c.header, body);
    ASSERT_FALSE(f) << c.body;
    EXPECT_EQ(f.error(), (decode_error{c.code, c.offset})) << c.body;
  }
}

TEST(frame_body, decode_limits_are_applied) {
  auto body = hex("00 53 10 c0 01 00");
  EXPECT_TRUE(decode_frame_body(amqp_header(body.size()), body));
  auto f = decode_frame_body(amqp_header(body.size()), body, decode_limits{.max_depth = 1});
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error(), (decode_error{errc::nesting_too_deep, 3}));
}

}  // namespace
}  // namespace amqp
