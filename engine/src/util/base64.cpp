// Base64 encoding and strict decoding (RFC 4648 section 4).
#include "base64.hpp"

#include <array>

namespace amqp::detail {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_reverse() {
  std::array<std::uint8_t, 256> r{};
  for (auto& v : r) v = invalid;
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    r[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  return r;
}
constexpr std::array<std::uint8_t, 256> reverse = make_reverse();

}  // namespace

std::string_view describe(base64_error e) noexcept {
  switch (e) {
    case base64_error::bad_length:
      return "a base64 length that is not a multiple of 4";
    case base64_error::bad_character:
      return "a character outside the base64 alphabet";
    case base64_error::bad_padding:
      return "invalid base64 padding";
    case base64_error::too_long:
      return "a base64 value longer than allowed";
  }
  return "invalid base64";
}

void base64_encode_append(bytes_view in, std::string& out) {
  out.reserve(out.size() + base64_encoded_size(in.size()));
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = std::uint32_t{in[i]} << 16 | std::uint32_t{in[i + 1]} << 8 | in[i + 2];
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest == 0) return;
  std::uint32_t v = std::uint32_t{in[i]} << 16;
  if (rest == 2) v |= std::uint32_t{in[i + 1]} << 8;
  out += alphabet[v >> 18 & 63];
  out += alphabet[v >> 12 & 63];
  out += rest == 2 ? alphabet[v >> 6 & 63] : '=';
  out += '=';
}

std::string base64_encode(bytes_view in) {
  std::string out;
  base64_encode_append(in, out);
  return out;
}

result<std::size_t, base64_error> base64_decode(std::string_view text,
                                                std::span<std::uint8_t> out) noexcept {
  if (text.size() % 4 != 0) return base64_error::bad_length;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') {
    pad = 1;
    if (text[text.size() - 2] == '=') pad = 2;
    if (text.size() >= 3 && pad == 2 && text[text.size() - 3] == '=')
      return base64_error::bad_padding;
  }
  const std::size_t size = text.size() / 4 * 3 - pad;
  if (size > out.size()) return base64_error::too_long;
  std::size_t o = 0;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t data_chars = last ? 4 - pad : 4;
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      std::uint32_t d = 0;
      if (k < data_chars) {
        d = reverse[static_cast<unsigned char>(text[i + k])];
        if (d == invalid) return base64_error::bad_character;
      }
      v = v << 6 | d;
    }
    // RFC 4648 section 3.5: the bits the padding leaves over must be zero, or two different
    // texts would decode to the same bytes.
    if (pad == 1 && last && (v & 0xff) != 0) return base64_error::bad_padding;
    if (pad == 2 && last && (v & 0xffff) != 0) return base64_error::bad_padding;
    out[o++] = static_cast<std::uint8_t>(v >> 16);
    if (data_chars >= 3) out[o++] = static_cast<std::uint8_t>(v >> 8);
    if (data_chars == 4) out[o++] = static_cast<std::uint8_t>(v);
  }
  return o;
}

result<std::vector<std::uint8_t>, base64_error> base64_decode(std::string_view text) {
  std::vector<std::uint8_t> out(text.size() / 4 * 3);
  auto n = base64_decode(text, out);
  if (!n) return n.error();
  out.resize(*n);
  return out;
}

}  // namespace amqp::detail
