// frame_reader: its state machine, limits, and every error it reports, each with the stream
// offset of the offending byte, whatever the chunking.
#include <gtest/gtest.h>

#include "frame_streams.hpp"

namespace amqp {
namespace {

using test::bytes;
using test::cat;
using test::empty_frame_bytes;
using test::frame_bytes;
using test::header_bytes;
using test::hex;
using test::raw_frame;

const bytes open_frame = frame_bytes(frame_type::amqp, 0, spec::open{.container_id = "c"});
const bytes outcome_frame =
    frame_bytes(frame_type::sasl, 0, spec::sasl_outcome{.code = spec::sasl_code::ok});
const std::uint8_t outcome_body[] = {0x00, 0x53, 0x44, 0xc0, 0x03, 0x01, 0x50, 0x00};

// A stream that ends in an error: every way of reading gives `items` items and then `error`.
void expect_error(const bytes& stream, std::size_t items, errc code, std::size_t offset,
                  const frame_reader_options& options = {}) {
  const test::read_outcome out = test::read_every_way(stream, options);
  ASSERT_EQ(out.lines.size(), items + 1) << ::testing::PrintToString(out.lines);
  EXPECT_EQ(out.lines.back(), test::describe_error({code, offset}));
}

std::vector<std::string> items_of(const bytes& stream, const frame_reader_options& options = {}) {
  return test::read_every_way(stream, options).lines;
}

TEST(frame_reader, open_frame_size_is_as_expected) {
  // The offsets below rely on it: header 8 + descriptor 3 + list8 3 + "c" 3.
  EXPECT_EQ(open_frame.size(), 17u);
  EXPECT_EQ(outcome_frame.size(), 16u);
}

TEST(frame_reader, empty_input_reads_nothing) {
  frame_reader r;
  auto res = r.read({});
  EXPECT_EQ(res.consumed, 0u);
  EXPECT_FALSE(res.item);
  EXPECT_FALSE(res.error);
  EXPECT_EQ(r.position(), 0u);
  EXPECT_FALSE(r.failed());
}

TEST(frame_reader, reads_one_item_per_call) {
  const bytes stream = cat({header_bytes(protocol_id::amqp), open_frame, empty_frame_bytes(0)});
  frame_reader r;
  bytes_view in(stream);
  auto a = r.read(in);
  EXPECT_EQ(a.consumed, 8u);
  ASSERT_TRUE(a.item);
  EXPECT_EQ(std::get<protocol_header>(*a.item), (protocol_header{protocol_id::amqp, 1, 0, 0}));
  EXPECT_EQ(r.position(), 8u);
  in = in.subspan(a.consumed);
  auto b = r.read(in);
  EXPECT_EQ(b.consumed, 17u);
  ASSERT_TRUE(b.item);
  const auto& f = std::get<frame_view>(*b.item);
  EXPECT_EQ(f.offset, 8u);
  // Viewed in place.
  EXPECT_EQ(f.payload.data(), in.data() + 17);
  EXPECT_EQ(r.position(), 25u);
  in = in.subspan(b.consumed);
  auto c = r.read(in);
  EXPECT_EQ(c.consumed, 8u);
  ASSERT_TRUE(c.item);
  EXPECT_TRUE(std::get<frame_view>(*c.item).is_empty());
  EXPECT_EQ(r.position(), 33u);
}

TEST(frame_reader, gathers_a_split_frame_and_consumes_partial_input) {
  const bytes stream = cat({header_bytes(protocol_id::amqp), open_frame});
  frame_reader r;
  bytes_view in(stream);
  ASSERT_TRUE(r.read(in.first(8)).item);
  auto part = r.read(in.subspan(8, 5));
  EXPECT_EQ(part.consumed, 5u);
  EXPECT_FALSE(part.item);
  EXPECT_EQ(r.position(), 13u);
  // The rest of the frame, and more: only the frame's bytes are consumed.
  bytes rest(in.begin() + 13, in.end());
  rest.push_back(0x00);
  auto done = r.read(rest);
  EXPECT_EQ(done.consumed, 12u);
  ASSERT_TRUE(done.item);
  const auto& f = std::get<frame_view>(*done.item);
  EXPECT_EQ(f.offset, 8u);
  // Gathered: the views are in the reader's buffer, not in `rest`.
  EXPECT_FALSE(test::inside(test::performative_bytes(f), rest));
  EXPECT_EQ(test::to_hex(test::performative_bytes(f)), "00 53 10 c0 04 01 a1 01 63");
}

TEST(frame_reader, expect_protocol_header_after_frames) {
  frame_reader r;
  const bytes first = cat({header_bytes(protocol_id::amqp), open_frame});
  bytes_view in(first);
  ASSERT_TRUE(r.read(in).item);
  ASSERT_TRUE(r.read(in.subspan(8)).item);
  // A partial frame is dropped by expect_protocol_header.
  EXPECT_EQ(r.read(bytes_view(open_frame).first(3)).consumed, 3u);
  r.expect_protocol_header();
  const bytes again = header_bytes(protocol_id::sasl);
  auto h = r.read(again);
  ASSERT_TRUE(h.item);
  EXPECT_EQ(std::get<protocol_header>(*h.item).id, protocol_id::sasl);
  EXPECT_EQ(r.position(), 36u);
  // Now in the SASL phase.
  auto f = r.read(outcome_frame);
  ASSERT_TRUE(f.item) << (f.error ? f.error->message() : "");
  EXPECT_EQ(std::get<frame_view>(*f.item).offset, 36u);
}

TEST(frame_reader, tls_header_then_records) {
  // The reader stops at the TLS layer: its records are for the TLS stage.
  EXPECT_EQ(items_of(header_bytes(protocol_id::tls)), std::vector<std::string>{"header 2 1.0.0"});
  expect_error(cat({header_bytes(protocol_id::tls), hex("16 03 01 00 a5 01")}), 1,
               errc::unsupported_protocol, 8);
}

TEST(frame_reader, tls_then_expect_protocol_header) {
  frame_reader r;
  ASSERT_TRUE(r.read(header_bytes(protocol_id::tls)).item);
  r.expect_protocol_header();
  auto h = r.read(header_bytes(protocol_id::amqp));
  ASSERT_TRUE(h.item);
  EXPECT_EQ(std::get<protocol_header>(*h.item).id, protocol_id::amqp);
}

// Protocol headers.

TEST(frame_reader_errors, invalid_protocol_header) {
  expect_error(hex("48 54 54 50 2f 31 2e 31 20 32 30 30"), 0, errc::invalid_protocol_header, 0);
  expect_error(hex("41 4d 51 58 00 01 00 00"), 0, errc::invalid_protocol_header, 3);
  // A short stream is refused at its first bad byte, without waiting for 8 bytes.
  expect_error(hex("41 4d 20"), 0, errc::invalid_protocol_header, 2);
  // After the sasl-outcome a protocol header must follow, not another frame.
  expect_error(cat({header_bytes(protocol_id::sasl), outcome_frame, outcome_frame}), 2,
               errc::invalid_protocol_header, 24);
  expect_error(cat({header_bytes(protocol_id::sasl), outcome_frame, hex("41 4d 51 5a 00 01")}), 2,
               errc::invalid_protocol_header, 27);
}

TEST(frame_reader_errors, unsupported_protocol) {
  expect_error(hex("41 4d 51 50 01 01 00 00"), 0, errc::unsupported_protocol, 4);
  expect_error(hex("41 4d 51 50 00 00 09 01"), 0, errc::unsupported_protocol, 5);
  expect_error(hex("41 4d 51 50 00 01 01 00"), 0, errc::unsupported_protocol, 6);
  expect_error(hex("41 4d 51 50 03 01 00 02"), 0, errc::unsupported_protocol, 7);
  expect_error(cat({header_bytes(protocol_id::sasl), outcome_frame, hex("41 4d 51 50 00 02")}), 2,
               errc::unsupported_protocol, 29);
  // The client-side switch from SASL to AMQP checks the header as well.
  expect_error(cat({header_bytes(protocol_id::sasl), hex("41 4d 51 50 07 01 00 00")}), 1,
               errc::unsupported_protocol, 12);
}

// Frame headers.

TEST(frame_reader_errors, frame_size_too_small) {
  expect_error(cat({header_bytes(protocol_id::amqp), open_frame, hex("00 00 00 07 02 00 00 00")}),
               2, errc::frame_size_too_small, 25);
  expect_error(cat({header_bytes(protocol_id::sasl), hex("00 00 00 00 02 01 00 00")}), 1,
               errc::frame_size_too_small, 8);
}

TEST(frame_reader_errors, frame_size_too_large) {
  frame_reader_options small;
  small.max_frame_size = 512;
  // Refused on its header: the reader never buffers the body.
  expect_error(cat({header_bytes(protocol_id::amqp), open_frame, hex("00 00 02 01 02 00 00 00")}),
               2, errc::frame_size_too_large, 25, small);
  // The default limit is 1 MiB.
  expect_error(cat({header_bytes(protocol_id::amqp), hex("00 10 00 01 02 00 00 00")}), 1,
               errc::frame_size_too_large, 8);
  // SASL frames are limited to 512 bytes (spec Part 5, 5.3.1) unless configured otherwise.
  expect_error(cat({header_bytes(protocol_id::sasl), hex("00 00 02 01 02 01 00 00")}), 1,
               errc::frame_size_too_large, 8);
}

bytes frame_of_size(std::uint8_t type, std::size_t size) {
  // A performative (end with an empty list) padded with payload up to `size` bytes. SASL frames
  // cannot carry a payload, so theirs is padded with the extended header instead.
  const bytes body = type == 0 ? hex("00 53 17 45") : bytes(outcome_body, outcome_body + 8);
  const std::size_t pad = size - 8 - body.size();
  if (type == 0) return raw_frame(type, 0, {}, cat({body, bytes(pad, 0xee)}));
  return raw_frame(type, 0, bytes(pad, 0), body);
}

TEST(frame_reader, frame_size_limits_are_at_least_512) {
  frame_reader_options tiny;
  tiny.max_frame_size = 100;
  tiny.max_sasl_frame_size = 0;
  const bytes amqp512 = frame_of_size(0, 512);
  ASSERT_EQ(amqp512.size(), 512u);
  EXPECT_EQ(items_of(cat({header_bytes(protocol_id::amqp), amqp512}), tiny).size(), 2u);
  expect_error(cat({header_bytes(protocol_id::amqp), frame_of_size(0, 513)}), 1,
               errc::frame_size_too_large, 8, tiny);

  const bytes sasl512 = frame_of_size(1, 512);
  ASSERT_EQ(sasl512.size(), 512u);
  EXPECT_EQ(items_of(cat({header_bytes(protocol_id::sasl), sasl512}), tiny).size(), 2u);
  // 516: the extended header grows in 4-byte words.
  expect_error(cat({header_bytes(protocol_id::sasl), frame_of_size(1, 516)}), 1,
               errc::frame_size_too_large, 8, tiny);

  frame_reader r(tiny);
  r.set_max_frame_size(0);
  const bytes stream = cat({header_bytes(protocol_id::amqp), amqp512});
  bytes_view in(stream);
  ASSERT_TRUE(r.read(in).item);
  auto f = r.read(in.subspan(8));
  EXPECT_TRUE(f.item);
  EXPECT_FALSE(f.error);
}

TEST(frame_reader, larger_sasl_frames_when_configured) {
  frame_reader_options big;
  big.max_sasl_frame_size = 4096;
  const bytes token(2000, 0x5a);
  const bytes challenge =
      frame_bytes(frame_type::sasl, 0, spec::sasl_challenge{.challenge = token});
  ASSERT_GT(challenge.size(), 2000u);
  EXPECT_EQ(items_of(cat({header_bytes(protocol_id::sasl), challenge}), big).size(), 2u);
  expect_error(cat({header_bytes(protocol_id::sasl), challenge}), 1, errc::frame_size_too_large, 8);
}

TEST(frame_reader, set_max_frame_size_applies_to_the_next_frame_header) {
  const bytes big = frame_of_size(0, 600);
  const bytes stream = cat({header_bytes(protocol_id::amqp), big, big});
  bytes_view in(stream);
  frame_reader r;
  ASSERT_TRUE(r.read(in.first(8)).item);
  // The first frame's header arrives before the limit is lowered: it is still read.
  EXPECT_EQ(r.read(in.subspan(8, 10)).consumed, 10u);
  r.set_max_frame_size(512);
  auto first = r.read(in.subspan(18));
  ASSERT_TRUE(first.item);
  EXPECT_EQ(first.consumed, 590u);
  auto second = r.read(in.subspan(608));
  ASSERT_TRUE(second.error);
  EXPECT_EQ(*second.error, (decode_error{errc::frame_size_too_large, 608}));
}

TEST(frame_reader_errors, invalid_data_offset) {
  expect_error(cat({header_bytes(protocol_id::amqp), hex("00 00 00 10 01 00 00 00"), bytes(8, 0)}),
               1, errc::invalid_data_offset, 12);
  expect_error(cat({header_bytes(protocol_id::amqp), open_frame, hex("00 00 00 0c 04 00 00 00")}),
               2, errc::invalid_data_offset, 29);
  expect_error(cat({header_bytes(protocol_id::sasl), hex("00 00 00 10 00 01 00 00")}), 1,
               errc::invalid_data_offset, 12);
}

TEST(frame_reader_errors, unknown_frame_type) {
  expect_error(cat({header_bytes(protocol_id::amqp), open_frame, hex("00 00 00 08 02 02 00 00")}),
               2, errc::unknown_frame_type, 30);
  // A frame of the other layer: an AMQP frame during SASL, a SASL frame after the AMQP header.
  expect_error(cat({header_bytes(protocol_id::sasl), open_frame}), 1, errc::unknown_frame_type, 13);
  expect_error(cat({header_bytes(protocol_id::amqp), open_frame, outcome_frame}), 2,
               errc::unknown_frame_type, 30);
  expect_error(cat({header_bytes(protocol_id::sasl), outcome_frame, header_bytes(protocol_id::amqp),
                    outcome_frame}),
               3, errc::unknown_frame_type, 37);
}

// Frame bodies.

TEST(frame_reader_errors, invalid_frame_body) {
  expect_error(cat({header_bytes(protocol_id::amqp), open_frame, raw_frame(0, 0, {}, hex("45"))}),
               2, errc::invalid_frame_body, 33);
  expect_error(cat({header_bytes(protocol_id::amqp), open_frame,
                    raw_frame(0, 0, hex("00 00 00 00"), hex("a1 01 61"))}),
               2, errc::invalid_frame_body, 37);
  // An empty SASL frame (spec Part 5, 5.3.1).
  expect_error(cat({header_bytes(protocol_id::sasl), hex("00 00 00 08 02 01 00 00")}), 1,
               errc::invalid_frame_body, 16);
}

TEST(frame_reader_errors, value_decoder_errors_with_stream_offsets) {
  expect_error(
      cat({header_bytes(protocol_id::amqp), raw_frame(0, 0, {}, hex("00 53 10 c0 10 00"))}), 1,
      errc::size_exceeds_input, 20);
  expect_error(cat({header_bytes(protocol_id::amqp), open_frame,
                    raw_frame(0, 0, hex("00 00 00 00"), hex("00 53 10 c0 02 01 a1 01 ff"))}),
               2, errc::compound_size_mismatch, 44);  // the string overruns its list
  expect_error(cat({header_bytes(protocol_id::amqp), open_frame,
                    raw_frame(0, 0, {}, hex("00 53 10 c0 04 01 a1 01 ff"))}),
               2, errc::invalid_utf8, 41);
  frame_reader_options shallow;
  shallow.decode.max_depth = 1;
  expect_error(
      cat({header_bytes(protocol_id::amqp), raw_frame(0, 0, {}, hex("00 53 10 c0 01 00"))}), 1,
      errc::nesting_too_deep, 19, shallow);
}

TEST(frame_reader_errors, trailing_bytes_in_a_sasl_frame) {
  expect_error(cat({header_bytes(protocol_id::sasl),
                    raw_frame(1, 0, {}, cat({bytes(outcome_body, outcome_body + 8), hex("ee")}))}),
               1, errc::trailing_bytes, 24);
}

TEST(frame_reader_errors, error_is_sticky) {
  frame_reader r;
  const bytes bad = hex("41 4d 51 58");
  auto res = r.read(bad);
  ASSERT_TRUE(res.error);
  EXPECT_EQ(*res.error, (decode_error{errc::invalid_protocol_header, 3}));
  EXPECT_EQ(res.consumed, 4u);
  EXPECT_TRUE(r.failed());
  // Nothing helps: not a good header, not expect_protocol_header, not empty input.
  r.expect_protocol_header();
  const bytes good = header_bytes(protocol_id::amqp);
  for (bytes_view in : {bytes_view(good), bytes_view{}}) {
    auto again = r.read(in);
    EXPECT_EQ(again.consumed, 0u);
    EXPECT_FALSE(again.item);
    ASSERT_TRUE(again.error);
    EXPECT_EQ(*again.error, *res.error);
  }
  EXPECT_EQ(r.position(), 4u);
}

}  // namespace
}  // namespace amqp
