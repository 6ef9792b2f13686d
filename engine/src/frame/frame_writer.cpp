// Writing frames: the header is written first with a placeholder size, which is back-patched
// once the body is encoded, so the body is encoded only once.
#include "amqp/frame.hpp"
#include "frame/wire.hpp"

namespace amqp {

std::size_t detail::begin_frame(writer& out, frame_type type, std::uint16_t channel) {
  const std::size_t start = out.size();
  // Spec Part 5, 5.3.1: the channel bytes of a SASL frame SHOULD be 0.
  if (type == frame_type::sasl) channel = 0;
  std::uint8_t* p = out.extend(frame_header_size);
  store_u32(p, 0);
  p[4] = 2;  // no extended header
  p[5] = static_cast<std::uint8_t>(type);
  p[6] = static_cast<std::uint8_t>(channel >> 8);
  p[7] = static_cast<std::uint8_t>(channel);
  return start;
}

std::error_code detail::end_frame(writer& out, std::size_t start, std::uint32_t max_frame_size) {
  const std::size_t size = out.size() - start;
  if (size > max_frame_size) {
    out.truncate(start);
    return make_error_code(errc::frame_size_too_large);
  }
  store_u32(out.data() + start, static_cast<std::uint32_t>(size));
  return {};
}

void write_empty_frame(writer& out, std::uint16_t channel) {
  const std::size_t start = detail::begin_frame(out, frame_type::amqp, channel);
  // Eight bytes always fit: the header alone is the smallest legal frame.
  detail::store_u32(out.data() + start, static_cast<std::uint32_t>(frame_header_size));
}

}  // namespace amqp
