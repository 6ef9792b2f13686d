// amqp-inspect's library: modes, detection, re-encoding, every error path, the command line.
#include "inspect/inspect.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "amqp/frame.hpp"
#include "amqp/message.hpp"
#include "amqp/spec.hpp"
#include "amqp/value.hpp"
#include "support/hex.hpp"

namespace amqp::inspect {
namespace {

using namespace std::string_literals;

struct outcome {
  int status = -1;
  std::string out;
  std::string err;
};

outcome inspect(bytes_view input, options o = {}) {
  outcome r;
  r.status = run(input, o, r.out, r.err);
  return r;
}

outcome inspect_hex(std::string_view hex, mode m = mode::automatic, bool reencode = false) {
  options o;
  o.input = m;
  o.reencode = reencode;
  o.input_name = "in";
  return inspect(test::hex(hex), o);
}

bytes_view bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string as_string(bytes_view b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Expects the run to fail with exactly this one line on the error stream.
void expect_error(const outcome& r, std::string_view line) {
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "amqp-inspect: in: "s + std::string(line) + "\n");
}

writer sample_message() {
  message m;
  m.properties.message_id = "id-1"s;
  m.properties.to = "queue"s;
  m.application_properties.emplace_back("k"s, "v"s);
  m.set_data(bytes_of("hi"));
  writer w;
  EXPECT_FALSE(encode_message(w, m));
  return w;
}

// A SASL exchange and an AMQP connection, with a transfer carrying sample_message().
writer sample_stream() {
  writer w;
  write_protocol_header(w, protocol_id::sasl);
  const symbol_view mechs[] = {symbol_view{"ANONYMOUS"}};
  EXPECT_FALSE(write_frame(w, frame_type::sasl, 0,
                           spec::sasl_mechanisms{.sasl_server_mechanisms =
                                                     std::span<const symbol_view>(mechs)}));
  EXPECT_FALSE(write_frame(w, frame_type::sasl, 0,
                           spec::sasl_init{.mechanism = symbol_view{"ANONYMOUS"}}));
  EXPECT_FALSE(write_frame(w, frame_type::sasl, 0, spec::sasl_outcome{}));
  write_protocol_header(w, protocol_id::amqp);
  EXPECT_FALSE(write_frame(w, frame_type::amqp, 0, spec::open{.container_id = "c"}));
  EXPECT_FALSE(write_frame(w, frame_type::amqp, 0,
                           spec::begin{.incoming_window = 5, .outgoing_window = 5}));
  const writer m = sample_message();
  const std::uint8_t tag[] = {1};
  EXPECT_FALSE(write_frame(w, frame_type::amqp, 0,
                           spec::transfer{.handle = 0, .delivery_id = 0,
                                          .delivery_tag = bytes_view(tag)},
                           m.view()));
  write_empty_frame(w, 0);
  EXPECT_FALSE(write_frame(w, frame_type::amqp, 0, spec::close{}));
  return w;
}

TEST(inspect_detect, by_the_first_bytes) {
  EXPECT_EQ(detect(bytes_of("AMQP\x00\x01\x00\x00"s)), mode::frames);
  EXPECT_EQ(detect(bytes_of("AMQP")), mode::frames);
  EXPECT_EQ(detect(test::hex("00 53 70 45")), mode::message);
  EXPECT_EQ(detect(test::hex("00 53 75 a0 00")), mode::message);
  EXPECT_EQ(detect(test::hex("00 53 78")), mode::message);
  EXPECT_EQ(detect(test::hex("00 53 6f 45")), mode::value);
  EXPECT_EQ(detect(test::hex("00 53 79 45")), mode::value);
  EXPECT_EQ(detect(test::hex("00 53 10 45")), mode::value);
  // Symbolic section descriptors, sym8 and sym32.
  EXPECT_EQ(detect(test::hex("00 a3 10 61 6d 71 70 3a 64 61 74 61 3a 62 69 6e 61 72 79 a0 00")),
            mode::message);
  EXPECT_EQ(detect(test::hex("00 b3 00 00 00 11 61 6d 71 70 3a 61 6d 71 70 2d 76 61 6c 75 65 3a 2a")),
            mode::message);
  EXPECT_EQ(detect(test::hex("00 a3 0e 61 6d 71 70 3a 6f 70 65 6e 3a 6c 69 73 74")), mode::value);
  // A symbol length past the input is not a section name.
  EXPECT_EQ(detect(test::hex("00 a3 ff 61 6d 71 70")), mode::value);
  EXPECT_EQ(detect(test::hex("00 b3 ff ff ff ff 61")), mode::value);
  EXPECT_EQ(detect(test::hex("52 01")), mode::value);
  EXPECT_EQ(detect(bytes_of("AMQ")), mode::value);
  EXPECT_EQ(detect({}), mode::value);
}

TEST(inspect_values, one_or_more_back_to_back) {
  auto r = inspect_hex("52 01 a1 02 68 69 c0 03 01 50 07", mode::value);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "uint 1\n\"hi\"\n[ubyte 7]\n");
  EXPECT_EQ(r.err, "");
  // Detected when not given.
  EXPECT_EQ(inspect_hex("52 01 a1 02 68 69 c0 03 01 50 07").out, r.out);
}

TEST(inspect_values, hex_input_ignores_whitespace_and_case) {
  options o;
  o.hex = true;
  const std::string text = " 52\t0A\n a1 0 2 68 69\r\n";
  outcome r = inspect(bytes_of(text), o);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "uint 10\n\"hi\"\n");
}

