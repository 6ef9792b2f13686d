// Zero-copy views of decoded AMQP values.
//
// A `value_view` is what the decoder returns: a validated value that still lives in the input
// bytes. Views never own and never allocate; they stay valid as long as the input does. Only
// `amqp::decode_value` (and the decoders built on it) make non-null views, so every view is
// known to be well formed and its accessors do no further checking.
//
//   auto v = amqp::decode_value(bytes);
//   if (v && v->type() == amqp::kind::list)
//     for (amqp::value_view element : v->as_list()) std::cout << amqp::to_text(element) << '\n';
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "amqp/codec/detail/bytes.hpp"
#include "amqp/codec/types.hpp"

namespace amqp {

class list_view;
class map_view;
class array_view;
class described_view;

class value_view {
 public:
  // A null value.
  constexpr value_view() = default;

  kind type() const noexcept { return desc_ ? kind::described : kind_of(code_); }
  // The format code of the encoding (0x00 for a described value).
  std::uint8_t format() const noexcept { return desc_ ? 0 : code_; }
  bool is_null() const noexcept { return !desc_ && code_ == format_code::null; }

  // Typed access. Precondition: type() is the kind named (asserted in debug builds).
  bool as_boolean() const noexcept;
  std::uint8_t as_ubyte() const noexcept;
  std::uint16_t as_ushort() const noexcept;
  std::uint32_t as_uint() const noexcept;
  std::uint64_t as_ulong() const noexcept;
  std::int8_t as_byte() const noexcept;
  std::int16_t as_short() const noexcept;
  std::int32_t as_int() const noexcept;
  std::int64_t as_long() const noexcept;
  float as_float() const noexcept;
  double as_double() const noexcept;
  amqp::decimal32 as_decimal32() const noexcept;
  amqp::decimal64 as_decimal64() const noexcept;
  amqp::decimal128 as_decimal128() const noexcept;
  char32_t as_char() const noexcept;
  amqp::timestamp as_timestamp() const noexcept;
  amqp::uuid as_uuid() const noexcept;
  // The bytes of a binary, string or symbol, viewed in place.
  bytes_view as_binary() const noexcept { return {ptr_, len_}; }
  std::string_view as_string() const noexcept {
    return {reinterpret_cast<const char*>(ptr_), len_};
  }
  symbol_view as_symbol() const noexcept { return symbol_view{as_string()}; }
  list_view as_list() const noexcept;
  map_view as_map() const noexcept;
  array_view as_array() const noexcept;
  described_view as_described() const noexcept;

  // Where the payload starts in the input bytes (after constructor and size prefixes); lets
  // decoders of composite types report byte offsets. Null for a default-constructed view.
  const std::uint8_t* data() const noexcept { return ptr_; }

  // For a list, map or array: the number of elements (for a map, keys plus values).
  std::uint32_t count() const noexcept { return count_; }

  // Semantic equality: same kind and same value, whatever the encodings (uint0 equals 0x52 0).
  // Floating point values compare bit for bit, so NaN equals the same NaN.
  friend bool operator==(const value_view& a, const value_view& b) noexcept;

  // Internal: used by the decoder to build views of validated bytes.
  struct raw {
    const std::uint8_t* ptr;
    const std::uint8_t* desc;
    std::uint32_t len;
    std::uint32_t count;
    std::uint8_t code;
    std::uint8_t inner_code;
  };
  static constexpr value_view from_raw(const raw& r) noexcept {
    value_view v;
    v.ptr_ = r.ptr;
    v.desc_ = r.desc;
    v.len_ = r.len;
    v.count_ = r.count;
    v.code_ = r.code;
    v.inner_code_ = r.inner_code;
    return v;
  }
  raw to_raw() const noexcept { return {ptr_, desc_, len_, count_, code_, inner_code_}; }

 private:
  // Scalars, binaries and strings: ptr_ is the payload after constructor and length prefix.
  // Lists and maps: ptr_ is the first element, len_ the element bytes. Arrays: ptr_ is the
  // element constructor, len_ the bytes from there to the end.
  // Described: desc_ is the descriptor (with its constructor). When inner_code_ is 0 the
  // described value follows at ptr_ with its own constructor; otherwise (an element of an array
  // of described values) ptr_/len_/count_ describe a payload of format inner_code_.
  const std::uint8_t* ptr_ = nullptr;
  const std::uint8_t* desc_ = nullptr;
  std::uint32_t len_ = 0;
  std::uint32_t count_ = 0;
  std::uint8_t code_ = format_code::null;
  std::uint8_t inner_code_ = 0;
};

namespace detail {

// Views the already validated payload of format `code` at `p` (no constructor), advancing `p`.
inline value_view view_payload(std::uint8_t code, const std::uint8_t*& p) noexcept {
  const format_info fi = format_table[code];
  std::uint32_t len = fi.width;
  std::uint32_t count = 0;
  if (fi.cat == category::variable) {
    len = load_width(p, fi.width);
    p += fi.width;
  } else if (fi.cat == category::compound || fi.cat == category::array) {
    len = load_width(p, fi.width) - fi.width;  // the size counts the count's bytes
    count = load_width(p + fi.width, fi.width);
    p += 2 * fi.width;
  }
  const value_view v = value_view::from_raw({p, nullptr, len, count, code, 0});
  p += len;
  return v;
}

// Views the already validated described value after the 0x00 at p[-1], advancing `p`.
value_view view_described(const std::uint8_t*& p) noexcept;

// Views the already validated value whose constructor is at `p` and advances `p` past it.
inline value_view view_at(const std::uint8_t*& p) noexcept {
  const std::uint8_t code = *p++;
  if (code == format_code::described) return view_described(p);
  return view_payload(code, p);
}

}  // namespace detail

// Forward iteration over a run of encoded values, each with its own constructor. Each element
// is parsed once, when the iterator reaches it.
class value_iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = value_view;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = value_view;

