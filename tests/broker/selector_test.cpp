// Selectors: a table of selectors against three messages (one rich, one sparse, one with no
// properties at all) checking three-valued logic and JMS's comparison rules; every parse error
// with its position; the limits; LIKE on its own; and the printer's round trip.
#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>

#include "messages.hpp"
#include "selector.hpp"
#include "selector_detail.hpp"

namespace broker::test {
namespace {

constexpr truth T = truth::true_;
constexpr truth F = truth::false_;
constexpr truth U = truth::unknown;

class selector_table : public ::testing::Test {
 protected:
  void SetUp() override {
    amqp::message rich = with_body(
        "rich", {{"colour", "green"},
                 {"weight", std::int32_t{7}},
                 {"price", 2.5},
                 {"flag", true},
                 {"big", std::numeric_limits<std::uint64_t>::max()},
                 {"name", "it's"},
                 {"city", "Zürich"},
                 {"kind", amqp::value::sym("fruit")},
                 {"blob", amqp::value::bin(amqp::bytes_view())}});
    rich.header = amqp::spec::header{.durable = true, .priority = 7};
    rich.properties.message_id = "id-1";
    rich.properties.correlation_id = std::uint64_t{42};
    rich.properties.subject = "order";
    rich.properties.creation_time = amqp::timestamp{1000};
    messages_[0] = encode(rich);
    messages_[1] = encode(with_body(
        "sparse", {{"colour", "red"}, {"weight", std::int64_t{12}}, {"flag", false}}));
    messages_[2] = encode(with_body("bare"));
  }

  std::array<truth, 3> evaluate(const selector& s) const {
    return {s.evaluate(messages_[0]->view), s.evaluate(messages_[1]->view),
            s.evaluate(messages_[2]->view)};
  }

