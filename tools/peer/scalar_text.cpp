// Scalars of the text notation read back (scalar_text.hpp).
#include "peer/scalar_text.hpp"

#include <bit>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>
#include <utility>

namespace amqp::peer {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The digits (and a leading '-' when `signed_ok`) at the cursor, unconverted.
std::string_view integer_text(text_cursor& c, bool signed_ok, std::string_view what) {
  const std::size_t start = c.pos();
  if (signed_ok && c.peek() == '-') c.seek(c.pos() + 1);
  if (!is_digit(c.peek())) c.fail_at(start, "expected " + std::string(what));
  while (is_digit(c.peek())) c.seek(c.pos() + 1);
  return c.text().substr(start, c.pos() - start);
}

template <class T>
value integer(text_cursor& c, kind k) {
  const std::size_t start = c.pos();
  const std::string_view text = integer_text(c, std::is_signed_v<T>, "a number");
  T n{};
  const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (r.ec != std::errc{})
    c.fail_at(start, std::string(text) + " is out of range for " + std::string(kind_name(k)));
  c.expect_delimiter(kind_name(k));
  return value(n);
}

// Floating point: the special forms by hand (the printer's spelling of NaNs keeps their bits),
// everything else through from_chars, which reads back to_chars' shortest form exactly.
template <class F, class Bits>
value floating(text_cursor& c, kind k, Bits quiet_nan) {
  const std::size_t start = c.pos();
  const std::string_view rest = c.text().substr(start);
  F v{};
  if (rest.starts_with("nan")) {
    c.seek(start + 3);
    Bits bits = quiet_nan;
    if (c.peek() == '(') {
      c.seek(c.pos() + 1);
      if (c.peek() != '0' || c.peek(1) != 'x') c.fail("expected 0x and the bits of a NaN");
      c.seek(c.pos() + 2);
      bits = static_cast<Bits>(c.hex_number(1, sizeof(Bits) * 2, "the bits of a NaN"));
      if (c.peek() != ')') c.fail("expected ')' after the bits of a NaN");
      c.seek(c.pos() + 1);
    }
    v = std::bit_cast<F>(bits);
    if (v == v) c.fail_at(start, "these bits are not a NaN");
  } else {
    const auto r =
        std::from_chars(rest.data(), rest.data() + rest.size(), v, std::chars_format::general);
    if (r.ec == std::errc::invalid_argument) c.fail_at(start, "expected a number");
    if (r.ec != std::errc{}) c.fail_at(start, "out of range for " + std::string(kind_name(k)));
    c.seek(start + static_cast<std::size_t>(r.ptr - rest.data()));
  }
  c.expect_delimiter(kind_name(k));
  return value(v);
}

std::uint64_t hex_after_0x(text_cursor& c, std::size_t max_digits, std::string_view what) {
  if (c.peek() != '0' || c.peek(1) != 'x')
    c.fail("expected 0x and the bits of the " + std::string(what));
  c.seek(c.pos() + 2);
  return c.hex_number(1, max_digits, what);
}

value decimal128_bits(text_cursor& c) {
  if (c.peek() != '0' || c.peek(1) != 'x') c.fail("expected 0x and the bits of the decimal128");
  c.seek(c.pos() + 2);
  // Up to 32 digits: the high half first when there are more than 16.
  std::size_t n = 0;
  while (n < 33 && std::isxdigit(static_cast<unsigned char>(c.peek(n)))) ++n;
  if (n == 0 || n > 32) c.fail("decimal128 needs 1 to 32 hex digits");
  decimal128 d;
  std::uint64_t high = 0;
  if (n > 16) high = c.hex_number(n - 16, n - 16, "decimal128", false);
  const std::uint64_t low = c.hex_number(std::min<std::size_t>(n, 16), 16, "decimal128");
  for (int i = 0; i < 8; ++i) {
    d.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(high >> (56 - 8 * i));
    d.bytes[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(low >> (56 - 8 * i));
  }
  return value(d);
}

value char_value(text_cursor& c) {
  const std::size_t start = c.pos();
  char32_t cp = 0;
  if (c.peek() == '\'') {
    const std::size_t len =
        start + 1 < c.text().size() ? utf8_sequence(c.text(), start + 1, cp) : 0;
    if (len == 0 || cp < 0x20 || cp == 0x7f || cp == '\'' || cp == '\\' || c.peek(1 + len) != '\'')
      c.fail_at(start, "a char is one printable character in single quotes, or U+HEX");
    c.seek(start + len + 2);
  } else if (c.peek() == 'U' && c.peek(1) == '+') {
    c.seek(c.pos() + 2);
    cp = static_cast<char32_t>(c.hex_number(1, 6, "U+"));
  } else {
    c.fail("expected a char: 'c' or U+HEX");
  }
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    c.fail_at(start, "not a Unicode scalar value");
  c.expect_delimiter("char");
  return value(cp);
}

int fixed_digits(text_cursor& c, int n, std::string_view what) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    if (!is_digit(c.peek()))
      c.fail("expected " + std::to_string(n) + " digits of the " + std::string(what));
    v = v * 10 + (c.peek() - '0');
    c.seek(c.pos() + 1);
  }
  return v;
}

