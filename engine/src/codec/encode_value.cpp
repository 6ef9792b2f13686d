// Generic values (owned or viewed) in canonical encoding, including arrays, whose elements
// share one constructor and so need their widest member measured first.
#include <cstring>
#include <limits>
#include <utility>

#include "amqp/codec/encoder.hpp"
#include "amqp/codec/detail/bytes.hpp"

namespace amqp {

// Element access shared by owned arrays and array views.
namespace {

std::size_t bytes_of(const value& v) {
  if (auto b = v.get_if<binary>()) return b->bytes.size();
  if (auto s = v.get_if<std::string>()) return s->size();
  if (auto s = v.get_if<symbol>()) return s->str.size();
  return 0;
}
std::size_t bytes_of(value_view v) { return v.as_binary().size(); }
bool valid_char(const value& v) {
  const char32_t* c = v.get_if<char32_t>();
  return c && detail::is_unicode_scalar(*c);
}
bool valid_char(value_view v) { return detail::is_unicode_scalar(v.as_char()); }

template <class T>
std::uint64_t bits_of(T x) {
  if constexpr (std::is_same_v<T, float>) {
    std::uint32_t b;
    std::memcpy(&b, &x, 4);
    return b;
  } else if constexpr (std::is_same_v<T, double>) {
    std::uint64_t b;
    std::memcpy(&b, &x, 8);
    return b;
  } else if constexpr (std::is_same_v<T, decimal32> || std::is_same_v<T, decimal64>) {
    return x.bits;
  } else if constexpr (std::is_same_v<T, timestamp>) {
    return static_cast<std::uint64_t>(x.ms);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<std::uint64_t>(x);  // two's complement; the writer keeps the low bytes
  } else {
    return 0;
  }
}

// The big-endian bits of a fixed-width scalar up to 8 bytes wide.
std::uint64_t fixed_bits(const value& v) {
  return std::visit([](const auto& x) { return bits_of(x); }, v.get());
}
std::uint64_t fixed_bits(value_view v) {
  switch (v.type()) {
    case kind::boolean: return v.as_boolean();
    case kind::ubyte: return v.as_ubyte();
    case kind::ushort: return v.as_ushort();
    case kind::uint: return v.as_uint();
    case kind::ulong: return v.as_ulong();
    case kind::byte: return bits_of(v.as_byte());
    case kind::short_: return bits_of(v.as_short());
    case kind::int_: return bits_of(v.as_int());
    case kind::long_: return bits_of(v.as_long());
    case kind::float_: return bits_of(v.as_float());
    case kind::double_: return bits_of(v.as_double());
    case kind::decimal32: return v.as_decimal32().bits;
    case kind::decimal64: return v.as_decimal64().bits;
    case kind::char_: return v.as_char();
    case kind::timestamp: return bits_of(v.as_timestamp());
    default: return 0;
  }
}

// uuid and decimal128, copied as their 16 bytes.
bytes_view wide_bytes(const value& v) {
  if (auto u = v.get_if<uuid>()) return u->bytes;
  if (auto d = v.get_if<decimal128>()) return d->bytes;
  return {};
}
bytes_view wide_bytes(value_view v) { return v.as_binary(); }

}  // namespace

// Writes the elements of an array: measures, picks the element constructor, then writes the
// payloads without constructors. Friend of encoder for the back-patching helpers.
class value_encoder {
 public:
  explicit value_encoder(encoder& e) : e_(e), out_(e.out_) {}

