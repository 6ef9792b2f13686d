// The validating decoder: every byte a peer sends passes through here once.
#include "amqp/codec/decoder.hpp"

#include "amqp/codec/detail/checker.hpp"
#include "amqp/codec/detail/bytes.hpp"

namespace amqp::detail {

checker::checker(const std::uint8_t* base, const decode_limits& limits) noexcept
    : base_(base),
      max_depth_(limits.max_depth),
      zero_width_left_(limits.max_zero_width_elements) {}

bool checker::value(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t depth,
                    value_view& out) {
  const std::uint8_t* start = p;
  if (!skip(p, end, depth)) return false;
  out = view_at(start);  // only the constructor and prefixes are read again
  return true;
}

bool checker::refuse(errc code, const std::uint8_t*& p, const std::uint8_t* end,
                     std::uint32_t depth) {
  const std::uint8_t* at = p;
  if (!skip(p, end, depth)) return false;
  return fail(code, at);
}

// Validates the value whose constructor is at p and advances past it.
inline bool checker::skip(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t depth) {
  if (p == end) return fail(errc::truncated, p);
  const std::uint8_t* at = p;
  const std::uint8_t code = *p++;
  if (code == format_code::described) return described(p, end, depth);
  return payload(code, at, p, end, depth);
}

// The payload of a non-described format `code` at p; `at` is where its constructor was.
// Scalars, binaries, strings and symbols, which most values are, are checked inline.
inline bool checker::payload(std::uint8_t code, const std::uint8_t* at, const std::uint8_t*& p,
                             const std::uint8_t* end, std::uint32_t depth) {
  const format_info fi = format_table[code];
  const std::size_t left = static_cast<std::size_t>(end - p);
  if (fi.cat == category::fixed) {
    if (left < fi.width) return fail(errc::truncated, p);
    if ((code == format_code::boolean || code == format_code::char_) && !fixed_content(code, p))
      return false;
    p += fi.width;
    return true;
  }
  if (fi.cat == category::variable) {
    if (left < fi.width) return fail(errc::truncated, p);
    const std::uint32_t len = load_width(p, fi.width);
    if (len > left - fi.width) return fail(errc::size_exceeds_input, p);
    p += fi.width;
    if (fi.type == kind::string) {
      const std::size_t bad = utf8_offset(p, len);
      if (bad != len) return fail(errc::invalid_utf8, p + bad);
    } else if (fi.type == kind::symbol && !is_ascii(p, len)) {
      return fail(errc::invalid_symbol, p + non_ascii_offset(p, len));
    }
    p += len;
    return true;
  }
  if (fi.cat == category::compound || fi.cat == category::array)
    return compound(code, at, p, end, depth);
  return fail(errc::unknown_format_code, at);
}

// A descriptor and the value it describes; p is after the 0x00 at p[-1].
bool checker::described(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t depth) {
  if (depth >= max_depth_) return fail(errc::nesting_too_deep, p - 1);
  if (p != end && *p == format_code::described) return fail(errc::nested_descriptor, p);
  return skip(p, end, depth + 1) && skip(p, end, depth + 1);
}

bool checker::fixed_content(std::uint8_t code, const std::uint8_t* p) {
  if (code == format_code::boolean && *p > 1) return fail(errc::invalid_boolean, p);
  if (code == format_code::char_ && !is_unicode_scalar(load_be32(p)))
    return fail(errc::invalid_char, p);
  return true;
}

// list8/32, map8/32, array8/32: size, count, then the elements.
bool checker::compound(std::uint8_t code, const std::uint8_t* at, const std::uint8_t*& p,
                       const std::uint8_t* end, std::uint32_t depth) {
  const format_info fi = format_table[code];
  const std::uint8_t w = fi.width;
  if (static_cast<std::size_t>(end - p) < w) return fail(errc::truncated, p);
  const std::uint32_t size = load_width(p, w);
  if (size > static_cast<std::size_t>(end - p) - w) return fail(errc::size_exceeds_input, p);
  if (size < w) return fail(errc::compound_size_mismatch, p);
  if (depth >= max_depth_) return fail(errc::nesting_too_deep, at);
  const std::uint8_t* body_end = p + w + size;
  p += w;
  const std::uint8_t* count_at = p;
  const std::uint32_t count = load_width(p, w);
  p += w;
  // Every element takes at least one byte, except zero-width array elements (checked below).
  if (fi.cat == category::compound) {
    if (count > static_cast<std::size_t>(body_end - p))
      return fail(errc::count_exceeds_size, count_at);
    if (fi.type == kind::map && count % 2 != 0) return fail(errc::odd_map_count, count_at);
    if (!elements(p, body_end, count, depth + 1)) return overran_compound();
  } else if (!array_elements(count, count_at, p, body_end, depth)) {
    return overran_compound();
  }
  if (p != body_end) return fail(errc::compound_size_mismatch, p);
  return true;
}

// The `count` elements of a list or map at p. Most are scalars and short ASCII strings, checked
// here without a call; anything else goes through skip().
bool checker::elements(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t count,
                       std::uint32_t depth) {
  const std::uint8_t* q = p;
  bool ok = true;
  for (std::uint32_t i = 0; ok && i < count; ++i) {
    if (q == end) {
      ok = fail(errc::truncated, q);
      break;
    }
    const std::uint8_t code = *q;
    const format_info fi = format_table[code];
    const std::size_t left = static_cast<std::size_t>(end - q) - 1;
    if (fi.cat == category::variable && fi.width == 1 && left >= 1) {
      const std::uint32_t len = q[1];
      const std::uint8_t* text = q + 2;
      if (len <= left - 1 && (fi.type == kind::binary || is_ascii(text, len))) {
        q = text + len;
        continue;
      }
    } else if (fi.cat == category::fixed && left >= fi.width && code != format_code::boolean &&
               code != format_code::char_) {
      q += 1 + fi.width;
      continue;
    }
    ok = skip(q, end, depth);  // and every error
  }
  p = q;
  return ok;
}

bool checker::array_elements(std::uint32_t count, const std::uint8_t* count_at,
                             const std::uint8_t*& p, const std::uint8_t* end,
                             std::uint32_t depth) {
  if (p == end) return fail(errc::compound_size_mismatch, p);  // no element constructor
  const std::uint8_t* ctor = p;
  std::uint8_t code = *p++;
  if (code == format_code::described) {
    if (p != end && *p == format_code::described) return fail(errc::nested_descriptor, p);
    if (!skip(p, end, depth + 1)) return false;
    if (p == end) return fail(errc::compound_size_mismatch, p);
    ctor = p;
    code = *p++;
    if (code == format_code::described) return fail(errc::nested_descriptor, ctor);
  }
  const format_info fi = format_table[code];
  if (fi.cat == category::invalid) return fail(errc::unknown_format_code, ctor);
  if (fi.cat == category::fixed) {
    const std::size_t left = static_cast<std::size_t>(end - p);
    if (fi.width == 0) {
      if (count > zero_width_left_) return fail(errc::too_many_elements, count_at);
      zero_width_left_ -= count;
      return true;
    }
    const std::uint64_t need = std::uint64_t{count} * fi.width;
    if (need > left) return fail(errc::count_exceeds_size, count_at);
    if (code == format_code::boolean || code == format_code::char_)
      for (std::uint32_t i = 0; i < count; ++i)
        if (!fixed_content(code, p + std::size_t{i} * fi.width)) return false;
    p += need;
    return true;
  }
  if (count > static_cast<std::size_t>(end - p)) return fail(errc::count_exceeds_size, count_at);
  for (std::uint32_t i = 0; i < count; ++i)
    if (!payload(code, ctor, p, end, depth + 1)) return false;
  return true;
}

}  // namespace amqp::detail

namespace amqp {

result<value_view> decode_value_prefix(bytes_view input, std::size_t& consumed,
                                       const decode_limits& limits) {
  const std::uint8_t* p = input.data();
  detail::checker c(p, limits);
  value_view out;
  if (!c.value(p, p + input.size(), 0, out)) return c.error();
  consumed = static_cast<std::size_t>(p - input.data());
  return out;
}

result<value_view> decode_value(bytes_view input, const decode_limits& limits) {
  std::size_t used = 0;
  auto r = decode_value_prefix(input, used, limits);
  if (r && used != input.size()) return decode_error{errc::trailing_bytes, used};
  return r;
}

}  // namespace amqp
