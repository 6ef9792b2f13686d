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
// types and the mandatory fields. An error's offset is where the offending value's encoding
// starts (its constructor byte), relative to `base`, the start of the caller's buffer; nested
// composites (the error of a detach) report offsets into the same buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/encoder.hpp"
#include "amqp/spec/field_types.hpp"
#include "amqp/spec/table.hpp"

namespace amqp::spec {

template <class T>
concept composite = requires {
  traits<T>::info;
  traits<T>::fields;
};

template <composite T>
void encode(encoder& e, const T& v);
// Decodes `v` as a T; the result views the bytes `v` views. Errors: unexpected_descriptor,
// not_a_list, too_many_fields, missing_mandatory_field, field_type_mismatch and
// invalid_field_value, with offsets relative to `base` (0 when base is null).
template <composite T>
result<T> decode(value_view v, const std::uint8_t* base = nullptr);

// Restricted types with choices (role, settle modes, durability, sasl-code) are enums whose
// header declares `constexpr bool is_valid_choice(E)`.
template <class E>
concept restricted_enum = std::is_enum_v<E> && requires(E e) {
  is_valid_choice(e);
};

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
  if (v.string())
    e.string(*v.string());
  else if (v.owned())
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

// Each get() converts one non-null field value, or says why it cannot.
inline errc get(value_view v, std::string_view& out) {
  if (v.type() != kind::string) return errc::field_type_mismatch;
  out = v.as_string();
  return {};
}
inline errc get(value_view v, symbol_view& out) {
  if (v.type() != kind::symbol) return errc::field_type_mismatch;
  out = v.as_symbol();
  return {};
}
inline errc get(value_view v, bool& out) {
  if (v.type() != kind::boolean) return errc::field_type_mismatch;
  out = v.as_boolean();
  return {};
}
inline errc get(value_view v, std::uint8_t& out) {
  if (v.type() != kind::ubyte) return errc::field_type_mismatch;
  out = v.as_ubyte();
  return {};
}
inline errc get(value_view v, std::uint16_t& out) {
  if (v.type() != kind::ushort) return errc::field_type_mismatch;
  out = v.as_ushort();
  return {};
}
inline errc get(value_view v, std::uint32_t& out) {
  if (v.type() != kind::uint) return errc::field_type_mismatch;
  out = v.as_uint();
  return {};
}
inline errc get(value_view v, std::uint64_t& out) {
  if (v.type() != kind::ulong) return errc::field_type_mismatch;
  out = v.as_ulong();
  return {};
}
inline errc get(value_view v, timestamp& out) {
  if (v.type() != kind::timestamp) return errc::field_type_mismatch;
  out = v.as_timestamp();
  return {};
}
inline errc get(value_view v, bytes_view& out) {
  if (v.type() != kind::binary) return errc::field_type_mismatch;
  out = v.as_binary();
  return {};
}
inline errc get(value_view v, value_ref& out) {
  out = v;
  return {};
}
inline errc get(value_view v, symbols& out) {
  const bool ok = v.type() == kind::symbol ||
                  (v.type() == kind::array && v.as_array().element_type() == kind::symbol);
  if (!ok) return errc::field_type_mismatch;
  out = symbols::from_view(v);
  return {};
}
template <restricted_enum E>
errc get(value_view v, E& out) {
  std::underlying_type_t<E> raw{};
  if (errc ec = get(v, raw); ec != errc{}) return ec;
  out = static_cast<E>(raw);
  return is_valid_choice(out) ? errc{} : errc::invalid_field_value;
}
template <class T>
errc get(value_view v, std::optional<T>& out) {
  T x{};
  if (errc ec = get(v, x); ec != errc{}) return ec;
  out = std::move(x);
  return {};
}

// Spec types whose values are maps; a value_ref field of these must hold a map.
constexpr bool is_map_type(std::string_view t) {
  return t == "fields" || t == "annotations" || t == "filter-set" || t == "node-properties" ||
         t == "map";
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

// Where the encoding of `v` starts (its constructor, or the 0x00 of a described value),
// relative to `base`; 0 without a base. A described element of an array has no constructor of
// its own, so its payload stands for it.
inline std::size_t offset_of(value_view v, const std::uint8_t* base) {
  if (!base || !v.data()) return 0;
  const value_view::raw r = v.to_raw();
  const std::uint8_t* start = v.data();
  if (v.type() == kind::described) {
    if (r.inner_code == 0) start = r.desc - 1;
  } else {
    start = v.data() - prefix_size(v.format()) - 1;
  }
  return start >= base ? static_cast<std::size_t>(start - base) : 0;
}

template <class T>
struct is_optional_composite : std::false_type {};
template <composite T>
struct is_optional_composite<std::optional<T>> : std::true_type {};

// Decodes one non-null field into `member`. A nested composite (an error, say) is decoded with
// the same base, so its errors keep offsets into the caller's buffer.
template <class M>
decode_error get_field(value_view x, M& member, const std::uint8_t* base) {
  if constexpr (composite<M>) {
    // A field of a composite type that is not even described has the wrong type; a described
    // value with another descriptor is reported by decode as unexpected_descriptor.
    if (x.type() != kind::described) return {errc::field_type_mismatch, offset_of(x, base)};
    auto r = spec::decode<M>(x, base);
    if (!r) return r.error();
    member = std::move(*r);
    return {};
  } else if constexpr (is_optional_composite<M>::value) {
    typename M::value_type inner{};
    if (decode_error e = get_field(x, inner, base); e.code != errc{}) return e;
    member = std::move(inner);
    return {};
  } else {
    const errc ec = get(x, member);
    if (ec != errc{}) return {ec, offset_of(x, base)};
    return {};
  }
}

}  // namespace detail

template <composite T>
void encode(encoder& e, const T& v) {
  e.descriptor(traits<T>::info.code);
  const encoder::mark m = e.begin_list();
  std::size_t end = e.out().size();
  std::uint32_t count = 0;
  [[maybe_unused]] const T defaults{};
  std::apply(
      [&](const auto&... f) {
        [[maybe_unused]] auto one = [&](const auto& fld, const auto& member,
                                        const auto& default_member) {
          bool elide = detail::is_null(member);
          if constexpr (std::equality_comparable<std::remove_cvref_t<decltype(member)>>)
            elide = elide || (!fld.info.is_mandatory() && member == default_member);
          if (elide) {
            e.null();
          } else {
            detail::put(e, member);
            end = e.out().size();
            count = e.count();
          }
        };
        (one(f, v.*(f.member), defaults.*(f.member)), ...);
      },
      traits<T>::fields);
  e.rewind(end, count);  // trailing nulls are implied
  e.end_list(m);
}

template <composite T>
result<T> decode(value_view v, const std::uint8_t* base) {
  constexpr const type_info& info = traits<T>::info;
  if (v.type() != kind::described)
    return decode_error{errc::unexpected_descriptor, detail::offset_of(v, base)};
  const described_view d = v.as_described();
  if (!d.is(info.code, info.symbol))
    return decode_error{errc::unexpected_descriptor, detail::offset_of(d.descriptor(), base)};
  const value_view body = d.value();
  if (body.type() != kind::list)
    return decode_error{errc::not_a_list, detail::offset_of(body, base)};
  const list_view fields = body.as_list();
  constexpr std::size_t n = std::tuple_size_v<std::remove_cvref_t<decltype(traits<T>::fields)>>;
  if (fields.size() > n) {
    auto surplus = fields.begin();
    for (std::size_t i = 0; i < n; ++i) ++surplus;
    return decode_error{errc::too_many_fields, detail::offset_of(*surplus, base)};
  }

  T out{};
  decode_error err{};
  auto it = fields.begin();
  std::uint32_t left = fields.size();
  std::apply(
      [&](const auto&... f) {
        [[maybe_unused]] auto one = [&](const auto& fld, auto& member) {
          if (err.code != errc{}) return;
          value_view x;
          const bool present = left > 0;
          if (present) {
            x = *it;
            ++it;
            --left;
          }
          // A mandatory field may be neither null nor absent; one that is also multiple may not
          // be an empty array either (spec Part 1, 1.4). Report the null itself when it is
          // there, the list when the field is missing from its end.
          const bool empty_array = x.type() == kind::array && x.as_array().empty();
          if (x.is_null() || (empty_array && fld.info.is_mandatory() && fld.info.is_multiple())) {
            if (fld.info.is_mandatory())
              err = {errc::missing_mandatory_field, detail::offset_of(present ? x : body, base)};
            return;
          }
          if (detail::is_map_type(fld.info.type) && x.type() != kind::map) {
            err = {errc::field_type_mismatch, detail::offset_of(x, base)};
            return;
          }
          err = detail::get_field(x, member, base);
        };
        (one(f, out.*(f.member)), ...);
      },
      traits<T>::fields);
  if (err.code != errc{}) return err;
  return out;
}

// Decodes exactly one value of composite type T that fills `bytes`.
template <composite T>
result<T> decode(bytes_view bytes, const decode_limits& limits = {}) {
  auto v = decode_value(bytes, limits);
  if (!v) return v.error();
  return decode<T>(*v, bytes.data());
}

}  // namespace amqp::spec