  template <class Elements, class Descriptor>
  void array(kind type, const Descriptor* descriptor, const Elements& elements) {
    std::uint32_t n = 0;
    for (const auto& x : elements) {
      if (x.type() != type) return refuse(errc::array_element_mismatch);
      if (type == kind::char_ && !valid_char(x)) return refuse(errc::invalid_char);
      ++n;
    }
    // An array of described values has one shared descriptor (the `descriptor` argument);
    // described elements would each need their own.
    if (type == kind::described) return refuse(errc::array_element_mismatch);
    if (descriptor && descriptor->type() == kind::described)
      return refuse(errc::nested_descriptor);

    // Errors are reported from this array's own elements only: an error left over from an
    // earlier value must not be mistaken for one here, nor be overwritten.
    const errc earlier = std::exchange(e_.error_, errc{});
    const encoder::mark m = e_.begin(format_code::array8);
    if (descriptor) {
      out_.push_back(format_code::described);
      e_.value(*descriptor);
    }
    const std::size_t ctor_pos = out_.size();
    const bool wide = needs_wide(type, elements);
    out_.push_back(element_code(type, wide));
    const std::size_t first = out_.size();
    outcome r = e_.failed() ? outcome::failed : write_payloads(type, wide, elements);
    if (r == outcome::too_narrow) {  // a compound element outgrew the 1-byte form: redo all wide
      out_.truncate(first);
      out_.data()[ctor_pos] = element_code(type, true);
      r = write_payloads(type, true, elements);
    }
    if (r != outcome::ok) {
      out_.truncate(m.pos);
      e_.count_ = m.count_before;
      e_.fail(errc::value_too_large);
      if (earlier != errc{}) e_.error_ = earlier;
      return;
    }
    e_.count_ = n;
    e_.end(m, 0);
    if (earlier != errc{}) e_.error_ = earlier;
  }

 private:
  template <class Elements>
  static bool needs_wide(kind type, const Elements& elements) {
    switch (type) {
      // Integers take their full width even when every element would fit in one byte: the
      // one-byte element constructors (smalluint, smallulong, smallint, smalllong) are valid
      // (spec Part 1, 1.2), but peers in wide use refuse them in arrays (RabbitMQ 3.x drops
      // the connection, rhea cannot decode the array), and Qpid Proton never writes them there.
      case kind::uint:
      case kind::ulong:
      case kind::int_:
      case kind::long_:
        return true;
      case kind::binary:
      case kind::string:
      case kind::symbol:
        for (const auto& x : elements)
          if (bytes_of(x) > 0xff) return true;
        return false;
      default:
        return false;  // compounds are measured by writing them
    }
  }

  // Never a zero-width constructor except for null: see encoder::value in the header.
  static std::uint8_t element_code(kind type, bool wide) {
    switch (type) {
      case kind::null: return format_code::null;
      case kind::boolean: return format_code::boolean;
      case kind::ubyte: return format_code::ubyte;
      case kind::ushort: return format_code::ushort;
      case kind::uint: return wide ? format_code::uint : format_code::smalluint;
      case kind::ulong: return wide ? format_code::ulong : format_code::smallulong;
      case kind::byte: return format_code::byte;
      case kind::short_: return format_code::short_;
      case kind::int_: return wide ? format_code::int_ : format_code::smallint;
      case kind::long_: return wide ? format_code::long_ : format_code::smalllong;
      case kind::float_: return format_code::float_;
      case kind::double_: return format_code::double_;
      case kind::decimal32: return format_code::decimal32;
      case kind::decimal64: return format_code::decimal64;
      case kind::decimal128: return format_code::decimal128;
      case kind::char_: return format_code::char_;
      case kind::timestamp: return format_code::timestamp;
      case kind::uuid: return format_code::uuid;
      case kind::binary: return wide ? format_code::vbin32 : format_code::vbin8;
      case kind::string: return wide ? format_code::str32 : format_code::str8;
      case kind::symbol: return wide ? format_code::sym32 : format_code::sym8;
      case kind::list: return wide ? format_code::list32 : format_code::list8;
      case kind::map: return wide ? format_code::map32 : format_code::map8;
      case kind::array: return wide ? format_code::array32 : format_code::array8;
      case kind::described: break;
    }
    return format_code::null;
  }

  enum class outcome { ok, too_narrow, failed };

  // Writes nothing and records why.
  void refuse(errc why) {
    e_.fail(why);
  }

