// SASLprep (RFC 4013) without normalisation; saslprep.hpp says what is and is not done.
#include "saslprep.hpp"

#include <array>
#include <cstdio>

namespace amqp::detail {
namespace {

struct range {
  char32_t first;
  char32_t last;
};

template <std::size_t N>
constexpr bool in_table(const std::array<range, N>& table, char32_t cp) noexcept {
  for (const range& r : table)
    if (cp >= r.first && cp <= r.last) return true;
  return false;
}

// RFC 3454 table C.1.2, non-ASCII space characters: mapped to SPACE (RFC 4013 section 2.1).
constexpr std::array<range, 6> non_ascii_space{{
    {0x00a0, 0x00a0},
    {0x1680, 0x1680},
    {0x2000, 0x200b},
    {0x202f, 0x202f},
    {0x205f, 0x205f},
    {0x3000, 0x3000},
}};

// RFC 3454 table B.1, commonly mapped to nothing (RFC 4013 section 2.1). U+200B is also in
// C.1.2, which is checked first.
constexpr std::array<range, 8> mapped_to_nothing{{
    {0x00ad, 0x00ad},
    {0x034f, 0x034f},
    {0x1806, 0x1806},
    {0x180b, 0x180d},
    {0x200b, 0x200d},
    {0x2060, 0x2060},
    {0xfe00, 0xfe0f},
    {0xfeff, 0xfeff},
}};

// Prohibited output, RFC 4013 section 2.3 (RFC 3454 tables C.2.1 to C.9). C.1.2 is prohibited
// too, but mapping has already turned every such character into SPACE; C.4's U+nFFFE/U+nFFFF
// pairs are tested arithmetically in prohibited().
constexpr std::array<range, 22> prohibited_ranges{{
    {0x0000, 0x001f},      // C.2.1 ASCII control
    {0x007f, 0x009f},      // C.2.1 DEL, C.2.2 C1 controls
    {0x0340, 0x0341},      // C.8
    {0x06dd, 0x06dd},      // C.2.2
    {0x070f, 0x070f},      // C.2.2
    {0x180e, 0x180e},      // C.2.2
    {0x200c, 0x200f},      // C.2.2 (200C, 200D), C.8 (200E, 200F)
    {0x2028, 0x2029},      // C.2.2
    {0x202a, 0x202e},      // C.8
    {0x2060, 0x2063},      // C.2.2
    {0x206a, 0x206f},      // C.2.2, C.8
    {0x2ff0, 0x2ffb},      // C.7
    {0xd800, 0xdfff},      // C.5 surrogates
    {0xe000, 0xf8ff},      // C.3 private use
    {0xfdd0, 0xfdef},      // C.4
    {0xfeff, 0xfeff},      // C.2.2
    {0xfff9, 0xfffd},      // C.2.2 (FFF9-FFFC), C.6
    {0x1d173, 0x1d17a},    // C.2.2
    {0xe0001, 0xe0001},    // C.9
    {0xe0020, 0xe007f},    // C.9
    {0xf0000, 0xffffd},    // C.3
    {0x100000, 0x10fffd},  // C.3
}};

bool prohibited(char32_t cp) noexcept {
  if ((cp & 0xfffe) == 0xfffe) return true;  // C.4: U+xFFFE and U+xFFFF in every plane
  return in_table(prohibited_ranges, cp);
}

// Decodes one well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF) at s[i]; advances i. False on a bad sequence.
bool next_code_point(std::string_view s, std::size_t& i, char32_t& cp) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t c = byte(i);
  if (c < 0x80) {
    cp = c;
    ++i;
    return true;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    min = 0x80;
    cp = c & 0x1fu;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    min = 0x800;
    cp = c & 0x0fu;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    min = 0x10000;
    cp = c & 0x07u;
  } else {
    return false;
  }
  if (s.size() - i < len) return false;
  for (std::size_t k = 1; k < len; ++k) {
    const std::uint8_t b = byte(i + k);
    if ((b & 0xc0) != 0x80) return false;
    cp = cp << 6 | (b & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
  i += len;
  return true;
}

}  // namespace

std::optional<saslprep_error> saslprep(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const std::size_t start = i;
    char32_t cp = 0;
    if (!next_code_point(in, i, cp)) return saslprep_error{saslprep_errc::invalid_utf8, 0, start};
    if (cp >= 0x20 && cp < 0x7f) {
      out += static_cast<char>(cp);
      continue;
    }
    // Mapping (RFC 4013 section 2.1). Neither mapping lengthens the output.
    if (in_table(non_ascii_space, cp)) {
      out += ' ';
      continue;
    }
    if (in_table(mapped_to_nothing, cp)) continue;
    // Prohibited output (RFC 4013 section 2.3).
    if (prohibited(cp)) return saslprep_error{saslprep_errc::prohibited, cp, start};
    out.append(in.substr(start, i - start));
  }
  if (out.empty()) return saslprep_error{saslprep_errc::empty, 0, 0};
  return std::nullopt;
}

std::string code_point_name(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

}  // namespace amqp::detail