  std::array<std::unique_ptr<encoded_message>, 3> messages_;
};

struct selector_case {
  const char* text;
  std::array<truth, 3> expected;  // rich, sparse, bare
};

const selector_case selector_cases[] = {
    {"colour = 'green'", {T, F, U}},
    {"colour <> 'green'", {F, T, U}},
    {"weight > 10", {F, T, U}},
    {"weight >= 7 AND weight <= 7", {T, F, U}},
    {"weight < 10", {T, F, U}},
    {"weight BETWEEN 5 AND 10", {T, F, U}},
    {"weight NOT BETWEEN 5 AND 10", {F, T, U}},
    {"colour IN ('green', 'blue')", {T, F, U}},
    {"colour NOT IN ('green', 'blue')", {F, T, U}},
    {"weight IN (7, 12)", {T, T, U}},
    {"weight IN (-7, 3.5)", {F, F, U}},
    {"colour LIKE 'gr%'", {T, F, U}},
    {"colour LIKE '_ed'", {F, T, U}},
    {"colour NOT LIKE 'gr%'", {F, T, U}},
    {"name LIKE 'it''s'", {T, U, U}},
    {"city LIKE 'Z_rich'", {T, U, U}},
    {"kind = 'fruit'", {T, U, U}},
    {"blob IS NULL", {T, T, T}},
    {"colour IS NULL", {F, F, T}},
    {"colour IS NOT NULL", {T, T, F}},
    {"flag", {T, F, U}},
    {"NOT flag", {F, T, U}},
    {"flag = TRUE", {T, F, U}},
    {"missing = 1 OR colour = 'green'", {T, U, U}},
    {"missing = 1 AND colour = 'green'", {U, F, U}},
    {"NOT (missing = 1)", {U, U, U}},
    {"TRUE OR missing = 1", {T, T, T}},
    {"FALSE AND missing = 1", {F, F, F}},
    {"weight * 2 + 1 = 15", {T, F, U}},
    {"weight - 10 / 2 = 2", {T, F, U}},
    {"weight / 0 = 1", {U, U, U}},
    {"weight / 2 = 3", {T, F, U}},  // integer division
    {"weight / 2.0 = 3.5", {T, F, U}},
    {"-weight = -7", {T, F, U}},
    {"+weight = 7", {T, F, U}},
    {"price > 2", {T, U, U}},
    {"price = 2.5", {T, U, U}},
    {"weight = 7.0", {T, F, U}},
    {"colour = 1", {F, F, U}},        // different types: FALSE, not UNKNOWN
    {"flag <> colour", {F, F, U}},
    {"NOT (colour = 1)", {T, T, U}},
    {"big > 9223372036854775807", {T, U, U}},
    {"JMSPriority = 7", {T, F, F}},   // no header: priority 4
    {"JMSPriority = 4", {F, T, T}},
    {"JMSDeliveryMode = 'PERSISTENT'", {T, F, F}},
    {"JMSType = 'order'", {T, U, U}},
    {"JMSMessageID = 'id-1'", {T, U, U}},
    {"JMSCorrelationID = 42", {T, U, U}},
    {"JMSTimestamp = 1000", {T, U, U}},
    {"0x10 = 16", {T, T, T}},
    {"1.5e1 = 15", {T, T, T}},
    {"15L = 15 AND 2.5F = 2.5 AND .5 = 0.5", {T, T, T}},
    {"'a' = 'a'", {T, T, T}},
    {"colour = 'green' AND weight = 7 OR flag = FALSE", {T, T, U}},
    {"colour = 'green' OR weight = 12 AND flag", {T, F, U}},  // AND binds tighter
    {"(colour = 'green' OR weight = 12) AND flag", {T, F, U}},
    {"color = 'green'", {U, U, U}},  // names are case-sensitive
    {"Colour = 'green' or colour = 'green'", {T, U, U}},  // keywords are not
};

TEST_F(selector_table, every_selector_gives_the_expected_truth_for_each_message) {
  for (const selector_case& r : selector_cases) {
    auto s = selector::parse(r.text);
    ASSERT_TRUE(s) << r.text << ": " << s.error().to_string();
    EXPECT_EQ(evaluate(*s), r.expected) << r.text;
    EXPECT_EQ(s->matches(messages_[0]->view), r.expected[0] == T) << r.text;
  }
}

TEST_F(selector_table, the_printed_form_parses_back_to_the_same_selector) {
  for (const selector_case& r : selector_cases) {
    auto s = selector::parse(r.text);
    ASSERT_TRUE(s) << r.text;
    const std::string printed = s->to_string();
    auto again = selector::parse(printed);
    ASSERT_TRUE(again) << printed << ": " << again.error().to_string();
    EXPECT_EQ(again->to_string(), printed);
    EXPECT_EQ(evaluate(*again), r.expected) << printed;
  }
}

TEST(selector_print, shows_every_operator_in_its_canonical_form) {
  auto s = selector::parse(
      "a = 1 and not b like 'x%' escape '!' or c not in ('it''s', -2, 1.0) "
      "and d between -1 and 2e20 and e is not null and f / 2 <> -g");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->to_string(),
            "(((a = 1) AND (NOT (b LIKE 'x%' ESCAPE '!'))) OR ((((c NOT IN ('it''s', -2, 1.0)) "
            "AND (d BETWEEN (-1) AND 2e+20)) AND (e IS NOT NULL)) AND ((f / 2) <> (-g))))");
}

struct error_row {
  const char* text;
  std::size_t position;
  const char* message;
};

const error_row errors[] = {
    {"", 0, "unexpected end of selector"},
    {"colour =", 8, "unexpected end of selector"},
    {"colour = 'green", 9, "unterminated string"},
    {"(a = 1", 6, "expected ')', found the end"},
    {"a = 1)", 5, "unexpected ')'"},
    {"a # 1", 2, "unexpected character '#'"},
    {"a = \x01", 4, "unexpected character 0x01"},
    {"a LIKE 5", 7, "expected a string pattern after LIKE, found a number"},
    {"a LIKE 'x' ESCAPE 'ab'", 18, "ESCAPE needs exactly one character"},
    {"a LIKE 'x' ESCAPE 5", 18, "expected a string after ESCAPE, found a number"},
    {"a LIKE 'x!y' ESCAPE '!'", 9, "the escape character must be followed by %, _ or itself"},
    {"a LIKE 'x''!' ESCAPE '!'", 11, "the escape character must be followed by %, _ or itself"},
    {"a NOT = 1", 6, "expected BETWEEN, LIKE or IN after NOT, found '='"},
    {"a IS 1", 5, "expected NULL, found a number"},
    {"a IN ()", 6, "expected a string or number literal in the IN list, found ')'"},
    {"a IN ('x' 'y')", 10, "expected ',' or ')', found a string"},
    {"a IN 'x'", 5, "expected '(' after IN, found a string"},
    {"a IN (-'x')", 7, "expected a number after the sign"},
    {"a BETWEEN 1 2", 12, "expected AND, found a number"},
    {"'a' + 1 = 2", 0, "arithmetic needs numbers"},
    {"NOT 5", 4, "NOT needs a condition"},
    {"a = 1 AND 5", 10, "AND needs conditions on both sides"},
    {"5 OR a", 0, "OR needs conditions on both sides"},
    {"5", 0, "the selector must be a condition, not a value"},
    {"'x' = 1", 4, "cannot compare a string with a number"},
    {"a < 'x'", 2, "strings compare with = and <> only"},
    {"TRUE < a", 5, "booleans compare with = and <> only"},
    {"9223372036854775808 = a", 0, "integer out of range"},
    {"0x8000000000000000 = a", 0, "integer out of range"},
    {"1e999 = a", 0, "number out of range"},
    {"12abc = 1", 0, "malformed number"},
    {"0x = 1", 0, "hexadecimal number without digits"},
    {"5 LIKE 'y'", 0, "LIKE needs a string on its left"},
    {"TRUE IN (1)", 0, "IN needs a string or number on its left"},
    {"'x' IN (1)", 8, "cannot compare a string with a number"},
    {"'x' BETWEEN 1 AND 2", 0, "BETWEEN needs a number on its left"},
    {"a BETWEEN 'x' AND 2", 10, "BETWEEN needs numbers"},
    {"- 'x' = 1", 2, "a sign needs a number"},
    {"a = = 1", 4, "unexpected '='"},
    {"a = 1 = 2", 6, "unexpected '='"},
    {"a AND", 5, "unexpected end of selector"},
};

TEST(selector_errors, every_error_names_what_is_wrong_and_where) {
  for (const error_row& r : errors) {
    auto s = selector::parse(r.text);
    ASSERT_FALSE(s) << r.text << " parsed as " << s->to_string();
    EXPECT_EQ(s.error().message, r.message) << r.text;
    EXPECT_EQ(s.error().position, r.position) << r.text;
    EXPECT_EQ(s.error().to_string(),
              std::string(r.message) + " at position " + std::to_string(r.position));
  }
}

TEST(selector_limits, a_selector_longer_than_the_limit_is_refused_unread) {
  const std::string text = "a = '" + std::string(5000, 'x') + "'";
  auto s = selector::parse(text);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().to_string(), "selector longer than 4096 bytes at position 4096");
  EXPECT_TRUE(selector::parse(text, {.max_length = 6000}));
}

