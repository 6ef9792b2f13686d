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

// Frames whose performative is left to the caller (frame_reader_options::decode_performative).

frame_reader_options lazy_options() {
  frame_reader_options o;
  o.decode_performative = false;
  return o;
}

// Reads `stream` whole, one item per call, and returns its frames (views into `stream`).
std::vector<frame_view> frames_of(const bytes& stream, const frame_reader_options& options) {
  frame_reader r(options);
  bytes_view in(stream);
  std::vector<frame_view> frames;
  while (!in.empty()) {
    auto res = r.read(in);
    EXPECT_FALSE(res.error) << res.error->message();
    if (res.error || !res.item) break;
    in = in.subspan(res.consumed);
    if (auto* f = std::get_if<frame_view>(&*res.item)) frames.push_back(*f);
  }
  return frames;
}

TEST(frame_reader_lazy, the_frame_body_comes_back_whole_as_the_payload) {
  const bytes body = cat({hex("00 53 14 c0 03 01 52 01"), hex("00 53 77 a1 02 68 69")});
  const bytes stream =
      cat({header_bytes(protocol_id::amqp), open_frame, raw_frame(0, 2, hex("e1 e2 e3 e4"), body)});
  const std::vector<frame_view> frames = frames_of(stream, lazy_options());
  ASSERT_EQ(frames.size(), 2u);

  const frame_view& open = frames[0];
  EXPECT_TRUE(open.performative.is_null());
  EXPECT_FALSE(open.is_empty());
  EXPECT_EQ(open.offset, 8u);
  EXPECT_EQ(open.channel, 0);
  EXPECT_TRUE(open.extended_header.empty());
  // Viewed in place, from the first byte after the frame header to the end of the frame.
  EXPECT_EQ(open.payload.data(), stream.data() + 16);
  EXPECT_EQ(test::to_hex(open.payload), "00 53 10 c0 04 01 a1 01 63");

  const frame_view& transfer = frames[1];
  EXPECT_TRUE(transfer.performative.is_null());
  EXPECT_FALSE(transfer.is_empty());
  EXPECT_EQ(transfer.offset, 25u);
  EXPECT_EQ(transfer.channel, 2);
  EXPECT_EQ(test::to_hex(transfer.extended_header), "e1 e2 e3 e4");
  // Performative and message bytes together, after the extended header.
  EXPECT_EQ(test::to_hex(transfer.payload), test::to_hex(body));

  // The caller decodes the performative from the payload, and finds the message bytes after it.
  std::size_t used = 0;
  auto t = spec::decode_prefix<spec::transfer>(transfer.payload, used);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->handle, 1u);
  EXPECT_EQ(test::to_hex(transfer.payload.subspan(used)), "00 53 77 a1 02 68 69");

  // The decoding reader splits the same bytes at the end of the performative.
  const std::vector<frame_view> decoded = frames_of(stream, {});
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_FALSE(decoded[1].performative.is_null());
  EXPECT_EQ(test::performative_bytes(decoded[1]).size(), used);
  EXPECT_EQ(decoded[1].payload.data(), transfer.payload.data() + used);
}

TEST(frame_reader_lazy, an_empty_frame_is_still_empty) {
  const bytes stream = cat({header_bytes(protocol_id::amqp), empty_frame_bytes(3),
                            raw_frame(0, 1, hex("aa aa aa aa"), {}), open_frame});
  const std::vector<frame_view> frames = frames_of(stream, lazy_options());
  ASSERT_EQ(frames.size(), 3u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(frames[i].is_empty()) << i;
    EXPECT_TRUE(frames[i].performative.is_null()) << i;
    EXPECT_TRUE(frames[i].payload.empty()) << i;
  }
  EXPECT_EQ(frames[0].channel, 3);
  EXPECT_EQ(frames[1].channel, 1);
  EXPECT_EQ(test::to_hex(frames[1].extended_header), "aa aa aa aa");
  EXPECT_FALSE(frames[2].is_empty());
}

TEST(frame_reader_lazy, a_body_that_is_not_a_described_value_is_refused_at_the_same_offset) {
  // The same streams and offsets as frame_reader_errors.invalid_frame_body, in both modes.
  for (const frame_reader_options& options : {frame_reader_options{}, lazy_options()}) {
    SCOPED_TRACE(options.decode_performative ? "decoding" : "lazy");
    expect_error(cat({header_bytes(protocol_id::amqp), open_frame, raw_frame(0, 0, {}, hex("45"))}),
                 2, errc::invalid_frame_body, 33, options);
    expect_error(cat({header_bytes(protocol_id::amqp), open_frame,
                      raw_frame(0, 0, hex("00 00 00 00"), hex("a1 01 61"))}),
                 2, errc::invalid_frame_body, 37, options);
    // A lone constructor byte that is not 0x00, then what would have been a fine performative.
    expect_error(cat({header_bytes(protocol_id::amqp), raw_frame(0, 0, {}, hex("40 00 53 18 45"))}),
                 1, errc::invalid_frame_body, 16, options);
  }
}

