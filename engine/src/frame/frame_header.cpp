// Frame bodies (spec Part 2, 2.3; Part 5, 5.3.1 for SASL frames); the 8-byte header is parsed
// inline (parse_frame_header in frame.hpp).
#include "amqp/frame.hpp"
#include "frame/wire.hpp"

namespace amqp {

result<frame_view> decode_frame_body(const frame_header& h, bytes_view body,
                                     const decode_limits& limits, bool decode_performative) {
  if (h.size < frame_header_size) return decode_error{errc::frame_size_too_small, 0};
  if (h.doff < 2 || std::uint32_t{h.doff} * 4 > h.size)
    return decode_error{errc::invalid_data_offset, 0};
  const std::size_t len = h.size - frame_header_size;
  if (body.size() < len) return decode_error{errc::truncated, body.size()};
  body = body.first(len);

  const bool sasl = h.type == frame_type::sasl;
  const std::size_t ext = std::size_t{h.doff} * 4 - frame_header_size;
  frame_view f;
  f.type = h.type;
  // Spec Part 5, 5.3.1: bytes 6 and 7 of a SASL frame header are ignored.
  f.channel = sasl ? 0 : h.channel;
  f.extended_header = body.first(ext);
  const bytes_view rest = body.subspan(ext);
  f.payload = rest;  // an empty frame: no performative, no payload
  if (rest.empty()) {
    // Spec Part 2, 2.3.2: an empty AMQP frame is a heartbeat. Part 5, 5.3.1: an empty SASL
    // frame is an irrecoverable error.
    if (sasl) return decode_error{errc::invalid_frame_body, ext};
    return f;
  }
  // The performative is a described type (spec Part 2, 2.3.2); anything else is refused
  // before the decoder spends time on it.
  if (rest[0] != format_code::described) return decode_error{errc::invalid_frame_body, ext};
  if (!sasl && !decode_performative) return f;
  std::size_t used = 0;
  auto v = decode_value_prefix(rest, used, limits);
  if (!v) return decode_error{v.error().code, ext + v.error().offset};
  f.performative = *v;
  f.payload = rest.subspan(used);
  // Spec Part 5, 5.3.1: a SASL frame body is exactly one value.
  if (sasl && !f.payload.empty()) return decode_error{errc::trailing_bytes, ext + used};
  return f;
}

}  // namespace amqp