TEST(selector_limits, deep_nesting_is_refused_whatever_makes_it) {
  // Parentheses, NOTs, signs and long operator chains all count.
  const std::string parens = std::string(2000, '(') + "a = 1" + std::string(2000, ')');
  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "NOT ";
  nots += "flag";
  const std::string signs = std::string(4000, '-') + "1 = a";
  std::string chain = "a";
  for (int i = 0; i < 200; ++i) chain += " + a";
  chain += " = 1";
  std::string ors = "a = 1";
  for (int i = 0; i < 100; ++i) ors += " OR a = 1";
  for (const std::string& text : {parens, nots, signs, chain, ors}) {
    auto s = selector::parse(text);
    ASSERT_FALSE(s) << text.substr(0, 40);
    EXPECT_NE(s.error().message.find("nested"), std::string::npos) << s.error().to_string();
    EXPECT_LT(s.error().position, text.size());
  }
}

TEST(selector_limits, the_depth_limit_is_exact_and_configurable) {
  // and(eq(a, 1), eq(b, 2)) is three levels deep.
  EXPECT_TRUE(selector::parse("a = 1 AND b = 2", {.max_depth = 3}));
  auto s = selector::parse("a = 1 AND b = 2 AND c = 3", {.max_depth = 3});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().to_string(), "expression nested deeper than 3 levels at position 16");
  // 64 levels by default: a chain of 62 additions under a comparison fits, 63 do not.
  std::string fits = "a";
  for (int i = 0; i < 62; ++i) fits += "+a";
  EXPECT_TRUE(selector::parse(fits + " = 1"));
  EXPECT_FALSE(selector::parse(fits + "+a = 1"));
}