  template <class Elements>
  outcome write_payloads(kind type, bool wide, const Elements& elements) {
    const std::uint8_t code = element_code(type, wide);
    for (const auto& x : elements) {
      const outcome r = payload(code, x);
      if (r != outcome::ok) return r;
    }
    return outcome::ok;
  }

  // One element without its constructor. Fixed-width elements are written from their bits;
  // variable and compound ones are encoded normally and their prefix rewritten to the array's
  // width (the encoder chose the smallest, the array may need the wide one).
  template <class Element>
  outcome payload(std::uint8_t code, const Element& x) {
    const detail::format_info want = detail::format_table[code];
    if (want.cat == detail::category::fixed) {
      if (want.width == 16) {
        out_.append(wide_bytes(x));
      } else if (want.width > 0) {
        std::uint64_t bits = fixed_bits(x);
        std::uint8_t* p = out_.extend(want.width);
        for (int i = want.width - 1; i >= 0; --i, bits >>= 8) p[i] = static_cast<std::uint8_t>(bits);
      }
      return outcome::ok;
    }
    const std::size_t start = out_.size();
    const std::uint32_t saved = e_.count_;
    e_.value(x);
    e_.count_ = saved;
    if (e_.failed()) return outcome::failed;
    const std::uint8_t got = out_.data()[start];
    // Variable and compound: the normal encoding chose its own width; convert if needed.
    const detail::format_info have = detail::format_table[got];
    if (got == format_code::list0) {  // an empty list as an element of a list array
      out_.truncate(start);
      std::uint8_t* p = out_.extend(want.width * 2);
      std::memset(p, 0, want.width * 2);
      p[want.width - 1] = want.width;  // the size covers the count
      return outcome::ok;
    }
    if (have.width == want.width) {
      out_.erase(start, 1);
      return outcome::ok;
    }
    if (want.width == 1) return outcome::too_narrow;  // the caller retries all wide
    // Widen a 1-byte length (and count) prefix to 4 bytes.
    const std::uint8_t* p = out_.data() + start + 1;
    const std::uint32_t size = p[0];
    if (have.cat == detail::category::variable) {
      out_.erase(start, 2);
      std::uint8_t* q = out_.insert_gap(start, 4);
      detail::store_be32(q, size);
      return outcome::ok;
    }
    const std::uint32_t count = p[1];
    out_.erase(start, 3);
    std::uint8_t* q = out_.insert_gap(start, 8);
    detail::store_be32(q, size + 3);
    detail::store_be32(q + 4, count);
    return outcome::ok;
  }

  encoder& e_;
  writer& out_;
};

void encoder::visit_value(const amqp::value& v) {
  std::visit(
      [this, &v](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) null();
        else if constexpr (std::is_same_v<T, bool>) boolean(x);
        else if constexpr (std::is_same_v<T, std::uint8_t>) ubyte(x);
        else if constexpr (std::is_same_v<T, std::uint16_t>) ushort(x);
        else if constexpr (std::is_same_v<T, std::uint32_t>) uint(x);
        else if constexpr (std::is_same_v<T, std::uint64_t>) ulong(x);
        else if constexpr (std::is_same_v<T, std::int8_t>) byte(x);
        else if constexpr (std::is_same_v<T, std::int16_t>) short_(x);
        else if constexpr (std::is_same_v<T, std::int32_t>) int_(x);
        else if constexpr (std::is_same_v<T, std::int64_t>) long_(x);
        else if constexpr (std::is_same_v<T, float>) float_(x);
        else if constexpr (std::is_same_v<T, double>) double_(x);
        else if constexpr (std::is_same_v<T, amqp::decimal32>) decimal32(x);
        else if constexpr (std::is_same_v<T, amqp::decimal64>) decimal64(x);
        else if constexpr (std::is_same_v<T, amqp::decimal128>) decimal128(x);
        else if constexpr (std::is_same_v<T, char32_t>) char_(x);
        else if constexpr (std::is_same_v<T, amqp::timestamp>) timestamp(x);
        else if constexpr (std::is_same_v<T, amqp::uuid>) uuid(x);
        else if constexpr (std::is_same_v<T, amqp::binary>) binary(x.bytes);
        else if constexpr (std::is_same_v<T, std::string>) string(x);
        else if constexpr (std::is_same_v<T, amqp::symbol>) symbol(x.str);
        else if constexpr (std::is_same_v<T, amqp::list>) {
          const mark m = begin_list();
          for (const auto& e : x) value(e);
          end_list(m);
        } else if constexpr (std::is_same_v<T, amqp::map>) {
          const mark m = begin_map();
          for (const auto& [k, val] : x) {
            value(k);
            value(val);
          }
          end_map(m);
        } else if constexpr (std::is_same_v<T, amqp::array>) {
          const amqp::value* d = x.descriptor.empty() ? nullptr : &*x.descriptor.front();
          value_encoder(*this).array(x.element_type, d, x.elements);
        } else if constexpr (std::is_same_v<T, amqp::described>) {
          // Part 1, 1.2: a descriptor is not itself described.
          if (x.descriptor->type() == kind::described) {
            fail(errc::nested_descriptor);
            return;
          }
          out_.push_back(format_code::described);
          value(*x.descriptor);
          --count_;
          value(*x.inner);
        }
        (void)v;
      },
      v.get());
}

