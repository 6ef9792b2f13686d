// Field shapes derived from the member types of the spec structs (field_shapes.hpp).
#include "peer/field_shapes.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>

#include "amqp/spec.hpp"

namespace amqp::peer {
namespace {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// The primitive kind a member type of a spec struct holds; kind::null for value_ref (any
// value providing an archetype, or a map) and for nested composites.
template <class M>
constexpr kind primitive_of() {
  if constexpr (is_optional<M>::value)
    return primitive_of<typename M::value_type>();
  else if constexpr (std::is_enum_v<M>)
    return primitive_of<std::underlying_type_t<M>>();
  else if constexpr (std::is_same_v<M, bool>)
    return kind::boolean;
  else if constexpr (std::is_same_v<M, std::uint8_t>)
    return kind::ubyte;
  else if constexpr (std::is_same_v<M, std::uint16_t>)
    return kind::ushort;
  else if constexpr (std::is_same_v<M, std::uint32_t>)
    return kind::uint;
  else if constexpr (std::is_same_v<M, std::uint64_t>)
    return kind::ulong;
  else if constexpr (std::is_same_v<M, std::string_view>)
    return kind::string;
  else if constexpr (std::is_same_v<M, symbol_view> || std::is_same_v<M, spec::symbols>)
    return kind::symbol;
  else if constexpr (std::is_same_v<M, bytes_view>)
    return kind::binary;
  else if constexpr (std::is_same_v<M, timestamp>)
    return kind::timestamp;
  else
    return kind::null;
}

template <class T, class F>
using member_t = std::remove_cvref_t<decltype(std::declval<const T&>().*(F::member))>;

template <class T>
constexpr auto kinds_of() {
  return std::apply(
      [](const auto&... f) {
        return std::array<kind, sizeof...(f)>{
            primitive_of<member_t<T, std::remove_cvref_t<decltype(f)>>>()...};
      },
      spec::traits<T>::fields);
}

template <class T>
inline constexpr auto kinds_v = kinds_of<T>();

struct composite_kinds {
  std::uint64_t code;
  std::span<const kind> kinds;
};

template <class... T>
constexpr auto table_of(std::tuple<T...>*) {
  return std::array<composite_kinds, sizeof...(T)>{
      composite_kinds{spec::traits<T>::info.code, kinds_v<T>}...};
}

constexpr auto table = table_of(static_cast<spec::composite_types*>(nullptr));

template <class U>
std::optional<value> unsigned_value(std::string_view text) {
  std::uint64_t n = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size() || n > U(~U{0}))
    return std::nullopt;
  return value(static_cast<U>(n));
}

}  // namespace

field_shape shape_of(const spec::type_info& t, std::size_t index) {
  field_shape s;
  for (const composite_kinds& c : table)
    if (c.code == t.code && index < c.kinds.size()) s.primitive = c.kinds[index];
  const spec::field_info& f = t.fields[index];
  const spec::restricted_info* r = spec::find_restricted_type(f.type);
  if (r && !r->choices.empty() && !f.is_multiple()) s.choices = r;
  return s;
}

value default_of(const spec::type_info& t, std::size_t index) {
  const spec::field_info& f = t.fields[index];
  if (f.default_value.empty()) return {};
  const field_shape s = shape_of(t, index);
  std::optional<value> v = s.choices ? choice_value(*s.choices, f.default_value)
                                     : spec_text_value(s.primitive, f.default_value);
  return v ? std::move(*v) : value();
}

std::optional<value> choice_value(const spec::restricted_info& r, std::string_view name) {
  for (const spec::choice_info& c : r.choices) {
    if (c.name != name) continue;
    for (std::size_t k = 0; k <= static_cast<std::size_t>(kind::described); ++k)
      if (kind_name(static_cast<kind>(k)) == r.source)
        return spec_text_value(static_cast<kind>(k), c.value);
  }
  return std::nullopt;
}

std::optional<value> spec_text_value(kind k, std::string_view text) {
  switch (k) {
    case kind::boolean:
      if (text == "true") return value(true);
      if (text == "false") return value(false);
      return std::nullopt;
    case kind::ubyte:
      return unsigned_value<std::uint8_t>(text);
    case kind::ushort:
      return unsigned_value<std::uint16_t>(text);
    case kind::uint:
      return unsigned_value<std::uint32_t>(text);
    case kind::ulong:
      return unsigned_value<std::uint64_t>(text);
    case kind::symbol:
      return value::sym(text);
    default:
      return std::nullopt;
  }
}

}  // namespace amqp::peer
