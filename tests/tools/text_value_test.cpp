// The text form of values (amqp/text.hpp): golden strings for every type and layout rule.
#include <gtest/gtest.h>

#include "amqp/spec.hpp"
#include "amqp/text.hpp"
#include "amqp/value.hpp"
#include "support/hex.hpp"

namespace amqp {
namespace {

// The helpers default to a wide width, so that tests of content do not depend on line breaking
// (the text_layout tests pass their own options).
std::string text_of(std::string_view hex, const text_options& o = {.width = 200}) {
  const auto bytes = test::hex(hex);
  auto v = decode_value(bytes);
  if (!v) {
    ADD_FAILURE() << "test data does not decode: " << v.error().message();
    return {};
  }
  return to_text(*v, o);
}

std::string text_of_value(const value& v, const text_options& o = {.width = 200}) {
  const writer w = encode(v);
  auto view = decode_value(w.view());
  if (!view) {
    ADD_FAILURE() << "value does not decode: " << view.error().message();
    return {};
  }
  return to_text(*view, o);
}

template <spec::composite T>
std::string text_of_composite(const T& c, const text_options& o = {.width = 200}) {
  writer w;
  encoder e(w);
  spec::encode(e, c);
  auto view = decode_value(w.view());
  if (!view) {
    ADD_FAILURE() << "composite does not decode: " << view.error().message();
    return {};
  }
  return to_text(*view, o);
}

TEST(text_scalar, null_and_booleans) {
  EXPECT_EQ(text_of("40"), "null");
  EXPECT_EQ(text_of("41"), "true");
  EXPECT_EQ(text_of("42"), "false");
  EXPECT_EQ(text_of("56 01"), "true");
  EXPECT_EQ(text_of("56 00"), "false");
}

TEST(text_scalar, unsigned_integers_in_every_encoding) {
  EXPECT_EQ(text_of("50 07"), "ubyte 7");
  EXPECT_EQ(text_of("50 ff"), "ubyte 255");
  EXPECT_EQ(text_of("60 00 07"), "ushort 7");
  EXPECT_EQ(text_of("60 ff ff"), "ushort 65535");
  EXPECT_EQ(text_of("70 00 00 00 07"), "uint 7");
  EXPECT_EQ(text_of("52 07"), "uint 7");
  EXPECT_EQ(text_of("43"), "uint 0");
  EXPECT_EQ(text_of("70 ff ff ff ff"), "uint 4294967295");
  EXPECT_EQ(text_of("80 00 00 00 00 00 00 00 07"), "ulong 7");
  EXPECT_EQ(text_of("53 07"), "ulong 7");
  EXPECT_EQ(text_of("44"), "ulong 0");
  EXPECT_EQ(text_of("80 ff ff ff ff ff ff ff ff"), "ulong 18446744073709551615");
}

TEST(text_scalar, signed_integers_in_every_encoding) {
  EXPECT_EQ(text_of("51 ff"), "byte -1");
  EXPECT_EQ(text_of("51 80"), "byte -128");
  EXPECT_EQ(text_of("61 ff ff"), "short -1");
  EXPECT_EQ(text_of("61 80 00"), "short -32768");
  EXPECT_EQ(text_of("71 00 00 00 2a"), "int 42");
  EXPECT_EQ(text_of("54 ff"), "int -1");
  EXPECT_EQ(text_of("71 80 00 00 00"), "int -2147483648");
  EXPECT_EQ(text_of("81 00 00 00 00 00 00 00 2a"), "long 42");
  EXPECT_EQ(text_of("55 d6"), "long -42");
  EXPECT_EQ(text_of("81 80 00 00 00 00 00 00 00"), "long -9223372036854775808");
  EXPECT_EQ(text_of("81 7f ff ff ff ff ff ff ff"), "long 9223372036854775807");
}

TEST(text_scalar, floats_use_the_shortest_round_trip_form) {
  EXPECT_EQ(text_of("72 3f c0 00 00"), "float 1.5");
  EXPECT_EQ(text_of("72 3f 80 00 00"), "float 1");
  EXPECT_EQ(text_of("72 3d cc cc cd"), "float 0.1");
  EXPECT_EQ(text_of("72 7f 7f ff ff"), "float 3.4028235e+38");
  EXPECT_EQ(text_of("72 00 00 00 01"), "float 1e-45");
  EXPECT_EQ(text_of("82 3f b9 99 99 99 99 99 9a"), "double 0.1");
  EXPECT_EQ(text_of("82 3f f0 00 00 00 00 00 00"), "double 1");
  EXPECT_EQ(text_of("82 7e 37 e4 3c 88 00 75 9c"), "double 1e+300");
  EXPECT_EQ(text_of("82 c0 09 21 fb 54 44 2d 18"), "double -3.141592653589793");
}

TEST(text_scalar, special_floating_values_are_distinguishable) {
  EXPECT_EQ(text_of("72 7f 80 00 00"), "float inf");
  EXPECT_EQ(text_of("72 ff 80 00 00"), "float -inf");
  EXPECT_EQ(text_of("72 00 00 00 00"), "float 0");
  EXPECT_EQ(text_of("72 80 00 00 00"), "float -0");
  EXPECT_EQ(text_of("72 7f c0 00 00"), "float nan");
  EXPECT_EQ(text_of("72 ff c0 00 00"), "float nan(0xffc00000)");
  EXPECT_EQ(text_of("72 7f 80 00 01"), "float nan(0x7f800001)");
  EXPECT_EQ(text_of("82 7f f0 00 00 00 00 00 00"), "double inf");
  EXPECT_EQ(text_of("82 ff f0 00 00 00 00 00 00"), "double -inf");
  EXPECT_EQ(text_of("82 80 00 00 00 00 00 00 00"), "double -0");
  EXPECT_EQ(text_of("82 7f f8 00 00 00 00 00 00"), "double nan");
  EXPECT_EQ(text_of("82 7f f0 00 00 00 00 00 01"), "double nan(0x7ff0000000000001)");
}

TEST(text_scalar, decimals_print_their_raw_bits) {
  EXPECT_EQ(text_of("74 22 00 00 0c"), "decimal32 0x2200000c");
  EXPECT_EQ(text_of("84 22 38 00 00 00 00 00 0c"), "decimal64 0x223800000000000c");
  EXPECT_EQ(text_of("94 22 08 00 00 00 00 00 00 00 00 00 00 00 00 00 0c"),
            "decimal128 0x2208000000000000000000000000000c");
}

TEST(text_scalar, chars) {
  EXPECT_EQ(text_of("73 00 00 00 61"), "char 'a'");
  EXPECT_EQ(text_of("73 00 00 00 20"), "char ' '");
  EXPECT_EQ(text_of("73 00 00 00 27"), "char U+0027");
  EXPECT_EQ(text_of("73 00 00 00 5c"), "char U+005C");
  EXPECT_EQ(text_of("73 00 00 00 0a"), "char U+000A");
  EXPECT_EQ(text_of("73 00 00 00 e9"), "char U+00E9");
  EXPECT_EQ(text_of("73 00 01 f6 00"), "char U+1F600");
  EXPECT_EQ(text_of("73 00 10 ff ff"), "char U+10FFFF");
}

TEST(text_scalar, timestamps_are_utc_iso_8601) {
  EXPECT_EQ(text_of("83 00 00 00 00 00 00 00 00"), "timestamp 1970-01-01T00:00:00.000Z");
  EXPECT_EQ(text_of("83 00 00 01 a2 0a 0b 43 40"), "timestamp 2026-11-23T20:14:00.000Z");
  EXPECT_EQ(text_of("83 ff ff ff ff ff ff ff ff"), "timestamp 1969-12-31T23:59:59.999Z");
  EXPECT_EQ(text_of("83 ff ff c7 7c ed d3 28 00"), "timestamp 0001-01-01T00:00:00.000Z");
  EXPECT_EQ(text_of("83 ff ff c7 75 90 fb a0 00"), "timestamp 0000-01-01T00:00:00.000Z");
  EXPECT_EQ(text_of("83 ff ff c7 75 90 fb 9f ff"), "timestamp -0001-12-31T23:59:59.999Z");
  EXPECT_EQ(text_of("83 00 00 e6 77 d2 1f dc 00"), "timestamp +10000-01-01T00:00:00.000Z");
  EXPECT_EQ(text_of("83 7f ff ff ff ff ff ff ff"), "timestamp +292278994-08-17T07:12:55.807Z");
  EXPECT_EQ(text_of("83 80 00 00 00 00 00 00 00"), "timestamp -292275055-05-16T16:47:04.192Z");
}

TEST(text_scalar, uuid) {
  EXPECT_EQ(text_of("98 01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef"),
            "uuid 01234567-89ab-cdef-0123-456789abcdef");
}

TEST(text_scalar, binaries_escape_what_is_not_printable_ascii) {
  EXPECT_EQ(text_of("a0 04 61 62 63 00"), R"(b"abc\x00")");
  EXPECT_EQ(text_of("a0 00"), R"(b"")");
  EXPECT_EQ(text_of("a0 08 22 5c 0a 0d 09 7f 80 ff"), R"(b"\"\\\n\r\t\x7f\x80\xff")");
  EXPECT_EQ(text_of("b0 00 00 00 02 41 7e"), R"(b"A~")");
}

TEST(text_scalar, strings_escape_controls_and_invisible_code_points) {
  EXPECT_EQ(text_of("a1 04 74 65 78 74"), R"("text")");
  EXPECT_EQ(text_of("a1 00"), R"("")");
  EXPECT_EQ(text_of("b1 00 00 00 02 68 69"), R"("hi")");
  EXPECT_EQ(text_of("a1 08 22 5c 0a 0d 09 01 1b 7f"), R"("\"\\\n\r\t\x01\x1b\x7f")");
  // UTF-8 prints as is; C1 controls, bidi marks and the BOM do not.
  EXPECT_EQ(text_of("a1 07 63 61 66 c3 a9 27 73"), "\"caf\xc3\xa9's\"");
  EXPECT_EQ(text_of("a1 04 f0 9f 98 80"), "\"\xf0\x9f\x98\x80\"");
  EXPECT_EQ(text_of("a1 02 c2 85"), R"("\u{0085}")");
  EXPECT_EQ(text_of("a1 03 e2 80 8f"), R"("\u{200F}")");
  EXPECT_EQ(text_of("a1 03 e2 80 ae"), R"("\u{202E}")");
  EXPECT_EQ(text_of("a1 03 ef bb bf"), R"("\u{FEFF}")");
}

TEST(text_scalar, symbols_are_bare_unless_they_hold_punctuation) {
  EXPECT_EQ(text_of("a3 04 6e 61 6d 65"), ":name");
  EXPECT_EQ(text_of("a3 12 61 6d 71 70 3a 61 63 63 65 70 74 65 64 3a 6c 69 73 74"),
            ":amqp:accepted:list");
  EXPECT_EQ(text_of("a3 0f 41 4e 4f 4e 59 4d 4f 55 53 2d 52 45 4c 41 59"), ":ANONYMOUS-RELAY");
  EXPECT_EQ(text_of("a3 0a 6f 64 64 20 73 79 6d 62 6f 6c"), R"(:"odd symbol")");
  EXPECT_EQ(text_of("a3 03 61 2c 62"), R"(:"a,b")");
  EXPECT_EQ(text_of("a3 02 22 0a"), R"(:"\"\n")");
  EXPECT_EQ(text_of("a3 00"), R"(:"")");
  EXPECT_EQ(text_of("b3 00 00 00 01 78"), ":x");
}

TEST(text_compound, lists) {
  EXPECT_EQ(text_of("45"), "[]");
  EXPECT_EQ(text_of("c0 01 00"), "[]");
  EXPECT_EQ(text_of("c0 05 03 41 52 02 40"), "[true, uint 2, null]");
  EXPECT_EQ(text_of("d0 00 00 00 0b 00 00 00 02 a1 01 61 c0 02 01 45"), R"(["a", [[]]])");
}

TEST(text_compound, maps_keep_wire_order) {
  EXPECT_EQ(text_of("c1 01 00"), "{}");
  EXPECT_EQ(text_of("c1 0b 04 a1 01 62 54 02 a3 01 61 54 01"), R"({"b": int 2, :a: int 1})");
  EXPECT_EQ(text_of("d1 00 00 00 09 00 00 00 02 52 01 c1 01 00"), "{uint 1: {}}");
}

TEST(text_compound, arrays_name_their_element_type_once) {
  EXPECT_EQ(text_of("e0 04 02 52 01 02"), "uint[1, 2]");
  EXPECT_EQ(text_of("e0 02 00 70"), "uint[]");
  EXPECT_EQ(text_of("f0 00 00 00 0d 00 00 00 02 71 ff ff ff ff 00 00 00 05"), "int[-1, 5]");
  EXPECT_EQ(text_of("e0 04 02 56 01 00"), "boolean[true, false]");
  EXPECT_EQ(text_of("e0 02 03 40"), "null[null, null, null]");
  EXPECT_EQ(text_of("e0 06 02 a3 01 61 01 62"), "symbol[:a, :b]");
  EXPECT_EQ(text_of("e0 05 02 a1 00 01 78"), R"(string["", "x"])");
  EXPECT_EQ(text_of("e0 0a 02 73 00 00 00 61 00 01 f6 00"), "char['a', U+1F600]");
  EXPECT_EQ(text_of("e0 0a 01 83 00 00 00 00 00 00 00 00"), "timestamp[1970-01-01T00:00:00.000Z]");
  EXPECT_EQ(text_of("e0 0a 02 72 3f c0 00 00 7f c0 00 00"), "float[1.5, nan]");
  EXPECT_EQ(text_of("e0 08 02 c0 01 00 03 01 52 07"), "list[[], [uint 7]]");
  // An array of arrays: each element names its own element type.
  EXPECT_EQ(text_of("e0 0b 02 e0 03 01 52 01 04 01 a3 01 61"), "array[uint[1], symbol[:a]]");
}

TEST(text_compound, arrays_of_described_values) {
  EXPECT_EQ(text_of("e0 08 02 00 a3 01 78 52 01 02"), "@:x uint[1, 2]");
  EXPECT_EQ(text_of("e0 09 02 00 53 75 a0 01 61 01 62"), R"(@data(0x75) binary[b"a", b"b"])");
  // Elements of a composite type print with their field names.
  EXPECT_EQ(text_of("e0 0f 02 00 53 28 c0 04 01 a1 01 61 04 01 a1 01 62"),
            R"(@source(0x28) list[{address: "a"}, {address: "b"}])");
}

TEST(text_described, composites_print_non_null_fields_by_name) {
  EXPECT_EQ(text_of_composite(spec::open{.container_id = "c1", .max_frame_size = 65536}),
            R"(@open(0x10) {container-id: "c1", max-frame-size: uint 65536})");
  EXPECT_EQ(text_of_composite(spec::close{}), "@close(0x18) {}");
  EXPECT_EQ(text_of_composite(spec::flow{.incoming_window = 2048, .next_outgoing_id = 1,
                                         .outgoing_window = 2048, .link_credit = 100}),
            "@flow(0x13) {incoming-window: uint 2048, next-outgoing-id: uint 1, "
            "outgoing-window: uint 2048, link-credit: uint 100}");
  // A symbolic descriptor, and a list0 body.
  EXPECT_EQ(text_of("00 a3 0e 61 6d 71 70 3a 6f 70 65 6e 3a 6c 69 73 74 c0 04 01 a1 01 78"),
            R"(@open(:amqp:open:list) {container-id: "x"})");
  EXPECT_EQ(text_of("00 53 24 45"), "@accepted(0x24) {}");
}

TEST(text_described, restricted_choices_print_by_name) {
  // attach: name, handle, role true, snd-settle-mode 2, rcv-settle-mode 1 sent explicitly.
  EXPECT_EQ(text_of("00 53 12 c0 0b 05 a1 02 6c 31 43 41 50 02 50 01"),
            R"(@attach(0x12) {name: "l1", handle: uint 0, role: receiver, )"
            R"(snd-settle-mode: mixed, rcv-settle-mode: second})");
  // Out of range, or of the wrong type: the plain typed value.
  EXPECT_EQ(text_of("00 53 12 c0 09 04 a1 02 6c 31 43 42 50 07"),
            R"(@attach(0x12) {name: "l1", handle: uint 0, role: sender, snd-settle-mode: ubyte 7})");
  EXPECT_EQ(text_of("00 53 12 c0 09 04 a1 02 6c 31 43 42 52 02"),
            R"(@attach(0x12) {name: "l1", handle: uint 0, role: sender, snd-settle-mode: uint 2})");
  // Symbol choices and uint choices (terminus-expiry-policy, terminus-durability).
  EXPECT_EQ(text_of("00 53 28 c0 11 03 40 52 02 a3 0b 6c 69 6e 6b 2d 64 65 74 61 63 68"),
            "@source(0x28) {durable: unsettled-state, expiry-policy: link-detach}");
  EXPECT_EQ(text_of("00 53 44 c0 03 01 50 01"), "@sasl-outcome(0x44) {code: auth}");
}

TEST(text_described, nested_composites) {
  writer acc;
  encoder e(acc);
  e.descriptor(0x24);
  e.end_list(e.begin_list());
  auto accepted = decode_value(acc.view());
  ASSERT_TRUE(accepted);
  EXPECT_EQ(text_of_composite(spec::disposition{.role = spec::role::receiver, .first = 3,
                                                .settled = true, .state = *accepted}),
            "@disposition(0x15) {role: receiver, first: uint 3, settled: true, "
            "state: @accepted(0x24) {}}");
  EXPECT_EQ(text_of_composite(spec::detach{
                .handle = 1,
                .error = spec::error{.condition = spec::amqp_error::not_found,
                                     .description = "no such queue"}}),
            R"(@detach(0x16) {handle: uint 1, error: @error(0x1d) {condition: :amqp:not-found, )"
            R"(description: "no such queue"}})");
}

TEST(text_described, sections_without_fields_show_their_value) {
  EXPECT_EQ(text_of("00 53 75 a0 03 61 62 63"), R"(@data(0x75) b"abc")");
  EXPECT_EQ(text_of("00 53 77 a1 05 68 65 6c 6c 6f"), R"(@amqp-value(0x77) "hello")");
  EXPECT_EQ(text_of("00 53 74 c1 07 02 a1 01 6b a1 01 76"),
            R"(@application-properties(0x74) {"k": "v"})");
  EXPECT_EQ(text_of("00 53 76 c0 03 01 52 01"), "@amqp-sequence(0x76) [uint 1]");
}

TEST(text_described, unknown_descriptors) {
  EXPECT_EQ(text_of("00 80 00 00 12 34 00 00 00 01 40"), "@0x00001234:0x00000001 null");
  EXPECT_EQ(text_of("00 53 99 52 01"), "@0x00000000:0x00000099 uint 1");
  EXPECT_EQ(text_of("00 a3 0d 63 6f 6d 2e 65 78 61 6d 70 6c 65 3a 78 a1 01 76"),
            R"(@:com.example:x "v")");
  EXPECT_EQ(text_of("00 a3 03 61 20 62 45"), R"(@:"a b" [])");
  EXPECT_EQ(text_of("00 52 05 40"), "@(uint 5) null");
  EXPECT_EQ(text_of("00 a1 01 78 41"), R"(@("x") true)");
  EXPECT_EQ(text_of("00 c0 03 01 52 01 40"), "@([uint 1]) null");
}

TEST(text_described, known_descriptor_with_an_unexpected_body_prints_it_plainly) {
  EXPECT_EQ(text_of("00 53 10 a1 01 78"), R"(@open(0x10) "x")");
  // More fields than open has: the list as a list.
  EXPECT_EQ(text_of("00 53 10 c0 0c 0b 40 40 40 40 40 40 40 40 40 40 41"),
            "@open(0x10) [null, null, null, null, null, null, null, null, null, null, true]");
  EXPECT_EQ(text_of("00 53 24 c0 02 01 41"), "@accepted(0x24) [true]");
}

TEST(text_layout, fits_on_one_line_up_to_the_width_exactly) {
  const value v = value::list_of({std::uint32_t{1}, "two", value::list_of({3})});
  const std::string one_line = R"([uint 1, "two", [int 3]])";
  ASSERT_EQ(one_line.size(), 24u);
  EXPECT_EQ(text_of_value(v, {.width = 24}), one_line);
  EXPECT_EQ(text_of_value(v, {.width = 23}), "[\n  uint 1,\n  \"two\",\n  [int 3]\n]");
}

TEST(text_layout, breaks_only_the_compounds_that_do_not_fit) {
  const value v = value::map_of(
      {{value::sym("outer"), value::list_of({"a fairly long string", "another long string"})},
       {value::sym("short"), value::list_of({1, 2})}});
  EXPECT_EQ(text_of_value(v, {.width = 40}),
            "{\n"
            "  :outer: [\n"
            "    \"a fairly long string\",\n"
            "    \"another long string\"\n"
            "  ],\n"
            "  :short: [int 1, int 2]\n"
            "}");
  EXPECT_EQ(text_of_value(v, {.width = 40, .indent = 4}),
            "{\n"
            "    :outer: [\n"
            "        \"a fairly long string\",\n"
            "        \"another long string\"\n"
            "    ],\n"
            "    :short: [int 1, int 2]\n"
            "}");
}

TEST(text_layout, the_comma_after_an_element_counts_towards_the_width) {
  // "  [int 1, int 2]," is 17 columns: with width 16 the first inner list must break.
  const value v = value::list_of({value::list_of({1, 2}), value::list_of({3})});
  EXPECT_EQ(text_of_value(v, {.width = 17}), "[\n  [int 1, int 2],\n  [int 3]\n]");
  EXPECT_EQ(text_of_value(v, {.width = 16}), "[\n  [\n    int 1,\n    int 2\n  ],\n  [int 3]\n]");
}

TEST(text_layout, composites_break_one_field_per_line) {
  EXPECT_EQ(text_of_composite(spec::open{.container_id = "container-1", .hostname = "example.com",
                                         .max_frame_size = 65536},
                              {.width = 40}),
            "@open(0x10) {\n"
            "  container-id: \"container-1\",\n"
            "  hostname: \"example.com\",\n"
            "  max-frame-size: uint 65536\n"
            "}");
}

TEST(text_layout, arrays_and_described_arrays_break_like_lists) {
  EXPECT_EQ(text_of("e0 08 02 00 a3 01 78 52 01 02", {.width = 10}),
            "@:x uint[\n  1,\n  2\n]");
}

TEST(text_layout, one_line_mode_never_breaks) {
  const value v = value::list_of({value::list_of({1, 2}), value::map_of({{"k", "v"}})});
  EXPECT_EQ(text_of_value(v, {.multiline = false, .width = 1}), R"([[int 1, int 2], {"k": "v"}])");
}

TEST(text_layout, scalars_and_empty_compounds_are_never_broken) {
  const std::string long_string(150, 'x');
  EXPECT_EQ(text_of_value(value(long_string), {.width = 10}), '"' + long_string + '"');
  EXPECT_EQ(text_of_value(value::list_of({}), {.width = 1}), "[]");
  EXPECT_EQ(text_of_value(value::list_of({value(long_string)}), {.width = 10}),
            "[\n  \"" + long_string + "\"\n]");
}

TEST(text_layout, a_prefix_already_on_the_line_counts) {
  const auto bytes = test::hex("c0 05 02 52 01 52 02");  // [uint 1, uint 2]: 16 columns
  auto v = decode_value(bytes);
  ASSERT_TRUE(v);
  std::string out = "0123";
  append_text(out, *v, {.width = 20});
  EXPECT_EQ(out, "0123[uint 1, uint 2]");
  out = "01234";
  append_text(out, *v, {.width = 20});
  EXPECT_EQ(out, "01234[\n  uint 1,\n  uint 2\n]");
  out = "a long first line\n0123";
  append_text(out, *v, {.width = 20});
  EXPECT_EQ(out, "a long first line\n0123[uint 1, uint 2]");
}

TEST(text_layout, deep_nesting_indents_per_level) {
  const value v = value::list_of({value::list_of({value::list_of({"abcdefgh", "ijklmnop"})})});
  EXPECT_EQ(text_of_value(v, {.width = 16}),
            "[\n"
            "  [\n"
            "    [\n"
            "      \"abcdefgh\",\n"
            "      \"ijklmnop\"\n"
            "    ]\n"
            "  ]\n"
            "]");
}

TEST(text_layout, owned_values_of_every_type_print_like_their_encoding) {
  uuid u;
  for (std::uint8_t i = 0; i < 16; ++i) u.bytes[i] = i;
  const value v = value::list_of({
      value(), true, std::uint8_t{1}, std::uint16_t{2}, std::uint32_t{3}, std::uint64_t{4},
      std::int8_t{-5}, std::int16_t{-6}, std::int32_t{-7}, std::int64_t{-8}, 0.5f, 0.25,
      decimal32{1}, decimal64{2}, decimal128{}, char32_t{'z'}, timestamp{1000}, u,
      value::bin(test::hex("00 ff")), "s", value::sym("y")});
  EXPECT_EQ(text_of_value(v, {.multiline = false}),
            "[null, true, ubyte 1, ushort 2, uint 3, ulong 4, byte -5, short -6, int -7, long -8, "
            "float 0.5, double 0.25, decimal32 0x00000001, decimal64 0x0000000000000002, "
            "decimal128 0x00000000000000000000000000000000, char 'z', "
            "timestamp 1970-01-01T00:00:01.000Z, uuid 00010203-0405-0607-0809-0a0b0c0d0e0f, "
            R"(b"\x00\xff", "s", :y])");
}

}  // namespace
}  // namespace amqp