TEST(inspect_values, text_options_apply) {
  options o;
  o.input = mode::value;
  o.text.width = 10;
  outcome r = inspect(test::hex("c0 05 02 52 01 52 02"), o);
  EXPECT_EQ(r.out, "[\n  uint 1,\n  uint 2\n]\n");
  o.text.multiline = false;
  r = inspect(test::hex("c0 05 02 52 01 52 02"), o);
  EXPECT_EQ(r.out, "[uint 1, uint 2]\n");
}

TEST(inspect_values, reencode_writes_the_canonical_encoding) {
  // uint as 4 bytes, str32, list32, true as 0x56 01: each has a smaller canonical form.
  auto r = inspect_hex("70 00 00 00 01 b1 00 00 00 01 61 d0 00 00 00 05 00 00 00 01 40 56 01",
                       mode::value, true);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(test::to_hex(bytes_of(r.out)), "52 01 a1 01 61 c0 02 01 40 41");
  EXPECT_EQ(r.err, "");
}

TEST(inspect_message, prints_the_sections_as_on_the_wire) {
  const writer m = sample_message();
  options o;
  o.input = mode::message;
  auto r = inspect(m.view(), o);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out,
            "@properties(0x73) {message-id: \"id-1\", to: \"queue\"}\n"
            "@application-properties(0x74) {\"k\": \"v\"}\n"
            "@data(0x75) b\"hi\"\n");
  EXPECT_EQ(inspect(m.view()).out, r.out);  // detected
}

TEST(inspect_message, symbolic_descriptors_are_detected_and_reencoded_canonically) {
  // amqp-value with the symbolic descriptor, the string in str32.
  const auto input = test::hex(
      "00 a3 11 61 6d 71 70 3a 61 6d 71 70 2d 76 61 6c 75 65 3a 2a b1 00 00 00 02 68 69");
  auto r = inspect(input);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "@amqp-value(:amqp:amqp-value:*) \"hi\"\n");
  options o;
  o.reencode = true;
  r = inspect(input, o);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(test::to_hex(bytes_of(r.out)), "00 53 77 a1 02 68 69");
}

TEST(inspect_message, reencode_matches_encode_message) {
  const writer m = sample_message();
  options o;
  o.input = mode::message;
  o.reencode = true;
  auto r = inspect(m.view(), o);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, as_string(m.view()));
}

TEST(inspect_frames, a_whole_connection) {
  const writer w = sample_stream();
  options o;
  o.text.width = 200;
  auto r = inspect(w.view(), o);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            "[0] SASL 1.0.0\n"
            "[8] ch 0 @sasl-mechanisms(0x40) {sasl-server-mechanisms: symbol[:ANONYMOUS]}\n"
            "[36] ch 0 @sasl-init(0x41) {mechanism: :ANONYMOUS}\n"
            "[61] ch 0 @sasl-outcome(0x44) {code: ok}\n"
            "[77] AMQP 1.0.0\n"
            "[85] ch 0 @open(0x10) {container-id: \"c\"}\n"
            "[102] ch 0 @begin(0x11) {next-outgoing-id: uint 0, incoming-window: uint 5, "
            "outgoing-window: uint 5}\n"
            "[122] ch 0 @transfer(0x14) {handle: uint 0, delivery-id: uint 0, delivery-tag: "
            "b\"\\x01\"}\n"
            "  @properties(0x73) {message-id: \"id-1\", to: \"queue\"}\n"
            "  @application-properties(0x74) {\"k\": \"v\"}\n"
            "  @data(0x75) b\"hi\"\n"
            "[180] ch 0 (empty frame)\n"
            "[188] ch 0 @close(0x18) {}\n");
}

