// Member types of the spec structs that the codec has no plain C++ type for.
//
// `value_ref` stands for a field of type `*` (any value that provides an archetype, such as a
// message-id or a delivery-state) and for map-typed fields (`fields`, `annotations`,
// `filter-set`): decoded, it views the input; to encode, it may point at an owned value.
// `symbols` stands for the `symbol[]` fields: one symbol or an array of them on the wire, always
// sent as an array.
//
//   amqp::value id = std::string("order-17");
//   props.message_id = id;                      // encodes the owned value, no copy
//   for (amqp::symbol_view s : open.offered_capabilities) ...
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string_view>

#include "amqp/codec/value.hpp"
#include "amqp/codec/value_view.hpp"

namespace amqp::spec {

class value_ref {
 public:
  value_ref() = default;
  value_ref(value_view v) noexcept : view_(v) {}      // NOLINT: implicit
  value_ref(const value& v) noexcept : owned_(&v) {}  // NOLINT: implicit; v must outlive
  value_ref(const value&&) = delete;                  // a temporary would dangle
  // A string (an address, a message-id): the common case, without building a value. It is
  // viewed in place, so it must outlive this. A string of 4 GiB or more, which no frame can
  // carry, is viewed as 4 GiB - 1 bytes long: encoding it fails instead of truncating it.
  value_ref(std::string_view s) noexcept  // NOLINT: implicit
      : view_(value_view::from_raw({reinterpret_cast<const std::uint8_t*>(s.data()), nullptr,
                                    static_cast<std::uint32_t>(std::min<std::size_t>(
                                        s.size(), 0xffffffffu)),
                                    0, format_code::str32, 0})) {}
  value_ref(const char* s) noexcept : value_ref(std::string_view(s)) {}  // NOLINT: implicit

  bool is_null() const noexcept { return owned_ ? owned_->is_null() : view_.is_null(); }
  kind type() const noexcept { return owned_ ? owned_->type() : view_.type(); }
  // The view: decoded, or of the string this was made from; null for an owned value.
  value_view view() const noexcept { return view_; }
  // The owned value this refers to, or null.
  const value* owned() const noexcept { return owned_; }

 private:
  value_view view_;
  const value* owned_ = nullptr;
};

// A `symbol[]` field: on the wire a single symbol or an array of symbols (spec Part 1, 1.4:
// multiple="true"); in memory either a decoded view or the caller's span.
class symbols {
 public:
  class iterator {
   public:
    using value_type = symbol_view;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(array_view::iterator a, std::size_t left) noexcept : a_(a), left_(left) {}
    iterator(const symbol_view* p, std::size_t left) noexcept : p_(p), left_(left) {}
    symbol_view operator*() const noexcept { return p_ ? *p_ : (*a_).as_symbol(); }
    iterator& operator++() noexcept {
      if (p_)
        ++p_;
      else
        ++a_;
      --left_;
      return *this;
    }
    iterator operator++(int) noexcept {
      auto old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const iterator& x, const iterator& y) noexcept {
      return x.left_ == y.left_;
    }

   private:
    array_view::iterator a_;
    const symbol_view* p_ = nullptr;
    std::size_t left_ = 0;
  };

  symbols() = default;
  symbols(std::span<const symbol_view> s) noexcept : span_(s) {}  // NOLINT: implicit
  // A named array of symbols (it must outlive this); a temporary one would dangle.
  template <std::size_t N>
  symbols(const std::array<symbol_view, N>& a) noexcept : span_(a) {}  // NOLINT: implicit
  template <std::size_t N>
  symbols(const std::array<symbol_view, N>&&) = delete;
  template <std::size_t N>
  symbols(const symbol_view (&a)[N]) noexcept : span_(a) {}  // NOLINT: implicit
  // Precondition: v is null, a symbol, or an array of symbols.
  static symbols from_view(value_view v) noexcept {
    symbols s;
    s.view_ = v;
    if (v.type() == kind::symbol) s.single_ = v.as_symbol();
    return s;
  }

  std::size_t size() const noexcept {
    switch (view_.type()) {
      case kind::symbol:
        return 1;
      case kind::array:
        return view_.as_array().size();
      default:
        return span_.size();
    }
  }
  bool empty() const noexcept { return size() == 0; }
  iterator begin() const noexcept {
    switch (view_.type()) {
      case kind::symbol:
        return {&single_, 1};
      case kind::array:
        return {view_.as_array().begin(), view_.as_array().size()};
      default:
        return {span_.data(), span_.size()};
    }
  }
  iterator end() const noexcept { return {}; }
  bool contains(std::string_view s) const noexcept {
    for (symbol_view x : *this)
      if (x.str == s) return true;
    return false;
  }
  // The decoded view, if any (null otherwise).
  value_view view() const noexcept { return view_; }

 private:
  value_view view_;
  std::span<const symbol_view> span_;
  symbol_view single_;  // a lone symbol on the wire, iterated as a one-element range
};

}  // namespace amqp::spec
