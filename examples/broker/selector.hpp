// Message selectors of the example broker: the JMS selector language (a subset) that a
// receiver puts in its source's filter as apache.org:selector-filter:string, parsed once when
// the link attaches and evaluated against each message it might get.
//
//   auto s = broker::selector::parse("colour = 'green' AND weight BETWEEN 5 AND 10");
//   if (!s) std::cerr << s.error().to_string() << '\n';   // "... at position 17"
//   else if (s->matches(view)) deliver(view);
//
// The language (JMS 2.0, section 3.8.1, without the parts that need a JMS provider):
// - literals: strings in single quotes ('it''s'), integers (decimal, or hex with 0x; an L
//   suffix is allowed), approximate numbers (1.5, .5, 2e3, with an optional F or D suffix),
//   TRUE and FALSE;
// - identifiers: application-property names ([A-Za-z_$][A-Za-z0-9_$.]*, case-sensitive),
//   except these JMS header names, which read the AMQP fields the JMS mapping puts them in:
//   JMSMessageID (message-id), JMSCorrelationID (correlation-id), JMSPriority (priority, 4
//   without a header), JMSDeliveryMode (durable: 'PERSISTENT' or 'NON_PERSISTENT'),
//   JMSTimestamp (creation-time, in ms), JMSType (subject);
// - operators, loosest first: OR; AND; NOT; = <> < > <= >=, IS [NOT] NULL, [NOT] LIKE pattern
//   [ESCAPE 'c'] (% any run, _ any one character), [NOT] IN (literal, ...), [NOT] BETWEEN a
//   AND b; + -; * /; unary + -; parentheses. Keywords are case-insensitive.
// Evaluation uses SQL's three-valued logic: a missing property is NULL, and any comparison or
// arithmetic with NULL is UNKNOWN; NOT UNKNOWN is UNKNOWN, FALSE AND UNKNOWN is FALSE, TRUE OR
// UNKNOWN is TRUE. A message is selected only when the selector is TRUE. As JMS says, strings
// and booleans compare with = and <> only, and comparing values of different types (a string
// with a number) is FALSE; numbers of any AMQP width compare by value. Integer division by zero
// is UNKNOWN. Property values that are neither boolean, number, string nor symbol (binary,
// uuid, timestamp, lists ...) read as NULL, and so do message ids of those types.
//
// Nothing here throws or allocates while evaluating. Errors name what is wrong and the byte
// offset where it is. The text's length and the expression's depth are bounded (limits), so a
// hostile selector cannot exhaust the stack or take unbounded time per message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "amqp/errors.hpp"
#include "amqp/message.hpp"

namespace broker {

struct selector_limits {
  // Longer selectors are refused before any parsing.
  std::size_t max_length = 4096;
  // Operators nested deeper than this are refused (parentheses, NOT NOT ..., and long chains
  // such as a+b+c+... all count): evaluation recurses this deep at most.
  std::size_t max_depth = 64;
};

struct selector_error {
  std::size_t position = 0;  // byte offset in the selector text
  std::string message;       // what is wrong, without the position
  // "expected ')' at position 14"
  std::string to_string() const;
};

// SQL's three truth values.
enum class truth : std::uint8_t { false_, true_, unknown };

class selector {
 public:
  // Parses `text`. The result owns everything it needs (it does not view `text`).
  static amqp::result<selector, selector_error> parse(std::string_view text,
                                                      const selector_limits& limits = {});

  // Whether the selector is TRUE for `m`.
  bool matches(const amqp::message_view& m) const noexcept {
    return evaluate(m) == truth::true_;
  }
  // Its truth value for `m` (a selector whose value is not a boolean is UNKNOWN).
  truth evaluate(const amqp::message_view& m) const noexcept;

  // The canonical text: every operator in parentheses, keywords in upper case, literals in the
  // form they parse back from. parse(to_string()) gives a selector with the same to_string().
  std::string to_string() const;

  // The AST, exposed for the printer and tests.
  enum class op : std::uint8_t {
    literal,      // value
    identifier,   // text (and field)
    negate,       // - a
    not_,         // NOT a
    and_, or_,    // a AND b, a OR b
    eq, ne, lt, gt, le, ge,
    add, sub, mul, div,
    is_null, is_not_null,  // a IS [NOT] NULL
    like, not_like,        // a [NOT] LIKE text [ESCAPE escape]
    in, not_in,            // a [NOT] IN (items...)
    between, not_between,  // a [NOT] BETWEEN b AND c
  };
  // Where an identifier reads from.
  enum class field : std::uint8_t {
    property, message_id, correlation_id, priority, delivery_mode, timestamp, type
  };
  using scalar = std::variant<std::monostate, bool, std::int64_t, double, std::string>;
  struct node {
    op kind = op::literal;
    field source = field::property;
    bool has_escape = false;
    char32_t escape = 0;
    std::int32_t a = -1, b = -1, c = -1;  // children (indexes into nodes)
    std::size_t position = 0;             // where it starts in the text
    scalar value;                         // literal
    std::string text;                     // identifier name, LIKE pattern
    std::vector<scalar> items;            // IN list
  };
  const std::vector<node>& nodes() const noexcept { return nodes_; }
  std::int32_t root() const noexcept { return root_; }

 private:
  friend class selector_parser;
  std::vector<node> nodes_;
  std::int32_t root_ = -1;
};

}  // namespace broker