TEST(inspect_frames, reencode_of_canonical_frames_is_the_identity) {
  const writer w = sample_stream();
  options o;
  o.reencode = true;
  auto r = inspect(w.view(), o);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, as_string(w.view()));
}

TEST(inspect_frames, reencode_writes_performatives_as_write_frame_does) {
  // open as list32 with channel-max sent explicitly at its default, and an extended header;
  // then an empty frame on channel 7.
  const auto input = test::hex(
      "41 4d 51 50 00 01 00 00"
      "00 00 00 20 03 00 00 00 aa bb cc dd"
      "00 53 10 d0 00 00 00 0c 00 00 00 04 a1 01 63 40 40 60 ff ff"
      "00 00 00 08 02 00 00 07");
  options o;
  o.reencode = true;
  auto r = inspect(input, o);
  ASSERT_EQ(r.status, 0) << r.err;
  writer expected;
  write_protocol_header(expected, protocol_id::amqp);
  ASSERT_FALSE(write_frame(expected, frame_type::amqp, 0, spec::open{.container_id = "c"}));
  write_empty_frame(expected, 7);
  EXPECT_EQ(test::to_hex(bytes_of(r.out)), test::to_hex(expected.view()));
}

TEST(inspect_errors, empty_input) {
  expect_error(inspect_hex("", mode::automatic), "empty input at offset 0");
  expect_error(inspect_hex("", mode::value), "empty input at offset 0");
  expect_error(inspect_hex("", mode::message), "empty input at offset 0");
  expect_error(inspect_hex("", mode::frames), "empty input at offset 0");
}

TEST(inspect_errors, bad_hex_names_the_character_offset) {
  options o;
  o.hex = true;
  o.input_name = "in";
  outcome r = inspect(bytes_of("00 5g"), o);
  expect_error(r, "invalid hex digit at offset 4");
  EXPECT_EQ(r.out, "");
  expect_error(inspect(bytes_of("00 53 7"), o), "odd number of hex digits at offset 6");
  expect_error(inspect(bytes_of("0x52"), o), "invalid hex digit at offset 1");
  expect_error(inspect(bytes_of(" \n "), o), "empty input at offset 0");
}

TEST(inspect_errors, values_report_offsets_in_the_whole_input) {
  outcome r = inspect_hex("52 01 ff", mode::value);
  expect_error(r, "unknown format code at offset 2");
  EXPECT_EQ(r.out, "uint 1\n");  // what decoded before the error stays
  expect_error(inspect_hex("52 01 a1 05 61", mode::value), "size exceeds the remaining input at offset 3");
  expect_error(inspect_hex("c0 03 02 52 01", mode::value),
               "elements do not fill the compound size exactly at offset 5");
  r = inspect_hex("52 01 ff", mode::value, true);
  expect_error(r, "unknown format code at offset 2");
  EXPECT_EQ(test::to_hex(bytes_of(r.out)), "52 01");
}

TEST(inspect_errors, messages) {
  expect_error(inspect_hex("00 53 75 a0 01 61 00 53 73 45"),
               "message sections out of order at offset 6");
  expect_error(inspect_hex("52 01", mode::message), "not a message section at offset 0");
  expect_error(inspect_hex("00 53 75 a0 05 61", mode::message),
               "size exceeds the remaining input at offset 4");
  expect_error(inspect_hex("00 53 75 a0 01 61 00 53 75 a0 01 61 ff", mode::message, true),
               "unknown format code at offset 12");
}

