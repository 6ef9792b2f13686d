// frame_reader over whole connection streams, fed whole, split in two at every offset and one
// byte at a time: every way must give the same items.
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

// The body of a frame written by write_frame (everything after its 8-byte header).
template <spec::composite T>
bytes body_of(const T& performative, const bytes& payload = {}) {
  bytes f = frame_bytes(frame_type::amqp, 0, performative, payload);
  return {f.begin() + 8, f.end()};
}

bytes message_payload() {
  // A data section of 300 bytes (vbin32), so the frame outgrows small buffers.
  bytes p = hex("00 53 75 b0 00 00 01 2c");
  for (int i = 0; i < 300; ++i) p.push_back(static_cast<std::uint8_t>(i));
  return p;
}

const spec::open client_open{.container_id = "client-1",
                             .hostname = "broker.example",
                             .max_frame_size = 65536,
                             .channel_max = 7,
                             .idle_time_out = 60000};
const spec::begin client_begin{
    .next_outgoing_id = 0, .incoming_window = 2048, .outgoing_window = 2048};
const spec::attach client_attach{
    .name = "sender-1", .handle = 0, .role = spec::role::sender, .initial_delivery_count = 0};
const std::uint8_t client_tag[] = {0x00, 0x00, 0x00, 0x01};
const spec::transfer client_transfer{
    .handle = 0, .delivery_id = 0, .delivery_tag = bytes_view(client_tag), .message_format = 0};

bytes amqp_session_stream() {
  return cat({header_bytes(protocol_id::amqp), frame_bytes(frame_type::amqp, 0, client_open),
              frame_bytes(frame_type::amqp, 3, client_begin),
              frame_bytes(frame_type::amqp, 3, client_attach),
              frame_bytes(frame_type::amqp, 3, client_transfer, message_payload()),
              empty_frame_bytes(0), frame_bytes(frame_type::amqp, 0, spec::close{})});
}

TEST(frame_reader_split, amqp_session) {
  const bytes stream = amqp_session_stream();
  const test::read_outcome out = test::read_every_way(stream);
  ASSERT_EQ(out.lines.size(), 7u);
  EXPECT_EQ(out.lines[0], "header 0 1.0.0");
  EXPECT_EQ(out.lines[1],
            "amqp @8 ch 0 perf [00 53 10 c0 28 05 a1 08 63 6c 69 65 6e 74 2d 31 a1 0e 62 72 6f "
            "6b 65 72 2e 65 78 61 6d 70 6c 65 70 00 01 00 00 60 00 07 70 00 00 ea 60]");
  EXPECT_EQ(out.lines[2],
            "amqp @61 ch 3 perf [00 53 11 c0 0d 04 40 43 70 00 00 08 00 70 00 00 08 00]");
  EXPECT_EQ(out.lines[5], "amqp @" + std::to_string(stream.size() - 20) + " ch 0 empty");
  EXPECT_EQ(out.lines[6],
            "amqp @" + std::to_string(stream.size() - 12) + " ch 0 perf [00 53 18 45]");
  EXPECT_EQ(out.position, stream.size());

  // Read whole, each frame decodes to what was written.
  frame_reader r;
  bytes_view in(stream);
  std::vector<frame_view> frames;
  while (!in.empty()) {
    auto res = r.read(in);
    ASSERT_FALSE(res.error) << res.error->message();
    ASSERT_TRUE(res.item);
    in = in.subspan(res.consumed);
    if (auto* f = std::get_if<frame_view>(&*res.item)) frames.push_back(*f);
  }
  ASSERT_EQ(frames.size(), 6u);
  auto open = spec::decode<spec::open>(frames[0].performative);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->container_id, "client-1");
  EXPECT_EQ(open->max_frame_size, 65536u);
  auto begin = spec::decode<spec::begin>(frames[1].performative);
  ASSERT_TRUE(begin);
  EXPECT_EQ(begin->incoming_window, 2048u);
  auto attach = spec::decode<spec::attach>(frames[2].performative);
  ASSERT_TRUE(attach);
  EXPECT_EQ(attach->name, "sender-1");
  auto transfer = spec::decode<spec::transfer>(frames[3].performative);
  ASSERT_TRUE(transfer);
  EXPECT_EQ(transfer->delivery_id, 0u);
  EXPECT_EQ(frames[3].channel, 3);
  const bytes payload = message_payload();
  EXPECT_TRUE(std::equal(frames[3].payload.begin(), frames[3].payload.end(), payload.begin(),
                         payload.end()));
  EXPECT_TRUE(frames[4].is_empty());
  EXPECT_TRUE(spec::decode<spec::close>(frames[5].performative));
}

