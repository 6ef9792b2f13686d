// Encoding and decoding of every composite type, derived from its `spec::traits<T>::fields`.
//
//   amqp::writer w;
//   amqp::encoder e(w);
//   amqp::spec::encode(e, amqp::spec::open{.container_id = "c1", .max_frame_size = 65536});
//   auto open = amqp::spec::decode<amqp::spec::open>(w.view());   // views into w
//
// Encoding writes a described list, sends a field equal to its default as null (a peer must
// read both the same) and omits trailing nulls (spec Part 1, 1.4). Decoding checks the
// descriptor (code or symbol), the field count, every field's type, the choices of restricted
// types and the mandatory fields, in one pass over the bytes (spec/detail/field_reader.hpp). An
// error's offset is where the offending value's encoding starts (its constructor byte),
// relative to the start of the caller's buffer; nested composites (the error of a detach)
// report offsets into the same buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/encoder.hpp"
#include "amqp/spec/detail/field_reader.hpp"
#include "amqp/spec/field_types.hpp"
#include "amqp/spec/table.hpp"

namespace amqp::spec {

template <composite T>
void encode(encoder& e, const T& v);
// Decodes the already decoded `v` as a T; the result views the bytes `v` views. Errors:
// unexpected_descriptor, not_a_list, too_many_fields, missing_mandatory_field,
// field_type_mismatch and invalid_field_value, with offsets relative to `base` (by default, to
// where v's encoding starts). Decoding from bytes (decode, decode_prefix below) is faster.
template <composite T>
result<T> decode(value_view v, const std::uint8_t* base = nullptr);

namespace detail {

inline void put(encoder& e, std::string_view v) {
  e.string(v);
}
inline void put(encoder& e, symbol_view v) {
  e.symbol(v.str);
}
inline void put(encoder& e, bool v) {
  e.boolean(v);
}
inline void put(encoder& e, std::uint8_t v) {
  e.ubyte(v);
}
inline void put(encoder& e, std::uint16_t v) {
  e.ushort(v);
}
inline void put(encoder& e, std::uint32_t v) {
  e.uint(v);
}
inline void put(encoder& e, std::uint64_t v) {
  e.ulong(v);
}
inline void put(encoder& e, timestamp v) {
  e.timestamp(v);
}
inline void put(encoder& e, bytes_view v) {
  e.binary(v);
}
inline void put(encoder& e, const value_ref& v) {
  if (v.owned())
    e.value(*v.owned());
  else
    e.value(v.view());
}
inline void put(encoder& e, const symbols& s) {
  if (s.view().type() == kind::array) {
    e.value(s.view());
    return;
  }
  // Always an array, even of one (a lone symbol decoded from a lenient peer included): strict
  // peers refuse a lone symbol where they expect symbol[].
  symbol_view buf[16];
  std::size_t n = 0;
  for (symbol_view x : s) {
    if (n == std::size(buf)) break;
    buf[n++] = x;
  }
  if (n < s.size()) {  // more than fit on the stack: encode from an owned array
    array a{kind::symbol, {}, {}};
    for (symbol_view x : s) a.elements.push_back(value::sym(x.str));
    e.value(value(std::move(a)));
  } else {
    e.symbol_array({buf, n});
  }
}
template <restricted_enum E>
void put(encoder& e, E v) {
  put(e, static_cast<std::underlying_type_t<E>>(v));
}
template <composite T>
void put(encoder& e, const T& v) {
  spec::encode(e, v);
}
template <class T>
void put(encoder& e, const std::optional<T>& v) {
  if (v)
    put(e, *v);
  else
    e.null();
}

template <class T>
bool is_null(const T&) {
  return false;
}
template <class T>
bool is_null(const std::optional<T>& v) {
  return !v.has_value();
}
inline bool is_null(const value_ref& v) {
  return v.is_null();
}
inline bool is_null(const symbols& s) {
  return s.empty();
}

// Bytes between a constructor and the payload a view's data() points at (spec Part 1, 1.2).
constexpr std::size_t prefix_size(std::uint8_t code) {
  switch (code) {
    case format_code::vbin8:
    case format_code::str8:
    case format_code::sym8:
      return 1;
    case format_code::vbin32:
    case format_code::str32:
    case format_code::sym32:
      return 4;
    case format_code::list8:
    case format_code::map8:
    case format_code::array8:
      return 2;
    case format_code::list32:
    case format_code::map32:
    case format_code::array32:
      return 8;
    default:
      return 0;
  }
}

// Where the encoding of `v` starts: its constructor, or the 0x00 of a described value. A
// described element of an array has no constructor of its own, so its payload stands for it.
inline const std::uint8_t* start_of(value_view v) {
  if (!v.data()) return nullptr;
  const value_view::raw r = v.to_raw();
  if (v.type() == kind::described) return r.inner_code == 0 ? r.desc - 1 : v.data();
  return v.data() - prefix_size(v.format()) - 1;
}

}  // namespace detail

namespace detail {

// Each field of v in order: null when it is unset or, unless mandatory, equal to its default (a
// peer must read both the same). Nulls are written only when a set field follows them:
// trailing nulls are implied (spec Part 1, 1.4).
template <composite T, std::size_t... I>
void put_fields(encoder& e, const T& v, std::index_sequence<I...>) {
  std::uint32_t nulls = 0;
  [[maybe_unused]] const auto one = [&](const auto& fld) {
    const auto& member = v.*(fld.member);
    using M = std::remove_cvref_t<decltype(member)>;
    bool elide = is_null(member);
    if constexpr (std::equality_comparable<M>) {
      static constexpr T defaults{};
      elide = elide || (!fld.info.is_mandatory() && member == defaults.*(fld.member));
    }
    if (elide) {
      ++nulls;
      return;
    }
    if (nulls) e.nulls(std::exchange(nulls, 0));
    put(e, member);
  };
  (one(std::get<I>(traits<T>::fields)), ...);
}

}  // namespace detail

template <composite T>
void encode(encoder& e, const T& v) {
  constexpr std::size_t n = std::tuple_size_v<std::remove_cvref_t<decltype(traits<T>::fields)>>;
  e.descriptor(traits<T>::info.code);
  const encoder::mark m = e.begin_list();
  detail::put_fields(e, v, std::make_index_sequence<n>{});
  e.end_list(m);
}

template <composite T>
result<T> decode(value_view v, const std::uint8_t* base) {
  constexpr const type_info& info = traits<T>::info;
  if (!base) base = detail::start_of(v);
  const auto offset = [&](value_view x) {
    const std::uint8_t* at = detail::start_of(x);
    return static_cast<std::size_t>(at && at >= base ? at - base : 0);
  };
  if (v.type() != kind::described) return decode_error{errc::unexpected_descriptor, offset(v)};
  const described_view d = v.as_described();
  if (!d.is(info.code, info.symbol))
    return decode_error{errc::unexpected_descriptor, offset(d.descriptor())};
  const value_view body = d.value();
  if (body.type() != kind::list) return decode_error{errc::not_a_list, offset(body)};
  // The view is valid already; the typed reader re-reads the list's bytes to fill the fields,
  // within limits that cannot refuse what the value checker accepted.
  const std::uint8_t* list_at = detail::start_of(body);
  const std::uint8_t* p = body.data() - detail::prefix_size(body.format());
  const std::uint8_t* end = body.data() + body.as_binary().size();
  amqp::detail::checker c(base, decode_limits{.max_depth = ~0u, .max_zero_width_elements = ~0u});
  T out{};
  if (!detail::read_list(c, body.format(), list_at, p, end, 1, out)) return c.error();
  return out;
}

namespace detail {

// The described value of type T at input[0] into `out`, with `c` reading from input.data().
template <composite T>
bool read_prefix(amqp::detail::checker& c, bytes_view input, T& out, std::size_t& consumed) {
  const std::uint8_t* p = input.data();
  if (!read_described(c, p, p + input.size(), 0, out, errc::unexpected_descriptor)) return false;
  consumed = static_cast<std::size_t>(p - input.data());
  return true;
}

}  // namespace detail

// Decodes the described value of type T that starts at input[0] in one pass, checking it as
// decode_value_prefix would and its fields as decode(value_view) would; `consumed` receives its
// encoded size. Errors are reported in byte order, offsets relative to input.data().
template <composite T>
result<T> decode_prefix(bytes_view input, std::size_t& consumed, const decode_limits& limits = {}) {
  amqp::detail::checker c(input.data(), limits);
  T out{};
  if (!detail::read_prefix(c, input, out, consumed)) return c.error();
  return out;
}

// The same into `out` (default-constructed by the caller; partly filled on error), which
// spares a copy of the struct: the engine decodes a performative per frame this way, inlined
// into the frame's handler (a call costs the transfer path about 35 instructions a message).
template <composite T>
[[gnu::always_inline]] inline std::optional<decode_error> decode_prefix(bytes_view input, T& out, std::size_t& consumed,
                                          const decode_limits& limits = {}) {
  amqp::detail::checker c(input.data(), limits);
  if (!detail::read_prefix(c, input, out, consumed)) return c.error();
  return std::nullopt;
}

// Decodes exactly one value of composite type T that fills `bytes`; errc::trailing_bytes after.
template <composite T>
result<T> decode(bytes_view bytes, const decode_limits& limits = {}) {
  std::size_t used = 0;
  auto r = decode_prefix<T>(bytes, used, limits);
  if (r && used != bytes.size()) return decode_error{errc::trailing_bytes, used};
  return r;
}

}  // namespace amqp::spec