TEST(inspect_errors, frames_bad_protocol_headers) {
  expect_error(inspect_hex("41 4d 51 58 00 01 00 00", mode::frames),
               "invalid protocol header at offset 3");
  expect_error(inspect_hex("41 4d 51 50 00 02 00 00", mode::frames),
               "unsupported protocol id or version at offset 5");
  expect_error(inspect_hex("41 4d 51 50 00 01 00"), "input ends inside a protocol header at offset 0");
  expect_error(inspect_hex("52 01", mode::frames), "invalid protocol header at offset 0");
  // TLS records cannot be decoded: the header prints, the records are refused.
  outcome r = inspect_hex("41 4d 51 50 02 01 00 00 16 03 01");
  expect_error(r, "unsupported protocol id or version at offset 8");
  EXPECT_EQ(r.out, "[0] TLS 1.0.0\n");
}

TEST(inspect_errors, frames_cut_short_or_malformed) {
  const std::string amqp = "41 4d 51 50 00 01 00 00 ";
  outcome r = inspect_hex(amqp + "00 00 00 10 02 00");
  expect_error(r, "input ends inside a frame at offset 8");
  EXPECT_EQ(r.out, "[0] AMQP 1.0.0\n");
  expect_error(inspect_hex(amqp + "7f ff ff ff 02 00 00 00"), "input ends inside a frame at offset 8");
  expect_error(inspect_hex(amqp + "00 00 00 04 02 00 00 00"),
               "frame size below the 8-byte frame header at offset 8");
  expect_error(inspect_hex(amqp + "00 00 00 08 01 00 00 00"),
               "invalid frame data offset at offset 12");
  expect_error(inspect_hex(amqp + "00 00 00 0c 02 01 00 00 00 53 18 45"),
               "unknown frame type at offset 13");
  expect_error(inspect_hex(amqp + "00 00 00 0c 02 00 00 00 52 01 00 00"),
               "frame body is not one performative at offset 16");
}

TEST(inspect_errors, frames_with_performatives_that_break_the_spec) {
  const std::string amqp = "41 4d 51 50 00 01 00 00 ";
  // open without its mandatory container-id.
  expect_error(inspect_hex(amqp + "00 00 00 0c 02 00 00 00 00 53 10 45"),
               "mandatory field is missing at offset 19");
  // A descriptor that names no performative, and a SASL performative in an AMQP frame.
  expect_error(inspect_hex(amqp + "00 00 00 0c 02 00 00 00 00 53 30 45"),
               "not an AMQP performative at offset 18");
  expect_error(inspect_hex(amqp + "00 00 00 0c 02 00 00 00 00 53 41 45"),
               "not an AMQP performative at offset 18");
  // An AMQP performative in a SASL frame.
  expect_error(inspect_hex("41 4d 51 50 03 01 00 00 00 00 00 0c 02 01 00 00 00 53 18 45"),
               "not a SASL performative at offset 18");
  // A field of the wrong type: attach's handle as a string.
  expect_error(inspect_hex(amqp + "00 00 00 15 02 00 00 00 00 53 12 c0 08 03 a1 01 6c a1 01 68 41"),
               "field has the wrong type at offset 25");
  // The same in reencode mode.
  expect_error(inspect_hex(amqp + "00 00 00 0c 02 00 00 00 00 53 10 45", mode::frames, true),
               "mandatory field is missing at offset 19");
}

TEST(inspect_errors, every_prefix_of_a_stream_decodes_or_fails_with_one_line) {
  const writer w = sample_stream();
  // Item boundaries, from the "[offset]" of each item in the text of the whole stream.
  options whole;
  whole.text.multiline = false;
  const outcome all = inspect(w.view(), whole);
  ASSERT_EQ(all.status, 0);
  std::vector<std::size_t> boundaries{w.size()};
  for (std::size_t at = 0; at < all.out.size(); at = all.out.find('\n', at) + 1)
    boundaries.push_back(std::stoul(all.out.substr(at + 1)));
  ASSERT_EQ(boundaries.size(), 11u);  // ten items and the end
  for (std::size_t n = 0; n < w.size(); ++n) {
    const bool boundary =
        n > 0 && std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end();
    for (bool reencode : {false, true}) {
      options o;
      o.reencode = reencode;
      o.input = mode::frames;
      const outcome r = inspect(w.view().first(n), o);
      if (boundary) {
        ASSERT_EQ(r.status, 0) << "prefix " << n << ": " << r.err;
        ASSERT_EQ(r.err, "");
        continue;
      }
      ASSERT_EQ(r.status, 1) << "prefix " << n;
      ASSERT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      ASSERT_EQ(r.err.back(), '\n');
      ASSERT_NE(r.err.find(" at offset "), std::string::npos) << r.err;
    }
  }
}

