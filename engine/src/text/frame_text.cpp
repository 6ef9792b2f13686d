// Text of protocol headers and frames (amqp/text.hpp).
#include "text/text_format.hpp"

namespace amqp {
namespace {

constexpr std::uint64_t transfer_code = 0x14;

bool is_transfer(value_view performative) {
  return performative.type() == kind::described &&
         performative.as_described().is(transfer_code, "amqp:transfer:list");
}

// The payload as hex: on the same line when it fits (or multiline is off), else in lines of
// a multiple of 8 bytes that fit the width.
void payload_hex(detail::text_printer& p, std::string& out, bytes_view payload,
                 const text_options& options) {
  const std::size_t level_indent = options.indent > 0 ? static_cast<std::size_t>(options.indent) : 0;
  p.text("payload ");
  detail::append_unsigned(out, payload.size());
  p.text(payload.size() == 1 ? " byte:" : " bytes:");
  const std::size_t width = options.width > 0 ? static_cast<std::size_t>(options.width) : 0;
  if (!options.multiline || p.column() + 3 * payload.size() <= width) {
    p.text(" ");
    detail::append_spaced_hex(out, payload);
    return;
  }
  const std::size_t room = width > 2 * level_indent ? width - 2 * level_indent : 0;
  std::size_t per_line = (room + 1) / 3 / 8 * 8;
  if (per_line < 8) per_line = 8;
  for (std::size_t i = 0; i < payload.size(); i += per_line) {
    p.newline(2);
    detail::append_spaced_hex(out, payload.subspan(i, std::min(per_line, payload.size() - i)));
  }
}

}  // namespace

std::string to_text(const protocol_header& h) {
  std::string out;
  switch (h.id) {
    case protocol_id::amqp: out = "AMQP "; break;
    case protocol_id::sasl: out = "SASL "; break;
    case protocol_id::tls: out = "TLS "; break;
    default:
      out = "AMQP id ";
      detail::append_unsigned(out, static_cast<std::uint8_t>(h.id));
      out += ' ';
  }
  detail::append_unsigned(out, h.major);
  out += '.';
  detail::append_unsigned(out, h.minor);
  out += '.';
  detail::append_unsigned(out, h.revision);
  return out;
}

void append_text(std::string& out, const protocol_header& h, std::uint64_t offset) {
  out += '[';
  detail::append_unsigned(out, offset);
  out += "] ";
  out += to_text(h);
}

void append_text(std::string& out, const frame_view& f, const text_options& options) {
  out += '[';
  detail::append_unsigned(out, f.offset);
  out += "] ch ";
  detail::append_unsigned(out, f.channel);
  if (!f.extended_header.empty()) {
    out += " ext ";
    detail::append_hex_bytes(out, f.extended_header);
  }
  if (f.is_empty() && f.payload.empty()) {
    out += " (empty frame)";
    return;
  }
  out += ' ';
  detail::text_printer p(out, options);
  p.value(f.performative);
  if (f.payload.empty()) return;

  auto next_part = [&] {
    if (options.multiline) p.newline(1);
    else p.text(" ");
  };
  if (is_transfer(f.performative) && decode_message(f.payload)) {
    bytes_view rest = f.payload;
    while (!rest.empty()) {
      std::size_t used = 0;
      auto section = decode_value_prefix(rest, used);
      if (!section) break;  // cannot happen: decode_message checked every section
      next_part();
      p.value(*section, 1);
      rest = rest.subspan(used);
    }
  } else {
    next_part();
    payload_hex(p, out, f.payload, options);
  }
}

std::string to_text(const frame_view& f, const text_options& options) {
  std::string out;
  append_text(out, f, options);
  return out;
}

}  // namespace amqp
