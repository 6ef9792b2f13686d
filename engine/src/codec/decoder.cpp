// The validating decoder: every byte a peer sends passes through here once.
#include "amqp/codec/decoder.hpp"

#include <cstring>

#include "format.hpp"

namespace amqp {
namespace {

using detail::category;
using detail::format_table;
using detail::load_be32;
using detail::load_width;

// Offset of the first byte outside 7-bit ASCII, or n; eight bytes at a time.
std::size_t non_ascii_offset(const std::uint8_t* p, std::size_t n) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t block;
    std::memcpy(&block, p + i, 8);
    if (block & 0x8080808080808080ull) break;
  }
  for (; i < n; ++i)
    if (p[i] >= 0x80) return i;
  return n;
}

class validator {
 public:
  validator(const std::uint8_t* base, const decode_limits& limits)
      : base_(base), limits_(limits), zero_width_left_(limits.max_zero_width_elements) {}

  decode_error error() const { return error_; }

  // A value with its constructor at p.
  bool value(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t depth,
             value_view& out) {
    if (p == end) return fail(errc::truncated, p);
    const std::uint8_t* at = p;
    const std::uint8_t code = *p++;
    if (code != format_code::described) return payload(code, at, p, end, depth, out);

    if (depth >= limits_.max_depth) return fail(errc::nesting_too_deep, at);
    const std::uint8_t* desc = p;
    if (p != end && *p == format_code::described) return fail(errc::nested_descriptor, p);
    value_view ignored;
    if (!value(p, end, depth + 1, ignored)) return false;
    const std::uint8_t* inner = p;
    if (!value(p, end, depth + 1, ignored)) return false;
    out = value_view::from_raw({inner, desc, 0, 0, format_code::described, 0});
    return true;
  }

 private:
  bool fail(errc code, const std::uint8_t* at) {
    error_ = {code, static_cast<std::size_t>(at - base_)};
    return false;
  }

  // An element that runs past the end of its list, map or array: the compound's size is
  // wrong, and no amount of further input would fix it, so this is not `truncated`.
  bool overran_compound() {
    if (error_.code == errc::truncated || error_.code == errc::size_exceeds_input)
      error_.code = errc::compound_size_mismatch;
    return false;
  }

  // The payload of a non-described format `code` at p; `at` is where its constructor was.
  bool payload(std::uint8_t code, const std::uint8_t* at, const std::uint8_t*& p,
               const std::uint8_t* end, std::uint32_t depth, value_view& out) {
    const detail::format_info fi = format_table[code];
    const std::size_t left = static_cast<std::size_t>(end - p);
    switch (fi.cat) {
      case category::invalid:
      case category::described:
        return fail(errc::unknown_format_code, at);
      case category::fixed:
        if (left < fi.width) return fail(errc::truncated, p);
        if (!fixed_content(code, p)) return false;
        out = value_view::from_raw({p, nullptr, fi.width, 0, code, 0});
        p += fi.width;
        return true;
      case category::variable: {
        if (left < fi.width) return fail(errc::truncated, p);
        const std::uint32_t len = load_width(p, fi.width);
        if (len > left - fi.width) return fail(errc::size_exceeds_input, p);
        p += fi.width;
        if (fi.type == kind::string) {
          std::string_view s(reinterpret_cast<const char*>(p), len);
          const std::size_t bad = utf8_error_offset(s);
          if (bad != len) return fail(errc::invalid_utf8, p + bad);
        } else if (fi.type == kind::symbol) {
          const std::size_t bad = non_ascii_offset(p, len);
          if (bad != len) return fail(errc::invalid_symbol, p + bad);
        }
        out = value_view::from_raw({p, nullptr, len, 0, code, 0});
        p += len;
        return true;
      }
      case category::compound:
      case category::array:
        return compound(code, fi, at, p, end, depth, out);
    }
    return fail(errc::unknown_format_code, at);
  }

  bool fixed_content(std::uint8_t code, const std::uint8_t* p) {
    if (code == format_code::boolean && *p > 1) return fail(errc::invalid_boolean, p);
    if (code == format_code::char_ && !detail::is_unicode_scalar(load_be32(p)))
      return fail(errc::invalid_char, p);
    return true;
  }

  // list8/32, map8/32, array8/32: size, count, then the elements.
  bool compound(std::uint8_t code, detail::format_info fi, const std::uint8_t* at,
                const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t depth,
                value_view& out) {
    const std::uint8_t w = fi.width;
    if (static_cast<std::size_t>(end - p) < w) return fail(errc::truncated, p);
    const std::uint32_t size = load_width(p, w);
    if (size > static_cast<std::size_t>(end - p) - w) return fail(errc::size_exceeds_input, p);
    if (size < w) return fail(errc::compound_size_mismatch, p);
    if (depth >= limits_.max_depth) return fail(errc::nesting_too_deep, at);
    const std::uint8_t* body_end = p + w + size;
    p += w;
    const std::uint8_t* count_at = p;
    const std::uint32_t count = load_width(p, w);
    p += w;
    const std::uint8_t* first = p;
    // Every element takes at least one byte, except zero-width array elements (checked below).
    if (fi.cat == category::compound) {
      if (count > static_cast<std::size_t>(body_end - p))
        return fail(errc::count_exceeds_size, count_at);
      if (fi.type == kind::map && count % 2 != 0) return fail(errc::odd_map_count, count_at);
      value_view ignored;
      for (std::uint32_t i = 0; i < count; ++i)
        if (!value(p, body_end, depth + 1, ignored)) return overran_compound();
    } else if (!array_elements(count, count_at, p, body_end, depth)) {
      return overran_compound();
    }
    if (p != body_end) return fail(errc::compound_size_mismatch, p);
    out = value_view::from_raw(
        {first, nullptr, static_cast<std::uint32_t>(body_end - first), count, code, 0});
    return true;
  }

  bool array_elements(std::uint32_t count, const std::uint8_t* count_at, const std::uint8_t*& p,
                      const std::uint8_t* end, std::uint32_t depth) {
    if (p == end) return fail(errc::compound_size_mismatch, p);  // no element constructor
    const std::uint8_t* ctor = p;
    std::uint8_t code = *p++;
    if (code == format_code::described) {
      if (p != end && *p == format_code::described) return fail(errc::nested_descriptor, p);
      value_view ignored;
      if (!value(p, end, depth + 1, ignored)) return false;
      if (p == end) return fail(errc::compound_size_mismatch, p);
      ctor = p;
      code = *p++;
      if (code == format_code::described) return fail(errc::nested_descriptor, ctor);
    }
    const detail::format_info fi = format_table[code];
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
    value_view ignored;
    for (std::uint32_t i = 0; i < count; ++i)
      if (!payload(code, ctor, p, end, depth + 1, ignored)) return false;
    return true;
  }

  const std::uint8_t* base_;
  const decode_limits& limits_;
  std::uint32_t zero_width_left_;
  decode_error error_{};
};

}  // namespace

result<value_view> decode_value_prefix(bytes_view input, std::size_t& consumed,
                                       const decode_limits& limits) {
  const std::uint8_t* p = input.data();
  validator v(p, limits);
  value_view out;
  if (!v.value(p, p + input.size(), 0, out)) return v.error();
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
