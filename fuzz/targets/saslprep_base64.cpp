// Fuzz target: the text helpers under the SCRAM mechanisms: strict base64
// (engine/src/util/base64.hpp), SASLprep (engine/src/sasl/saslprep.hpp) and the saslname
// escaping and error-text quoting of scram_internal.hpp, each on the whole input.
//
// Oracles, a broken one traps:
// - base64: decode(encode(x)) == x for the input as bytes, the encoding has
//   base64_encoded_size(n) characters, appending keeps what was there; decoding into a buffer
//   exactly the decoded size works, one byte smaller is too_long;
// - base64, strict: the input as text decodes exactly when a reference check of RFC 4648's
//   canonical form accepts it (length a multiple of 4, alphabet characters, '=' only as one or
//   two final characters, zero bits under the padding); when it decodes, encode(decode(s)) == s;
//   a length that is not a multiple of 4 is bad_length;
// - SASLprep: on success the output is well-formed UTF-8, not empty, never longer than the
//   input, the input with RFC 3454 table B.1 removed and table C.1.2 turned into SPACE (the
//   mapping, checked against tables written out here), free of ASCII controls, and SASLprep of
//   the output gives the output back; printable ASCII comes out unchanged; an invalid_utf8
//   error points at a byte of the input where a reference UTF-8 reader stops, a prohibited one
//   at the character it names, which is neither printable ASCII nor mapped; an `empty` error
//   only for input that maps to nothing;
// - saslname escaping: unescape(escape(x)) == x and the escaped form has no ','; unescape
//   accepts exactly the texts whose every '=' starts "=2C" or "=3D";
// - error-text quoting: sanitized() gives printable ASCII, at most 64 bytes and "...";
//   quoted_name() of a valid UTF-8 name gives valid UTF-8 without control characters.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/saslprep.hpp"
#include "sasl/scram_internal.hpp"
#include "util/base64.hpp"

namespace {

using amqp::detail::base64_error;

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "saslprep_base64 oracle broken: %s\n", what);
  std::fflush(stderr);
  __builtin_trap();
}
void check(bool ok, const char* what) {
  if (!ok) broken(what);
}

// ---- a reference UTF-8 reader (RFC 3629) ------------------------------------------------------

// Reads one character at s[i]: its code point and length, or nullopt when the bytes there are
// not well-formed UTF-8 (overlong, surrogate, above U+10FFFF, truncated, stray continuation).
struct utf8_char {
  char32_t cp;
  std::size_t length;
};
std::optional<utf8_char> read_utf8(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return utf8_char{c, 1};
  std::size_t n;
  char32_t cp;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return std::nullopt;
  }
  if (s.size() - i < n) return std::nullopt;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  static constexpr char32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  return utf8_char{cp, n};
}

// The offset of the first byte that is not well-formed UTF-8, or s.size().
std::size_t utf8_stop(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = read_utf8(s, i);
    if (!c) return i;
    i += c->length;
  }
  return i;
}

// RFC 3454 table C.1.2 (non-ASCII spaces, mapped to SPACE) and table B.1 (mapped to nothing).
// U+200B is in both; saslprep.hpp documents that C.1.2 wins.
bool non_ascii_space(char32_t c) {
  return c == 0x00a0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200b) || c == 0x202f || c == 0x205f ||
         c == 0x3000;
}
bool mapped_to_nothing(char32_t c) {
  return c == 0x00ad || c == 0x034f || c == 0x1806 || (c >= 0x180b && c <= 0x180d) ||
         (c >= 0x200b && c <= 0x200d) || c == 0x2060 || (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff;
}

// The mapping step alone (RFC 4013 section 2.1) on well-formed UTF-8.
std::string reference_map(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const utf8_char c = *read_utf8(s, i);
    if (non_ascii_space(c.cp)) {
      out += ' ';
    } else if (!mapped_to_nothing(c.cp)) {
      out.append(s.substr(i, c.length));
    }
    i += c.length;
  }
  return out;
}

