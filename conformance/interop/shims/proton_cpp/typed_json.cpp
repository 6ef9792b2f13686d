#include "typed_json.hpp"

#include <proton/binary.hpp>
#include <proton/codec/decoder.hpp>
#include <proton/codec/encoder.hpp>
#include <proton/decimal.hpp>
#include <proton/error.hpp>
#include <proton/null.hpp>
#include <proton/symbol.hpp>
#include <proton/timestamp.hpp>
#include <proton/uuid.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <string>

namespace interop::proton_cpp {
namespace {

using proton::codec::decoder;
using proton::codec::encoder;
using proton::codec::finish;
using proton::codec::start;

struct type_entry {
  const char* name;
  proton::type_id id;
};
constexpr type_entry type_names[] = {
    {"null", proton::NULL_TYPE}, {"boolean", proton::BOOLEAN}, {"ubyte", proton::UBYTE},
    {"ushort", proton::USHORT}, {"uint", proton::UINT}, {"ulong", proton::ULONG},
    {"byte", proton::BYTE}, {"short", proton::SHORT}, {"int", proton::INT},
    {"long", proton::LONG}, {"float", proton::FLOAT}, {"double", proton::DOUBLE},
    {"decimal32", proton::DECIMAL32}, {"decimal64", proton::DECIMAL64},
    {"decimal128", proton::DECIMAL128}, {"char", proton::CHAR},
    {"timestamp", proton::TIMESTAMP}, {"uuid", proton::UUID},
    {"binary", proton::BINARY}, {"string", proton::STRING}, {"symbol", proton::SYMBOL},
    {"list", proton::LIST}, {"map", proton::MAP}, {"array", proton::ARRAY},
    {"described", proton::DESCRIBED}};

proton::type_id type_named(const std::string& name) {
  for (const type_entry& t : type_names)
    if (name == t.name) return t.id;
  throw bad_value("unknown type \"" + name + "\"");
}

std::string name_of(proton::type_id id) {
  for (const type_entry& t : type_names)
    if (id == t.id) return t.name;
  return proton::type_name(id);
}

const json& member(const json& typed, const char* name) {
  if (!typed.contains(name)) throw bad_value(std::string("no \"") + name + "\" in " + typed.dump());
  return typed[name];
}

const json& array_member(const json& typed) {
  const json& v = member(typed, "value");
  if (!v.is_array()) throw bad_value("\"value\" is not an array in " + typed.dump());
  return v;
}

// decimal32, decimal64 and decimal128 are byte arrays, filled most significant byte first as
// the JSON writes them and as Proton prints them.
template <class ByteArray>
ByteArray bytes_of(const std::string& text) {
  ByteArray b;
  parse_bits(text, std::span<std::uint8_t>(b.begin(), b.size()));
  return b;
}

template <class ByteArray>
std::span<const std::uint8_t> span_of(const ByteArray& b) {
  return {b.begin(), b.size()};
}

void put(encoder& e, const json& typed) {
  switch (type_named(type_of(typed))) {
    case proton::NULL_TYPE:  // a null scalar would put nothing at all
      e << proton::null();
      return;
    case proton::LIST:
      e << start::list();
      for (const json& element : array_member(typed)) put(e, element);
      e << finish();
      return;
    case proton::MAP:
      e << start::map();
      for (const json& pair : array_member(typed)) {
        if (!pair.is_array() || pair.size() != 2)
          throw bad_value("a map entry is not [key, value]: " + pair.dump());
        put(e, pair[0]);
        put(e, pair[1]);
      }
      e << finish();
      return;
    case proton::ARRAY: {
      const json& element = member(typed, "element");
      if (!element.is_string()) throw bad_value("\"element\" is not a type: " + typed.dump());
      const proton::type_id id = type_named(element.get<std::string>());
      if (id == proton::DESCRIBED || id == proton::ARRAY)
        throw bad_value("the JSON has no array of " + element.get<std::string>() + " values");
      e << start::array(id);
      for (const json& v : array_member(typed)) put(e, {{"type", element}, {"value", v}});
      e << finish();
      return;
    }
    case proton::DESCRIBED:
      e << start::described();
      put(e, member(typed, "descriptor"));
      put(e, member(typed, "value"));
      e << finish();
      return;
    default: e << to_scalar(typed);
  }
}

// A value whose type has no "value" of its own in the JSON (an array of arrays, of described
// values, of nulls): the whole value is reported unrepresentable.
struct no_json_form {
  std::string what;
};

// What the README's "value" holds for a scalar; binaries and strings never shortened (array
// elements have no place for length and sha256).
json scalar_value(const proton::scalar& s) {
  switch (s.type()) {
    case proton::BOOLEAN: return proton::get<bool>(s);
    case proton::UBYTE: return std::to_string(proton::get<std::uint8_t>(s));
    case proton::USHORT: return std::to_string(proton::get<std::uint16_t>(s));
    case proton::UINT: return std::to_string(proton::get<std::uint32_t>(s));
    case proton::ULONG: return std::to_string(proton::get<std::uint64_t>(s));
    case proton::BYTE: return std::to_string(proton::get<std::int8_t>(s));
    case proton::SHORT: return std::to_string(proton::get<std::int16_t>(s));
    case proton::INT: return std::to_string(proton::get<std::int32_t>(s));
    case proton::LONG: return std::to_string(proton::get<std::int64_t>(s));
    case proton::FLOAT: return format_bits(std::bit_cast<std::uint32_t>(proton::get<float>(s)), 8);
    case proton::DOUBLE:
      return format_bits(std::bit_cast<std::uint64_t>(proton::get<double>(s)), 16);
    case proton::DECIMAL32: return format_bits(span_of(proton::get<proton::decimal32>(s)));
    case proton::DECIMAL64: return format_bits(span_of(proton::get<proton::decimal64>(s)));
    case proton::DECIMAL128: return format_bits(span_of(proton::get<proton::decimal128>(s)));
    case proton::CHAR: return format_char(static_cast<char32_t>(proton::get<wchar_t>(s)));
    case proton::TIMESTAMP:
      return std::to_string(proton::get<proton::timestamp>(s).milliseconds());
    case proton::UUID: return format_uuid(span_of(proton::get<proton::uuid>(s)));
    case proton::BINARY: return format_hex(proton::get<proton::binary>(s));
    case proton::STRING: return proton::get<std::string>(s);
    case proton::SYMBOL: return std::string(proton::get<proton::symbol>(s));
    default: throw no_json_form{"an array of " + name_of(s.type()) + " values"};
  }
}

json typed(decoder& d);

// What the README's "value" holds for the next value: a scalar's text, a compound's elements.
json value_of(decoder& d) {
  start s;
  json out = json::array();
  switch (d.next_type()) {
    case proton::LIST:
      d >> s;
      for (std::size_t i = 0; i < s.size; ++i) out.push_back(typed(d));
      d >> finish();
      return out;
    case proton::MAP:
      d >> s;
      for (std::size_t i = 0; i < s.size / 2; ++i) {
        json key = typed(d);
        out.push_back(json::array({std::move(key), typed(d)}));
      }
      d >> finish();
      return out;
    case proton::ARRAY:
    case proton::DESCRIBED:
    case proton::NULL_TYPE:
      throw no_json_form{"an array of " + name_of(d.next_type()) + " values"};
    default: {
      proton::scalar x;
      d >> x;
      return scalar_value(x);
    }
  }
}

json typed(decoder& d) {
  const proton::type_id t = d.next_type();
  start s;
  switch (t) {
    case proton::DESCRIBED: {
      d >> s;
      json descriptor = typed(d);
      json value = typed(d);
      d >> finish();
      return {{"type", "described"}, {"descriptor", std::move(descriptor)},
              {"value", std::move(value)}};
    }
    case proton::ARRAY: {
      d >> s;
      if (s.is_described) throw no_json_form{"an array of described values"};
      json elements = json::array();
      for (std::size_t i = 0; i < s.size; ++i) elements.push_back(value_of(d));
      d >> finish();
      return {{"type", "array"}, {"element", name_of(s.element)}, {"value", std::move(elements)}};
    }
    case proton::LIST:
    case proton::MAP: return {{"type", name_of(t)}, {"value", value_of(d)}};
    default: {
      proton::scalar x;
      d >> x;
      return to_json(x);
    }
  }
}

}  // namespace

proton::scalar to_scalar(const json& typed) {
  const proton::type_id t = type_named(type_of(typed));
  if (is_generated(typed) && t != proton::BINARY && t != proton::STRING)
    throw bad_value("only binaries and strings are generated: " + typed.dump());
  switch (t) {
    case proton::NULL_TYPE: return {};
    case proton::BOOLEAN:
      if (!member(typed, "value").is_boolean()) throw bad_value("not a boolean: " + typed.dump());
      return typed["value"].get<bool>();
    case proton::UBYTE: return parse_integer<std::uint8_t>(text_of(typed));
    case proton::USHORT: return parse_integer<std::uint16_t>(text_of(typed));
    case proton::UINT: return parse_integer<std::uint32_t>(text_of(typed));
    case proton::ULONG: return parse_integer<std::uint64_t>(text_of(typed));
    case proton::BYTE: return parse_integer<std::int8_t>(text_of(typed));
    case proton::SHORT: return parse_integer<std::int16_t>(text_of(typed));
    case proton::INT: return parse_integer<std::int32_t>(text_of(typed));
    case proton::LONG: return parse_integer<std::int64_t>(text_of(typed));
    case proton::FLOAT:
      return std::bit_cast<float>(static_cast<std::uint32_t>(parse_bits(text_of(typed), 8)));
    case proton::DOUBLE: return std::bit_cast<double>(parse_bits(text_of(typed), 16));
    case proton::DECIMAL32: return bytes_of<proton::decimal32>(text_of(typed));
    case proton::DECIMAL64: return bytes_of<proton::decimal64>(text_of(typed));
    case proton::DECIMAL128: return bytes_of<proton::decimal128>(text_of(typed));
    case proton::CHAR: return static_cast<wchar_t>(parse_char(text_of(typed)));
    case proton::TIMESTAMP: return proton::timestamp(parse_integer<std::int64_t>(text_of(typed)));
    case proton::UUID: {
      const auto bytes = parse_uuid(text_of(typed));
      proton::uuid u;
      std::copy(bytes.begin(), bytes.end(), u.begin());
      return u;
    }
    case proton::BINARY: {
      const std::vector<std::uint8_t> bytes =
          is_generated(typed) ? generated_binary(generate_count(typed)) : parse_hex(text_of(typed));
      return proton::binary(bytes.begin(), bytes.end());
    }
    case proton::STRING:
      return is_generated(typed) ? generated_string(generate_count(typed)) : text_of(typed);
    case proton::SYMBOL: return proton::symbol(text_of(typed));
    default: throw bad_value("not a scalar: " + typed.dump());
  }
}

void encode(const json& typed, proton::value& out) {
  encoder e(out);
  put(e, typed);
}

json to_json(const proton::scalar& s) {
  switch (s.type()) {
    case proton::NULL_TYPE: return {{"type", "null"}};
    case proton::BINARY: return binary_json(proton::get<proton::binary>(s));
    case proton::STRING: return string_json(proton::get<std::string>(s));
    default: return {{"type", name_of(s.type())}, {"value", scalar_value(s)}};
  }
}

json to_json(const proton::value& v) {
  if (v.empty()) return {{"type", "null"}};
  try {
    decoder d(v);
    return typed(d);
  } catch (const no_json_form& e) {
    return unrepresentable(e.what);
  } catch (const proton::error& e) {
    return unrepresentable(std::string("Proton cannot decode it: ") + e.what());
  }
}

}  // namespace interop::proton_cpp