  value_iterator() = default;
  value_iterator(const std::uint8_t* p, std::uint32_t left) noexcept : next_(p), left_(left) {
    if (left_) cur_ = detail::view_at(next_);
  }
  value_view operator*() const noexcept { return cur_; }
  value_iterator& operator++() noexcept {
    if (--left_) cur_ = detail::view_at(next_);
    return *this;
  }
  value_iterator operator++(int) noexcept {
    auto old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const value_iterator& a, const value_iterator& b) noexcept {
    return a.left_ == b.left_;
  }

 private:
  value_view cur_;
  const std::uint8_t* next_ = nullptr;
  std::uint32_t left_ = 0;
};

class list_view {
 public:
  list_view() = default;
  list_view(const std::uint8_t* first, std::uint32_t count) noexcept
      : first_(first), count_(count) {}
  value_iterator begin() const noexcept { return {first_, count_}; }
  value_iterator end() const noexcept { return {nullptr, 0}; }
  std::uint32_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }

 private:
  const std::uint8_t* first_ = nullptr;
  std::uint32_t count_ = 0;
};

struct map_entry {
  value_view key;
  value_view value;
  friend bool operator==(const map_entry&, const map_entry&) noexcept = default;
};

class map_view {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = map_entry;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = map_entry;
    iterator() = default;
    // `entries` is the number of key/value pairs left from `p`.
    iterator(const std::uint8_t* p, std::uint32_t entries) noexcept : next_(p), left_(entries) {
      if (left_) load();
    }
    map_entry operator*() const noexcept { return cur_; }
    iterator& operator++() noexcept {
      if (--left_) load();
      return *this;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.left_ == b.left_;
    }

   private:
    void load() noexcept {
      cur_.key = detail::view_at(next_);
      cur_.value = detail::view_at(next_);
    }
    map_entry cur_;
    const std::uint8_t* next_ = nullptr;
    std::uint32_t left_ = 0;
  };

  map_view() = default;
  map_view(const std::uint8_t* first, std::uint32_t count) noexcept
      : first_(first), count_(count) {}
  iterator begin() const noexcept { return {first_, count_ / 2}; }
  iterator end() const noexcept { return iterator{}; }
  // Number of entries (half the encoded element count).
  std::uint32_t size() const noexcept { return count_ / 2; }
  bool empty() const noexcept { return count_ == 0; }
  // The value of the first entry whose key is a string or symbol equal to `key`; null if none.
  value_view find(std::string_view key) const noexcept;

 private:
  const std::uint8_t* first_ = nullptr;
  std::uint32_t count_ = 0;
};

class array_view {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = value_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = value_view;
    iterator() = default;
    iterator(const std::uint8_t* desc, std::uint8_t code, const std::uint8_t* p,
             std::uint32_t left) noexcept
        : desc_(desc), p_(p), left_(left), code_(code) {}
    value_view operator*() const noexcept;
    iterator& operator++() noexcept;
    friend bool operator==(const iterator& x, const iterator& y) noexcept {
      return x.left_ == y.left_;
    }

   private:
    const std::uint8_t* desc_ = nullptr;
    const std::uint8_t* p_ = nullptr;
    std::uint32_t left_ = 0;
    std::uint8_t code_ = 0;
  };

  array_view() = default;
  // `ctor` points at the element constructor of a validated array.
  array_view(const std::uint8_t* ctor, std::uint32_t count) noexcept;

  iterator begin() const noexcept { return {desc_, elem_code_, first_, count_}; }
  iterator end() const noexcept { return {}; }
  std::uint32_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  // The kind of every element (described for an array of described values).
  kind element_type() const noexcept;
  // The element format code (of the described value, for an array of described values).
  std::uint8_t element_format() const noexcept { return elem_code_; }
  // For an array of described values: the shared descriptor; null otherwise.
  value_view descriptor() const noexcept;

 private:
  const std::uint8_t* desc_ = nullptr;
  const std::uint8_t* first_ = nullptr;
  std::uint32_t count_ = 0;
  std::uint8_t elem_code_ = format_code::null;
};

class described_view {
 public:
  described_view() = default;
  described_view(value_view descriptor, value_view value) noexcept
      : descriptor_(descriptor), value_(value) {}
  value_view descriptor() const noexcept { return descriptor_; }
  value_view value() const noexcept { return value_; }
  // True when the descriptor is the ulong `code` or names it by `symbol`.
  bool is(std::uint64_t code, std::string_view symbol) const noexcept;

 private:
  value_view descriptor_;
  value_view value_;
};

}  // namespace amqp