void literal_char(text_cursor& c, char ch, std::string_view what) {
  if (c.peek() != ch) c.fail("expected '" + std::string(1, ch) + "' " + std::string(what));
  c.seek(c.pos() + 1);
}

// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of the printer's); years
// of up to 9 digits keep every step well inside a long.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

value timestamp_value(text_cursor& c) {
  const std::size_t start = c.pos();
  int sign = 0;
  if (c.peek() == '-' || c.peek() == '+') {
    sign = c.peek() == '-' ? -1 : 1;
    c.seek(c.pos() + 1);
  }
  std::int64_t year = 0;
  int digits = 0;
  while (is_digit(c.peek()) && digits < 10) {
    year = year * 10 + (c.peek() - '0');
    c.seek(c.pos() + 1);
    ++digits;
  }
  if (sign == 0 ? digits != 4 : (digits < 4 || digits > 9))
    c.fail_at(start, "a timestamp's year has 4 digits, or 4 to 9 after a sign");
  if (sign < 0) year = -year;
  literal_char(c, '-', "after the year");
  const int month = fixed_digits(c, 2, "month");
  literal_char(c, '-', "after the month");
  const int day = fixed_digits(c, 2, "day");
  literal_char(c, 'T', "after the date");
  const int hour = fixed_digits(c, 2, "hour");
  literal_char(c, ':', "after the hour");
  const int minute = fixed_digits(c, 2, "minute");
  literal_char(c, ':', "after the minutes");
  const int second = fixed_digits(c, 2, "second");
  literal_char(c, '.', "before the milliseconds");
  const int ms = fixed_digits(c, 3, "milliseconds");
  literal_char(c, 'Z', "(timestamps are in UTC)");
  static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) c.fail_at(start, "no such month");
  if (day < 1 || day > month_days[month - 1] + (month == 2 && is_leap(year) ? 1 : 0))
    c.fail_at(start, "no such day in that month");
  if (hour > 23 || minute > 59 || second > 59) c.fail_at(start, "no such time of day");
  // Before 1970 the day's milliseconds are added to the next midnight's count minus a day,
  // so that the earliest timestamp, whose midnight is below the range, stays computable.
  std::int64_t days = days_from_civil(year, month, day);
  std::int64_t in_day = ((hour * 60 + minute) * 60 + second) * 1000 + ms;
  if (days < 0) {
    ++days;
    in_day -= 86400000;
  }
  std::int64_t total = 0;
  if (__builtin_mul_overflow(days, std::int64_t{86400000}, &total) ||
      __builtin_add_overflow(total, in_day, &total))
    c.fail_at(start, "timestamp out of range (milliseconds must fit a long)");
  c.expect_delimiter("timestamp");
  return value(timestamp{total});
}

value uuid_value(text_cursor& c) {
  uuid u;
  std::size_t byte = 0;
  for (const std::size_t group : {4, 2, 2, 2, 6}) {
    if (byte) literal_char(c, '-', "between the groups of a uuid");
    for (std::size_t i = 0; i < group; ++i)
      u.bytes[byte++] = static_cast<std::uint8_t>(c.hex_number(2, 2, "a uuid byte", false));
  }
  c.expect_delimiter("uuid");
  return value(u);
}

}  // namespace

std::optional<kind> kind_named(std::string_view name) noexcept {
  for (std::size_t k = 0; k <= static_cast<std::size_t>(kind::described); ++k)
    if (kind_name(static_cast<kind>(k)) == name) return static_cast<kind>(k);
  return std::nullopt;
}

bool is_typed_scalar(kind k) noexcept {
  return k >= kind::ubyte && k <= kind::uuid;
}

