// Byte-level helpers shared by the frame layer's sources.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "amqp/codec/types.hpp"
#include "amqp/errors.hpp"
#include "amqp/frame.hpp"

namespace amqp::detail {

inline std::uint32_t load_u32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

inline void store_u32(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// Checks the first min(8, bytes.size()) bytes of a protocol header, in order, and reports the
// first bad one (offset relative to bytes.data()). Checking byte by byte lets the reader reject
// a stream as soon as the offending byte arrives, with the same result as for the whole header.
std::optional<decode_error> check_protocol_header_prefix(bytes_view bytes) noexcept;

// A protocol header as errors name it, in the spec's notation: "AMQP 3.1.0.0" for SASL.
inline std::string describe_header(const protocol_header& h) {
  return "AMQP " + std::to_string(static_cast<int>(h.id)) + "." + std::to_string(h.major) + "." +
         std::to_string(h.minor) + "." + std::to_string(h.revision);
}

}  // namespace amqp::detail
