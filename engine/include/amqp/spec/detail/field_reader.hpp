// Single-pass decoding of the composite types: each field's encoding is checked against the
// field's declared type while it is stored, so a performative or a properties section is read
// once, not validated first and converted after. Only fields of type `*`, map-typed fields and
// arrays go through the generic value checker. Used by spec::decode (codec.hpp); not an API.
//
// Errors come in byte order: the first bad byte of the encoding is the one reported. A field of
// the wrong type is first checked to be a well-formed value (a malformed one is reported as
// such), then refused with errc::field_type_mismatch at its constructor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "amqp/codec/detail/bytes.hpp"
#include "amqp/codec/detail/checker.hpp"
#include "amqp/spec/field_types.hpp"
#include "amqp/spec/table.hpp"

namespace amqp::spec::detail {

using amqp::detail::checker;
using pos = const std::uint8_t*;

// Each read() decodes the field value whose constructor is at p (p < end, not null) into `out`
// and advances p past it; `depth` is the nesting depth of that value.

// The payload of a binary, string or symbol whose constructor at p has a `width`-byte length.
inline bool read_variable(checker& c, pos& p, pos end, std::size_t width, bytes_view& out) {
  const pos len_at = p + 1;
  if (!c.need(len_at, end, width)) return false;
  const std::uint32_t len = amqp::detail::load_width(len_at, static_cast<std::uint8_t>(width));
  if (len > static_cast<std::size_t>(end - len_at) - width)
    return c.fail(errc::size_exceeds_input, len_at);
  out = {len_at + width, len};
  p = len_at + width + len;
  return true;
}

// A fixed-width payload of `width` bytes after the constructor at p; null when truncated.
inline pos read_fixed(checker& c, pos& p, pos end, std::size_t width) {
  const pos at = p + 1;
  if (!c.need(at, end, width)) return nullptr;
  p = at + width;
  return at;
}

inline bool read(checker& c, pos& p, pos end, std::uint32_t depth, bool& out) {
  switch (*p) {
    case format_code::boolean_true:
    case format_code::boolean_false:
      out = *p++ == format_code::boolean_true;
      return true;
    case format_code::boolean: {
      const pos at = read_fixed(c, p, end, 1);
      if (!at) return false;
      if (*at > 1) return c.fail(errc::invalid_boolean, at);
      out = *at == 1;
      return true;
    }
  }
  return c.refuse(errc::field_type_mismatch, p, end, depth);
}

inline bool read(checker& c, pos& p, pos end, std::uint32_t depth, std::uint8_t& out) {
  if (*p != format_code::ubyte) return c.refuse(errc::field_type_mismatch, p, end, depth);
  const pos at = read_fixed(c, p, end, 1);
  if (!at) return false;
  out = *at;
  return true;
}

inline bool read(checker& c, pos& p, pos end, std::uint32_t depth, std::uint16_t& out) {
  if (*p != format_code::ushort) return c.refuse(errc::field_type_mismatch, p, end, depth);
  const pos at = read_fixed(c, p, end, 2);
  if (!at) return false;
  out = amqp::detail::load_be16(at);
  return true;
}

inline bool read(checker& c, pos& p, pos end, std::uint32_t depth, std::uint32_t& out) {
  pos at;
  switch (*p) {
    case format_code::uint0:
      out = 0;
      ++p;
      return true;
    case format_code::smalluint:
      if (!(at = read_fixed(c, p, end, 1))) return false;
      out = *at;
      return true;
    case format_code::uint:
      if (!(at = read_fixed(c, p, end, 4))) return false;
      out = amqp::detail::load_be32(at);
      return true;
  }
  return c.refuse(errc::field_type_mismatch, p, end, depth);
}

inline bool read(checker& c, pos& p, pos end, std::uint32_t depth, std::uint64_t& out) {
  pos at;
  switch (*p) {
    case format_code::ulong0:
      out = 0;
      ++p;
      return true;
    case format_code::smallulong:
      if (!(at = read_fixed(c, p, end, 1))) return false;
      out = *at;
      return true;
    case format_code::ulong:
      if (!(at = read_fixed(c, p, end, 8))) return false;
      out = amqp::detail::load_be64(at);
      return true;
  }
  return c.refuse(errc::field_type_mismatch, p, end, depth);
}

inline bool read(checker& c, pos& p, pos end, std::uint32_t depth, timestamp& out) {
  if (*p != format_code::timestamp) return c.refuse(errc::field_type_mismatch, p, end, depth);
  const pos at = read_fixed(c, p, end, 8);
  if (!at) return false;
  out = {static_cast<std::int64_t>(amqp::detail::load_be64(at))};
  return true;
}

inline bool read(checker& c, pos& p, pos end, std::uint32_t depth, bytes_view& out) {
  switch (*p) {
    case format_code::vbin8: return read_variable(c, p, end, 1, out);
    case format_code::vbin32: return read_variable(c, p, end, 4, out);
  }
  return c.refuse(errc::field_type_mismatch, p, end, depth);
}

inline bool read(checker& c, pos& p, pos end, std::uint32_t depth, std::string_view& out) {
  if (*p != format_code::str8 && *p != format_code::str32)
    return c.refuse(errc::field_type_mismatch, p, end, depth);
  bytes_view b;
  if (!read_variable(c, p, end, *p == format_code::str8 ? 1 : 4, b)) return false;
  const std::size_t bad = amqp::detail::utf8_offset(b.data(), b.size());
  if (bad != b.size()) return c.fail(errc::invalid_utf8, b.data() + bad);
  out = {reinterpret_cast<const char*>(b.data()), b.size()};
  return true;
}

inline bool read(checker& c, pos& p, pos end, std::uint32_t depth, symbol_view& out) {
  if (*p != format_code::sym8 && *p != format_code::sym32)
    return c.refuse(errc::field_type_mismatch, p, end, depth);
  bytes_view b;
  if (!read_variable(c, p, end, *p == format_code::sym8 ? 1 : 4, b)) return false;
  if (!amqp::detail::is_ascii(b.data(), b.size()))
    return c.fail(errc::invalid_symbol, b.data() + amqp::detail::non_ascii_offset(b.data(), b.size()));
  out = symbol_view{{reinterpret_cast<const char*>(b.data()), b.size()}};
  return true;
}

inline bool read(checker& c, pos& p, pos end, std::uint32_t depth, value_ref& out) {
  value_view v;
  const std::uint8_t code = *p;
  if (code == format_code::str8 || code == format_code::str32) {
    // Addresses and message-ids: the common case, read inline.
    std::string_view text;
    if (!read(c, p, end, depth, text)) return false;
    v = value_view::from_raw({reinterpret_cast<const std::uint8_t*>(text.data()), nullptr,
                              static_cast<std::uint32_t>(text.size()), 0, code, 0});
  } else if (!c.value(p, end, depth, v)) {
    return false;
  }
  out = v;
  return true;
}

// symbol[]: one symbol, or an array of symbols (spec Part 1, 1.4, multiple="true").
inline bool read(checker& c, pos& p, pos end, std::uint32_t depth, symbols& out) {
  const pos at = p;
  const std::uint8_t code = *p;
  if (code != format_code::sym8 && code != format_code::sym32 && code != format_code::array8 &&
      code != format_code::array32)
    return c.refuse(errc::field_type_mismatch, p, end, depth);
  value_view v;
  if (!c.value(p, end, depth, v)) return false;
  if (v.type() == kind::array && v.as_array().element_type() != kind::symbol)
    return c.fail(errc::field_type_mismatch, at);
  out = symbols::from_view(v);
  return true;
}

template <restricted_enum E>
bool read(checker& c, pos& p, pos end, std::uint32_t depth, E& out) {
  const pos at = p;
  std::underlying_type_t<E> raw{};
  if (!read(c, p, end, depth, raw)) return false;
  out = static_cast<E>(raw);
  return is_valid_choice(out) || c.fail(errc::invalid_field_value, at);
}

template <composite T>
bool read_described(checker& c, pos& p, pos end, std::uint32_t depth, T& out,
                    errc not_described);

// A field of a composite type (the error of a detach): a described value with the type's
// descriptor; anything not described is the wrong type.
template <composite T>
bool read(checker& c, pos& p, pos end, std::uint32_t depth, T& out) {
  return read_described(c, p, end, depth, out, errc::field_type_mismatch);
}

template <class T>
bool read(checker& c, pos& p, pos end, std::uint32_t depth, std::optional<T>& out) {
  return read(c, p, end, depth, out.emplace());
}

template <class M>
bool is_empty(const M&) {
  return false;
}
inline bool is_empty(const symbols& s) {
  return s.empty();
}

// Field I of T from the list whose remaining elements start at p; `left` counts them.
template <composite T, std::size_t I>
bool read_field(checker& c, pos& p, pos end, std::uint32_t depth, std::uint32_t& left,
                pos list_at, T& out) {
  constexpr const auto& fld = std::get<I>(traits<T>::fields);
  constexpr field_info info = fld.info;
  if (left == 0) {
    // Missing from the end of the list: null. A mandatory field is reported at the list.
    return !info.is_mandatory() || c.fail(errc::missing_mandatory_field, list_at);
  }
  --left;
  if (p == end) return c.fail(errc::truncated, p);
  const pos at = p;
  if (*p == format_code::null) {
    ++p;
    return !info.is_mandatory() || c.fail(errc::missing_mandatory_field, at);
  }
  if constexpr (is_map_type(info.type)) {
    if (*p != format_code::map8 && *p != format_code::map32)
      return c.refuse(errc::field_type_mismatch, p, end, depth);
  }
  auto& member = out.*(fld.member);
  if (!read(c, p, end, depth, member)) return false;
  // A mandatory field that is also multiple may not be an empty array (spec Part 1, 1.4).
  if constexpr (info.is_mandatory() && info.is_multiple()) {
    if (is_empty(member)) return c.fail(errc::missing_mandatory_field, at);
  }
  return true;
}

template <composite T, std::size_t... I>
bool read_fields(checker& c, pos& p, [[maybe_unused]] pos end,
                 [[maybe_unused]] std::uint32_t depth, std::uint32_t& left,
                 [[maybe_unused]] pos list_at, T& out, std::index_sequence<I...>) {
  return (read_field<T, I>(c, p, end, depth, left, list_at, out) && ...);
}

// Whether the descriptor at p (p < end) names `info`, by code or by symbol: 1 yes, 0 it is
// another well-formed value, -1 malformed. Advances p past it.
inline int match_descriptor(checker& c, pos& p, pos end, std::uint32_t depth,
                            const type_info& info) {
  pos at;
  switch (*p) {
    case format_code::smallulong:
      if (!(at = read_fixed(c, p, end, 1))) return -1;
      return *at == info.code;
    case format_code::ulong:
      if (!(at = read_fixed(c, p, end, 8))) return -1;
      return amqp::detail::load_be64(at) == info.code;
    case format_code::ulong0:
      ++p;
      return info.code == 0;
    case format_code::sym8:
    case format_code::sym32: {
      symbol_view sym;
      if (!read(c, p, end, depth, sym)) return -1;
      return sym.str == info.symbol;
    }
  }
  value_view ignored;
  return c.value(p, end, depth, ignored) ? 0 : -1;
}

// The fields of T from a list payload of format `code` at p (after its constructor, which was
// at list_at), with the checks the value checker makes of any list.
template <composite T>
bool read_list(checker& c, std::uint8_t code, pos list_at, pos& p, pos end, std::uint32_t depth,
               T& out) {
  std::uint32_t count = 0;
  pos body_end = p;
  if (code != format_code::list0) {
    const std::uint8_t w = code == format_code::list8 ? 1 : 4;
    const pos size_at = p;
    if (!c.need(size_at, end, w)) return false;
    const std::uint32_t size = amqp::detail::load_width(size_at, w);
    if (size > static_cast<std::size_t>(end - size_at) - w)
      return c.fail(errc::size_exceeds_input, size_at);
    if (size < w) return c.fail(errc::compound_size_mismatch, size_at);
    if (depth >= c.max_depth()) return c.fail(errc::nesting_too_deep, list_at);
    body_end = size_at + w + size;
    count = amqp::detail::load_width(size_at + w, w);
    p = size_at + 2 * w;
    if (count > static_cast<std::size_t>(body_end - p))
      return c.fail(errc::count_exceeds_size, size_at + w);
  }
  constexpr std::size_t n = std::tuple_size_v<std::remove_cvref_t<decltype(traits<T>::fields)>>;
  std::uint32_t left = count;
  if (!read_fields(c, p, body_end, depth + 1, left, list_at, out, std::make_index_sequence<n>{}))
    return c.overran_compound();
  if (left > 0) return c.fail(errc::too_many_fields, p);
  if (p != body_end) return c.fail(errc::compound_size_mismatch, p);
  return true;
}

// A described value of type T at p; `not_described` is the error for a value that is not
// described at all (field_type_mismatch in a field, unexpected_descriptor at the top).
template <composite T>
bool read_described(checker& c, pos& p, pos end, std::uint32_t depth, T& out,
                    errc not_described) {
  if (p == end) return c.fail(errc::truncated, p);
  if (*p != format_code::described) return c.refuse(not_described, p, end, depth);
  if (depth >= c.max_depth()) return c.fail(errc::nesting_too_deep, p);
  ++p;
  if (p == end) return c.fail(errc::truncated, p);
  if (*p == format_code::described) return c.fail(errc::nested_descriptor, p);
  const pos desc_at = p;
  const int match = match_descriptor(c, p, end, depth + 1, traits<T>::info);
  if (match < 0) return false;
  if (match == 0) return c.fail(errc::unexpected_descriptor, desc_at);
  if (p == end) return c.fail(errc::truncated, p);
  const pos list_at = p;
  const std::uint8_t code = *p;
  if (code != format_code::list0 && code != format_code::list8 && code != format_code::list32)
    return c.refuse(errc::not_a_list, p, end, depth + 1);
  ++p;
  return read_list(c, code, list_at, p, end, depth + 1, out);
}

}  // namespace amqp::spec::detail