TEST(inspect_errors, corrupted_bytes_never_crash_and_fail_with_one_line) {
  const writer stream = sample_stream();
  const writer msg = sample_message();
  for (const writer* w : {&stream, &msg}) {
    std::vector<std::uint8_t> bytes(w->view().begin(), w->view().end());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      for (std::uint8_t b : {std::uint8_t{0x00}, std::uint8_t{0xff}, std::uint8_t{0x40}}) {
        const std::uint8_t saved = bytes[i];
        bytes[i] = b;
        for (mode m : {mode::automatic, mode::value, mode::message, mode::frames}) {
          options o;
          o.input = m;
          const outcome r = inspect(bytes, o);
          ASSERT_TRUE(r.status == 0 || r.status == 1);
          if (r.status == 1) {
            ASSERT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
            ASSERT_NE(r.err.find(" at offset "), std::string::npos) << r.err;
          } else {
            ASSERT_EQ(r.err, "");
          }
        }
        bytes[i] = saved;
      }
    }
  }
}

std::vector<std::string_view> args_of(std::initializer_list<std::string_view> a) { return a; }

TEST(inspect_command_line, defaults) {
  command_line cl;
  std::string err;
  EXPECT_EQ(parse_command_line({}, cl, err), 0);
  EXPECT_EQ(cl.opts.input, mode::automatic);
  EXPECT_FALSE(cl.opts.hex);
  EXPECT_FALSE(cl.opts.reencode);
  EXPECT_TRUE(cl.opts.text.multiline);
  EXPECT_EQ(cl.opts.text.width, 100);
  EXPECT_EQ(cl.file, "");
  EXPECT_EQ(cl.opts.input_name, "<stdin>");
  EXPECT_FALSE(cl.help);
}

TEST(inspect_command_line, every_option) {
  command_line cl;
  std::string err;
  const auto args = args_of({"--frames", "--hex", "--reencode", "--one-line", "--width", "60",
                             "capture.bin"});
  EXPECT_EQ(parse_command_line(args, cl, err), 0) << err;
  EXPECT_EQ(cl.opts.input, mode::frames);
  EXPECT_TRUE(cl.opts.hex);
  EXPECT_TRUE(cl.opts.reencode);
  EXPECT_FALSE(cl.opts.text.multiline);
  EXPECT_EQ(cl.opts.text.width, 60);
  EXPECT_EQ(cl.file, "capture.bin");
  EXPECT_EQ(cl.opts.input_name, "capture.bin");

  command_line v, m, s, d, h;
  EXPECT_EQ(parse_command_line(args_of({"--value"}), v, err), 0);
  EXPECT_EQ(v.opts.input, mode::value);
  EXPECT_EQ(parse_command_line(args_of({"--message"}), m, err), 0);
  EXPECT_EQ(m.opts.input, mode::message);
  EXPECT_EQ(parse_command_line(args_of({"-"}), s, err), 0);
  EXPECT_EQ(s.file, "");
  EXPECT_EQ(s.opts.input_name, "<stdin>");
  EXPECT_EQ(parse_command_line(args_of({"--", "--value"}), d, err), 0);
  EXPECT_EQ(d.file, "--value");
  EXPECT_EQ(d.opts.input, mode::automatic);
  EXPECT_EQ(parse_command_line(args_of({"-h"}), h, err), 0);
  EXPECT_TRUE(h.help);
  EXPECT_NE(usage().find("--reencode"), std::string_view::npos);
}

TEST(inspect_command_line, usage_errors_exit_2_with_one_line) {
  auto fails = [](std::initializer_list<std::string_view> a, std::string_view message) {
    command_line cl;
    std::string err;
    EXPECT_EQ(parse_command_line(args_of(a), cl, err), 2);
    EXPECT_EQ(err, "amqp-inspect: "s + std::string(message) + " (see --help)\n");
  };
  fails({"--bogus"}, "unknown option --bogus");
  fails({"--value", "--frames"}, "more than one of --value, --message, --frames: --frames");
  fails({"a", "b"}, "more than one input file: b");
  fails({"--width"}, "--width needs a number");
  fails({"--width", "0"}, "--width needs a positive number, not 0");
  fails({"--width", "12x"}, "--width needs a positive number, not 12x");
  fails({"--width", "-3"}, "--width needs a positive number, not -3");
}

}  // namespace
}  // namespace amqp::inspect
