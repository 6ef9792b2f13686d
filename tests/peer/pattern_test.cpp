// Patterns (peer/pattern.hpp): what each matcher accepts, and the one-line reason it gives
// when a received value does not match.
#include <gtest/gtest.h>

#include "amqp/spec.hpp"
#include "amqp/value.hpp"
#include "peer/text_parser.hpp"

namespace amqp::peer {
namespace {

// Empty when `received` (a value in the text notation) matches `expected` (a pattern).
std::string why(std::string_view expected, std::string_view received) {
  auto p = parse_pattern(expected);
  if (!p) return "pattern: " + p.error().to_string();
  auto v = parse_value(received);
  if (!v) return "value: " + v.error().to_string();
  const writer w = encode(*v);
  return mismatch(*p, *decode_value(w.view()));
}

TEST(pattern, literals_match_exactly) {
  EXPECT_EQ(why("uint 5", "uint 5"), "");
  EXPECT_EQ(why("uint 5", "ulong 5"), "expected uint 5, got ulong 5");
  EXPECT_EQ(why(R"(["a", [uint 1]])", R"(["a", [uint 1]])"), "");
  EXPECT_EQ(why(R"(["a", [uint 1]])", R"(["a", [uint 1, uint 2]])"),
            R"(expected ["a", [uint 1]], got ["a", [uint 1, uint 2]])");
  EXPECT_EQ(why("symbol[:a, :b]", "symbol[:a, :b]"), "");
}

TEST(pattern, any_and_absent) {
  EXPECT_EQ(why("*", "uint 0"), "");
  EXPECT_EQ(why("*", "null"), "expected a value, got nothing");
  EXPECT_EQ(why("[*, *]", "[uint 1, \"x\"]"), "");
  EXPECT_EQ(why("[*, *]", "[uint 1]"), "expected [*, *], got [uint 1]");
  EXPECT_EQ(why(R"(@open {hostname: absent})", R"(@open {container-id: "c"})"), "");
  EXPECT_EQ(why(R"(@open {hostname: absent})", R"(@open {container-id: "c", hostname: "h"})"),
            R"(hostname: expected nothing, got "h")");
  EXPECT_EQ(why(R"(@open {hostname: *})", R"(@open {container-id: "c"})"),
            "hostname: expected a value, got nothing");
}

TEST(pattern, comparisons) {
  EXPECT_EQ(why("uint >= 1", "uint 1"), "");
  EXPECT_EQ(why("uint >= 1", "uint 0"), "expected uint >= 1, got uint 0");
  EXPECT_EQ(why("uint >= 1", "ulong 7"), "expected uint >= 1, got ulong 7");
  EXPECT_EQ(why("< 10", "ubyte 9"), "");
  EXPECT_EQ(why("< 10", "double 9.5"), "");
  EXPECT_EQ(why("< -1", "long -2"), "");
  EXPECT_EQ(why("<= 18446744073709551615", "ulong 18446744073709551615"), "");
  EXPECT_EQ(why("< 18446744073709551615", "ulong 18446744073709551615"),
            "expected < 18446744073709551615, got ulong 18446744073709551615");
  EXPECT_EQ(why("> 1", "\"2\""), "expected > 1, got \"2\"");
  EXPECT_EQ(why("!= \"x\"", "\"y\""), "");
  EXPECT_EQ(why("!= \"x\"", "\"x\""), "expected != \"x\", got \"x\"");
  EXPECT_EQ(why("!= 3", "int 3"), "expected != 3, got int 3");
  EXPECT_EQ(why("!= 3", "null"), "");
  EXPECT_EQ(why("uint != 3", "int 4"), "expected uint != 3, got int 4");
}

TEST(pattern, composites_constrain_the_fields_written) {
  const char* flow =
      "@flow {incoming-window: uint 10, next-outgoing-id: uint 0, outgoing-window: "
      "uint 10, handle: uint 1, link-credit: uint 5, drain: true}";
  EXPECT_EQ(why("@flow {}", flow), "");
  EXPECT_EQ(why("@flow {handle: 1, link-credit: >= 1}", flow), "");  // untyped: the field's type
  EXPECT_EQ(why("@flow {link-credit: 6}", flow), "link-credit: expected 6, got uint 5");
  EXPECT_EQ(why("@flow {drain: true, echo: false}", flow), "");  // echo absent: its default
  EXPECT_EQ(why("@flow {echo: true}", flow),
            "echo: expected true, got false (the default; the field is absent)");
  EXPECT_EQ(why("@flow {available: 0}", flow), "available: expected 0, got null");
  EXPECT_EQ(why("@begin {}", flow), "expected @begin, got @flow");
  EXPECT_EQ(why("@begin {}", "[uint 1]"), "expected @begin, got [uint 1]");
  // A composite matches under either descriptor.
  EXPECT_EQ(why("@close {}", "@close(:amqp:close:list) {}"), "");
  // Nested composites name the path.
  EXPECT_EQ(why("@close {error: @error {condition: :amqp:connection:framing-error}}",
                "@close {error: @error {condition: :amqp:decode-error, description: \"d\"}}"),
            "error.condition: expected :amqp:connection:framing-error, got :amqp:decode-error");
  EXPECT_EQ(why("@attach {role: receiver, snd-settle-mode: mixed}",
                "@attach {name: \"l\", handle: 0, role: receiver}"),
            "");
}

TEST(pattern, maps_constrain_the_keys_written) {
  const char* props = R"({:product: "p", :version: "1", "n": uint 3})";
  EXPECT_EQ(why("{}", props), "");
  EXPECT_EQ(why(R"({:product: *, "n": > 2})", props), "");
  EXPECT_EQ(why(R"({:missing: absent})", props), "");
  EXPECT_EQ(why(R"({:version: absent})", props), R"([:version]: expected no such key, got "1")");
  EXPECT_EQ(why(R"({:other: *})", props), "[:other]: expected *, got no such key");
  EXPECT_EQ(why(R"({"n": uint 4})", props), R"(["n"]: expected uint 4, got uint 3)");
  EXPECT_EQ(why(R"(@open {properties: {:product: "q"}})",
                std::string(R"(@open {container-id: "c", properties: )") + props + "}"),
            R"(properties[:product]: expected "q", got "p")");
}

TEST(pattern, lists_and_described_values_with_matchers_inside) {
  EXPECT_EQ(why("[uint 1, *, > 2]", "[uint 1, null, uint 3]"),
            "[1]: expected a value, got nothing");
  EXPECT_EQ(why("[uint 1, *, > 2]", "[uint 1, \"x\", uint 3]"), "");
  EXPECT_EQ(why("@:x *", "@:x uint 1"), "");
  EXPECT_EQ(why("@:x *", "@:y uint 1"), "expected @:x *, got @:y uint 1");
  EXPECT_EQ(why("@amqp-value >= 5", "@amqp-value(0x77) ulong 9"), "");
}

TEST(pattern, matchers_where_they_make_no_sense_are_refused) {
  EXPECT_EQ(parse_pattern("[absent]").error().to_string(),
            "column 2: absent stands only for a field or a map entry's value");
  EXPECT_EQ(parse_pattern("{*: uint 1}").error().to_string(),
            "column 2: expected a value, found '*'");
  EXPECT_EQ(parse_pattern("uint[*]").error().to_string(), "column 6: expected a number");
  EXPECT_EQ(parse_pattern("string < 5").error().to_string(),
            "column 8: < <= > >= compare numbers, not string");
  EXPECT_EQ(parse_pattern("@(*) null").error().to_string(),
            "column 3: expected a value, found '*'");
}

}  // namespace
}  // namespace amqp::peer
