// Configuration of the engine: the limits on everything a peer controls.
//
//   amqp::limits l;
//   l.max_frame_size = 1 << 20;
//   l.decode.max_depth = 16;
//
// Defaults are safe for a server facing untrusted peers.
#pragma once

#include <cstdint>

#include "amqp/codec/decoder.hpp"
#include "amqp/spec/constants.hpp"

namespace amqp {

struct limits {
  // Largest frame accepted (and advertised as max-frame-size); at least 512 (spec Part 2, 2.7.1).
  std::uint32_t max_frame_size = 1u << 20;
  // Nesting depth and zero-width element bounds for every decoded value.
  decode_limits decode{};
};

}  // namespace amqp
