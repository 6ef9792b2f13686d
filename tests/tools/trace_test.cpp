// The text frame trace (amqp/trace.hpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp/frame.hpp"
#include "amqp/message.hpp"
#include "amqp/spec.hpp"
#include "amqp/trace.hpp"
#include "support/hex.hpp"

namespace amqp {
namespace {

using namespace std::string_literals;

// A frame written with write_frame and decoded back, at `offset` in its stream.
class built_frame {
 public:
  template <spec::composite T>
  built_frame(std::uint16_t channel, const T& performative, bytes_view payload = {},
              std::uint64_t offset = 0) {
    EXPECT_FALSE(write_frame(w_, frame_type::amqp, channel, performative, payload));
    auto h = parse_frame_header(w_.view(), 0xffffffffu);
    EXPECT_TRUE(h);
    auto f = decode_frame_body(*h, w_.view().subspan(frame_header_size));
    EXPECT_TRUE(f);
    if (f) f_ = *f;
    f_.offset = offset;
  }
  const frame_view& view() const { return f_; }

 private:
  writer w_;
  frame_view f_;
};

struct recording {
  std::vector<std::string> lines;
  text_trace_sink sink{[this](std::string_view l) { lines.emplace_back(l); }};
};

TEST(trace, headers_and_frames_one_line_each_with_direction) {
  recording r;
  trace_sink& sink = r.sink;
  sink.on_protocol_header(trace_direction::outgoing, protocol_header{}, 0);
  sink.on_protocol_header(trace_direction::incoming, protocol_header{}, 0);
  sink.on_frame(trace_direction::outgoing, built_frame(0, spec::open{.container_id = "c1"}, {}, 8).view());
  sink.on_frame(trace_direction::incoming,
                built_frame(0, spec::open{.container_id = "server", .max_frame_size = 512}, {}, 8)
                    .view());
  const std::vector<std::string> expected = {
      "-> [0] AMQP 1.0.0",
      "<- [0] AMQP 1.0.0",
      R"(-> [8] ch 0 @open(0x10) {container-id: "c1"})",
      R"(<- [8] ch 0 @open(0x10) {container-id: "server", max-frame-size: uint 512})",
  };
  EXPECT_EQ(r.lines, expected);
}

TEST(trace, sasl_headers_and_empty_frames) {
  recording r;
  r.sink.on_protocol_header(trace_direction::incoming, protocol_header{.id = protocol_id::sasl}, 0);
  frame_view heartbeat;
  heartbeat.channel = 3;
  heartbeat.offset = 1234;
  r.sink.on_frame(trace_direction::incoming, heartbeat);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"<- [0] SASL 1.0.0", "<- [1234] ch 3 (empty frame)"}));
}

TEST(trace, a_transfer_and_its_message_stay_on_one_line_however_long) {
  message m;
  m.properties.to = "queue"s;
  m.application_properties.emplace_back("key"s, std::string(300, 'k'));
  m.set_data(test::hex("01 02"));
  writer payload;
  ASSERT_FALSE(encode_message(payload, m));
  recording r;
  const std::uint8_t tag[] = {7};
  r.sink.on_frame(trace_direction::outgoing,
                  built_frame(1,
                              spec::transfer{.handle = 0, .delivery_id = 0,
                                             .delivery_tag = bytes_view(tag), .message_format = 0},
                              payload.view(), 100)
                      .view());
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0],
            R"(-> [100] ch 1 @transfer(0x14) {handle: uint 0, delivery-id: uint 0, )"
            R"(delivery-tag: b"\x07", message-format: uint 0} @properties(0x73) {to: "queue"} )"
            R"(@application-properties(0x74) {"key": ")" + std::string(300, 'k') +
                R"("} @data(0x75) b"\x01\x02")");
}

TEST(trace, each_line_replaces_the_previous_one) {
  recording r;
  r.sink.on_frame(trace_direction::outgoing,
                  built_frame(0, spec::open{.container_id = std::string_view("a-long-container-id")})
                      .view());
  r.sink.on_frame(trace_direction::outgoing, built_frame(0, spec::close{}, {}, 50).view());
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[1], "-> [50] ch 0 @close(0x18) {}");
}

TEST(trace, multiline_options_are_honoured) {
  std::vector<std::string> lines;
  text_trace_sink sink([&](std::string_view l) { lines.emplace_back(l); },
                       text_options{.multiline = true, .width = 30});
  sink.on_frame(trace_direction::incoming,
                built_frame(0, spec::open{.container_id = "c1", .hostname = "example.com"}, {}, 8)
                    .view());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "<- [8] ch 0 @open(0x10) {\n"
            "  container-id: \"c1\",\n"
            "  hostname: \"example.com\"\n"
            "}");
}

TEST(trace, a_sink_without_a_callback_formats_and_drops) {
  text_trace_sink sink{std::function<void(std::string_view)>{}};
  sink.on_protocol_header(trace_direction::incoming, protocol_header{}, 0);
  sink.on_frame(trace_direction::incoming, built_frame(0, spec::close{}).view());
  SUCCEED();
}

}  // namespace
}  // namespace amqp