TEST(frame_reader_lazy, a_malformed_performative_is_left_to_the_caller) {
  struct bad_body {
    bytes body;
    errc code;
    std::size_t offset;  // of the decoding reader's error, in the stream below
  };
  const bad_body cases[] = {
      {hex("00 53 10 c0 04 01 a1 01 ff"), errc::invalid_utf8, 41},  // a container-id not UTF-8
      {hex("00 53 10 c0 10 00"), errc::size_exceeds_input, 37},     // a list longer than the frame
      {hex("00 53 10 c0 02 01 a1 01 ff"), errc::compound_size_mismatch, 40},
      {hex("00 53"), errc::truncated, 35},  // the descriptor without its value
      {hex("00 53 10 ff"), errc::unknown_format_code, 36},
  };
  for (const bad_body& c : cases) {
    SCOPED_TRACE(test::to_hex(c.body));
    const bytes stream = cat({header_bytes(protocol_id::amqp), open_frame,
                              raw_frame(0, 4, {}, c.body), empty_frame_bytes(0)});
    // The default reader validates the performative and fails on it.
    expect_error(stream, 2, c.code, c.offset);
    // The lazy reader returns the frame as it is, and goes on.
    const std::vector<std::string> lines = items_of(stream, lazy_options());
    ASSERT_EQ(lines.size(), 4u) << ::testing::PrintToString(lines);
    EXPECT_EQ(lines[2], "amqp @25 ch 4 perf [] payload [" + test::to_hex(c.body) + "]");
    EXPECT_EQ(lines[3], "amqp @" + std::to_string(33 + c.body.size()) + " ch 0 empty");
    // Where the caller's own decoding finds the same fault.
    const std::vector<frame_view> frames = frames_of(stream, lazy_options());
    ASSERT_EQ(frames.size(), 3u);
    std::size_t used = 0;
    auto open = spec::decode_prefix<spec::open>(frames[1].payload, used);
    ASSERT_FALSE(open);
    EXPECT_EQ(open.error().code, c.code);
    EXPECT_EQ(33 + open.error().offset, c.offset);
  }
}

TEST(frame_reader_lazy, sasl_frames_are_still_decoded) {
  const bytes init =
      frame_bytes(frame_type::sasl, 0, spec::sasl_init{.mechanism = symbol_view{"ANONYMOUS"}});
  const bytes stream = cat({header_bytes(protocol_id::sasl), init, outcome_frame,
                            header_bytes(protocol_id::amqp), open_frame});
  const std::vector<frame_view> frames = frames_of(stream, lazy_options());
  ASSERT_EQ(frames.size(), 3u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(frames[i].type, frame_type::sasl) << i;
    EXPECT_FALSE(frames[i].performative.is_null()) << i;
    EXPECT_TRUE(frames[i].payload.empty()) << i;
  }
  EXPECT_TRUE(spec::decode<spec::sasl_init>(frames[0].performative));
  EXPECT_EQ(test::to_hex(test::performative_bytes(frames[1])),
            test::to_hex(bytes_view(outcome_body)));
  // The decoded sasl-outcome ends the SASL layer: the AMQP header and an undecoded frame follow.
  EXPECT_EQ(frames[2].type, frame_type::amqp);
  EXPECT_TRUE(frames[2].performative.is_null());
  EXPECT_EQ(frames[2].payload.size(), 9u);

  // A SASL frame's body is checked as in the default mode.
  const frame_reader_options lazy = lazy_options();
  expect_error(cat({header_bytes(protocol_id::sasl),
                    raw_frame(1, 0, {}, cat({bytes(outcome_body, outcome_body + 8), hex("ee")}))}),
               1, errc::trailing_bytes, 24, lazy);
  expect_error(
      cat({header_bytes(protocol_id::sasl), raw_frame(1, 0, {}, hex("00 53 44 c0 03 01 50"))}), 1,
      errc::size_exceeds_input, 20, lazy);
  expect_error(cat({header_bytes(protocol_id::sasl), hex("00 00 00 08 02 01 00 00")}), 1,
               errc::invalid_frame_body, 16, lazy);
}

TEST(frame_reader_lazy, split_reads_give_the_same_items) {
  // read_every_way: whole, cut in two at every offset, one byte at a time.
  const bytes payload = hex("00 53 75 a0 03 01 02 03");
  const bytes stream = cat({header_bytes(protocol_id::amqp), open_frame,
                            frame_bytes(frame_type::amqp, 1, spec::transfer{.handle = 1}, payload),
                            empty_frame_bytes(1)});
  const test::read_outcome lazy = test::read_every_way(stream, lazy_options());
  const std::vector<std::string> expected = {
      "header 0 1.0.0",
      "amqp @8 ch 0 perf [] payload [00 53 10 c0 04 01 a1 01 63]",
      "amqp @25 ch 1 perf [] payload [00 53 14 c0 03 01 52 01 00 53 75 a0 03 01 02 03]",
      "amqp @49 ch 1 empty",
  };
  EXPECT_EQ(lazy.lines, expected);
  EXPECT_EQ(lazy.position, stream.size());

  // A stream with an undecodable performative: the lazy reader still reads it whole,
  // however it is cut.
  const bytes bad = cat({header_bytes(protocol_id::amqp),
                         raw_frame(0, 0, {}, hex("00 53 10 c0 04 01 a1 01 ff")), open_frame});
  EXPECT_EQ(items_of(bad, lazy_options()),
            (std::vector<std::string>{
                "header 0 1.0.0", "amqp @8 ch 0 perf [] payload [00 53 10 c0 04 01 a1 01 ff]",
                "amqp @25 ch 0 perf [] payload [00 53 10 c0 04 01 a1 01 63]"}));
}

}  // namespace
}  // namespace amqp