TEST(selector_like, wildcards_escapes_and_characters) {
  using detail::like_matches;
  EXPECT_TRUE(like_matches("", "%", false, 0));
  EXPECT_TRUE(like_matches("abc", "%", false, 0));
  EXPECT_FALSE(like_matches("", "_", false, 0));
  EXPECT_TRUE(like_matches("abc", "a%c", false, 0));
  EXPECT_TRUE(like_matches("ac", "a%c", false, 0));
  EXPECT_FALSE(like_matches("abd", "a%c", false, 0));
  EXPECT_TRUE(like_matches("axbxcxd", "%b%c%d", false, 0));
  EXPECT_FALSE(like_matches("axbxcx", "%b%c%d", false, 0));
  EXPECT_TRUE(like_matches("aaaaaaaaab", "%a%a%a%b", false, 0));
  EXPECT_FALSE(like_matches("ABC", "abc", false, 0));  // case-sensitive
  // _ is one character, not one byte.
  EXPECT_TRUE(like_matches("\xc3\xa9t\xc3\xa9", "_t_", false, 0));
  EXPECT_FALSE(like_matches("\xc3\xa9", "__", false, 0));
  // Escaped wildcards are themselves.
  EXPECT_TRUE(like_matches("50%", "50!%", true, U'!'));
  EXPECT_FALSE(like_matches("500", "50!%", true, U'!'));
  EXPECT_TRUE(like_matches("a_b", "a!_b", true, U'!'));
  EXPECT_FALSE(like_matches("axb", "a!_b", true, U'!'));
  EXPECT_TRUE(like_matches("a!b", "a!!b", true, U'!'));
  // A malformed byte in the message is a character of its own.
  EXPECT_TRUE(like_matches("a\xff" "b", "a_b", false, 0));
}

TEST(selector_like, a_long_hostile_pattern_stays_polynomial) {
  const std::string text(20000, 'a');
  std::string pattern;
  for (int i = 0; i < 100; ++i) pattern += "%a";
  pattern += "%b";
  EXPECT_FALSE(detail::like_matches(text, pattern, false, 0));
}

TEST(selector_fields, jms_names_map_to_amqp_fields_and_others_to_properties) {
  EXPECT_EQ(detail::field_of("JMSMessageID"), selector::field::message_id);
  EXPECT_EQ(detail::field_of("JMSCorrelationID"), selector::field::correlation_id);
  EXPECT_EQ(detail::field_of("JMSPriority"), selector::field::priority);
  EXPECT_EQ(detail::field_of("JMSDeliveryMode"), selector::field::delivery_mode);
  EXPECT_EQ(detail::field_of("JMSTimestamp"), selector::field::timestamp);
  EXPECT_EQ(detail::field_of("JMSType"), selector::field::type);
  EXPECT_EQ(detail::field_of("jmspriority"), selector::field::property);
  EXPECT_EQ(detail::field_of("JMSExpiration"), selector::field::property);
}

TEST(selector_fields, a_message_without_any_section_is_all_null) {
  auto empty = encode(amqp::message{});
  for (const char* text : {"a = 1", "JMSType = 'x'", "JMSMessageID = 'x'", "JMSTimestamp > 0"}) {
    auto s = selector::parse(text);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->evaluate(empty->view), U) << text;
  }
  auto p = selector::parse("JMSPriority = 4 AND JMSDeliveryMode = 'NON_PERSISTENT'");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->evaluate(empty->view), T);
}

TEST(selector_arithmetic, integers_wrap_as_java_longs_do_and_never_trap) {
  auto m = encode(with_body("x", {{"max", std::numeric_limits<std::int64_t>::max()},
                                  {"min", std::numeric_limits<std::int64_t>::min()}}));
  for (const char* text : {"max + 1 = min", "min - 1 = max", "min / -1 = min", "-min = min",
                           "max * 2 = -2"}) {
    auto s = selector::parse(text);
    ASSERT_TRUE(s) << text;
    EXPECT_EQ(s->evaluate(m->view), T) << text;
  }
  auto s = selector::parse("max / 0.0 > 0");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->evaluate(m->view), U);
}

}  // namespace
}  // namespace broker::test
