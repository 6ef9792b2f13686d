#include "amqp/errors.hpp"

#include <string>

namespace amqp {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::truncated: return "input ends inside a value";
    case errc::size_exceeds_input: return "size exceeds the remaining input";
    case errc::count_exceeds_size: return "element count cannot fit in the compound size";
    case errc::compound_size_mismatch: return "elements do not fill the compound size exactly";
    case errc::odd_map_count: return "map with an odd element count";
    case errc::unknown_format_code: return "unknown format code";
    case errc::invalid_boolean: return "boolean byte is neither 0 nor 1";
    case errc::invalid_utf8: return "invalid UTF-8 in string";
    case errc::invalid_symbol: return "non-ASCII byte in symbol";
    case errc::invalid_char: return "char is not a Unicode scalar value";
    case errc::nesting_too_deep: return "values nested deeper than the limit";
    case errc::nested_descriptor: return "descriptor nested in a descriptor";
    case errc::too_many_elements: return "zero-width array elements beyond the limit";
    case errc::trailing_bytes: return "trailing bytes after the value";
    case errc::unexpected_descriptor: return "unexpected descriptor";
    case errc::not_a_list: return "composite value is not a list";
    case errc::too_many_fields: return "composite has more fields than its type";
    case errc::missing_mandatory_field: return "mandatory field is missing";
    case errc::field_type_mismatch: return "field has the wrong type";
    case errc::invalid_field_value: return "field value outside its allowed choices";
    case errc::invalid_section: return "not a message section";
    case errc::section_order: return "message sections out of order";
    case errc::invalid_protocol_header: return "invalid protocol header";
    case errc::unsupported_protocol: return "unsupported protocol id or version";
    case errc::frame_size_too_small: return "frame size below the 8-byte frame header";
    case errc::frame_size_too_large: return "frame size above the maximum frame size";
    case errc::invalid_data_offset: return "invalid frame data offset";
    case errc::unknown_frame_type: return "unknown frame type";
    case errc::invalid_frame_body: return "frame body is not one performative";
    case errc::value_too_large: return "value too large for its encoding";
    case errc::array_element_mismatch: return "array element of a different kind";
    case errc::invalid_handle: return "stale or unknown handle";
    case errc::wrong_state: return "not allowed in the endpoint's current state";
    case errc::invalid_argument: return "argument not allowed by the spec or the limits";
    case errc::limit_reached: return "a limit of this engine or of the peer leaves no room";
    case errc::no_credit: return "the link has no credit to send with";
    case errc::in_doubt:
      return "the outcome is unknown: the link or connection ended before the peer settled the "
             "delivery";
    case errc::transaction_failed:
      return "the transaction failed: the coordinator refused or rolled it back (the "
             "transaction's error says why)";
    case errc::engine_failed: return "the engine failed earlier and accepts no more commands";
  }
  return "unknown AMQP error";
}

namespace {
class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "amqp"; }
  std::string message(int ev) const override { return describe(static_cast<errc>(ev)); }
};
}  // namespace

const std::error_category& error_category() noexcept {
  static const category_impl instance;
  return instance;
}

std::string decode_error::message() const {
  return std::string(describe(code)) + " at offset " + std::to_string(offset);
}

}  // namespace amqp
