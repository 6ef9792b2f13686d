// The one-line text of each scalar type (format: amqp/text.hpp).
#include <bit>
#include <charconv>
#include <cstring>

#include "text/text_format.hpp"

namespace amqp::detail {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, std::uint8_t b) {
  out += hex_digits[b >> 4];
  out += hex_digits[b & 15];
}

// "\xNN" for one byte (or one code point below 0x80).
void append_byte_escape(std::string& out, std::uint8_t b) {
  out += "\\x";
  append_hex_byte(out, b);
}

// Escapes shared by binaries and strings; false when `c` needs no escape of this kind.
bool append_ascii_escape(std::string& out, std::uint8_t c, char quote) {
  switch (c) {
    case '\n': out += "\\n"; return true;
    case '\r': out += "\\r"; return true;
    case '\t': out += "\\t"; return true;
    case '\\': out += "\\\\"; return true;
    default: break;
  }
  if (c == static_cast<std::uint8_t>(quote)) {
    out += '\\';
    out += quote;
    return true;
  }
  if (c < 0x20 || c == 0x7f) {
    append_byte_escape(out, c);
    return true;
  }
  return false;
}

// Code points that would make the text misleading on a terminal: C1 controls, invisible
// formatting characters and bidirectional overrides. They print as \u{...}.
bool is_invisible(char32_t c) {
  return (c >= 0x80 && c <= 0x9f) || c == 0xad || (c >= 0x200b && c <= 0x200f) ||
         (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

void append_code_point_hex(std::string& out, char32_t c, int min_digits) {
  char buf[8];
  int n = 0;
  for (auto v = static_cast<std::uint32_t>(c); v != 0 || n < min_digits; v >>= 4)
    buf[n++] = "0123456789ABCDEF"[v & 15];
  while (n > 0) out += buf[--n];
}

// Length of the well-formed UTF-8 sequence at s[i] and its code point; 0 when ill-formed.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<std::uint8_t>(s[i]);
  std::size_t len;
  char32_t min;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xe0) == 0xc0) {
    len = 2, cp = b0 & 0x1fu, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3, cp = b0 & 0x0fu, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<std::uint8_t>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Floating point: the shortest text that reads back to the same bits; infinities as
// inf/-inf, negative zero as -0, the default quiet NaN as nan and any other NaN with its bits.
template <class F, class Bits>
void append_floating(std::string& out, F v, Bits canonical_nan) {
  if (v != v) {
    const auto bits = std::bit_cast<Bits>(v);
    if (bits == canonical_nan) {
      out += "nan";
    } else {
      out += "nan(";
      append_hex_bits(out, bits, static_cast<int>(sizeof(Bits) * 2));
      out += ')';
    }
    return;
  }
  append_number(out, v);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void append_padded(std::string& out, std::int64_t v, int width) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  for (auto n = r.ptr - buf; n < width; ++n) out += '0';
  out.append(buf, r.ptr);
}

}  // namespace

void append_unsigned(std::string& out, std::uint64_t v) { append_number(out, v); }
void append_signed(std::string& out, std::int64_t v) { append_number(out, v); }
void append_float(std::string& out, float v) {
  append_floating(out, v, std::uint32_t{0x7fc00000});
}
void append_double(std::string& out, double v) {
  append_floating(out, v, std::uint64_t{0x7ff8000000000000});
}

void append_hex_bits(std::string& out, std::uint64_t bits, int digits) {
  out += "0x";
  for (int i = digits - 1; i >= 0; --i) out += hex_digits[(bits >> (4 * i)) & 15];
}

void append_hex_bytes(std::string& out, bytes_view bytes) {
  out += "0x";
  for (std::uint8_t b : bytes) append_hex_byte(out, b);
}

void append_spaced_hex(std::string& out, bytes_view b) {
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i) out += ' ';
    append_hex_byte(out, b[i]);
  }
}

void append_char_literal(std::string& out, char32_t c) {
  if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
    out += '\'';
    out += static_cast<char>(c);
    out += '\'';
  } else {
    out += "U+";
    append_code_point_hex(out, c, 4);
  }
}

// Proleptic Gregorian calendar in UTC (spec Part 1, 1.6.19: milliseconds since the Unix epoch).
// The civil date of a day count follows from 400-year eras of 146097 days that start on
// 0000-03-01, so that the leap day is the last day of each era year.
void append_timestamp(std::string& out, std::int64_t ms) {
  constexpr std::int64_t ms_per_day = 86400000;
  const std::int64_t days = floor_div(ms, ms_per_day);
  std::int64_t in_day = ms % ms_per_day;  // days * ms_per_day may not fit: no subtraction
  if (in_day < 0) in_day += ms_per_day;
  const std::int64_t z = days + 719468;  // days since 0000-03-01
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t day_of_era = z - era * 146097;  // [0, 146096]
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;  // [0, 11]
  const std::int64_t day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const std::int64_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);

  // ISO 8601: four-digit years, a sign outside 0000..9999 (expanded representation).
  if (year < 0) {
    out += '-';
    append_padded(out, -year, 4);
  } else if (year > 9999) {
    out += '+';
    append_padded(out, year, 4);
  } else {
    append_padded(out, year, 4);
  }
  out += '-';
  append_padded(out, month, 2);
  out += '-';
  append_padded(out, day, 2);
  out += 'T';
  append_padded(out, in_day / 3600000, 2);
  out += ':';
  append_padded(out, in_day / 60000 % 60, 2);
  out += ':';
  append_padded(out, in_day / 1000 % 60, 2);
  out += '.';
  append_padded(out, in_day % 1000, 3);
  out += 'Z';
}

void append_uuid(std::string& out, const uuid& u) {
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    append_hex_byte(out, u.bytes[i]);
  }
}

void append_binary_literal(std::string& out, bytes_view b) {
  out += "b\"";
  for (std::uint8_t c : b) {
    if (append_ascii_escape(out, c, '"')) continue;
    if (c >= 0x80) append_byte_escape(out, c);
    else out += static_cast<char>(c);
  }
  out += '"';
}

void append_string_literal(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    if (c < 0x80) {
      if (!append_ascii_escape(out, c, '"')) out += static_cast<char>(c);
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = utf8_sequence(s, i, cp);
    if (len == 0) {  // not from a validated view: show the byte
      append_byte_escape(out, c);
      ++i;
    } else if (is_invisible(cp)) {
      out += "\\u{";
      append_code_point_hex(out, cp, 4);
      out += '}';
      i += len;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  out += '"';
}

// Bare when every character is one that cannot be mistaken for punctuation of the format.
void append_symbol_literal(std::string& out, std::string_view s) {
  static constexpr std::string_view extra = "-_.:/+*$#%&=?!~^|@";
  bool bare = !s.empty();
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && extra.find(c) == std::string_view::npos) {
      bare = false;
      break;
    }
  }
  out += ':';
  if (bare) out += s;
  else append_string_literal(out, s);
}

}  // namespace amqp::detail
