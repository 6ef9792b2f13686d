// Encoding AMQP values into a writer, always in the smallest encoding (spec Part 1, 1.6), except
// that the integer elements of an array take their full width (smallint and the other one-byte
// element forms are refused by peers in wide use: RabbitMQ 3.x, rhea).
//
// Compounds are written once: `begin_list` reserves a list8 header, and `end_list` back-patches
// size and count, moving the elements only in the rare case they outgrow list8.
//
//   amqp::writer w;
//   amqp::encoder e(w);
//   auto l = e.begin_list();
//   e.string("hello");
//   e.uint(42);
//   e.end_list(l);            // c0 0a 02 a1 05 68 65 6c 6c 6f 52 2a
//
// Strings are written as given: the caller passes valid UTF-8, and ASCII for symbols.
// A value the encoder cannot write sets `error()` and writes nothing: one too large for any
// encoding (a string over 4 GiB: value_too_large), an array whose elements differ in kind
// (array_element_mismatch), a char that is not a Unicode scalar value (invalid_char), a
// descriptor that is itself described (nested_descriptor). The first error is kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "amqp/codec/detail/bytes.hpp"
#include "amqp/codec/types.hpp"
#include "amqp/codec/value.hpp"
#include "amqp/codec/value_view.hpp"
#include "amqp/codec/writer.hpp"
#include "amqp/errors.hpp"

namespace amqp {

class encoder {
 public:
  // Where a compound began; pass it back to the matching end_*.
  struct mark {
    std::size_t pos;
    std::uint32_t count_before;
  };

  explicit encoder(writer& out) noexcept : out_(out) {}

  void null() { put(format_code::null); }
  void boolean(bool v) { put(v ? format_code::boolean_true : format_code::boolean_false); }
  void ubyte(std::uint8_t v);
  void ushort(std::uint16_t v);
  void uint(std::uint32_t v) {
    if (v == 0) return put(format_code::uint0);
    if (v <= 0xff) return small(format_code::smalluint, static_cast<std::uint8_t>(v));
    std::uint8_t* p = out_.extend(5);
    p[0] = format_code::uint;
    detail::store_be32(p + 1, v);
    ++count_;
  }
  void ulong(std::uint64_t v) {
    if (v == 0) return put(format_code::ulong0);
    if (v <= 0xff) return small(format_code::smallulong, static_cast<std::uint8_t>(v));
    std::uint8_t* p = out_.extend(9);
    p[0] = format_code::ulong;
    detail::store_be64(p + 1, v);
    ++count_;
  }
  void byte(std::int8_t v);
  void short_(std::int16_t v);
  void int_(std::int32_t v) {
    if (v >= -128 && v <= 127) return small(format_code::smallint, static_cast<std::uint8_t>(v));
    std::uint8_t* p = out_.extend(5);
    p[0] = format_code::int_;
    detail::store_be32(p + 1, static_cast<std::uint32_t>(v));
    ++count_;
  }
  void long_(std::int64_t v) {
    if (v >= -128 && v <= 127) return small(format_code::smalllong, static_cast<std::uint8_t>(v));
    std::uint8_t* p = out_.extend(9);
    p[0] = format_code::long_;
    detail::store_be64(p + 1, static_cast<std::uint64_t>(v));
    ++count_;
  }
  void float_(float v);
  void double_(double v);
  void decimal32(amqp::decimal32 v);
  void decimal64(amqp::decimal64 v);
  void decimal128(const amqp::decimal128& v);
  void char_(char32_t v);
  void timestamp(amqp::timestamp v);
  void uuid(const amqp::uuid& v);
  void binary(bytes_view v) { variable(format_code::vbin8, v); }
  void string(std::string_view v) { variable(format_code::str8, detail::as_bytes(v)); }
  void symbol(std::string_view v) { variable(format_code::sym8, detail::as_bytes(v)); }

  // A described value: write the descriptor with one of these, then the described value.
  void descriptor(std::uint64_t code) {
    if (code == 0 || code > 0xff) return wide_descriptor(code);
    std::uint8_t* p = out_.extend(3);  // the spec's own descriptors: 00 53 code
    p[0] = format_code::described;
    p[1] = format_code::smallulong;
    p[2] = static_cast<std::uint8_t>(code);
  }
  void descriptor(symbol_view name);

  mark begin_list() { return begin(format_code::list8); }
  void end_list(mark m) { end(m, format_code::list0); }
  mark begin_map() { return begin(format_code::map8); }
  void end_map(mark m) { end(m, 0); }

  // An array of symbols (the spec's `symbol[]` fields), in the smallest array encoding.
  void symbol_array(std::span<const symbol_view> symbols);

