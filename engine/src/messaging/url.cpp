// The URL parser of the messaging layer (amqp/messaging/url.hpp).
//
// One pass from left to right: scheme, user information, host, port, address. Every error is
// built by one function that quotes the input through the password mask, so no path can put
// the password into a message.
#include "amqp/messaging/url.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "amqp/codec/decoder.hpp"

namespace amqp {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// Bytes of the input shown inside the quotes of an error message; a longer input is cut and
// followed by "...", so a message stays one readable line.
constexpr std::size_t quote_limit = 96;

bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char c) noexcept {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool is_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
// RFC 3986 scheme characters.
bool is_scheme_char(char c) noexcept {
  return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
}
// RFC 3986 "unreserved": what a host name, and a zone id unencoded, may hold.
bool is_unreserved(char c) noexcept {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool equals_lower(std::string_view s, std::string_view lower_word) noexcept {
  if (s.size() != lower_word.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (lower(s[i]) != lower_word[i]) return false;
  return true;
}

// The part of `text` that may be a password, from the first ':' after the scheme to the last
// '@'. It is found from the shape of the text alone, before and whatever the parse decides,
// and errs on the side of hiding too much: a password with an unencoded '/' or ',' makes the
// parse go wrong, and the pieces it then complains about must still not show it.
struct span {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool contains(std::size_t i) const noexcept { return i >= begin && i < end; }
};
span password_span(std::string_view text) noexcept {
  std::size_t start = 0;
  const std::size_t sep = text.find("://");
  if (sep != npos) {
    bool scheme_like = true;
    for (std::size_t i = 0; i < sep; ++i) scheme_like = scheme_like && is_scheme_char(text[i]);
    if (scheme_like) start = sep + 3;
  }
  const std::size_t at = text.rfind('@');
  if (at == npos || at < start) return {};
  const std::size_t colon = text.find(':', start);
  if (colon == npos || colon > at) return {};
  return {colon + 1, at};
}

bool valid_ipv4(std::string_view s) noexcept {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t j = i;
    unsigned value = 0;
    while (j < s.size() && is_digit(s[j]) && j - i < 3) value = value * 10 + unsigned(s[j++] - '0');
    const std::size_t n = j - i;
    // RFC 3986 dec-octet: 0-255 without leading zeros.
    if (n == 0 || value > 255 || (n > 1 && s[i] == '0')) return false;
    ++parts;
    if (j == s.size()) return parts == 4;
    if (s[j] != '.' || parts == 4) return false;
    i = j + 1;
  }
}

// RFC 4291 section 2.2 text forms: eight groups of 1-4 hex digits, one "::" standing for at
// least one zero group, and an IPv4 address in place of the last two groups.
bool valid_ipv6(std::string_view s) noexcept {
  if (s.size() < 2) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s[0] == ':') {
    if (s[1] != ':') return false;
    compressed = true;
    i = 2;
  }
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && is_hex(s[j])) ++j;
    if (j < s.size() && s[j] == '.') {
      if (!valid_ipv4(s.substr(i))) return false;
      groups += 2;
      break;
    }
    if (j == i || j - i > 4) return false;
    ++groups;
    i = j;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    if (++i == s.size()) return false;  // a single trailing ':'
    if (s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

// What a percent-decoded field is called in messages, and whether its text may be quoted.
struct field {
  const char* name;
  bool secret;
};
constexpr field user_field{"the user name", false};
constexpr field password_field{"the password", true};
constexpr field address_field{"the address", false};
constexpr field zone_field{"the zone id", false};

class parser {
 public:
  // `base` is where `text` starts in what the caller was given (a list), `entry` its number
  // in the list (0: not in a list); both only change how errors read.
  parser(std::string_view text, std::size_t base, std::size_t entry)
      : text_(text), base_(base), entry_(entry), mask_(password_span(text)) {}

  result<url, url_error> parse();

 private:
  // The input from b to e for a message: in quotes, the password span as "***", '"' and '\'
  // escaped with '\', bytes outside printable ASCII as \xNN; cut after quote_limit bytes.
  std::string quote(std::size_t b, std::size_t e) const;
  url_error fail(std::size_t offset, const std::string& problem) const;

  // Percent-decodes text_[b, e) into `out` and checks the result; returns whether it is fine
  // and, when not, sets err_.
  bool decode(std::size_t b, std::size_t e, const field& f, std::string& out);
  // The input offset of the byte that decodes to out[index] in text_[b, e).
  std::size_t source_offset(std::size_t b, std::size_t index) const noexcept;

  bool parse_ipv6(std::size_t b, std::size_t e, std::string& host);
  bool parse_port(std::size_t b, std::size_t e, std::uint16_t& port);

  std::string_view text_;
  std::size_t base_;
  std::size_t entry_;
  span mask_;
  url_error err_;
};

std::string parser::quote(std::size_t b, std::size_t e) const {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out = "\"";
  bool masked = false;
  bool cut = false;
  for (std::size_t i = b; i < e; ++i) {
    if (out.size() > quote_limit) {
      cut = true;
      break;
    }
    if (mask_.contains(i)) {
      if (!masked) out += "***";
      masked = true;
      continue;
    }
    const char c = text_[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += digits[u >> 4];
      out += digits[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  if (cut) out += "...";
  return out;
}

url_error parser::fail(std::size_t offset, const std::string& problem) const {
  std::string m = "bad URL " + quote(0, text_.size());
  if (entry_ != 0) m += ", entry " + std::to_string(entry_) + " of the list";
  m += ": " + problem + " (offset " + std::to_string(base_ + offset) + ")";
  return {std::move(m), base_ + offset};
}

std::size_t parser::source_offset(std::size_t b, std::size_t index) const noexcept {
  std::size_t i = b;
  for (std::size_t n = 0; n < index; ++n) i += text_[i] == '%' ? 3 : 1;
  return i;
}

bool parser::decode(std::size_t b, std::size_t e, const field& f, std::string& out) {
  out.clear();
  out.reserve(e - b);
  for (std::size_t i = b; i < e; ++i) {
    if (text_[i] != '%') {
      out += text_[i];
      continue;
    }
    if (i + 2 >= e || !is_hex(text_[i + 1]) || !is_hex(text_[i + 2])) {
      const std::string what = f.secret ? std::string("a '%' in ") + f.name
                                        : quote(i, std::min(i + 3, e)) + " in " + f.name;
      err_ = fail(i, what + " is not a percent escape ('%' and two hex digits): write % as %25");
      return false;
    }
    out += static_cast<char>(hex_value(text_[i + 1]) * 16 + hex_value(text_[i + 2]));
    i += 2;
  }
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (!is_control(out[k])) continue;
    std::string problem = std::string(f.name) + " holds a control character";
    if (!f.secret) {
      static constexpr char digits[] = "0123456789ABCDEF";
      const auto u = static_cast<unsigned char>(out[k]);
      problem += std::string(" (%") + digits[u >> 4] + digits[u & 0xf] + ")";
    }
    err_ = fail(source_offset(b, k), problem);
    return false;
  }
  const std::size_t bad = utf8_error_offset(out);
  if (bad != out.size()) {
    err_ = fail(source_offset(b, bad), std::string(f.name) + " is not UTF-8 once percent-decoded");
    return false;
  }
  return true;
}

bool parser::parse_ipv6(std::size_t b, std::size_t e, std::string& host) {
  // b is just after '[', e at ']'.
  const std::size_t pct = text_.substr(0, e).find('%', b);
  const std::size_t addr_end = pct == npos ? e : pct;
  if (!valid_ipv6(text_.substr(b, addr_end - b))) {
    err_ = fail(b, quote(b, addr_end) + " is not an IPv6 address");
    return false;
  }
  host.assign(text_.substr(b, addr_end - b));
  if (pct == npos) return true;
  // RFC 6874: the '%' before a zone id is itself percent-encoded in a URL.
  if (text_.substr(pct, 3) != "%25") {
    err_ = fail(pct, "a zone id follows '%25' in a URL (RFC 6874), as in [fe80::1%25eth0]");
    return false;
  }
  if (pct + 3 == e) {
    err_ = fail(pct, "no zone id after '%25'");
    return false;
  }
  std::string zone;
  if (!decode(pct + 3, e, zone_field, zone)) return false;
  for (std::size_t k = 0; k < zone.size(); ++k) {
    const char c = zone[k];
    if (c == ' ' || static_cast<unsigned char>(c) >= 0x7f) {
      err_ = fail(source_offset(pct + 3, k), "the zone id holds a space or a non-ASCII byte");
      return false;
    }
  }
  host += '%';
  host += zone;
  return true;
}

bool parser::parse_port(std::size_t b, std::size_t e, std::uint16_t& port) {
  if (b == e) {
    err_ = fail(b, "no port after ':'");
    return false;
  }
  const std::string_view p = text_.substr(b, e - b);
  bool numeric = true;
  unsigned long value = 0;
  for (char c : p) {
    if (!is_digit(c)) {
      numeric = false;
      break;
    }
    if (value <= 65535) value = value * 10 + unsigned(c - '0');
  }
  if (numeric) {
    if (value == 0) {
      err_ = fail(b, "port " + quote(b, e) + " is not a port: ports start at 1");
      return false;
    }
    if (value > 65535) {
      err_ = fail(b, "port " + quote(b, e) + " is above 65535");
      return false;
    }
    port = static_cast<std::uint16_t>(value);
    return true;
  }
  // The IANA service names of AMQP, which Proton also accepts as ports.
  if (equals_lower(p, "amqp")) {
    port = 5672;
    return true;
  }
  if (equals_lower(p, "amqps")) {
    port = 5671;
    return true;
  }
  std::string problem = "port " + quote(b, e) + " is neither a number nor amqp or amqps";
  // The span that may be a password reaches past the host: most likely a password with an
  // unencoded '/', which ended the host part early.
  if (mask_.end > e) problem += " (write a '/' in a password as %2F)";
  err_ = fail(b, problem);
  return false;
}

result<url, url_error> parser::parse() {
  const std::size_t n = text_.size();
  if (n == 0) return fail(0, "the text is empty");
  if (n > max_url_size)
    return fail(max_url_size, "it is " + std::to_string(n) + " bytes long, above the limit of " +
                                  std::to_string(max_url_size));
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text_[i];
    if (c == ' ') return fail(i, "a space is not allowed: write it as %20");
    if (is_control(c)) {
      // Not even one byte of a password is named.
      if (mask_.contains(i)) return fail(i, "a control character is not allowed");
      static constexpr char digits[] = "0123456789ABCDEF";
      const auto u = static_cast<unsigned char>(c);
      return fail(i, std::string("control character 0x") + digits[u >> 4] + digits[u & 0xf] +
                         " is not allowed");
    }
  }

  url u;
  std::size_t pos = 0;
  bool bare = true;
  if (const std::size_t sep = text_.find("://"); sep != npos) {
    bool scheme_like = true;
    for (std::size_t i = 0; i < sep; ++i) scheme_like = scheme_like && is_scheme_char(text_[i]);
    if (scheme_like) {
      if (sep == 0) return fail(0, "no scheme before '://': use amqp or amqps");
      const std::string_view s = text_.substr(0, sep);
      if (equals_lower(s, "amqp")) {
        u.scheme = "amqp";
        u.port = 5672;
      } else if (equals_lower(s, "amqps")) {
        u.scheme = "amqps";
        u.port = 5671;
      } else {
        return fail(0, quote(0, sep) + " is not a scheme of AMQP: use amqp or amqps");
      }
      pos = sep + 3;
      bare = false;
    }
  }

  // The authority runs to the first '/', where the address starts.
  const std::size_t slash = text_.find('/', pos);
  const std::size_t auth_end = slash == npos ? n : slash;

  // User information ends at the last '@' of the authority.
  bool has_user = false;
  std::size_t host_begin = pos;
  if (const std::size_t at = text_.substr(0, auth_end).rfind('@'); at != npos && at >= pos) {
    has_user = true;
    const std::size_t colon = text_.substr(0, at).find(':', pos);
    const std::size_t user_end = colon == npos ? at : colon;
    if (user_end == pos)
      return fail(pos, colon == npos ? "no user name before '@'" : "no user name before ':'");
    std::string user;
    if (!decode(pos, user_end, user_field, user)) return err_;
    u.user = std::move(user);
    if (colon != npos) {
      std::string password;
      if (!decode(colon + 1, at, password_field, password)) return err_;
      u.password = std::move(password);
    }
    host_begin = at + 1;
  }

  // Host, then the port after it.
  std::size_t port_begin = npos;
  if (host_begin < auth_end && text_[host_begin] == '[') {
    const std::size_t close = text_.substr(0, auth_end).find(']', host_begin);
    if (close == npos) return fail(host_begin, "'[' without a closing ']'");
    if (!parse_ipv6(host_begin + 1, close, u.host)) return err_;
    const std::size_t after = close + 1;
    if (after < auth_end) {
      if (text_[after] != ':')
        return fail(after, quote(after, auth_end) +
                               " after the IPv6 address: expected ':port', '/address' or the end");
      port_begin = after + 1;
    }
  } else {
    const std::size_t colon = text_.substr(0, auth_end).find(':', host_begin);
    const std::size_t host_end = colon == npos ? auth_end : colon;
    // Two colons in a host part made of hex digits, colons and dots: an IPv6 address without
    // its brackets, which cannot be told from host:port.
    if (colon != npos && text_.substr(0, auth_end).find(':', colon + 1) != npos) {
      bool ipv6_like = true;
      for (std::size_t i = host_begin; i < auth_end; ++i)
        ipv6_like = ipv6_like && (is_hex(text_[i]) || text_[i] == ':' || text_[i] == '.');
      if (ipv6_like) return fail(host_begin, "an IPv6 address goes in brackets, as in [::1]:5672");
    }
    for (std::size_t i = host_begin; i < host_end; ++i) {
      if (is_unreserved(text_[i])) continue;
      std::string problem = quote(i, i + 1) + " is not allowed in a host name";
      if (static_cast<unsigned char>(text_[i]) >= 0x80)
        problem += ": write an international name in its ASCII form (xn--...)";
      return fail(i, problem);
    }
    if (host_end == host_begin) {
      if (has_user) return fail(host_begin, "no host after '@'");
      if (!bare) return fail(host_begin, "no host after '" + u.scheme + "://'");
      u.host = "localhost";
    } else {
      u.host.assign(text_.substr(host_begin, host_end - host_begin));
    }
    if (colon != npos) port_begin = colon + 1;
  }
  if (port_begin != npos && !parse_port(port_begin, auth_end, u.port)) return err_;

  if (slash != npos && !decode(slash + 1, n, address_field, u.address)) return err_;
  return u;
}

// Percent-encodes into `out` every byte of `s` that `keep` does not accept.
template <class Keep>
void append_encoded(std::string& out, std::string_view s, Keep keep) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (char c : s) {
    if (keep(c)) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 0xf];
    }
  }
}

