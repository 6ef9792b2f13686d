// The spec table: every described type of AMQP 1.0, declared once.
//
// Each composite type is a plain struct (transport.hpp, messaging.hpp, security.hpp,
// transactions.hpp) plus a `spec::traits<T>` specialisation that lists its fields in wire order
// with their spec name, spec type, mandatory and multiple flags and default. Encoding,
// decoding, defaults and printing are all derived from that list (see codec.hpp); nothing is
// written per type. `all_types()` is the same table at run time, for printing and lookup.
//
//   const amqp::spec::type_info* t = amqp::spec::find_type(0x10);   // "open"
//   for (const auto& f : t->fields) std::cout << f.name << ": " << f.type << '\n';
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "amqp/codec/value_view.hpp"

namespace amqp::spec {

enum field_flags : std::uint8_t { none = 0, mandatory = 1, multiple = 2 };

// One field of a composite type, as the spec declares it.
struct field_info {
  std::string_view name;           // spec name, "max-frame-size"
  std::string_view type;           // spec type name, "uint", "milliseconds", "*", "error"
  std::string_view requires_;      // for type "*": the archetype the value provides, "source"
  std::uint8_t flags = none;       // mandatory, multiple
  std::string_view default_value;  // the spec's default as written there ("mixed"), or empty

  constexpr field_info(std::string_view n, std::string_view t, std::string_view req = {},
                       std::uint8_t f = none, std::string_view def = {})
      : name(n), type(t), requires_(req), flags(f), default_value(def) {}

  constexpr bool is_mandatory() const { return flags & mandatory; }
  constexpr bool is_multiple() const { return flags & multiple; }
};

// One described type: a composite (fields) or a restricted type with a descriptor (sections).
struct type_info {
  std::string_view name;      // "open"
  std::string_view symbol;    // "amqp:open:list"
  std::uint64_t code = 0;     // 0x10 (the domain, 0x00000000, is implied)
  std::string_view source;    // encoding: "list", "map", "binary", "annotations", "*"
  std::string_view provides;  // "frame", "section", "delivery-state, outcome", ...
  std::span<const field_info> fields;  // composites only
  bool restricted = false;             // a restricted type (a message section such as data)
};

// Every described type of the spec, in descriptor-code order.
std::span<const type_info> all_types() noexcept;
const type_info* find_type(std::uint64_t code) noexcept;
const type_info* find_type(std::string_view symbol) noexcept;
// The type a descriptor (ulong code or symbol) names; null for unknown descriptors.
const type_info* find_type(value_view descriptor) noexcept;

// Binds a struct member to its field declaration; traits<T>::fields is a tuple of these.
template <auto Member>
struct field {
  static constexpr auto member = Member;
  field_info info;
};

// The field_info of each entry of a traits<T>::fields tuple, as an array.
template <class Tuple>
consteval auto field_infos(const Tuple& fields) {
  return std::apply(
      [](const auto&... f) { return std::array<field_info, sizeof...(f)>{f.info...}; }, fields);
}

// Specialised for every composite struct: `info` and `fields`.
template <class T>
struct traits;

template <class T>
concept composite = requires {
  traits<T>::info;
  traits<T>::fields;
};

// Restricted types with choices (role, settle modes, durability, sasl-code) are enums whose
// header declares `constexpr bool is_valid_choice(E)`.
template <class E>
concept restricted_enum = std::is_enum_v<E> && requires(E e) {
  is_valid_choice(e);
};

// Spec types whose values are maps; a value_ref field of these must hold a map.
constexpr bool is_map_type(std::string_view t) {
  return t == "fields" || t == "annotations" || t == "filter-set" || t == "node-properties" ||
         t == "map";
}

}  // namespace amqp::spec