  // Any value, in canonical (smallest) encoding; a view is re-encoded, not copied.
  // Array elements share the narrowest constructor that fits them all, but never a zero-width
  // one (true, false, uint0, ulong0, list0): decoders cap how many zero-width elements they
  // accept (decode_limits::max_zero_width_elements), so those take their 1-byte forms.
  void value(const amqp::value& v) {
    // The usual property and annotation values without the visit: one jump on the index.
    const amqp::value::storage& x = v.get();
    switch (v.type()) {
      case kind::string: return string(*std::get_if<std::string>(&x));
      case kind::symbol: return symbol(std::get_if<amqp::symbol>(&x)->str);
      case kind::binary: {
        const std::vector<std::uint8_t>& b = std::get_if<amqp::binary>(&x)->bytes;
        return binary({b.data(), b.size()});
      }
      case kind::boolean: return boolean(*std::get_if<bool>(&x));
      case kind::int_: return int_(*std::get_if<std::int32_t>(&x));
      case kind::long_: return long_(*std::get_if<std::int64_t>(&x));
      case kind::uint: return uint(*std::get_if<std::uint32_t>(&x));
      case kind::ulong: return ulong(*std::get_if<std::uint64_t>(&x));
      case kind::null: return null();
      default: return visit_value(v);
    }
  }
  void value(value_view v);

  // Bytes that already hold exactly one encoded value, copied as they are.
  void encoded(bytes_view v) {
    out_.append(v);
    ++count_;
  }

  // `n` nulls at once: how composite encoders write the unset fields between set ones.
  void nulls(std::uint32_t n) {
    out_.fill(n, format_code::null);
    count_ += n;
  }
  // Number of values written at the current nesting level (elements of the open compound).
  std::uint32_t count() const noexcept { return count_; }
  // The first value refused, or no error.
  std::error_code error() const {
    return error_ == errc{} ? std::error_code() : make_error_code(error_);
  }
  bool failed() const noexcept { return error_ != errc{}; }
  writer& out() noexcept { return out_; }

 private:
  // Keeps the first error.
  void fail(errc why) noexcept {
    if (error_ == errc{}) error_ = why;
  }
  void put(std::uint8_t code) {
    out_.push_back(code);
    ++count_;
  }
  // A constructor and a 1-byte payload: smalluint, smallint and their kin.
  void small(std::uint8_t code, std::uint8_t payload) {
    std::uint8_t* p = out_.extend(2);
    p[0] = code;
    p[1] = payload;
    ++count_;
  }
  // code8 is the 1-byte-length format; its 4-byte sibling is code8 + 0x10.
  void variable(std::uint8_t code8, bytes_view v) {
    const std::size_t n = v.size();
    if (n > 0xff) return wide_variable(code8, v);
    std::uint8_t* p = out_.extend(2 + n);
    p[0] = code8;
    p[1] = static_cast<std::uint8_t>(n);
    copy_short(p + 2, v.data(), n);
    ++count_;
  }
  void wide_variable(std::uint8_t code8, bytes_view v);
  void wide_descriptor(std::uint64_t code);
  // Copies n <= 255 bytes; the short ones (most strings and symbols) without a call.
  static void copy_short(std::uint8_t* to, const std::uint8_t* from, std::size_t n) noexcept {
    if (n >= 8 && n <= 16) {
      std::memcpy(to, from, 8);
      std::memcpy(to + n - 8, from + n - 8, 8);
    } else if (n >= 4 && n < 8) {
      std::memcpy(to, from, 4);
      std::memcpy(to + n - 4, from + n - 4, 4);
    } else if (n > 0 && n < 4) {
      to[0] = from[0];
      to[n / 2] = from[n / 2];
      to[n - 1] = from[n - 1];
    } else if (n > 16) {
      std::memcpy(to, from, n);
    }
  }
  mark begin(std::uint8_t code8) {
    const mark m{out_.size(), count_};
    *out_.extend(3) = code8;  // size and count are back-patched by end()
    count_ = 0;
    return m;
  }
  // list0 (0x45) for an empty list; 0 when the type has no empty form (maps).
  void end(mark m, std::uint8_t empty_code) {
    const std::size_t body = out_.size() - m.pos - 3;
    if (count_ == 0 || body + 1 > 0xff || count_ > 0xff) return end_other(m, empty_code);
    std::uint8_t* p = out_.data() + m.pos;  // the usual case: the list8 or map8 reserved fits
    p[1] = static_cast<std::uint8_t>(body + 1);
    p[2] = static_cast<std::uint8_t>(count_);
    count_ = m.count_before + 1;
  }
  void end_other(mark m, std::uint8_t empty_code);
  [[gnu::noinline]] void visit_value(const amqp::value& v);  // the rarer kinds

  friend class value_encoder;
  writer& out_;
  std::uint32_t count_ = 0;
  errc error_{};
};

// Encodes one value into a fresh buffer (convenient, allocates; hot paths reuse a writer).
writer encode(const value& v);

}  // namespace amqp
