// Scripts (peer/script.hpp): every step, what a send encodes (the engine's frame writer gives
// the same bytes), variables, statements over several lines, and errors at file:line:column.
// Also matching received items against expectations (peer/runner.hpp).
#include <gtest/gtest.h>

#include "amqp/spec.hpp"
#include "peer/runner.hpp"
#include "peer/script.hpp"
#include "support/hex.hpp"

namespace amqp::peer {
namespace {

script parsed(std::string_view text, const variables& vars = {}) {
  auto s = parse_script(text, "t.amqp", vars);
  if (!s) {
    ADD_FAILURE() << s.error().to_string();
    return {};
  }
  return *s;
}

std::string script_error_of(std::string_view text, const variables& vars = {}) {
  auto s = parse_script(text, "t.amqp", vars);
  if (s) {
    ADD_FAILURE() << "parsed: " << text;
    return {};
  }
  return s.error().to_string();
}

std::string sent(std::string_view statement) {
  const script s = parsed(statement);
  if (s.steps.size() != 1) return "not one step";
  return test::to_hex(std::get<send_step>(s.steps[0].action).bytes);
}

template <spec::composite T>
std::string frame_of(frame_type type, std::uint16_t channel, const T& performative,
                     bytes_view payload = {}) {
  writer w;
  EXPECT_FALSE(write_frame(w, type, channel, performative, payload));
  return test::to_hex(w.view());
}

TEST(script, sends_encode_like_the_engines_frame_writer) {
  EXPECT_EQ(sent("send header amqp"), "41 4d 51 50 00 01 00 00");
  EXPECT_EQ(sent("send header sasl"), "41 4d 51 50 03 01 00 00");
  EXPECT_EQ(sent("send header tls"), "41 4d 51 50 02 01 00 00");
  EXPECT_EQ(sent("send bytes 00 00 00 08 0200 0000"), "00 00 00 08 02 00 00 00");
  EXPECT_EQ(sent("send empty-frame"), "00 00 00 08 02 00 00 00");
  EXPECT_EQ(sent("send ch 3 empty-frame"), "00 00 00 08 02 00 00 03");
  EXPECT_EQ(sent(R"(send ch 0 @open {container-id: "c", max-frame-size: 512})"),
            frame_of(frame_type::amqp, 0, spec::open{.container_id = "c", .max_frame_size = 512}));
  EXPECT_EQ(
      sent(R"(send ch 7 @begin {next-outgoing-id: 0, incoming-window: 1, outgoing-window: 2})"),
      frame_of(frame_type::amqp, 7,
               spec::begin{.next_outgoing_id = 0, .incoming_window = 1, .outgoing_window = 2}));
  // SASL performatives go in SASL frames unless the script says otherwise.
  EXPECT_EQ(sent("send @sasl-init {mechanism: :ANONYMOUS}"),
            frame_of(frame_type::sasl, 0, spec::sasl_init{.mechanism = symbol_view{"ANONYMOUS"}}));
  EXPECT_EQ(sent("send amqp @sasl-init {mechanism: :ANONYMOUS}"),
            frame_of(frame_type::amqp, 0, spec::sasl_init{.mechanism = symbol_view{"ANONYMOUS"}}));
  EXPECT_EQ(sent("send sasl ch 0 @close {}"), frame_of(frame_type::sasl, 0, spec::close{}));
  // Payloads: hex, the trace's "N bytes:" form, or sections.
  const auto data = test::hex("00 53 75 a0 01 61");
  const std::uint8_t tag[] = {'1'};
  const spec::transfer t{.handle = 0, .delivery_id = 0, .delivery_tag = tag};
  EXPECT_EQ(
      sent(
          R"(send ch 0 @transfer {handle: 0, delivery-id: 0, delivery-tag: b"1"} payload 00 53 75 a0 01 61)"),
      frame_of(frame_type::amqp, 0, t, data));
  EXPECT_EQ(
      sent(
          R"(send ch 0 @transfer {handle: 0, delivery-id: 0, delivery-tag: b"1"} payload 6 bytes: 00 53 75 a0 01 61)"),
      frame_of(frame_type::amqp, 0, t, data));
  EXPECT_EQ(
      sent(R"(send ch 0 @transfer {handle: 0, delivery-id: 0, delivery-tag: b"1"} @data b"a")"),
      frame_of(frame_type::amqp, 0, t, data));
  // Anything at all, as a test peer must be able to send.
  EXPECT_EQ(sent("send ch 0 @0x00000000:0x00000099 [uint 1]"),
            "00 00 00 10 02 00 00 00 00 53 99 c0 03 01 52 01");
  EXPECT_EQ(sent("send ch 0 null"), "00 00 00 09 02 00 00 00 40");
}

TEST(script, an_open_announces_its_max_frame_size) {
  auto announced = [](std::string_view statement) {
    const script s = parsed(statement);
    return std::get<send_step>(s.steps.at(0).action).announced_max_frame_size;
  };
  EXPECT_EQ(announced(R"(send @open {container-id: "c", max-frame-size: 512})"), 512u);
  EXPECT_EQ(announced(R"(send @open {container-id: "c"})"), 0xffffffffu);
  EXPECT_EQ(announced(R"(send @close {})"), std::nullopt);
}

TEST(script, every_step) {
  const script s = parsed(R"(# a comment
send header amqp
expect header amqp
expect ch 0 @open {container-id: *} within 2s skipping @flow, empty-frame
expect sasl @sasl-outcome {code: ok}
expect empty-frame
expect ch 1 @transfer {handle: 0} @amqp-value "x" skipping *
expect ch 1 @transfer {} payload 00 53 77 40
expect eof within 500ms
expect nothing within 1s skipping @flow
expect unordered within 3s
  ch 0 @detach {handle: 0}
  ch 0 @end {}
end
expect one-of
  ch 0 @close {}
  eof
end
delay 100ms
fault shutdown-write
fault close
fault reset
)");
  ASSERT_EQ(s.steps.size(), 15u);
  EXPECT_EQ(s.steps[3].line, 5u);
  EXPECT_EQ(s.steps[2].text,
            "expect ch 0 @open {container-id: *} within 2s skipping @flow, empty-frame");
  const auto& open = std::get<expect_step>(s.steps[2].action);
  EXPECT_EQ(open.within, std::chrono::seconds(2));
  ASSERT_EQ(open.skipping.size(), 2u);
  EXPECT_EQ(open.skipping[0].type->name, "flow");
  EXPECT_EQ(open.skipping[1].kind, skip_rule::what::empty_frame);
  EXPECT_EQ(std::get<frame_expectation>(open.targets[0]).channel, 0);
  EXPECT_EQ(std::get<frame_expectation>(std::get<expect_step>(s.steps[3].action).targets[0]).type,
            frame_type::sasl);
  EXPECT_TRUE(
      std::get<frame_expectation>(std::get<expect_step>(s.steps[4].action).targets[0]).empty_frame);
  const auto& transfer =
      std::get<frame_expectation>(std::get<expect_step>(s.steps[5].action).targets[0]);
  ASSERT_TRUE(transfer.sections);
  EXPECT_EQ(transfer.sections->size(), 1u);
  EXPECT_EQ(
      std::get<frame_expectation>(std::get<expect_step>(s.steps[6].action).targets[0]).payload,
      test::hex("00 53 77 40"));
  EXPECT_TRUE(
      std::holds_alternative<end_of_stream>(std::get<expect_step>(s.steps[7].action).targets[0]));
  EXPECT_EQ(std::get<expect_step>(s.steps[8].action).how, expect_step::mode::nothing);
  const auto& block = std::get<expect_step>(s.steps[9].action);
  EXPECT_EQ(block.how, expect_step::mode::unordered);
  EXPECT_EQ(block.target_texts,
            (std::vector<std::string>{"ch 0 @detach {handle: 0}", "ch 0 @end {}"}));
  EXPECT_EQ(std::get<expect_step>(s.steps[10].action).how, expect_step::mode::one_of);
  EXPECT_EQ(s.steps[10].line, 15u);
  EXPECT_EQ(std::get<delay_step>(s.steps[11].action).how_long, std::chrono::milliseconds(100));
  EXPECT_EQ(std::get<fault_step>(s.steps[14].action).what, fault::reset);
}

TEST(script, variables) {
  const variables vars{{"ADDRESS", "queue-1"}, {"CREDIT", "uint 7"}};
  const script s = parsed(
      R"(send @attach {name: "${ADDRESS}", handle: 0, role: receiver}  # ${UNSET} in a comment
expect @flow {link-credit: ${CREDIT}, handle: ${HANDLE:-0}}
send @target {address: "${ADDRESS:-other}"})",
      vars);
  ASSERT_EQ(s.steps.size(), 3u);
  EXPECT_EQ(s.steps[0].text, R"(send @attach {name: "queue-1", handle: 0, role: receiver})");
  EXPECT_EQ(s.steps[1].text, "expect @flow {link-credit: uint 7, handle: 0}");
  EXPECT_EQ(s.steps[2].text, R"(send @target {address: "queue-1"})");
  EXPECT_EQ(script_error_of("send header amqp\nsend bytes ${MISSING}"),
            "t.amqp:2:12: no value for ${MISSING}: give it with --var MISSING=VALUE");
  EXPECT_EQ(
      script_error_of("send bytes ${1X}"),
      "t.amqp:1:12: a variable is ${NAME} or ${NAME:-default}, NAME made of letters, digits and _");
  EXPECT_EQ(script_error_of("send bytes ${X"), "t.amqp:1:12: unterminated ${");
}

TEST(script, statements_over_several_lines) {
  const script s = parsed(R"(send ch 0 @open {
  container-id: "c",   # brackets keep the step open
  max-frame-size: 512
}
send ch 0 @transfer {handle: 0, delivery-id: 0, delivery-tag: b"1", more: true} \
     payload 00 53
expect one-of
  ch 0 @close {error: @error {
                 condition: :amqp:decode-error}}
end
)");
  ASSERT_EQ(s.steps.size(), 3u);
  EXPECT_EQ(s.steps[0].text, R"(send ch 0 @open { container-id: "c", max-frame-size: 512 })");
  EXPECT_EQ(s.steps[1].line, 5u);
  EXPECT_EQ(s.steps[2].line, 7u);
  EXPECT_EQ(script_error_of("send ch 0 @open {\n  container-id: \"c\",\n  max-frame-size: x\n}"),
            "t.amqp:3:19: expected a value, found 'x'");
  EXPECT_EQ(script_error_of("send header amqp\nsend ch 0 @open {container-id: \"c\""),
            "t.amqp:2:1: a bracket opened here is never closed");
}

