// SASLprep (RFC 4013), the string preparation SCRAM applies to usernames and passwords
// (RFC 5802 section 2.2). Internal to the engine.
//
// What is done:
//   - the input must be well-formed UTF-8;
//   - mapping (RFC 4013 section 2.1): non-ASCII space characters (RFC 3454 table C.1.2) become
//     SPACE U+0020, and the "commonly mapped to nothing" characters (table B.1) are removed.
//     U+200B ZERO WIDTH SPACE is listed in both tables; it becomes SPACE, because C.1.2 is the
//     first mapping RFC 4013 names and Unicode 3.2 (stringprep's version) classes it as a space;
//   - prohibited output (RFC 4013 section 2.3, tables C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6,
//     C.7, C.8, C.9) is refused: control characters, private use, non-characters, surrogates,
//     characters inappropriate for plain text or canonical representation, display-changing and
//     deprecated characters, tagging characters;
//   - an empty result is refused.
// What is not done:
//   - NFKC normalisation (RFC 4013 section 2.2): non-ASCII input is passed on unnormalised, so
//     a password typed in a decomposed form does not match one stored in a composed form;
//   - the bidirectional check (RFC 3454 section 6, tables D.1 and D.2);
//   - the unassigned code point check (table A.1): every input is treated as a "query"
//     (RFC 3454 section 7), which RFC 5802 section 5.1 asks of servers for usernames anyway.
// Printable ASCII (U+0020..U+007E) is never changed, so ASCII names and passwords are
// byte-identical after preparation, with or without the missing steps.
//
//   std::string out;
//   if (auto e = amqp::detail::saslprep("I\xC2\xADX", out)) ...;  // out == "IX"
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace amqp::detail {

enum class saslprep_errc : std::uint8_t {
  invalid_utf8,  // the input is not well-formed UTF-8
  prohibited,    // a character RFC 4013 section 2.3 prohibits
  empty,         // nothing is left after mapping
};

struct saslprep_error {
  saslprep_errc code{};
  char32_t code_point = 0;  // the prohibited character (prohibited only)
  std::size_t offset = 0;   // byte offset in the input (invalid_utf8 and prohibited)
};

// Prepares `in` into `out` (replacing its content). `out` is reserved to in.size() first and
// never grows beyond it (mapping only shrinks), so a password is never left behind in a
// buffer freed by reallocation. On an error `out` may hold a partial result: a caller
// preparing a secret wipes it.
std::optional<saslprep_error> saslprep(std::string_view in, std::string& out);

// "U+0007" style name of a code point, for error messages.
std::string code_point_name(char32_t cp);

}  // namespace amqp::detail