// RFC 3986 sub-delims but ',', which separates the entries of a failover list.
bool is_sub_delim(char c) noexcept {
  return std::string_view("!$&'()*+;=").find(c) != npos;
}
bool keep_in_userinfo(char c) noexcept {
  return is_unreserved(c) || is_sub_delim(c);
}
bool keep_in_address(char c) noexcept {
  return is_unreserved(c) || is_sub_delim(c) || c == '/' || c == ':' || c == '@';
}

void append_host(std::string& out, const std::string& host) {
  if (host.find(':') == std::string::npos) {
    out += host;
    return;
  }
  const std::size_t pct = host.find('%');
  out += '[';
  out.append(host, 0, pct);
  if (pct != std::string::npos) {
    out += "%25";
    append_encoded(out, std::string_view(host).substr(pct + 1), is_unreserved);
  }
  out += ']';
}

}  // namespace

bool url::tls() const noexcept {
  return scheme == "amqps";
}

std::string url::to_string(bool show_password) const {
  std::string out = scheme;
  out += "://";
  if (user) {
    append_encoded(out, *user, keep_in_userinfo);
    if (password) {
      out += ':';
      if (show_password) {
        append_encoded(out, *password, keep_in_userinfo);
      } else {
        out += "***";
      }
    }
    out += '@';
  }
  append_host(out, host);
  out += ':';
  out += std::to_string(port);
  if (!address.empty()) {
    out += '/';
    append_encoded(out, address, keep_in_address);
  }
  return out;
}