TEST(frame_reader_split, sasl_exchange_then_amqp_server_side_stream) {
  // What a client reads from a server: mechanisms, a challenge, the outcome, then AMQP.
  const symbol_view mechs[] = {symbol_view{"PLAIN"}, symbol_view{"ANONYMOUS"}};
  const std::uint8_t challenge[] = {'n', 'o', 'n', 'c', 'e'};
  const bytes stream =
      cat({header_bytes(protocol_id::sasl),
           frame_bytes(frame_type::sasl, 0,
                       spec::sasl_mechanisms{.sasl_server_mechanisms =
                                                 std::span<const symbol_view>(mechs)}),
           // Channel bytes of a SASL frame are ignored (spec Part 5, 5.3.1).
           raw_frame(1, 0x0505, {}, body_of(spec::sasl_challenge{.challenge = challenge})),
           frame_bytes(frame_type::sasl, 0, spec::sasl_outcome{.code = spec::sasl_code::ok}),
           header_bytes(protocol_id::amqp),
           frame_bytes(frame_type::amqp, 0, spec::open{.container_id = "server"}),
           frame_bytes(frame_type::amqp, 0, spec::close{})});
  const test::read_outcome out = test::read_every_way(stream);
  const std::vector<std::string> expected = {
      "header 3 1.0.0",
      "sasl @8 ch 0 perf [00 53 40 c0 15 01 e0 12 02 a3 05 50 4c 41 49 4e 09 41 4e 4f 4e 59 4d "
      "4f 55 53]",
      "sasl @42 ch 0 perf [00 53 42 c0 08 01 a0 05 6e 6f 6e 63 65]",
      "sasl @63 ch 0 perf [00 53 44 c0 03 01 50 00]",
      "header 0 1.0.0",
      "amqp @87 ch 0 perf [00 53 10 c0 09 01 a1 06 73 65 72 76 65 72]",
      "amqp @109 ch 0 perf [00 53 18 45]",
  };
  EXPECT_EQ(out.lines, expected);
  EXPECT_EQ(out.position, stream.size());
}

TEST(frame_reader_split, sasl_exchange_then_amqp_client_side_stream) {
  // What a server reads from a client: no sasl-outcome comes this way, the AMQP header follows
  // the last SASL frame directly (here pipelined, as clients may).
  const std::uint8_t plain[] = {0, 'u', 's', 'e', 'r', 0, 'p', 'w'};
  const std::uint8_t response[] = {'r'};
  const bytes stream = cat(
      {header_bytes(protocol_id::sasl),
       frame_bytes(frame_type::sasl, 0,
                   spec::sasl_init{.mechanism = symbol_view{"PLAIN"},
                                   .initial_response = bytes_view(plain),
                                   .hostname = "broker"}),
       frame_bytes(frame_type::sasl, 0, spec::sasl_response{.response = response}),
       header_bytes(protocol_id::amqp),
       frame_bytes(frame_type::amqp, 0, spec::open{.container_id = "c"}), empty_frame_bytes(0)});
  const test::read_outcome out = test::read_every_way(stream);
  const std::vector<std::string> expected = {
      "header 3 1.0.0",
      "sasl @8 ch 0 perf [00 53 41 c0 1a 03 a3 05 50 4c 41 49 4e a0 08 00 75 73 65 72 00 70 77 "
      "a1 06 62 72 6f 6b 65 72]",
      "sasl @47 ch 0 perf [00 53 43 c0 04 01 a0 01 72]",
      "header 0 1.0.0",
      "amqp @72 ch 0 perf [00 53 10 c0 04 01 a1 01 63]",
      "amqp @89 ch 0 empty",
  };
  EXPECT_EQ(out.lines, expected);
}

TEST(frame_reader_split, frames_with_extended_headers) {
  bytes big_ext;
  for (int i = 0; i < 1012; ++i) big_ext.push_back(static_cast<std::uint8_t>(i * 7));
  const bytes stream =
      cat({header_bytes(protocol_id::amqp),
           raw_frame(0, 0, hex("e1 e2 e3 e4"), body_of(spec::open{.container_id = "x"})),
           raw_frame(0, 2, hex("01 02 03 04 05 06 07 08 09 0a 0b 0c"),
                     body_of(spec::transfer{.handle = 1}, hex("00 53 77 a1 02 68 69"))),
           raw_frame(0, 1, hex("aa aa aa aa bb bb bb bb"), {}),  // empty, extended header
           raw_frame(0, 0, big_ext, body_of(spec::close{}))});   // doff 255
  const test::read_outcome out = test::read_every_way(stream);
  ASSERT_EQ(out.lines.size(), 5u);
  EXPECT_EQ(out.lines[1], "amqp @8 ch 0 ext [e1 e2 e3 e4] perf [00 53 10 c0 04 01 a1 01 78]");
  EXPECT_EQ(out.lines[2],
            "amqp @29 ch 2 ext [01 02 03 04 05 06 07 08 09 0a 0b 0c] perf [00 53 14 c0 03 01 52 "
            "01] payload [00 53 77 a1 02 68 69]");
  EXPECT_EQ(out.lines[3], "amqp @64 ch 1 ext [aa aa aa aa bb bb bb bb] empty");
  EXPECT_EQ(out.lines[4], "amqp @80 ch 0 ext [" + test::to_hex(big_ext) + "] perf [00 53 18 45]");
  EXPECT_EQ(out.position, stream.size());
}

TEST(frame_reader_split, sasl_frame_with_extended_header) {
  const bytes stream = cat({header_bytes(protocol_id::sasl),
                            raw_frame(1, 0x0102, hex("00 00 00 00"),
                                      body_of(spec::sasl_outcome{.code = spec::sasl_code::ok})),
                            header_bytes(protocol_id::amqp), empty_frame_bytes(5)});
  const test::read_outcome out = test::read_every_way(stream);
  const std::vector<std::string> expected = {
      "header 3 1.0.0",
      "sasl @8 ch 0 ext [00 00 00 00] perf [00 53 44 c0 03 01 50 00]",
      "header 0 1.0.0",
      "amqp @36 ch 5 empty",
  };
  EXPECT_EQ(out.lines, expected);
}

TEST(frame_reader_split, incomplete_stream_gives_the_complete_items_only) {
  bytes stream = amqp_session_stream();
  stream.resize(stream.size() - 3);  // the close frame is cut short
  const test::read_outcome out = test::read_every_way(stream);
  EXPECT_EQ(out.lines.size(), 6u);
  EXPECT_EQ(out.position, stream.size());
}

}  // namespace
}  // namespace amqp
