// Scalars and compounds in their smallest encodings.
#include "amqp/codec/encoder.hpp"

#include <cstring>
#include <limits>

#include "amqp/codec/detail/bytes.hpp"

namespace amqp {

using detail::store_be16;
using detail::store_be32;
using detail::store_be64;

void encoder::ubyte(std::uint8_t v) { small(format_code::ubyte, v); }

void encoder::ushort(std::uint16_t v) {
  std::uint8_t* p = out_.extend(3);
  p[0] = format_code::ushort;
  store_be16(p + 1, v);
  ++count_;
}

void encoder::byte(std::int8_t v) { small(format_code::byte, static_cast<std::uint8_t>(v)); }

void encoder::short_(std::int16_t v) {
  std::uint8_t* p = out_.extend(3);
  p[0] = format_code::short_;
  store_be16(p + 1, static_cast<std::uint16_t>(v));
  ++count_;
}

void encoder::float_(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, 4);
  std::uint8_t* p = out_.extend(5);
  p[0] = format_code::float_;
  store_be32(p + 1, bits);
  ++count_;
}

void encoder::double_(double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, 8);
  std::uint8_t* p = out_.extend(9);
  p[0] = format_code::double_;
  store_be64(p + 1, bits);
  ++count_;
}

void encoder::decimal32(amqp::decimal32 v) {
  std::uint8_t* p = out_.extend(5);
  p[0] = format_code::decimal32;
  store_be32(p + 1, v.bits);
  ++count_;
}

void encoder::decimal64(amqp::decimal64 v) {
  std::uint8_t* p = out_.extend(9);
  p[0] = format_code::decimal64;
  store_be64(p + 1, v.bits);
  ++count_;
}

void encoder::decimal128(const amqp::decimal128& v) {
  std::uint8_t* p = out_.extend(17);
  p[0] = format_code::decimal128;
  std::memcpy(p + 1, v.bytes.data(), 16);
  ++count_;
}

void encoder::char_(char32_t v) {
  if (!detail::is_unicode_scalar(v)) {  // the decoder would reject it
    fail(errc::invalid_char);
    return;
  }
  std::uint8_t* p = out_.extend(5);
  p[0] = format_code::char_;
  store_be32(p + 1, static_cast<std::uint32_t>(v));
  ++count_;
}

void encoder::timestamp(amqp::timestamp v) {
  std::uint8_t* p = out_.extend(9);
  p[0] = format_code::timestamp;
  store_be64(p + 1, static_cast<std::uint64_t>(v.ms));
  ++count_;
}

void encoder::uuid(const amqp::uuid& v) {
  std::uint8_t* p = out_.extend(17);
  p[0] = format_code::uuid;
  std::memcpy(p + 1, v.bytes.data(), 16);
  ++count_;
}

void encoder::wide_variable(std::uint8_t code8, bytes_view v) {
  const std::size_t n = v.size();
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    fail(errc::value_too_large);
    return;
  }
  std::uint8_t* p = out_.extend(5 + n);
  p[0] = static_cast<std::uint8_t>(code8 + 0x10);
  store_be32(p + 1, static_cast<std::uint32_t>(n));
  std::memcpy(p + 5, v.data(), n);
  ++count_;
}

void encoder::wide_descriptor(std::uint64_t code) {
  out_.push_back(format_code::described);
  ulong(code);
  --count_;  // the descriptor and the value it describes count as one element
}

void encoder::descriptor(symbol_view name) {
  out_.push_back(format_code::described);
  symbol(name.str);
  --count_;
}

// An empty compound, or one that outgrew the 1-byte size and count reserved by begin().
void encoder::end_other(mark m, std::uint8_t empty_code) {
  const std::uint32_t n = count_;
  count_ = m.count_before + 1;
  const std::size_t body = out_.size() - m.pos - 3;
  std::uint8_t* p = out_.data() + m.pos;
  if (n == 0 && empty_code) {
    out_.truncate(m.pos);
    out_.push_back(empty_code);
  } else if (body + 1 <= 0xff && n <= 0xff) {
    p[1] = static_cast<std::uint8_t>(body + 1);
    p[2] = static_cast<std::uint8_t>(n);
  } else if (body + 4 <= std::numeric_limits<std::uint32_t>::max()) {
    const std::uint8_t code32 = static_cast<std::uint8_t>(p[0] + 0x10);
    p = out_.insert_gap(m.pos + 3, 6) - 3;
    p[0] = code32;
    store_be32(p + 1, static_cast<std::uint32_t>(body + 4));
    store_be32(p + 5, n);
  } else {  // over 4 GiB: drop the compound rather than leave a header that lies
    out_.truncate(m.pos);
    count_ = m.count_before;
    fail(errc::value_too_large);
  }
}

void encoder::symbol_array(std::span<const symbol_view> symbols) {
  bool small = true;
  for (symbol_view s : symbols) small = small && s.str.size() <= 0xff;
  const std::uint8_t elem = small ? format_code::sym8 : format_code::sym32;
  const mark m{out_.size(), count_};
  std::uint8_t* p = out_.extend(4);
  p[0] = format_code::array8;
  p[3] = elem;
  for (symbol_view s : symbols) {
    if (small) {
      out_.push_back(static_cast<std::uint8_t>(s.str.size()));
    } else {
      store_be32(out_.extend(4), static_cast<std::uint32_t>(s.str.size()));
    }
    out_.append(detail::as_bytes(s.str));
  }
  // Reuse the list back-patching: the element constructor counts as part of the body.
  count_ = static_cast<std::uint32_t>(symbols.size());
  end(m, 0);
}

writer encode(const amqp::value& v) {
  writer w;
  encoder(w).value(v);
  return w;
}

}  // namespace amqp
