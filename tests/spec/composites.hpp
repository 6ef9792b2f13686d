// Test helpers for the composite types: the list of every composite struct, generic
// field-by-field comparison and printing, and a sample of each type with every field set.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

#include "amqp/spec.hpp"
#include "amqp/value.hpp"
#include "support/hex.hpp"

namespace amqp::test {

namespace s = amqp::spec;

// Every composite struct of transport.hpp, messaging.hpp, security.hpp and transactions.hpp.
using all_composites = s::composite_types;

// The same list as GoogleTest type parameters, for TYPED_TEST_SUITE.
template <class Tuple>
struct as_types;
template <class... T>
struct as_types<std::tuple<T...>> {
  using type = ::testing::Types<T...>;
};
using composite_test_types = as_types<all_composites>::type;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <s::composite T>
writer encode_one(const T& v) {
  writer w;
  encoder e(w);
  s::encode(e, v);
  EXPECT_FALSE(e.error()) << e.error().message();
  return w;
}

inline std::string encoded_hex(const s::value_ref& v) {
  writer w;
  encoder e(w);
  s::detail::put(e, v);
  return to_hex(w.view());
}

template <s::composite T>
std::string diff(const T& a, const T& b);

// Semantic equality of two members of the same spec type; a description of the difference or "".
template <class M>
std::string member_diff(const M& a, const M& b) {
  if constexpr (std::is_same_v<M, s::value_ref>) {
    const std::string x = encoded_hex(a), y = encoded_hex(b);
    return x == y ? "" : x + " != " + y;
  } else if constexpr (std::is_same_v<M, s::symbols>) {
    std::string x, y;
    for (symbol_view v : a) x += std::string(v.str) + ",";
    for (symbol_view v : b) y += std::string(v.str) + ",";
    return x == y ? "" : "[" + x + "] != [" + y + "]";
  } else if constexpr (is_optional<M>::value) {
    if (a.has_value() != b.has_value()) return a ? "set != unset" : "unset != set";
    return a ? member_diff(*a, *b) : "";
  } else if constexpr (s::composite<M>) {
    return diff(a, b);
  } else if constexpr (std::is_same_v<M, bytes_view>) {
    return to_hex(a) == to_hex(b) ? "" : to_hex(a) + " != " + to_hex(b);
  } else {
    return a == b ? "" : "values differ";
  }
}

// The first field in which a and b differ ("handle: values differ"), or "".
template <s::composite T>
std::string diff(const T& a, const T& b) {
  std::string out;
  std::apply(
      [&](const auto&... f) {
        [[maybe_unused]] auto one = [&](const auto& fld) {
          if (!out.empty()) return;
          const std::string d = member_diff(a.*(fld.member), b.*(fld.member));
          if (!d.empty())
            out =
                std::string(s::traits<T>::info.name) + "." + std::string(fld.info.name) + ": " + d;
        };
        (one(f), ...);
      },
      s::traits<T>::fields);
  return out;
}

// A view of what `w` holds (one encoded value).
inline value_view view_of(const writer& w) {
  auto v = decode_value(w.view());
  EXPECT_TRUE(v) << (v ? "" : v.error().message());
  return v ? *v : value_view{};
}

// The fields of an encoded composite, as the list after its descriptor.
inline list_view encoded_fields(const writer& w) {
  const value_view v = view_of(w);
  EXPECT_EQ(v.type(), kind::described);
  const value_view body = v.as_described().value();
  EXPECT_EQ(body.type(), kind::list);
  return body.as_list();
}

// A sample of T with every field set to a value other than its default. Values that the
// sample refers to (owned values, encoded nested composites) live as long as the program.
template <class T>
T sample();

// T with only the mandatory fields of sample<T>() set.
template <s::composite T>
T mandatory_only() {
  const T full = sample<T>();
  T out{};
  std::apply(
      [&](const auto&... f) {
        [[maybe_unused]] auto one = [&](const auto& fld) {
          if (fld.info.is_mandatory()) out.*(fld.member) = full.*(fld.member);
        };
        (one(f), ...);
      },
      s::traits<T>::fields);
  return out;
}

}  // namespace amqp::test
