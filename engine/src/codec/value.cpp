// The owned value: deep copies out of views, and semantic comparison.
#include "amqp/codec/value.hpp"

#include <cstring>

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/encoder.hpp"

namespace amqp {

value value::from_view(value_view v) {
  switch (v.type()) {
    case kind::null: return {};
    case kind::boolean: return v.as_boolean();
    case kind::ubyte: return v.as_ubyte();
    case kind::ushort: return v.as_ushort();
    case kind::uint: return v.as_uint();
    case kind::ulong: return v.as_ulong();
    case kind::byte: return v.as_byte();
    case kind::short_: return v.as_short();
    case kind::int_: return v.as_int();
    case kind::long_: return v.as_long();
    case kind::float_: return v.as_float();
    case kind::double_: return v.as_double();
    case kind::decimal32: return v.as_decimal32();
    case kind::decimal64: return v.as_decimal64();
    case kind::decimal128: return v.as_decimal128();
    case kind::char_: return v.as_char();
    case kind::timestamp: return v.as_timestamp();
    case kind::uuid: return v.as_uuid();
    case kind::binary: return bin(v.as_binary());
    case kind::string: return std::string(v.as_string());
    case kind::symbol: return sym(v.as_string());
    case kind::list: {
      list l;
      l.reserve(v.count());
      for (value_view e : v.as_list()) l.push_back(from_view(e));
      return l;
    }
    case kind::map: {
      map m;
      m.reserve(v.count() / 2);
      for (const map_entry e : v.as_map()) m.emplace_back(from_view(e.key), from_view(e.value));
      return m;
    }
    case kind::array: {
      const array_view a = v.as_array();
      array out;
      out.elements.reserve(a.size());
      if (a.element_type() == kind::described) {
        out.descriptor.emplace_back(from_view(a.descriptor()));
        out.element_type = kind_of(a.element_format());
        for (value_view e : a) out.elements.push_back(from_view(e.as_described().value()));
      } else {
        out.element_type = a.element_type();
        for (value_view e : a) out.elements.push_back(from_view(e));
      }
      return out;
    }
    case kind::described: {
      const described_view d = v.as_described();
      return described{from_view(d.descriptor()), from_view(d.value())};
    }
  }
  return {};
}

namespace {

template <class T>
bool same_bits(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) return std::memcmp(&a, &b, sizeof(T)) == 0;
  else return a == b;
}

}  // namespace

bool operator==(const value& a, const value& b) noexcept {
  if (a.v_.index() != b.v_.index()) return false;
  return std::visit(
      [&b](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        return same_bits(x, *std::get_if<T>(&b.v_));
      },
      a.v_);
}

bool operator==(const value& a, const value_view& b) noexcept {
  // Compare through one canonical encoding: simple, and only used off the hot path.
  writer w;
  encoder(w).value(a);
  auto decoded = decode_value(w.view(), decode_limits{1u << 30, 1u << 30});
  return decoded && *decoded == b;
}

}  // namespace amqp
