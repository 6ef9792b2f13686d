// Parsing the four SCRAM messages (RFC 5802 section 7) and the saslname escaping (section 5.1).
//
// A message is split at ',' once: no attribute value may contain ',' (value-char excludes it),
// so every field is one attribute, and the field count is bounded before anything else is
// looked at. All results are views into the caller's text.
#include <array>
#include <charconv>

#include "amqp/codec/decoder.hpp"
#include "scram_internal.hpp"

namespace amqp::detail::scram {
namespace {

// The RFC messages have at most four attributes plus the gs2 header; the rest are optional
// extensions, which nobody defines yet. Sixteen leaves room without letting a peer make us
// walk thousands of them.
constexpr std::size_t max_fields = 16;

struct field_list {
  std::array<std::string_view, max_fields> items;
  std::size_t count = 0;
};

message_error malformed(std::string what) {
  return {scram_errc::malformed, std::move(what)};
}
message_error unsupported(std::string what) {
  return {scram_errc::unsupported, std::move(what)};
}

// The checks every message gets before it is split: a size bound, no NUL (value-char
// excludes it), well-formed UTF-8 (every value is UTF8-char based).
std::optional<message_error> check_text(std::string_view text, std::string_view message) {
  const std::string name(message);
  if (text.empty()) return malformed("empty " + name);
  if (text.size() > scram_max_message_size)
    return malformed("the " + name + " is longer than " + std::to_string(scram_max_message_size) +
                     " bytes");
  if (text.find('\0') != std::string_view::npos)
    return malformed("the " + name + " contains a NUL byte");
  if (utf8_error_offset(text) != text.size())
    return malformed("the " + name + " is not valid UTF-8");
  return std::nullopt;
}

bool split(std::string_view text, field_list& out) {
  out.count = 0;
  for (;;) {
    if (out.count == max_fields) return false;
    const std::size_t comma = text.find(',');
    out.items[out.count++] = text.substr(0, comma);
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

bool has_name(std::string_view field, char name) {
  return field.size() >= 2 && field[0] == name && field[1] == '=';
}

// The value of attribute `name` in `field`; an error when the field is another attribute or
// the value is empty (every attribute value is 1*char in section 7).
parsed<std::string_view> attribute(std::string_view field, char name, std::string_view message) {
  const std::string attr = std::string(1, name) + "=";
  if (!has_name(field, name))
    return malformed("the " + std::string(message) + " lacks the " + attr +
                     " attribute where it belongs");
  if (field.size() == 2)
    return malformed("empty " + attr + " attribute in the " + std::string(message));
  return field.substr(2);
}

bool is_printable(std::string_view s) {
  for (char c : s)
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  return true;
}

std::optional<message_error> check_nonce(std::string_view nonce, std::string_view message) {
  if (nonce.size() > scram_max_nonce_length)
    return malformed("the nonce in the " + std::string(message) + " is longer than " +
                     std::to_string(scram_max_nonce_length) + " characters");
  if (!is_printable(nonce))
    return malformed("the nonce in the " + std::string(message) +
                     " has a character outside U+0021..U+007E");
  return std::nullopt;
}

// Optional extensions (section 7, attr-val): ALPHA "=" 1*value-char, ignored when valid.
// A letter the RFC gives a meaning to is refused here, where it can only be a duplicate or a
// misplaced attribute that would make the message ambiguous.
std::optional<message_error> check_extensions(const field_list& f, std::size_t from, std::size_t to,
                                              std::string_view message) {
  constexpr std::string_view defined = "acemnprsvi";
  for (std::size_t k = from; k < to; ++k) {
    const std::string_view e = f.items[k];
    const bool alpha = !e.empty() && ((e[0] >= 'a' && e[0] <= 'z') || (e[0] >= 'A' && e[0] <= 'Z'));
    if (!alpha || e.size() < 3 || e[1] != '=')
      return malformed("the " + std::string(message) + " has a field that is not an attribute");
    if (defined.find(e[0]) != std::string_view::npos)
      return malformed("the " + std::string(message) + " has a duplicate or misplaced " +
                       std::string(1, e[0]) + "= attribute");
  }
  return std::nullopt;
}

// saslname = 1*(value-safe-char / "=2C" / "=3D"): checked for syntax here, decoded later.
std::optional<message_error> check_saslname(std::string_view name, std::string_view what) {
  std::string ignored;
  if (!unescape_name(name, ignored))
    return message_error{scram_errc::invalid_name,
                         "the " + std::string(what) + " has '=' not followed by 2C or 3D"};
  return std::nullopt;
}

}  // namespace

parsed<client_first_message> parse_client_first(std::string_view text) {
  constexpr std::string_view msg = "client-first-message";
  if (auto e = check_text(text, msg)) return *e;
  field_list f;
  if (!split(text, f)) return malformed("the client-first-message has too many attributes");
  client_first_message m;
  // gs2-header = gs2-cbind-flag "," [ authzid ] "," (section 7).
  const std::string_view flag = f.items[0];
  if (has_name(flag, 'p'))
    return unsupported("the client requires channel binding (" + sanitized(flag) +
                       "), which is not supported");
  if (flag != "n" && flag != "y")
    return malformed("the client-first-message does not start with a gs2 header");
  if (f.count < 4) return malformed("the client-first-message is truncated");
  m.cbind_flag = flag[0];
  if (!f.items[1].empty()) {
    auto a = attribute(f.items[1], 'a', "gs2 header");
    if (!a) return a.error();
    if (auto e = check_saslname(*a, "authorization identity")) return *e;
    m.authzid = *a;
  }
  const std::size_t header_size = f.items[0].size() + f.items[1].size() + 2;
  m.gs2_header = text.substr(0, header_size);
  m.bare = text.substr(header_size);
  // Section 5.1: a client that sends m= requires an extension we do not know, so we fail.
  if (has_name(f.items[2], 'm'))
    return unsupported("the client requires an extension (m=) that is not supported");
  auto n = attribute(f.items[2], 'n', msg);
  if (!n) return n.error();
  if (auto e = check_saslname(*n, "username")) return *e;
  m.username = *n;
  auto r = attribute(f.items[3], 'r', msg);
  if (!r) return r.error();
  if (auto e = check_nonce(*r, msg)) return *e;
  m.nonce = *r;
  if (auto e = check_extensions(f, 4, f.count, msg)) return *e;
  return m;
}

parsed<server_first_message> parse_server_first(std::string_view text,
                                                std::uint32_t max_iterations) {
  constexpr std::string_view msg = "server-first-message";
  if (auto e = check_text(text, msg)) return *e;
  field_list f;
  if (!split(text, f)) return malformed("the server-first-message has too many attributes");
  if (has_name(f.items[0], 'm'))
    return unsupported("the server requires an extension (m=) that is not supported");
  if (f.count < 3) return malformed("the server-first-message is truncated");
  server_first_message m;
  auto r = attribute(f.items[0], 'r', msg);
  if (!r) return r.error();
  if (auto e = check_nonce(*r, msg)) return *e;
  m.nonce = *r;
  auto s = attribute(f.items[1], 's', msg);
  if (!s) return s.error();
  m.salt = *s;
  auto i = attribute(f.items[2], 'i', msg);
  if (!i) return i.error();
  // posit-number = %x31-39 *DIGIT
  const std::string_view digits = *i;
  if (digits[0] < '1' || digits[0] > '9' ||
      digits.find_first_not_of("0123456789") != std::string_view::npos)
    return malformed("the iteration count in the server-first-message is not a positive number");
  std::uint64_t count = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (ec != std::errc{} || end != digits.data() + digits.size() || count > max_iterations)
    return unsupported(
        "the server asks for " +
        (digits.size() > 12 ? std::string("a huge number of") : std::string(digits)) +
        " iterations, more than the limit of " + std::to_string(max_iterations));
  m.iterations = static_cast<std::uint32_t>(count);
  if (auto e = check_extensions(f, 3, f.count, msg)) return *e;
  return m;
}

parsed<client_final_message> parse_client_final(std::string_view text) {
  constexpr std::string_view msg = "client-final-message";
  if (auto e = check_text(text, msg)) return *e;
  field_list f;
  if (!split(text, f)) return malformed("the client-final-message has too many attributes");
  if (f.count < 3) return malformed("the client-final-message is truncated");
  client_final_message m;
  auto c = attribute(f.items[0], 'c', msg);
  if (!c) return c.error();
  m.channel_binding = *c;
  auto r = attribute(f.items[1], 'r', msg);
  if (!r) return r.error();
  if (auto e = check_nonce(*r, msg)) return *e;
  m.nonce = *r;
  // The proof comes last: client-final-message-without-proof "," proof.
  const std::string_view last = f.items[f.count - 1];
  auto p = attribute(last, 'p', msg);
  if (!p) return p.error();
  m.proof = *p;
  m.without_proof = text.substr(0, text.size() - last.size() - 1);
  if (auto e = check_extensions(f, 2, f.count - 1, msg)) return *e;
  return m;
}

parsed<server_final_message> parse_server_final(std::string_view text) {
  constexpr std::string_view msg = "server-final-message";
  if (auto e = check_text(text, msg)) return *e;
  field_list f;
  if (!split(text, f)) return malformed("the server-final-message has too many attributes");
  server_final_message m;
  // server-final-message = (server-error / verifier) ["," extensions]
  m.is_error = has_name(f.items[0], 'e');
  auto v = attribute(f.items[0], m.is_error ? 'e' : 'v', msg);
  if (!v) return v.error();
  m.value = *v;
  if (auto e = check_extensions(f, 1, f.count, msg)) return *e;
  return m;
}

void append_escaped_name(std::string_view name, std::string& out) {
  for (char c : name) {
    if (c == ',')
      out += "=2C";
    else if (c == '=')
      out += "=3D";
    else
      out += c;
  }
}

bool unescape_name(std::string_view escaped, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    const char c = escaped[i];
    if (c != '=') {
      out += c;
      continue;
    }
    // Section 5.1: '=' not followed by "2C" or "3D" MUST fail the exchange.
    const std::string_view code = escaped.substr(i + 1, 2);
    if (code == "2C")
      out += ',';
    else if (code == "3D")
      out += '=';
    else
      return false;
    i += 2;
  }
  return true;
}

}  // namespace amqp::detail::scram
