// Protocol headers: "AMQP", a protocol id, and the version 1.0.0 (spec Part 2, 2.2; Part 5, 5.2
// for TLS, id 2, and 5.3 for SASL, id 3).
#include <algorithm>

#include "amqp/frame.hpp"
#include "frame/wire.hpp"

namespace amqp {
namespace {

constexpr std::uint8_t magic[4] = {'A', 'M', 'Q', 'P'};
// The only version this library speaks (spec Part 2, 2.8.19 MAJOR, MINOR, REVISION; the TLS and
// SASL layers use the same numbers).
constexpr std::uint8_t version[3] = {1, 0, 0};

bool is_known_id(std::uint8_t id) noexcept {
  return id == static_cast<std::uint8_t>(protocol_id::amqp) ||
         id == static_cast<std::uint8_t>(protocol_id::tls) ||
         id == static_cast<std::uint8_t>(protocol_id::sasl);
}

}  // namespace

std::optional<decode_error> detail::check_protocol_header_prefix(bytes_view bytes) noexcept {
  const std::size_t n = std::min(bytes.size(), protocol_header_size);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t b = bytes[i];
    if (i < 4) {
      if (b != magic[i]) return decode_error{errc::invalid_protocol_header, i};
    } else if (i == 4) {
      if (!is_known_id(b)) return decode_error{errc::unsupported_protocol, i};
    } else if (b != version[i - 5]) {
      return decode_error{errc::unsupported_protocol, i};
    }
  }
  return std::nullopt;
}

result<protocol_header> parse_protocol_header(bytes_view bytes) {
  if (auto e = detail::check_protocol_header_prefix(bytes)) return *e;
  if (bytes.size() < protocol_header_size) return decode_error{errc::truncated, bytes.size()};
  protocol_header h;
  h.id = static_cast<protocol_id>(bytes[4]);
  h.major = bytes[5];
  h.minor = bytes[6];
  h.revision = bytes[7];
  return h;
}

void write_protocol_header(writer& out, protocol_id id) {
  std::uint8_t* p = out.extend(protocol_header_size);
  std::copy(std::begin(magic), std::end(magic), p);
  p[4] = static_cast<std::uint8_t>(id);
  std::copy(std::begin(version), std::end(version), p + 5);
}

}  // namespace amqp