bool printable_ascii(std::string_view s) {
  for (char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// ---- base64 ---------------------------------------------------------------------------------

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// RFC 4648 canonical base64 (section 3.5 for the padding bits), decided without decoding.
bool canonical_base64(std::string_view s) {
  if (s.size() % 4 != 0) return false;
  std::size_t pad = 0;
  while (pad < s.size() && pad < 3 && s[s.size() - 1 - pad] == '=') ++pad;
  if (pad > 2) return false;
  for (std::size_t i = 0; i + pad < s.size(); ++i)
    if (alphabet.find(s[i]) == std::string_view::npos) return false;
  if (pad == 0) return true;
  // The last data character carries 2 (one '=') or 4 (two '=') bits that must be zero.
  const std::size_t v = alphabet.find(s[s.size() - pad - 1]);
  return pad == 1 ? (v & 0x3) == 0 : (v & 0xf) == 0;
}

void base64_checks(std::string_view text) {
  const amqp::bytes_view raw(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());

  // Round trip of the input as bytes.
  const std::string encoded = amqp::detail::base64_encode(raw);
  check(encoded.size() == amqp::detail::base64_encoded_size(raw.size()),
        "the encoding's length is not base64_encoded_size");
  check(canonical_base64(encoded), "the encoder wrote a non-canonical encoding");
  auto back = amqp::detail::base64_decode(encoded);
  check(back.has_value(), "the decoder refused the encoder's output");
  check(back->size() == raw.size() && std::equal(back->begin(), back->end(), raw.begin()),
        "decode(encode(x)) != x");
  std::string appended = "prefix:";
  amqp::detail::base64_encode_append(raw, appended);
  check(appended == "prefix:" + encoded, "base64_encode_append lost or changed what was there");
  if (!raw.empty()) {
    std::vector<std::uint8_t> exact(raw.size());
    auto n = amqp::detail::base64_decode(encoded, exact);
    check(n.has_value() && *n == raw.size() && exact == *back,
          "decoding into a buffer of the exact size failed");
    std::vector<std::uint8_t> small(raw.size() - 1);
    auto m = amqp::detail::base64_decode(encoded, small);
    check(!m.has_value() && m.error() == base64_error::too_long,
          "decoding into a buffer one byte short was not too_long");
  }

  // The input as text: strict decoding accepts the canonical spelling only.
  auto decoded = amqp::detail::base64_decode(text);
  check(decoded.has_value() == canonical_base64(text),
        "the strict decoder and the canonical-form check disagree");
  if (decoded) {
    check(amqp::detail::base64_encode(*decoded) == text, "encode(decode(s)) != s");
  } else {
    const base64_error e = decoded.error();
    check(e != base64_error::too_long, "an allocating decode reported too_long");
    check((text.size() % 4 != 0) == (e == base64_error::bad_length),
          "bad_length does not mean a length that is not a multiple of 4");
    check(!amqp::detail::describe(e).empty(), "an error has no description");
  }
}

// ---- SASLprep -------------------------------------------------------------------------------

void saslprep_checks(std::string_view text) {
  std::string out = "left over";
  const auto e = amqp::detail::saslprep(text, out);
  const std::size_t stop = utf8_stop(text);
  if (!e) {
    check(stop == text.size(), "SASLprep accepted input that is not UTF-8");
    check(!out.empty(), "SASLprep returned an empty result");
    check(out.size() <= text.size(), "SASLprep made its input longer");
    check(utf8_stop(out) == out.size(), "SASLprep output is not UTF-8");
    check(out == reference_map(text), "SASLprep output is not the input mapped (B.1, C.1.2)");
    for (std::size_t i = 0; i < out.size();) {
      const utf8_char c = *read_utf8(out, i);
      check(c.cp >= 0x20 && c.cp != 0x7f && !(c.cp >= 0x80 && c.cp <= 0x9f),
            "SASLprep output holds a control character (C.2.1, C.2.2)");
      check(!non_ascii_space(c.cp) && !mapped_to_nothing(c.cp),
            "SASLprep output holds a character the mapping removes");
      i += c.length;
    }
    std::string again;
    const auto e2 = amqp::detail::saslprep(out, again);
    check(!e2 && again == out, "SASLprep is not idempotent");
    return;
  }
  if (!text.empty() && printable_ascii(text)) broken("SASLprep refused printable ASCII");
  switch (e->code) {
    case amqp::detail::saslprep_errc::invalid_utf8:
      check(stop < text.size(), "invalid_utf8 for well-formed UTF-8");
      check(e->offset == stop, "invalid_utf8 does not point where UTF-8 breaks");
      break;
    case amqp::detail::saslprep_errc::prohibited: {
      check(e->offset < stop, "a prohibited character past the end of the valid UTF-8");
      const auto c = read_utf8(text, e->offset);
      check(c.has_value() && c->cp == e->code_point,
            "the prohibited character is not the one at its offset");
      check(!(e->code_point >= 0x20 && e->code_point <= 0x7e) && !non_ascii_space(e->code_point) &&
                !mapped_to_nothing(e->code_point),
            "a printable or mapped character reported as prohibited");
      const std::string name = amqp::detail::code_point_name(e->code_point);
      check(name.size() >= 6 && name.compare(0, 2, "U+") == 0, "code_point_name is not U+XXXX");
      break;
    }
    case amqp::detail::saslprep_errc::empty:
      check(stop == text.size() && reference_map(text).empty(),
            "`empty` for input that does not map to nothing");
      break;
    default:
      broken("SASLprep failed with an undocumented code");
  }
}

// ---- saslname escaping and error-text quoting -----------------------------------------------

void escaping_checks(std::string_view text) {
  namespace scram = amqp::detail::scram;
  std::string escaped;
  scram::append_escaped_name(text, escaped);
  check(escaped.find(',') == std::string::npos, "an escaped name holds ','");
  std::string back = "left over";
  check(scram::unescape_name(escaped, back) && back == text, "unescape(escape(x)) != x");

  bool valid = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') continue;
    const std::string_view code = text.substr(i + 1, 2);
    if (code != "2C" && code != "3D") valid = false;
    i += 2;
  }
  std::string plain;
  check(scram::unescape_name(text, plain) == valid,
        "unescape_name disagrees on which '=' sequences are valid");
  if (valid) check(plain.size() <= text.size(), "unescaping grew a name");

  const std::string s = scram::sanitized(text);
  check(printable_ascii(s), "sanitized() let a non-printable byte through");
  check(s.size() <= 64 + 3, "sanitized() is longer than 64 bytes and \"...\"");
  if (utf8_stop(text) == text.size()) {
    const std::string q = scram::quoted_name(text);
    check(utf8_stop(q) == q.size(), "quoted_name() cut a UTF-8 character");
    for (char c : q)
      check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f,
            "quoted_name() let a control character through");
    check(q.size() <= 2 + 64 + 3, "quoted_name() is longer than 64 bytes, quotes and \"...\"");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  base64_checks(text);
  saslprep_checks(text);
  escaping_checks(text);
  return 0;
}
