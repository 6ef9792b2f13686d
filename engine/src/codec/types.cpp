#include "amqp/codec/types.hpp"

#include "amqp/codec/detail/bytes.hpp"

namespace amqp {

std::string_view kind_name(kind k) noexcept {
  switch (k) {
    case kind::null: return "null";
    case kind::boolean: return "boolean";
    case kind::ubyte: return "ubyte";
    case kind::ushort: return "ushort";
    case kind::uint: return "uint";
    case kind::ulong: return "ulong";
    case kind::byte: return "byte";
    case kind::short_: return "short";
    case kind::int_: return "int";
    case kind::long_: return "long";
    case kind::float_: return "float";
    case kind::double_: return "double";
    case kind::decimal32: return "decimal32";
    case kind::decimal64: return "decimal64";
    case kind::decimal128: return "decimal128";
    case kind::char_: return "char";
    case kind::timestamp: return "timestamp";
    case kind::uuid: return "uuid";
    case kind::binary: return "binary";
    case kind::string: return "string";
    case kind::symbol: return "symbol";
    case kind::list: return "list";
    case kind::map: return "map";
    case kind::array: return "array";
    case kind::described: return "described";
  }
  return "?";
}

}  // namespace amqp
