// The lexical layer of the peer's parsers (text_cursor.hpp).
#include "peer/text_cursor.hpp"

namespace amqp::peer {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string text_error::to_string() const {
  std::string out;
  if (line > 1) out = "line " + std::to_string(line) + ", ";
  out += "column " + std::to_string(column) + ": " + message;
  return out;
}

text_error error_at(std::string_view text, std::size_t offset, std::string message) {
  text_error e;
  e.offset = offset < text.size() ? offset : text.size();
  const std::string_view before = text.substr(0, e.offset);
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < before.size(); ++i)
    if (before[i] == '\n') ++e.line, line_start = i + 1;
  e.column = e.offset - line_start + 1;
  e.message = std::move(message);
  return e;
}

std::string quoted_for_error(std::string_view s, std::size_t max) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  if (s.size() > max) out += "...";
  out += '\'';
  return out;
}

void text_cursor::skip_space() noexcept {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (is_space(c)) {
      ++pos_;
    } else if (c == '#' && (pos_ == 0 || is_space(text_[pos_ - 1]))) {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else {
      return;
    }
  }
}

bool text_cursor::consume(char c) noexcept {
  skip_space();
  if (peek() != c) return false;
  ++pos_;
  return true;
}

void text_cursor::expect(char c, std::string_view what) {
  if (!consume(c)) {
    if (at_end()) fail("expected " + std::string(what) + ", found the end");
    fail("expected " + std::string(what) + ", found " + quoted_for_error(text_.substr(pos_, 1)));
  }
}

bool text_cursor::at_delimiter() const noexcept {
  const char c = peek();
  return at_end() || is_space(c) || c == ',' || c == ']' || c == '}' || c == ')' || c == ':';
}

void text_cursor::expect_delimiter(std::string_view after) {
  if (!at_delimiter())
    fail("unexpected " + quoted_for_error(text_.substr(pos_, 1)) + " after " + std::string(after));
}

std::string_view text_cursor::word() noexcept {
  skip_space();
  if (!is_alpha(peek())) return {};
  const std::size_t start = pos_;
  while (is_alpha(peek()) || is_digit(peek()) || peek() == '-') ++pos_;
  return text_.substr(start, pos_ - start);
}

bool text_cursor::consume_word(std::string_view w) noexcept {
  const std::size_t start = pos_;
  if (word() == w) return true;
  pos_ = start;
  return false;
}

std::uint64_t text_cursor::hex_number(std::size_t min, std::size_t max, std::string_view what,
                                      bool whole) {
  const std::size_t start = pos_;
  std::uint64_t n = 0;
  while (pos_ - start < max && hex_value(peek()) >= 0)
    n = (n << 4) | static_cast<std::uint64_t>(hex_value(text_[pos_++]));
  if (pos_ - start < min || (whole && hex_value(peek()) >= 0))
    fail_at(start, std::string(what) + " needs " +
                       (min == max ? std::to_string(min)
                                   : std::to_string(min) + " to " + std::to_string(max)) +
                       " hex digits");
  return n;
}

std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len;
  char32_t min;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if ((b0 & 0xe0) == 0xc0)
    len = 2, cp = b0 & 0x1fu, min = 0x80;
  else if ((b0 & 0xf0) == 0xe0)
    len = 3, cp = b0 & 0x0fu, min = 0x800;
  else if ((b0 & 0xf8) == 0xf0)
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  else
    return 0;
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

void text_cursor::escape(literal_kind k, std::string& out) {
  const std::size_t at = pos_;
  ++pos_;  // the backslash
  const char c = peek();
  ++pos_;
  switch (c) {
    case '"':
      out += '"';
      return;
    case '\\':
      out += '\\';
      return;
    case 'n':
      out += '\n';
      return;
    case 'r':
      out += '\r';
      return;
    case 't':
      out += '\t';
      return;
    case 'x':
      out += static_cast<char>(hex_number(2, 2, "\\x", false));
      return;
    case 'u': {
      if (k != literal_kind::string) fail_at(at, "\\u{...} is for strings; write bytes as \\xNN");
      if (peek() != '{') fail_at(at, "\\u needs {hex digits}");
      ++pos_;
      const auto cp = static_cast<char32_t>(hex_number(1, 6, "\\u{...}"));
      if (peek() != '}') fail("expected '}' after the code point");
      ++pos_;
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        fail_at(at, "\\u{...} is not a Unicode scalar value");
      append_utf8(out, cp);
      return;
    }
    default:
      fail_at(at, "unknown escape " + quoted_for_error(text_.substr(at, 2)) +
                      " (known: \\\" \\\\ \\n \\r \\t \\xNN" +
                      (k == literal_kind::string ? " \\u{N}" : "") + ")");
  }
}

std::string text_cursor::quoted(literal_kind k) {
  const std::size_t open = pos_;
  ++pos_;  // the opening quote
  std::string out;
  for (;;) {
    if (at_end()) fail_at(open, "unterminated literal: no closing '\"'");
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') {
      ++pos_;
      return out;
    }
    if (c == '\\') {
      escape(k, out);
      continue;
    }
    if (c < 0x20 || c == 0x7f) fail("control character in a literal: write it as \\xNN");
    if (c >= 0x80 && k == literal_kind::symbol)
      fail("symbols are ASCII: write other bytes as \\xNN");
    std::size_t len = 1;
    if (c >= 0x80 && k == literal_kind::string) {
      char32_t cp = 0;
      len = utf8_sequence(text_, pos_, cp);
      if (len == 0) fail("invalid UTF-8 in a string: write bytes as \\xNN");
    }
    out.append(text_.substr(pos_, len));
    pos_ += len;
  }
}

std::vector<std::uint8_t> read_hex_bytes(text_cursor& c) {
  std::vector<std::uint8_t> out;
  for (;;) {
    const std::size_t before = c.pos();
    c.skip_space();
    const std::size_t start = c.pos();
    std::size_t n = 0;
    while (hex_value(c.peek(n)) >= 0) ++n;
    if (n == 0 || !(is_space(c.peek(n)) || c.peek(n) == '\0')) {
      c.seek(before);
      return out;
    }
    if (n % 2) c.fail_at(start, "hex bytes need two digits each");
    for (std::size_t i = 0; i < n; i += 2)
      out.push_back(
          static_cast<std::uint8_t>(hex_value(c.peek(i)) << 4 | hex_value(c.peek(i + 1))));
    c.seek(start + n);
  }
}

}  // namespace amqp::peer