TEST(script, errors_name_file_line_and_column) {
  EXPECT_EQ(script_error_of("\n\nsned header amqp"),
            "t.amqp:3:1: expected a step: send, expect, delay or fault");
  EXPECT_EQ(script_error_of("send header smtp"), "t.amqp:1:13: expected amqp, sasl or tls after header");
  EXPECT_EQ(script_error_of("send bytes"), "t.amqp:1:11: expected bytes in hex after bytes");
  EXPECT_EQ(script_error_of("send bytes 0 1"), "t.amqp:1:12: hex bytes need two digits each");
  EXPECT_EQ(script_error_of("send ch 70000 empty-frame"), "t.amqp:1:9: a channel number is at most 65535");
  EXPECT_EQ(script_error_of("delay 5"),
            "t.amqp:1:7: a duration needs its unit: ms or s, as in 500ms or 2s");
  EXPECT_EQ(script_error_of("delay 2h"),
            "t.amqp:1:7: a duration needs its unit: ms or s, as in 500ms or 2s");
  EXPECT_EQ(script_error_of("delay 7200s"), "t.amqp:1:7: a duration is at most 3600000ms");
  EXPECT_EQ(script_error_of("fault explode"),
            "t.amqp:1:7: expected shutdown-write, close or reset after fault");
  EXPECT_EQ(script_error_of("expect eof within 1s within 2s"), "t.amqp:1:22: within given twice");
  EXPECT_EQ(script_error_of("expect eof skipping @fow"),
            "t.amqp:1:21: 'fow' is not a type of the spec table");
  EXPECT_EQ(script_error_of("expect nothing"),
            "t.amqp:1:15: expect nothing needs within, the time to wait");
  EXPECT_EQ(script_error_of("end"), "t.amqp:1:1: end without an expect unordered or expect one-of block");
  EXPECT_EQ(script_error_of("expect unordered\n  eof\n"), "t.amqp:1:1: this expect block has no end");
  EXPECT_EQ(script_error_of("expect one-of\nend"),
            "t.amqp:2:1: an expect block needs at least one expectation");
  EXPECT_EQ(script_error_of("expect unordered\n  ch 0 @end {} within 1s\nend"),
            "t.amqp:2:16: unexpected 'within 1s' at the end of the step");
  EXPECT_EQ(script_error_of("send ch 0 @close {} payload"),
            "t.amqp:1:28: expected the payload's bytes in hex");
  EXPECT_EQ(script_error_of("send ch 0 @close {} payload 2 bytes: 00"),
            "t.amqp:1:29: the payload says 2 bytes and holds 1");
  EXPECT_EQ(script_error_of(std::string(20u << 20, ' ')),
            "t.amqp:1:1: the script is longer than 16777216 bytes");
}

