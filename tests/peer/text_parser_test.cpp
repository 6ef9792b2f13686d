// The text parser's additions for people writing values, and its errors: each names what is
// wrong and its line and column, and the limits hold.
#include <gtest/gtest.h>

#include "amqp/spec.hpp"
#include "amqp/text.hpp"
#include "amqp/value.hpp"
#include "peer/text_parser.hpp"
#include "support/hex.hpp"

namespace amqp::peer {
namespace {

std::string encoded(std::string_view text) {
  auto v = parse_value(text);
  if (!v) {
    ADD_FAILURE() << text << ": " << v.error().to_string();
    return {};
  }
  return test::to_hex(encode(*v).view());
}

template <spec::composite T>
std::string encoded(const T& c) {
  writer w;
  encoder e(w);
  spec::encode(e, c);
  return test::to_hex(w.view());
}

std::string parse_error_of(std::string_view text, const parse_limits& limits = {}) {
  auto v = parse_value(text, limits);
  if (v) {
    ADD_FAILURE() << text << " parsed";
    return {};
  }
  return v.error().to_string();
}

TEST(text_parser, a_type_name_stands_for_its_descriptor) {
  EXPECT_EQ(encoded(R"(@open {container-id: "c1"})"), encoded(spec::open{.container_id = "c1"}));
  EXPECT_EQ(encoded(R"(@open(0x10) {container-id: "c1"})"),
            encoded(R"(@open {container-id: "c1"})"));
  EXPECT_EQ(encoded("@accepted {}"), "00 53 24 45");
  EXPECT_EQ(encoded(R"(@open(:amqp:open:list) {container-id: "x"})"),
            "00 a3 0e 61 6d 71 70 3a 6f 70 65 6e 3a 6c 69 73 74 c0 04 01 a1 01 78");
}

TEST(text_parser, fields_take_untyped_numbers_and_choice_names) {
  EXPECT_EQ(encoded(R"(@open {container-id: "c", max-frame-size: 512, idle-time-out: 1000})"),
            encoded(spec::open{.container_id = "c", .max_frame_size = 512, .idle_time_out = 1000}));
  EXPECT_EQ(encoded(R"(@attach {name: "l", handle: 0, role: receiver, snd-settle-mode: settled,
                               rcv-settle-mode: second, max-message-size: 10})"),
            encoded(spec::attach{.name = "l",
                                 .handle = 0,
                                 .role = spec::role::receiver,
                                 .snd_settle_mode = spec::sender_settle_mode::settled,
                                 .rcv_settle_mode = spec::receiver_settle_mode::second,
                                 .max_message_size = 10}));
  EXPECT_EQ(encoded("@sasl-outcome {code: auth}"),
            encoded(spec::sasl_outcome{.code = spec::sasl_code::auth}));
  EXPECT_EQ(encoded("@source {durable: configuration, expiry-policy: never}"),
            encoded(spec::source{.durable = spec::terminus_durability::configuration,
                                 .expiry_policy = symbol_view{"never"}}));
  // A typed value is taken as written, even of another type than the field's.
  EXPECT_EQ(encoded(R"(@open {container-id: "c", max-frame-size: ulong 512})"),
            "00 53 10 c0 0e 03 a1 01 63 40 80 00 00 00 00 00 00 02 00");
}

TEST(text_parser, fields_are_placed_by_name_with_nulls_between) {
  EXPECT_EQ(encoded(R"(@open {max-frame-size: 512, container-id: "c"})"),
            encoded(R"(@open ["c", null, uint 512])"));
  EXPECT_EQ(encoded(R"(@close {error: @error {condition: :amqp:decode-error, description: "x"}})"),
            encoded(spec::close{.error = spec::error{.condition = spec::amqp_error::decode_error,
                                                     .description = "x"}}));
  // An explicit null stays: the list then ends with it.
  EXPECT_EQ(encoded(R"(@open {container-id: "c", hostname: null})"),
            "00 53 10 c0 05 02 a1 01 63 40");
}

TEST(text_parser, comments_and_line_ends_are_white_space) {
  EXPECT_EQ(encoded("[uint 1, # the first\n uint 2]  # done"), "c0 05 02 52 01 52 02");
  EXPECT_EQ(encoded(":a#b"), "a3 03 61 23 62");
  EXPECT_EQ(encoded("\"a # b\""), "a1 05 61 20 23 20 62");
}

TEST(text_parser, escapes_give_any_byte) {
  EXPECT_EQ(encoded(R"("\x41\xff")"), "a1 02 41 ff");  // a string that is not UTF-8, on purpose
  EXPECT_EQ(encoded(R"("\u{e9}\u{1F600}")"), "a1 06 c3 a9 f0 9f 98 80");
  EXPECT_EQ(encoded(R"(:"\x80")"), "a3 01 80");
  EXPECT_EQ(encoded(R"(b"\x00é")"), "a0 03 00 c3 a9");
  EXPECT_EQ(encoded("char 'é'"), "73 00 00 00 e9");
}

TEST(text_parser, errors_name_the_column) {
  EXPECT_EQ(parse_error_of("[uint 1,, uint 2]"), "column 9: expected a value, found ','");
  EXPECT_EQ(parse_error_of("uint 5x"), "column 7: unexpected 'x' after uint");
  EXPECT_EQ(parse_error_of("ubyte 256"), "column 7: 256 is out of range for ubyte");
  EXPECT_EQ(parse_error_of("uint -1"), "column 6: expected a number");
  EXPECT_EQ(parse_error_of("5"), "column 1: a number needs its type here, as in uint 5 or long -1");
  EXPECT_EQ(parse_error_of("\"abc"), "column 1: unterminated literal: no closing '\"'");
  EXPECT_EQ(parse_error_of(R"("a\q")"),
            R"(column 3: unknown escape '\x5cq' (known: \" \\ \n \r \t \xNN \u{N}))");
  EXPECT_EQ(parse_error_of(R"(b"\u{41}")"), "column 3: \\u{...} is for strings; write bytes as \\xNN");
  EXPECT_EQ(parse_error_of("\"\xff\""), "column 2: invalid UTF-8 in a string: write bytes as \\xNN");
  EXPECT_EQ(parse_error_of(":\"\xc3\xa9\""), "column 3: symbols are ASCII: write other bytes as \\xNN");
  EXPECT_EQ(parse_error_of("\"a\tb\""), "column 3: control character in a literal: write it as \\xNN");
  EXPECT_EQ(parse_error_of("char U+D800"), "column 6: not a Unicode scalar value");
  EXPECT_EQ(parse_error_of("char 'ab'"),
            "column 6: a char is one printable character in single quotes, or U+HEX");
  EXPECT_EQ(parse_error_of("float nan(0x3f800000)"), "column 7: these bits are not a NaN");
  EXPECT_EQ(parse_error_of("timestamp 2026-02-29T00:00:00.000Z"), "column 11: no such day in that month");
  EXPECT_EQ(parse_error_of("timestamp 2026-01-01T00:00:00Z"),
            "column 30: expected '.' before the milliseconds");
  EXPECT_EQ(parse_error_of("timestamp +292278995-01-01T00:00:00.000Z"),
            "column 11: timestamp out of range (milliseconds must fit a long)");
  EXPECT_EQ(parse_error_of("uuid 01234567-89ab-cdef-0123-456789abcde"),
            "column 40: a uuid byte needs 2 hex digits");
  EXPECT_EQ(parse_error_of("decimal32 0x123456789"), "column 13: decimal32 needs 1 to 8 hex digits");
  EXPECT_EQ(parse_error_of("uint[1, -1]"), "column 9: expected a number");
  EXPECT_EQ(parse_error_of("list[[], uint 1]"),
            "column 10: an element of a list array must be a list, not a uint");
  EXPECT_EQ(
      parse_error_of("string"),
      "column 1: string values are written without their type name, or as an array: string[...]");
  EXPECT_EQ(parse_error_of("[1]"), "column 2: a number needs its type here, as in uint 5 or long -1");
  EXPECT_EQ(parse_error_of("{\"k\" 1}"), "column 6: expected ':' after a map key, found '1'");
  EXPECT_EQ(parse_error_of("uint 1 uint 2"), "column 8: unexpected 'u' after the value");
  EXPECT_EQ(parse_error_of("*"), "column 1: expected a value, found '*'");
}

TEST(text_parser, errors_in_the_fields_form) {
  EXPECT_EQ(parse_error_of("@opne {}"), "column 2: 'opne' is not a type of the spec table");
  EXPECT_EQ(parse_error_of("@open(0x11) {}"), "column 7: the code of open is 0x10");
  EXPECT_EQ(parse_error_of("@open(:amqp:begin:list) {}"),
            "column 7: the symbol of open is amqp:open:list");
  EXPECT_EQ(parse_error_of(R"(@open {containerid: "c"})"),
            "column 8: 'containerid' is not a field of open (fields: container-id, hostname, "
            "max-frame-size, channel-max, idle-time-out, outgoing-locales, incoming-locales, "
            "offered-capabilities, desired-capabilities, properties)");
  EXPECT_EQ(parse_error_of(R"(@open {container-id: "a", container-id: "b"})"),
            "column 27: field container-id given twice");
  EXPECT_EQ(parse_error_of("@attach {role: recever}"),
            "column 16: 'recever' is not a choice of role (sender, receiver)");
  EXPECT_EQ(parse_error_of("@open {max-frame-size: 4294967296}"), "column 24: out of range for uint");
  EXPECT_EQ(parse_error_of("@open {max-frame-size: -1}"), "column 24: out of range for uint");
  EXPECT_EQ(parse_error_of("@open {properties: 1}"),
            "column 20: a number needs its type here, as in uint 5 or long -1");
  EXPECT_EQ(parse_error_of("@accepted {a: 1}"),
            "column 12: 'a' is not a field of accepted (fields: none)");
  EXPECT_EQ(parse_error_of("@open {container-id: absent}"),
            "column 22: expected a value, found 'absent'");
}

TEST(text_parser, errors_in_later_lines_name_the_line) {
  EXPECT_EQ(parse_error_of("[\n  uint 1,\n  uint x\n]"), "line 3, column 8: expected a number");
}

TEST(text_parser, limits_bound_length_and_depth) {
  EXPECT_EQ(parse_error_of("[[[[]]]]", {.max_depth = 3}), "column 4: nested deeper than 3 levels");
  EXPECT_EQ(parse_error_of("@:a @:b @:c null", {.max_depth = 2}),
            "column 9: nested deeper than 2 levels");
  EXPECT_EQ(parse_error_of("\"0123456789\"", {.max_length = 8}), "column 9: longer than 8 bytes");
  // The default depth refuses a hostile nest of brackets without exhausting the stack.
  const std::string deep(100000, '[');
  EXPECT_EQ(parse_error_of(deep), "column 33: nested deeper than 32 levels");
  std::string fine;
  for (int i = 0; i < 32; ++i) fine += '[';
  for (int i = 0; i < 32; ++i) fine += ']';
  EXPECT_TRUE(parse_value(fine));
}

}  // namespace
}  // namespace amqp::peer
