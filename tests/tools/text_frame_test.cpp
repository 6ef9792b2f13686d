// The text form of messages, protocol headers and frames (amqp/text.hpp).
#include <gtest/gtest.h>

#include <span>
#include <variant>
#include <vector>

#include "amqp/frame.hpp"
#include "amqp/message.hpp"
#include "amqp/spec.hpp"
#include "amqp/text.hpp"
#include "support/hex.hpp"

namespace amqp {
namespace {

using namespace std::string_literals;

bytes_view bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

writer encoded(const message& m) {
  writer w;
  EXPECT_FALSE(encode_message(w, m));
  return w;
}

std::string message_text(const message& m, const text_options& o = {}) {
  const writer w = encoded(m);
  auto v = decode_message(w.view());
  if (!v) {
    ADD_FAILURE() << "message does not decode: " << v.error().message();
    return {};
  }
  return to_text(*v, o);
}

// Every item of a byte stream, as text (headers with their offsets).
std::vector<std::string> stream_text(bytes_view bytes, const text_options& o = {}) {
  std::vector<std::string> lines;
  frame_reader reader;
  while (!bytes.empty()) {
    const std::uint64_t at = reader.position();
    auto r = reader.read(bytes);
    if (r.error) {
      ADD_FAILURE() << "stream does not decode: " << r.error->message();
      break;
    }
    bytes = bytes.subspan(r.consumed);
    if (!r.item) continue;
    std::string s;
    if (auto* h = std::get_if<protocol_header>(&*r.item)) append_text(s, *h, at);
    else append_text(s, std::get<frame_view>(*r.item), o);
    lines.push_back(s);
  }
  return lines;
}

message sample_message() {
  message m;
  m.header = spec::header{.durable = true};
  m.message_annotations.emplace_back(value::sym("x-opt-key"), "v");
  m.properties.message_id = "id-1"s;
  m.properties.to = "queue"s;
  m.properties.subject = "greeting";
  m.application_properties.emplace_back("region"s, "eu-west-1"s);
  m.set_data(bytes_of("hello"));
  m.footer.emplace_back(value::sym("sig"), value::bin(test::hex("01 02")));
  return m;
}

TEST(text_message, one_section_a_line_in_wire_order) {
  EXPECT_EQ(message_text(sample_message()),
            "@header(0x70) {durable: true}\n"
            "@message-annotations(0x72) {:x-opt-key: \"v\"}\n"
            "@properties(0x73) {message-id: \"id-1\", to: \"queue\", subject: \"greeting\"}\n"
            "@application-properties(0x74) {\"region\": \"eu-west-1\"}\n"
            "@data(0x75) b\"hello\"\n"
            "@footer(0x78) {:sig: b\"\\x01\\x02\"}");
}

TEST(text_message, delivery_annotations_and_each_body_section) {
  message m;
  m.delivery_annotations.emplace_back(value::sym("x-trace"), std::int32_t{1});
  m.body_type = body_kind::amqp_sequence;
  m.body.push_back(value::list_of({1, 2}));
  m.body.push_back(value::list_of({"x"}));
  EXPECT_EQ(message_text(m),
            "@delivery-annotations(0x71) {:x-trace: int 1}\n"
            "@amqp-sequence(0x76) [int 1, int 2]\n"
            "@amqp-sequence(0x76) [\"x\"]");

  message d;
  d.body_type = body_kind::data;
  d.body.push_back(value::bin(bytes_of("a")));
  d.body.push_back(value::bin(bytes_of("b")));
  EXPECT_EQ(message_text(d), "@data(0x75) b\"a\"\n@data(0x75) b\"b\"");

  message v;
  v.set_value(value(42));
  EXPECT_EQ(message_text(v), "@amqp-value(0x77) int 42");
}

TEST(text_message, sections_break_within_their_own_line) {
  message m;
  m.application_properties.emplace_back("first-key"s, "first value"s);
  m.application_properties.emplace_back("second-key"s, "second value"s);
  m.set_value(value(true));
  EXPECT_EQ(message_text(m, {.width = 40}),
            "@application-properties(0x74) {\n"
            "  \"first-key\": \"first value\",\n"
            "  \"second-key\": \"second value\"\n"
            "}\n"
            "@amqp-value(0x77) true");
}

TEST(text_message, a_hand_built_view_and_an_empty_view) {
  const auto bytes = test::hex("00 53 77 a1 02 68 69");
  message_view m;
  m.body = body_kind::amqp_value;
  m.body_bytes = bytes;
  m.body_count = 1;
  EXPECT_EQ(to_text(m), "@amqp-value(0x77) \"hi\"");
  EXPECT_EQ(to_text(message_view{}), "(empty message)");
}

TEST(text_header, protocol_headers) {
  EXPECT_EQ(to_text(protocol_header{}), "AMQP 1.0.0");
  EXPECT_EQ(to_text(protocol_header{.id = protocol_id::sasl}), "SASL 1.0.0");
  EXPECT_EQ(to_text(protocol_header{.id = protocol_id::tls}), "TLS 1.0.0");
  EXPECT_EQ(to_text(protocol_header{.id = static_cast<protocol_id>(5), .major = 2}),
            "AMQP id 5 2.0.0");
  std::string out = "x ";
  append_text(out, protocol_header{.id = protocol_id::sasl}, 16);
  EXPECT_EQ(out, "x [16] SASL 1.0.0");
}

TEST(text_frame, a_connection_stream_line_by_line) {
  writer w;
  std::vector<std::size_t> at;
  auto mark = [&] { at.push_back(w.size()); };
  mark();
  write_protocol_header(w, protocol_id::sasl);
  mark();
  const symbol_view mechs[] = {symbol_view{"PLAIN"}};
  ASSERT_FALSE(write_frame(w, frame_type::sasl, 0,
                           spec::sasl_mechanisms{.sasl_server_mechanisms = std::span<const symbol_view>(mechs)}));
  mark();
  ASSERT_FALSE(write_frame(w, frame_type::sasl, 0, spec::sasl_outcome{}));
  mark();
  write_protocol_header(w, protocol_id::amqp);
  mark();
  ASSERT_FALSE(write_frame(w, frame_type::amqp, 0, spec::open{.container_id = "c1"}));
  mark();
  ASSERT_FALSE(write_frame(w, frame_type::amqp, 1,
                           spec::begin{.remote_channel = 0, .incoming_window = 10,
                                       .outgoing_window = 10}));
  mark();
  write_empty_frame(w, 1);
  mark();
  ASSERT_FALSE(write_frame(w, frame_type::amqp, 1, spec::close{}));

  auto s = [&](std::size_t i) { return "[" + std::to_string(at[i]) + "] "; };
  const std::vector<std::string> expected = {
      s(0) + "SASL 1.0.0",
      s(1) + "ch 0 @sasl-mechanisms(0x40) {sasl-server-mechanisms: symbol[:PLAIN]}",
      s(2) + "ch 0 @sasl-outcome(0x44) {code: ok}",
      s(3) + "AMQP 1.0.0",
      s(4) + "ch 0 @open(0x10) {container-id: \"c1\"}",
      s(5) + "ch 1 @begin(0x11) {remote-channel: ushort 0, next-outgoing-id: uint 0, "
             "incoming-window: uint 10, outgoing-window: uint 10}",
      s(6) + "ch 1 (empty frame)",
      s(7) + "ch 1 @close(0x18) {}",
  };
  EXPECT_EQ(stream_text(w.view(), {.width = 200}), expected);
  EXPECT_EQ(at[1], 8u);
}

class transfer_text : public ::testing::Test {
 protected:
  // An AMQP header, then one transfer on channel 2 at offset 8 with `payload`.
  std::string text(bytes_view payload, const text_options& o = {.width = 200}) {
    w_.clear();
    write_protocol_header(w_, protocol_id::amqp);
    const std::uint8_t tag[] = {0, 0, 0, 1};
    EXPECT_FALSE(write_frame(w_, frame_type::amqp, 2,
                             spec::transfer{.handle = 0, .delivery_id = 5,
                                            .delivery_tag = bytes_view(tag), .message_format = 0},
                             payload));
    auto lines = stream_text(w_.view(), o);
    EXPECT_EQ(lines.size(), 2u);
    return lines.size() == 2 ? lines[1] : std::string{};
  }
  writer w_;
};

constexpr std::string_view transfer_line =
    R"([8] ch 2 @transfer(0x14) {handle: uint 0, delivery-id: uint 5, )"
    R"(delivery-tag: b"\x00\x00\x00\x01", message-format: uint 0})";

// The same transfer broken over lines (it does not fit in 100 columns).
constexpr std::string_view transfer_block =
    "[8] ch 2 @transfer(0x14) {\n"
    "  handle: uint 0,\n"
    "  delivery-id: uint 5,\n"
    "  delivery-tag: b\"\\x00\\x00\\x00\\x01\",\n"
    "  message-format: uint 0\n"
    "}";

TEST_F(transfer_text, a_message_payload_shows_its_sections_indented) {
  message m;
  m.properties.to = "queue"s;
  m.set_data(bytes_of("hello"));
  const writer payload = encoded(m);
  EXPECT_EQ(text(payload.view()), std::string(transfer_line) +
                                       "\n  @properties(0x73) {to: \"queue\"}"
                                       "\n  @data(0x75) b\"hello\"");
  EXPECT_EQ(text(payload.view(), {.multiline = false}),
            std::string(transfer_line) + " @properties(0x73) {to: \"queue\"} @data(0x75) b\"hello\"");
}

TEST_F(transfer_text, a_payload_that_is_not_a_message_shows_as_hex) {
  EXPECT_EQ(text(test::hex("01 02 03")),
            std::string(transfer_line) + "\n  payload 3 bytes: 01 02 03");
  EXPECT_EQ(text(test::hex("ff")), std::string(transfer_line) + "\n  payload 1 byte: ff");
  EXPECT_EQ(text(test::hex("01 02 03"), {.multiline = false}),
            std::string(transfer_line) + " payload 3 bytes: 01 02 03");
}

TEST_F(transfer_text, a_long_hex_payload_breaks_into_lines_of_whole_groups) {
  std::vector<std::uint8_t> payload(100);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i);
  std::string expected = std::string(transfer_block) + "\n  payload 100 bytes:";
  for (std::size_t i = 0; i < payload.size(); i += 32) {
    expected += "\n    " + test::to_hex(bytes_view(payload).subspan(i, std::min<std::size_t>(32, 100 - i)));
  }
  EXPECT_EQ(text(payload, {}), expected);
}

TEST_F(transfer_text, a_performative_that_does_not_fit_breaks_and_sections_follow) {
  message m;
  m.set_value(value(1));
  const writer payload = encoded(m);
  EXPECT_EQ(text(payload.view(), {.width = 60}),
            std::string(transfer_block) + "\n  @amqp-value(0x77) int 1");
}

TEST(text_frame, payload_of_other_performatives_is_hex_even_when_it_decodes) {
  writer w;
  ASSERT_FALSE(write_frame(w, frame_type::amqp, 0, spec::close{}, test::hex("00 53 77 41")));
  auto h = parse_frame_header(w.view(), 1024);
  ASSERT_TRUE(h);
  auto f = decode_frame_body(*h, w.view().subspan(8));
  ASSERT_TRUE(f);
  f->offset = 40;
  EXPECT_EQ(to_text(*f), "[40] ch 0 @close(0x18) {}\n  payload 4 bytes: 00 53 77 41");
}

TEST(text_frame, extended_header_is_shown) {
  // size 16, doff 3, type 0, channel 1, 4 bytes of extended header, then close (list0).
  const auto bytes = test::hex("00 00 00 10 03 00 00 01 01 02 03 04 00 53 18 45");
  auto h = parse_frame_header(bytes, 1024);
  ASSERT_TRUE(h);
  auto f = decode_frame_body(*h, bytes_view(bytes).subspan(8));
  ASSERT_TRUE(f);
  EXPECT_EQ(to_text(*f), "[0] ch 1 ext 0x01020304 @close(0x18) {}");
}

}  // namespace
}  // namespace amqp