value read_typed_scalar(text_cursor& c, kind k) {
  c.skip_space();
  switch (k) {
    case kind::ubyte:
      return integer<std::uint8_t>(c, k);
    case kind::ushort:
      return integer<std::uint16_t>(c, k);
    case kind::uint:
      return integer<std::uint32_t>(c, k);
    case kind::ulong:
      return integer<std::uint64_t>(c, k);
    case kind::byte:
      return integer<std::int8_t>(c, k);
    case kind::short_:
      return integer<std::int16_t>(c, k);
    case kind::int_:
      return integer<std::int32_t>(c, k);
    case kind::long_:
      return integer<std::int64_t>(c, k);
    case kind::float_:
      return floating<float>(c, k, std::uint32_t{0x7fc00000});
    case kind::double_:
      return floating<double>(c, k, std::uint64_t{0x7ff8000000000000});
    case kind::decimal32: {
      const auto bits = static_cast<std::uint32_t>(hex_after_0x(c, 8, "decimal32"));
      c.expect_delimiter("decimal32");
      return value(decimal32{bits});
    }
    case kind::decimal64: {
      const std::uint64_t bits = hex_after_0x(c, 16, "decimal64");
      c.expect_delimiter("decimal64");
      return value(decimal64{bits});
    }
    case kind::decimal128: {
      value v = decimal128_bits(c);
      c.expect_delimiter("decimal128");
      return v;
    }
    case kind::char_:
      return char_value(c);
    case kind::timestamp:
      return timestamp_value(c);
    case kind::uuid:
      return uuid_value(c);
    default:
      c.fail("not a typed scalar");
  }
}

value read_untyped_number(text_cursor& c) {
  c.skip_space();
  const std::size_t start = c.pos();
  std::size_t n = 0;
  while (is_digit(c.peek(n)) || c.peek(n) == '-' || c.peek(n) == '+' || c.peek(n) == '.' ||
         c.peek(n) == 'e' || c.peek(n) == 'E')
    ++n;
  const std::string_view text = c.text().substr(start, n);
  if (text.find_first_of(".eE") == std::string_view::npos) {
    std::int64_t i = 0;
    auto r = std::from_chars(text.data(), text.data() + n, i);
    if (r.ec == std::errc{} && r.ptr == text.data() + n) {
      c.seek(start + n);
      c.expect_delimiter("a number");
      return value(i);
    }
    std::uint64_t u = 0;
    r = std::from_chars(text.data(), text.data() + n, u);
    if (r.ec == std::errc{} && r.ptr == text.data() + n) {
      c.seek(start + n);
      c.expect_delimiter("a number");
      return value(u);
    }
  }
  double d = 0;
  const auto r = std::from_chars(text.data(), text.data() + n, d, std::chars_format::general);
  if (n == 0 || r.ec != std::errc{} || r.ptr != text.data() + n)
    c.fail_at(start, "expected a number");
  c.seek(start + n);
  c.expect_delimiter("a number");
  return value(d);
}

std::optional<value> convert_number(const value& n, kind k) {
  const value::storage& s = n.get();
  if (const double* d = std::get_if<double>(&s)) {
    if (k == kind::double_) return value(*d);
    if (k == kind::float_) return value(static_cast<float>(*d));
    return std::nullopt;
  }
  // Every integer read is a long or a ulong.
  const auto* l = std::get_if<std::int64_t>(&s);
  const auto* u = std::get_if<std::uint64_t>(&s);
  if (!l && !u) return std::nullopt;
  auto fits = [&](auto t) -> std::optional<value> {
    using T = decltype(t);
    if (l ? !std::in_range<T>(*l) : !std::in_range<T>(*u)) return std::nullopt;
    return value(static_cast<T>(l ? static_cast<T>(*l) : static_cast<T>(*u)));
  };
  switch (k) {
    case kind::ubyte:
      return fits(std::uint8_t{});
    case kind::ushort:
      return fits(std::uint16_t{});
    case kind::uint:
      return fits(std::uint32_t{});
    case kind::ulong:
      return fits(std::uint64_t{});
    case kind::byte:
      return fits(std::int8_t{});
    case kind::short_:
      return fits(std::int16_t{});
    case kind::int_:
      return fits(std::int32_t{});
    case kind::long_:
      return fits(std::int64_t{});
    case kind::float_:
      return value(l ? static_cast<float>(*l) : static_cast<float>(*u));
    case kind::double_:
      return value(l ? static_cast<double>(*l) : static_cast<double>(*u));
    default:
      return std::nullopt;
  }
}

}  // namespace amqp::peer
