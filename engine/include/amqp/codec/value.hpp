// An owned AMQP value, for applications that build or keep values beyond their input bytes.
//
// The alternatives of the variant follow `amqp::kind` in order, so `v.type()` is the index.
//
//   amqp::value props = amqp::value::map_of({{"region", "eu-west-1"}, {"count", 42}});
//   amqp::value copy = amqp::value::from_view(view);   // deep copy out of the input bytes
//   bool same = copy == view;                            // semantic comparison
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "amqp/codec/types.hpp"
#include "amqp/codec/value_view.hpp"

namespace amqp {

class value;

struct binary {
  std::vector<std::uint8_t> bytes;
  friend bool operator==(const binary&, const binary&) = default;
};
struct symbol {
  std::string str;
  friend bool operator==(const symbol&, const symbol&) = default;
};
using list = std::vector<value>;
using map = std::vector<std::pair<value, value>>;  // keeps the wire order

// A heap box with value semantics, so that `value` can contain itself.
template <class T>
class box {
 public:
  box() : p_(std::make_unique<T>()) {}
  box(T v) : p_(std::make_unique<T>(std::move(v))) {}  // NOLINT: implicit
  box(const box& o) : p_(std::make_unique<T>(*o.p_)) {}
  box(box&&) noexcept = default;
  box& operator=(const box& o) {
    *p_ = *o.p_;
    return *this;
  }
  box& operator=(box&&) noexcept = default;
  T& operator*() noexcept { return *p_; }
  const T& operator*() const noexcept { return *p_; }
  T* operator->() noexcept { return p_.get(); }
  const T* operator->() const noexcept { return p_.get(); }
  friend bool operator==(const box& a, const box& b) { return *a.p_ == *b.p_; }

 private:
  std::unique_ptr<T> p_;
};

// An array: every element has kind `element_type`. When `descriptor` is set, the array is of
// described values that share it, and `elements` hold the values being described.
struct array {
  kind element_type = kind::null;
  std::vector<box<value>> descriptor;  // empty or one element
  std::vector<value> elements;
  friend bool operator==(const array&, const array&) = default;
};

struct described {
  box<value> descriptor;
  box<value> inner;
  friend bool operator==(const described&, const described&) = default;
};

class value {
 public:
  using storage =
      std::variant<std::monostate, bool, std::uint8_t, std::uint16_t, std::uint32_t,
                   std::uint64_t, std::int8_t, std::int16_t, std::int32_t, std::int64_t, float,
                   double, decimal32, decimal64, decimal128, char32_t, timestamp, uuid, binary,
                   std::string, symbol, list, map, array, described>;

  value() = default;
  // One implicit constructor per alternative: `value v = 42;` is an int, `42u` a uint.
  value(std::monostate v) : v_(v) {}  // NOLINT: implicit
  value(bool v) : v_(v) {}  // NOLINT: implicit
  value(std::uint8_t v) : v_(v) {}  // NOLINT: implicit
  value(std::uint16_t v) : v_(v) {}  // NOLINT: implicit
  value(std::uint32_t v) : v_(v) {}  // NOLINT: implicit
  value(std::uint64_t v) : v_(v) {}  // NOLINT: implicit
  value(std::int8_t v) : v_(v) {}  // NOLINT: implicit
  value(std::int16_t v) : v_(v) {}  // NOLINT: implicit
  value(std::int32_t v) : v_(v) {}  // NOLINT: implicit
  value(std::int64_t v) : v_(v) {}  // NOLINT: implicit
  value(float v) : v_(v) {}  // NOLINT: implicit
  value(double v) : v_(v) {}  // NOLINT: implicit
  value(decimal32 v) : v_(v) {}  // NOLINT: implicit
  value(decimal64 v) : v_(v) {}  // NOLINT: implicit
  value(decimal128 v) : v_(std::move(v)) {}  // NOLINT: implicit
  value(char32_t v) : v_(v) {}  // NOLINT: implicit
  value(timestamp v) : v_(v) {}  // NOLINT: implicit
  value(uuid v) : v_(std::move(v)) {}  // NOLINT: implicit
  value(binary v) : v_(std::move(v)) {}  // NOLINT: implicit
  value(std::string v) : v_(std::move(v)) {}  // NOLINT: implicit
  value(symbol v) : v_(std::move(v)) {}  // NOLINT: implicit
  value(list v) : v_(std::move(v)) {}  // NOLINT: implicit
  value(map v) : v_(std::move(v)) {}  // NOLINT: implicit
  value(array v) : v_(std::move(v)) {}  // NOLINT: implicit
  value(described v) : v_(std::move(v)) {}  // NOLINT: implicit
  value(const char* s) : v_(std::string(s)) {}  // NOLINT: a literal is a string
  value(std::string_view s) : v_(std::string(s)) {}  // NOLINT: implicit

  static value sym(std::string_view s) { return symbol{std::string(s)}; }
  static value bin(bytes_view b) { return binary{{b.begin(), b.end()}}; }
  static value map_of(std::initializer_list<std::pair<value, value>> entries) {
    return map(entries);
  }
  static value list_of(std::initializer_list<value> elements) { return list(elements); }
  static value described_of(value descriptor, value inner) {
    return described{std::move(descriptor), std::move(inner)};
  }
  // Deep copy of a decoded view.
  static value from_view(value_view v);

  kind type() const noexcept { return static_cast<kind>(v_.index()); }
  bool is_null() const noexcept { return v_.index() == 0; }
  const storage& get() const noexcept { return v_; }
  storage& get() noexcept { return v_; }
  template <class T>
  const T* get_if() const noexcept {
    return std::get_if<T>(&v_);
  }

  // Floating point compares bit for bit (NaN == the same NaN); maps compare in wire order.
  friend bool operator==(const value& a, const value& b) noexcept;
  friend bool operator==(const value& a, const value_view& b) noexcept;

 private:
  storage v_;
};

}  // namespace amqp
