// The lexical layer shared by the value parser and the script parser: a position in the text,
// white space and comments, words, quoted literals, and errors that say where they are.
//
// The parsers built on it report an error by throwing `syntax_error` from deep inside the
// recursive descent; their public entry points catch it and return it as a `text_error`, so
// nothing throws out of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace amqp::peer {

// A parse error: the byte offset in the text it was found in, and what is wrong.
struct text_error {
  std::size_t offset = 0;
  std::size_t line = 1;    // 1-based, counting the text's '\n'
  std::size_t column = 1;  // 1-based byte column within that line
  std::string message;     // one line, printable ASCII, without the position
  // "column 7: expected ']'" ("line 2, column 3: ..." for text of several lines)
  std::string to_string() const;
};

// Thrown inside the parsers only (see above).
class syntax_error : public std::runtime_error {
 public:
  syntax_error(std::size_t offset, const std::string& message)
      : std::runtime_error(message), offset_(offset) {}
  std::size_t offset() const noexcept { return offset_; }

 private:
  std::size_t offset_;
};

// The text_error for an error at `offset` of `text`.
text_error error_at(std::string_view text, std::size_t offset, std::string message);

// `s` quoted for an error message: printable ASCII, other bytes as \xNN, at most `max` bytes
// of it shown.
std::string quoted_for_error(std::string_view s, std::size_t max = 40);

// What a quoted literal holds, which decides the escapes and raw bytes it may contain.
enum class literal_kind : std::uint8_t {
  string,  // raw UTF-8; \u{...} escapes; \xNN for any byte (even one that breaks UTF-8)
  binary,  // raw bytes; \xNN
  symbol,  // raw ASCII; \xNN for any byte
};

class text_cursor {
 public:
  explicit text_cursor(std::string_view text) noexcept : text_(text) {}

  std::string_view text() const noexcept { return text_; }
  std::size_t pos() const noexcept { return pos_; }
  void seek(std::size_t pos) noexcept { pos_ = pos; }
  // The character at the position, or '\0' at the end.
  char peek(std::size_t ahead = 0) const noexcept {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool at_end() const noexcept { return pos_ >= text_.size(); }

  // Skips spaces, tabs, line ends and comments: a '#' at the start of the text or after white
  // space starts a comment that runs to the end of its line.
  void skip_space() noexcept;
  // skip_space(), then whether the text is used up.
  bool done() noexcept {
    skip_space();
    return at_end();
  }
  // skip_space(), then consumes `c` if it is next.
  bool consume(char c) noexcept;
  // skip_space(), then consumes `c` or fails with "expected <what>".
  void expect(char c, std::string_view what);
  // After a token: the next character must end it (white space, , ] } ) :, or the end).
  void expect_delimiter(std::string_view after);
  bool at_delimiter() const noexcept;

  // skip_space(), then the word [A-Za-z][A-Za-z0-9-]* at the position, consumed; empty (and
  // nothing consumed) when none starts there.
  std::string_view word() noexcept;
  // skip_space(), then consumes the word `w` if it is next as a whole word.
  bool consume_word(std::string_view w) noexcept;

  // A quoted literal starting at the opening '"' (the position); returns its bytes.
  std::string quoted(literal_kind k);
  // Hex digits at the position, at least `min` and at most `max` of them; their value. With
  // `whole`, no further hex digit may follow (a number); without, the rest is other text (an
  // escape such as \x41 in "\x41BC").
  std::uint64_t hex_number(std::size_t min, std::size_t max, std::string_view what,
                           bool whole = true);

  [[noreturn]] void fail(const std::string& message) const { fail_at(pos_, message); }
  [[noreturn]] static void fail_at(std::size_t offset, const std::string& message) {
    throw syntax_error(offset, message);
  }

 private:
  void escape(literal_kind k, std::string& out);

  std::string_view text_;
  std::size_t pos_ = 0;
};

// The length of the well-formed UTF-8 sequence at s[i] (i < s.size()), its code point in
// `cp`; 0 when it is ill-formed (overlong, a surrogate, past U+10FFFF, cut short).
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) noexcept;

// Appends code point `cp` (a Unicode scalar value) as UTF-8.
void append_utf8(std::string& out, char32_t cp);

// Hex "00 53 75" (white space between bytes optional, pairs of digits) into bytes.
// Reads words of hex digits until something else; fails on an odd digit count.
std::vector<std::uint8_t> read_hex_bytes(text_cursor& c);

}  // namespace amqp::peer
