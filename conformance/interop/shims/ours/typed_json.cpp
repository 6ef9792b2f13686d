#include "typed_json.hpp"

#include <bit>
#include <cstdint>
#include <string>

namespace interop::ours {
namespace {

amqp::kind kind_named(const std::string& name) {
  for (int k = 0; k <= static_cast<int>(amqp::kind::described); ++k)
    if (amqp::kind_name(static_cast<amqp::kind>(k)) == name) return static_cast<amqp::kind>(k);
  throw bad_value("unknown type \"" + name + "\"");
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

// The value of a TYPED of kind k, any kind but the compound ones.
amqp::value scalar_value(amqp::kind k, const json& typed) {
  using amqp::kind;
  switch (k) {
    case kind::null: return {};
    case kind::boolean:
      if (!member(typed, "value").is_boolean()) throw bad_value("not a boolean: " + typed.dump());
      return typed["value"].get<bool>();
    case kind::ubyte: return parse_integer<std::uint8_t>(text_of(typed));
    case kind::ushort: return parse_integer<std::uint16_t>(text_of(typed));
    case kind::uint: return parse_integer<std::uint32_t>(text_of(typed));
    case kind::ulong: return parse_integer<std::uint64_t>(text_of(typed));
    case kind::byte: return parse_integer<std::int8_t>(text_of(typed));
    case kind::short_: return parse_integer<std::int16_t>(text_of(typed));
    case kind::int_: return parse_integer<std::int32_t>(text_of(typed));
    case kind::long_: return parse_integer<std::int64_t>(text_of(typed));
    case kind::float_:
      return std::bit_cast<float>(static_cast<std::uint32_t>(parse_bits(text_of(typed), 8)));
    case kind::double_: return std::bit_cast<double>(parse_bits(text_of(typed), 16));
    case kind::decimal32:
      return amqp::decimal32{static_cast<std::uint32_t>(parse_bits(text_of(typed), 8))};
    case kind::decimal64: return amqp::decimal64{parse_bits(text_of(typed), 16)};
    case kind::decimal128: {
      amqp::decimal128 d;
      parse_bits(text_of(typed), d.bytes);
      return d;
    }
    case kind::char_: return parse_char(text_of(typed));
    case kind::timestamp: return amqp::timestamp{parse_integer<std::int64_t>(text_of(typed))};
    case kind::uuid: return amqp::uuid{parse_uuid(text_of(typed))};
    case kind::binary:
      return amqp::binary{is_generated(typed) ? generated_binary(generate_count(typed))
                                              : parse_hex(text_of(typed))};
    case kind::string:
      return is_generated(typed) ? generated_string(generate_count(typed)) : text_of(typed);
    case kind::symbol: return amqp::symbol{text_of(typed)};
    default: throw bad_value("not a scalar: " + typed.dump());
  }
}

// What the README's "value" holds for v: the text of a scalar, the elements of a compound.
json value_json(amqp::value_view v);

json typed_json(amqp::value_view v) {
  switch (v.type()) {
    case amqp::kind::null: return {{"type", "null"}};
    case amqp::kind::binary: return binary_json(v.as_binary());
    case amqp::kind::string: return string_json(v.as_string());
    case amqp::kind::described: {
      const amqp::described_view d = v.as_described();
      return {{"type", "described"},
              {"descriptor", typed_json(d.descriptor())},
              {"value", typed_json(d.value())}};
    }
    case amqp::kind::array: {
      const amqp::array_view a = v.as_array();
      json elements = json::array();
      for (amqp::value_view e : a) elements.push_back(value_json(e));
      return {{"type", "array"}, {"element", amqp::kind_name(a.element_type())},
              {"value", std::move(elements)}};
    }
    default: return {{"type", amqp::kind_name(v.type())}, {"value", value_json(v)}};
  }
}

// An element whose type has no "value" of its own in the JSON: reported as unrepresentable.
struct no_json_form {
  std::string what;
};

json value_json(amqp::value_view v) {
  using amqp::kind;
  switch (v.type()) {
    case kind::boolean: return v.as_boolean();
    case kind::ubyte: return std::to_string(v.as_ubyte());
    case kind::ushort: return std::to_string(v.as_ushort());
    case kind::uint: return std::to_string(v.as_uint());
    case kind::ulong: return std::to_string(v.as_ulong());
    case kind::byte: return std::to_string(v.as_byte());
    case kind::short_: return std::to_string(v.as_short());
    case kind::int_: return std::to_string(v.as_int());
    case kind::long_: return std::to_string(v.as_long());
    case kind::float_: return format_bits(std::bit_cast<std::uint32_t>(v.as_float()), 8);
    case kind::double_: return format_bits(std::bit_cast<std::uint64_t>(v.as_double()), 16);
    case kind::decimal32: return format_bits(v.as_decimal32().bits, 8);
    case kind::decimal64: return format_bits(v.as_decimal64().bits, 16);
    case kind::decimal128: return format_bits(v.as_decimal128().bytes);
    case kind::char_: return format_char(v.as_char());
    case kind::timestamp: return std::to_string(v.as_timestamp().ms);
    case kind::uuid: return format_uuid(v.as_uuid().bytes);
    // Array elements are never shortened: their "value" has no place for length and sha256.
    case kind::binary: return format_hex(v.as_binary());
    case kind::string: return v.as_string();
    case kind::symbol: return v.as_symbol().str;
    case kind::list: {
      json out = json::array();
      for (amqp::value_view e : v.as_list()) out.push_back(typed_json(e));
      return out;
    }
    case kind::map: {
      json out = json::array();
      for (auto [key, val] : v.as_map())
        out.push_back(json::array({typed_json(key), typed_json(val)}));
      return out;
    }
    default:
      throw no_json_form{"an array of " + std::string(amqp::kind_name(v.type())) + " values"};
  }
}

}  // namespace

amqp::value to_value(const json& typed) {
  const std::string type = type_of(typed);
  const amqp::kind k = kind_named(type);
  if (is_generated(typed) && k != amqp::kind::binary && k != amqp::kind::string)
    throw bad_value("only binaries and strings are generated: " + typed.dump());
  switch (k) {
    case amqp::kind::list: {
      amqp::list out;
      for (const json& e : array_member(typed)) out.push_back(to_value(e));
      return out;
    }
    case amqp::kind::map: {
      amqp::map out;
      for (const json& pair : array_member(typed)) {
        if (!pair.is_array() || pair.size() != 2)
          throw bad_value("a map entry is not [key, value]: " + pair.dump());
        out.emplace_back(to_value(pair[0]), to_value(pair[1]));
      }
      return out;
    }
    case amqp::kind::array: {
      amqp::array out;
      const json& element = member(typed, "element");
      if (!element.is_string()) throw bad_value("\"element\" is not a type: " + typed.dump());
      out.element_type = kind_named(element.get<std::string>());
      if (out.element_type == amqp::kind::described || out.element_type == amqp::kind::array)
        throw bad_value("the JSON has no array of " + element.get<std::string>() + " values");
      for (const json& v : array_member(typed))
        out.elements.push_back(to_value({{"type", element}, {"value", v}}));
      return out;
    }
    case amqp::kind::described:
      return amqp::value::described_of(to_value(member(typed, "descriptor")),
                                       to_value(member(typed, "value")));
    default: return scalar_value(k, typed);
  }
}

json to_json(amqp::value_view v) {
  try {
    return typed_json(v);
  } catch (const no_json_form& e) {
    return unrepresentable(e.what);
  }
}

}  // namespace interop::ours
