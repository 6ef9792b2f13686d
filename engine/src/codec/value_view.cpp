// Accessors of validated views: no checks here, the decoder made them.
#include "amqp/codec/value_view.hpp"

#include <cassert>
#include <cstring>

#include "amqp/codec/detail/bytes.hpp"

namespace amqp {

using detail::category;
using detail::format_info;
using detail::format_table;
using detail::load_be16;
using detail::load_be32;
using detail::load_be64;
using detail::load_width;

value_view detail::view_described(const std::uint8_t*& p) noexcept {
  const std::uint8_t* desc = p;
  view_at(p);
  const std::uint8_t* inner = p;
  view_at(p);
  return value_view::from_raw({inner, desc, 0, 0, format_code::described, 0});
}

bool value_view::as_boolean() const noexcept {
  assert(type() == kind::boolean);
  return code_ == format_code::boolean_true || (code_ == format_code::boolean && *ptr_ == 1);
}
std::uint8_t value_view::as_ubyte() const noexcept { return *ptr_; }
std::uint16_t value_view::as_ushort() const noexcept { return load_be16(ptr_); }
std::uint32_t value_view::as_uint() const noexcept {
  assert(type() == kind::uint);
  return code_ == format_code::uint0 ? 0 : code_ == format_code::smalluint ? *ptr_ : load_be32(ptr_);
}
std::uint64_t value_view::as_ulong() const noexcept {
  assert(type() == kind::ulong);
  return code_ == format_code::ulong0 ? 0 : code_ == format_code::smallulong ? *ptr_ : load_be64(ptr_);
}
std::int8_t value_view::as_byte() const noexcept { return static_cast<std::int8_t>(*ptr_); }
std::int16_t value_view::as_short() const noexcept {
  return static_cast<std::int16_t>(load_be16(ptr_));
}
std::int32_t value_view::as_int() const noexcept {
  assert(type() == kind::int_);
  return code_ == format_code::smallint ? static_cast<std::int8_t>(*ptr_)
                                        : static_cast<std::int32_t>(load_be32(ptr_));
}
std::int64_t value_view::as_long() const noexcept {
  assert(type() == kind::long_);
  return code_ == format_code::smalllong ? static_cast<std::int8_t>(*ptr_)
                                         : static_cast<std::int64_t>(load_be64(ptr_));
}
float value_view::as_float() const noexcept {
  const std::uint32_t bits = load_be32(ptr_);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
double value_view::as_double() const noexcept {
  const std::uint64_t bits = load_be64(ptr_);
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}
decimal32 value_view::as_decimal32() const noexcept { return {load_be32(ptr_)}; }
decimal64 value_view::as_decimal64() const noexcept { return {load_be64(ptr_)}; }
decimal128 value_view::as_decimal128() const noexcept {
  decimal128 d;
  std::memcpy(d.bytes.data(), ptr_, 16);
  return d;
}
char32_t value_view::as_char() const noexcept { return static_cast<char32_t>(load_be32(ptr_)); }
timestamp value_view::as_timestamp() const noexcept {
  return {static_cast<std::int64_t>(load_be64(ptr_))};
}
uuid value_view::as_uuid() const noexcept {
  uuid u;
  std::memcpy(u.bytes.data(), ptr_, 16);
  return u;
}

list_view value_view::as_list() const noexcept {
  assert(type() == kind::list);
  return {ptr_, count_};
}
map_view value_view::as_map() const noexcept {
  assert(type() == kind::map);
  return {ptr_, count_};
}
array_view value_view::as_array() const noexcept {
  assert(type() == kind::array);
  return {ptr_, count_};
}

described_view value_view::as_described() const noexcept {
  assert(type() == kind::described);
  const std::uint8_t* d = desc_;
  value_view descriptor = detail::view_at(d);
  if (inner_code_ == 0) {
    const std::uint8_t* q = ptr_;
    return {descriptor, detail::view_at(q)};
  }
  return {descriptor, from_raw({ptr_, nullptr, len_, count_, inner_code_, 0})};
}

array_view::array_view(const std::uint8_t* ctor, std::uint32_t count) noexcept : count_(count) {
  const std::uint8_t* p = ctor;
  if (*p == format_code::described) {
    desc_ = ++p;
    detail::view_at(p);
  }
  elem_code_ = *p++;
  first_ = p;
}

kind array_view::element_type() const noexcept {
  return desc_ ? kind::described : format_table[elem_code_].type;
}

value_view array_view::descriptor() const noexcept {
  if (!desc_) return {};
  const std::uint8_t* p = desc_;
  return detail::view_at(p);
}

value_view array_view::iterator::operator*() const noexcept {
  const std::uint8_t* q = p_;
  value_view v = detail::view_payload(code_, q);
  if (!desc_) return v;
  auto r = v.to_raw();
  r.desc = desc_;
  r.inner_code = code_;
  return value_view::from_raw(r);
}

array_view::iterator& array_view::iterator::operator++() noexcept {
  detail::view_payload(code_, p_);
  --left_;
  return *this;
}

value_view map_view::find(std::string_view key) const noexcept {
  // Compares the keys' bytes in place: no view is built for a key that does not match.
  const std::uint8_t* p = first_;
  for (std::uint32_t i = 0; i < count_ / 2; ++i) {
    const std::uint8_t code = *p;
    const format_info fi = format_table[code];
    bool match = false;
    if (fi.type == kind::string || fi.type == kind::symbol) {
      const std::uint32_t len = load_width(p + 1, fi.width);
      const std::uint8_t* text = p + 1 + fi.width;
      match = len == key.size() && (len == 0 || std::memcmp(text, key.data(), len) == 0);
      p = text + len;
    } else {
      detail::view_at(p);
    }
    if (match) return detail::view_at(p);
    detail::view_at(p);
  }
  return {};
}

bool described_view::is(std::uint64_t code, std::string_view symbol) const noexcept {
  switch (descriptor_.type()) {
    case kind::ulong: return descriptor_.as_ulong() == code;
    case kind::symbol: return descriptor_.as_string() == symbol;
    default: return false;
  }
}

namespace {

template <class Range>
bool equal_ranges(const Range& a, const Range& b) {
  auto i = a.begin();
  auto j = b.begin();
  for (; i != a.end(); ++i, ++j)
    if (!(*i == *j)) return false;
  return true;
}

}  // namespace

bool operator==(const value_view& a, const value_view& b) noexcept {
  const kind k = a.type();
  if (k != b.type()) return false;
  switch (k) {
    case kind::null: return true;
    case kind::boolean: return a.as_boolean() == b.as_boolean();
    case kind::uint: return a.as_uint() == b.as_uint();
    case kind::ulong: return a.as_ulong() == b.as_ulong();
    case kind::int_: return a.as_int() == b.as_int();
    case kind::long_: return a.as_long() == b.as_long();
    case kind::binary:
    case kind::string:
    case kind::symbol:
      return a.as_string() == b.as_string();
    case kind::list:
      return a.count() == b.count() && equal_ranges(a.as_list(), b.as_list());
    case kind::map:
      return a.count() == b.count() && equal_ranges(a.as_map(), b.as_map());
    case kind::array: {
      const array_view x = a.as_array(), y = b.as_array();
      // The described kind too: empty arrays of described ints and strings differ.
      return x.size() == y.size() && x.element_type() == y.element_type() &&
             kind_of(x.element_format()) == kind_of(y.element_format()) &&
             x.descriptor() == y.descriptor() && equal_ranges(x, y);
    }
    case kind::described: {
      const described_view x = a.as_described(), y = b.as_described();
      return x.descriptor() == y.descriptor() && x.value() == y.value();
    }
    default:
      // Remaining kinds have one fixed-width encoding each: compare the bytes (bitwise floats).
      return a.as_binary().size() == b.as_binary().size() &&
             std::memcmp(a.as_binary().data(), b.as_binary().data(), a.as_binary().size()) == 0;
  }
}

}  // namespace amqp