void encoder::value(value_view v) {
  switch (v.type()) {
    case kind::null: return null();
    case kind::boolean: return boolean(v.as_boolean());
    case kind::ubyte: return ubyte(v.as_ubyte());
    case kind::ushort: return ushort(v.as_ushort());
    case kind::uint: return uint(v.as_uint());
    case kind::ulong: return ulong(v.as_ulong());
    case kind::byte: return byte(v.as_byte());
    case kind::short_: return short_(v.as_short());
    case kind::int_: return int_(v.as_int());
    case kind::long_: return long_(v.as_long());
    case kind::float_: return float_(v.as_float());
    case kind::double_: return double_(v.as_double());
    case kind::decimal32: return decimal32(v.as_decimal32());
    case kind::decimal64: return decimal64(v.as_decimal64());
    case kind::decimal128: return decimal128(v.as_decimal128());
    case kind::char_: return char_(v.as_char());
    case kind::timestamp: return timestamp(v.as_timestamp());
    case kind::uuid: return uuid(v.as_uuid());
    case kind::binary: return binary(v.as_binary());
    case kind::string: return string(v.as_string());
    case kind::symbol: return symbol(v.as_string());
    case kind::list: {
      const mark m = begin_list();
      for (value_view e : v.as_list()) value(e);
      return end_list(m);
    }
    case kind::map: {
      const mark m = begin_map();
      for (const map_entry e : v.as_map()) {
        value(e.key);
        value(e.value);
      }
      return end_map(m);
    }
    case kind::array: {
      const array_view a = v.as_array();
      const value_view d = a.descriptor();
      kind type = a.element_type();
      if (type == kind::described) type = kind_of(a.element_format());
      // Elements of a described array are re-encoded as the values they describe.
      struct inner_range {
        array_view a;
        bool described;
        struct iterator {
          array_view::iterator it;
          bool described;
          value_view operator*() const {
            value_view x = *it;
            return described ? x.as_described().value() : x;
          }
          iterator& operator++() {
            ++it;
            return *this;
          }
          bool operator!=(const iterator& o) const { return !(it == o.it); }
        };
        iterator begin() const { return {a.begin(), described}; }
        iterator end() const { return {a.end(), described}; }
      } range{a, a.element_type() == kind::described};
      value_encoder(*this).array(type, a.element_type() == kind::described ? &d : nullptr, range);
      return;
    }
    case kind::described: {
      const described_view d = v.as_described();
      out_.push_back(format_code::described);
      value(d.descriptor());
      --count_;
      value(d.value());
      return;
    }
  }
}

}  // namespace amqp