std::string url::host_port() const {
  std::string out;
  if (host.find(':') != std::string::npos) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out += host;
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

result<url, url_error> parse_url(std::string_view text) {
  return parser(text, 0, 0).parse();
}

result<std::vector<url>, url_error> parse_url_list(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  if (text.size() > max_url_size)
    return url_error{"bad URL list: it is " + std::to_string(text.size()) +
                         " bytes long, above the limit of " + std::to_string(max_url_size) +
                         " (offset " + std::to_string(max_url_size) + ")",
                     max_url_size};
  std::vector<url> urls;
  std::size_t begin = 0;
  std::size_t entry = 1;
  while (true) {
    const std::size_t comma = text.find(',', begin);
    const std::size_t end = comma == npos ? text.size() : comma;
    std::size_t b = begin;
    std::size_t e = end;
    while (b < e && blank(text[b])) ++b;
    while (e > b && blank(text[e - 1])) --e;
    if (b == e) {
      std::string m = text.find_first_not_of(" \t") == npos
                          ? std::string("bad URL list: it names no URL")
                          : "bad URL list: entry " + std::to_string(entry) + " is empty";
      return url_error{m + " (offset " + std::to_string(b) + ")", b};
    }
    auto r = parser(text.substr(b, e - b), b, entry).parse();
    if (!r) return r.error();
    urls.push_back(std::move(*r));
    if (comma == npos) return urls;
    begin = comma + 1;
    ++entry;
  }
}

}  // namespace amqp