received frame(std::string_view performative, std::uint16_t channel = 0,
               std::string_view payload_hex = "") {
  const script s = parsed("send ch " + std::to_string(channel) + " " + std::string(performative) +
                          (payload_hex.empty() ? "" : " payload " + std::string(payload_hex)));
  const auto& bytes = std::get<send_step>(s.steps.at(0).action).bytes;
  auto h = parse_frame_header(bytes, 0xffffffffu);
  auto f = decode_frame_body(*h, bytes_view(bytes).subspan(8));
  received r;
  r.kind = received::what::frame;
  r.channel = f->channel;
  r.type = f->type;
  r.empty_frame = f->is_empty();
  if (!f->performative.is_null())
    r.performative.assign(bytes.begin() + 8,
                          bytes.end() - static_cast<std::ptrdiff_t>(f->payload.size()));
  r.payload.assign(f->payload.begin(), f->payload.end());
  return r;
}

expectation expected(std::string_view text) {
  const script s = parsed("expect " + std::string(text));
  return std::get<expect_step>(s.steps.at(0).action).targets.at(0);
}

TEST(script, received_items_against_expectations) {
  const received flow = frame(
      "@flow {incoming-window: 1, next-outgoing-id: 0, outgoing-window: 1, link-credit: 3}", 2);
  EXPECT_EQ(mismatch(expected("ch 2 @flow {link-credit: 3}"), flow), "");
  EXPECT_EQ(mismatch(expected("@flow {link-credit: 3}"), flow), "");
  EXPECT_EQ(mismatch(expected("ch 1 @flow {}"), flow), "expected channel 1, got channel 2");
  EXPECT_EQ(mismatch(expected("sasl @flow {}"), flow), "expected a SASL frame");
  EXPECT_EQ(mismatch(expected("empty-frame"), flow), "expected an empty frame");
  EXPECT_EQ(mismatch(expected("eof"), flow), "expected the end of the stream");
  EXPECT_EQ(mismatch(expected("header amqp"), flow), "expected the protocol header AMQP 1.0.0");

  const received message =
      frame("@transfer {handle: 0}", 0, "00 53 70 45 00 53 73 45 00 53 77 a1 01 78");
  EXPECT_EQ(mismatch(expected(R"(@transfer {} @amqp-value "x")"), message), "");
  EXPECT_EQ(mismatch(expected(R"(@transfer {} @header {} @amqp-value *)"), message), "");
  EXPECT_EQ(
      mismatch(expected(R"(@transfer {} @amqp-value "y")"), message),
      R"(no section of the payload matches @amqp-value "y" (expected @amqp-value "y", got @header(0x70) {}))");
  EXPECT_EQ(
      mismatch(expected("@transfer {} payload 00 53 70 45 00 53 73 45 00 53 77 a1 01 78"), message),
      "");
  EXPECT_EQ(mismatch(expected("@transfer {} payload 00"), message),
            "the payload differs: 14 bytes arrived");

  received end;
  end.kind = received::what::end;
  EXPECT_EQ(mismatch(expected("eof"), end), "");
  EXPECT_EQ(mismatch(expected("@close {}"), end), "expected a frame");

  const script rules = parsed("expect eof skipping @flow, empty-frame");
  const auto& skip = std::get<expect_step>(rules.steps[0].action).skipping;
  EXPECT_TRUE(skippable(skip, flow));
  EXPECT_FALSE(skippable(skip, message));
  EXPECT_TRUE(skippable(skip, frame("empty-frame")));
  EXPECT_FALSE(skippable(skip, end));
}

}  // namespace
}  // namespace amqp::peer
