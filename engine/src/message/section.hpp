// The message sections (spec Part 3, 3.2): descriptor codes, symbolic names and their order.
#pragma once

#include <cstdint>
#include <string_view>

#include "amqp/codec/value_view.hpp"

namespace amqp::detail {

enum class section : std::uint8_t {
  header,
  delivery_annotations,
  message_annotations,
  properties,
  application_properties,
  data,
  amqp_sequence,
  amqp_value,
  footer,
  unknown,
};

// Section descriptor codes are 0x70 + the enumerator (domain 0x00000000).
inline constexpr std::uint64_t first_section_code = 0x70;

constexpr std::uint64_t code_of(section s) noexcept {
  return first_section_code + static_cast<std::uint64_t>(s);
}

// The symbolic descriptors, in enumerator order.
inline constexpr std::string_view section_symbols[] = {
    "amqp:header:list",
    "amqp:delivery-annotations:map",
    "amqp:message-annotations:map",
    "amqp:properties:list",
    "amqp:application-properties:map",
    "amqp:data:binary",
    "amqp:amqp-sequence:list",
    "amqp:amqp-value:*",
    "amqp:footer:map",
};

// The section a descriptor names, by code or by symbol; unknown for anything else.
inline section section_of(value_view descriptor) noexcept {
  switch (descriptor.type()) {
    case kind::ulong: {
      const std::uint64_t c = descriptor.as_ulong() - first_section_code;  // wraps below 0x70
      return c <= static_cast<std::uint64_t>(section::footer) ? static_cast<section>(c)
                                                              : section::unknown;
    }
    case kind::symbol: {
      const std::string_view s = descriptor.as_string();
      for (std::size_t i = 0; i < std::size(section_symbols); ++i)
        if (section_symbols[i] == s) return static_cast<section>(i);
      return section::unknown;
    }
    default:
      return section::unknown;
  }
}

// The section a smallulong descriptor code names.
constexpr section section_code(std::uint8_t code) noexcept {
  const auto c = static_cast<std::uint8_t>(code - first_section_code);  // wraps below 0x70
  return c <= static_cast<std::uint8_t>(section::footer) ? static_cast<section>(c)
                                                         : section::unknown;
}

// Where a section may appear: each rank at most once and in increasing order, except the body
// (rank 5), whose data and amqp-sequence sections may repeat.
constexpr int rank_of(section s) noexcept {
  return s <= section::application_properties ? static_cast<int>(s)
         : s == section::footer               ? 6
                                              : 5;
}

}  // namespace amqp::detail
