// The text notation of amqp/text.hpp read back into owned values: the inverse of the printer,
// for values written in scripts and for any tool that takes values as text.
//
//   auto v = amqp::peer::parse_value(R"(@open {container-id: "c1", max-frame-size: 512})");
//   if (!v) std::cerr << v.error().to_string() << '\n';   // "column 7: ..."
//
// It reads everything the printer writes in its one-line form (and the multi-line form: line
// ends are white space), so parse_value(to_text(v)) == v, with two exceptions that the text
// cannot tell apart: a composite's list with trailing nulls reads back without them (the
// fields form omits null fields), and `@D T[...]` reads as an array of described values when D
// is a known type whose described value cannot be an array (a composite, or a section such as
// data), else as a described array (an amqp-value holding an array, an unknown descriptor).
//
// Additions for people writing values: `@open` stands for `@open(0x10)`; in the fields form of
// a composite, a number without a type takes the field's type (`handle: 0` is `uint 0`) and a
// restricted type's choice may be named (`role: receiver`); `#` after white space starts a
// comment that runs to the end of the line.
//
// The input is untrusted: its length and nesting depth are bounded (parse_limits), and every
// error names its line and column.
#pragma once

#include <cstddef>
#include <string_view>

#include "amqp/codec/value.hpp"
#include "amqp/errors.hpp"
#include "peer/pattern.hpp"
#include "peer/text_cursor.hpp"

namespace amqp::peer {

struct parse_limits {
  // Longer text is refused before any parsing.
  std::size_t max_length = 1u << 20;
  // Lists, maps, arrays, described values and descriptors nested deeper are refused (the
  // parser recurses this deep at most).
  std::size_t max_depth = 32;
};

// Exactly one value (white space and comments around it allowed).
result<value, text_error> parse_value(std::string_view text, const parse_limits& limits = {});
// Exactly one pattern (pattern.hpp): a value in which matchers may stand.
result<pattern, text_error> parse_pattern(std::string_view text, const parse_limits& limits = {});

// The same at a cursor, for grammars that embed values: reads one value (or pattern) and
// leaves the cursor after it. Throw syntax_error.
value read_value(text_cursor& c, const parse_limits& limits);
pattern read_pattern(text_cursor& c, const parse_limits& limits);

}  // namespace amqp::peer
