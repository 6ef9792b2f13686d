// Fuzz target: the messaging layer's URL parser (amqp/messaging/url.hpp) on arbitrary bytes,
// read as one URL and as a failover list.
//
// Oracles (a mismatch traps):
// - a parsed url has scheme amqp or amqps and tls() to match, a non-empty host, a port above
//   0, a non-empty user if any, and user, password and address in UTF-8 without control
//   characters;
// - to_string(true) is printable ASCII without spaces, parses back to an equal url, and is a
//   fixed point; to_string() parses back to the same url with the password "***" (or is
//   to_string(true) when there is no password); host_port() is "host:port", in brackets for
//   an IPv6 literal;
// - an input without ',' gives the same url, or the same error, as a one-entry list;
// - a list parses to at least one url, and its entries printed and joined with ',' parse back
//   to an equal list;
// - an error's offset is within the input (or at max_url_size for a longer one) and is the
//   one the message names; the message is one line of printable ASCII;
// - no error shows a password: every double-quoted piece of the message, unescaped, is a
//   piece of the input with its password span (url.hpp: from the first ':' after the scheme
//   to the last '@'), when not empty, replaced by "***"; and a password of 3 bytes or more
//   that holds a byte no message's own words use (such as '!' or '#') does not occur in the
//   text around those pieces unless the rest of the input holds it too. For a list, each
//   entry is masked on its own.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/codec/decoder.hpp"
#include "amqp/messaging/url.hpp"

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "url oracle broken: %s\n", what);
  std::fflush(stderr);
  __builtin_trap();
}
void check(bool ok, const char* what) {
  if (!ok) broken(what);
}

constexpr std::size_t npos = std::string_view::npos;

bool scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

// The password span as url.hpp documents it, or nullopt.
struct span {
  std::size_t begin;
  std::size_t end;
};
std::optional<span> password_span(std::string_view t) {
  std::size_t start = 0;
  const std::size_t sep = t.find("://");
  if (sep != npos) {
    bool scheme_like = true;
    for (std::size_t i = 0; i < sep; ++i) scheme_like = scheme_like && scheme_char(t[i]);
    if (scheme_like) start = sep + 3;
  }
  const std::size_t at = t.rfind('@');
  if (at == npos || at < start) return std::nullopt;
  const std::size_t colon = t.find(':', start);
  if (colon == npos || colon > at) return std::nullopt;
  return span{colon + 1, at};
}

// A text split into entries (as parse_url_list does, blanks trimmed), each with its span.
struct entry {
  std::string_view text;
  std::optional<span> password;
};
std::vector<entry> entries(std::string_view t, bool as_list) {
  std::vector<entry> out;
  if (!as_list) {
    out.push_back({t, password_span(t)});
    return out;
  }
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = t.find(',', begin);
    std::size_t b = begin;
    std::size_t e = comma == npos ? t.size() : comma;
    while (b < e && (t[b] == ' ' || t[b] == '\t')) ++b;
    while (e > b && (t[e - 1] == ' ' || t[e - 1] == '\t')) --e;
    const std::string_view s = t.substr(b, e - b);
    out.push_back({s, password_span(s)});
    if (comma == npos) return out;
    begin = comma + 1;
  }
}

// An empty password has nothing to hide, and the parser shows the text as it is.
std::string masked(const entry& e) {
  if (!e.password || e.password->begin == e.password->end) return std::string(e.text);
  std::string m(e.text.substr(0, e.password->begin));
  m += "***";
  m += e.text.substr(e.password->end);
  return m;
}

bool printable_line(std::string_view s) {
  for (char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

bool clean_text(const std::string& s) {
  if (amqp::utf8_error_offset(s) != s.size()) return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// A message cut into its double-quoted pieces, unescaped, and the text around them (each
// stretch ended by a '\n', so that no search matches across a piece).
struct message_parts {
  std::vector<std::string> quoted;
  std::string around;
};
// nullopt when the quoting is malformed.
std::optional<message_parts> split_message(std::string_view m) {
  message_parts out;
  std::size_t i = 0;
  while (true) {
    const std::size_t q = m.find('"', i);
    out.around.append(m.substr(i, q == npos ? npos : q - i));
    out.around += '\n';
    if (q == npos) return out;
    i = q;
    std::string piece;
    ++i;
    while (true) {
      if (i >= m.size()) return std::nullopt;
      const char c = m[i];
      if (c == '"') {
        ++i;
        break;
      }
      if (c != '\\') {
        piece += c;
        ++i;
        continue;
      }
      if (i + 1 >= m.size()) return std::nullopt;
      const char k = m[i + 1];
      if (k == '"' || k == '\\') {
        piece += k;
        i += 2;
      } else if (k == 'x' && i + 3 < m.size() && hex(m[i + 2]) >= 0 && hex(m[i + 3]) >= 0) {
        piece += static_cast<char>(hex(m[i + 2]) * 16 + hex(m[i + 3]));
        i += 4;
      } else {
        return std::nullopt;
      }
    }
    out.quoted.push_back(std::move(piece));
  }
}

// Bytes that no message's own words hold: a password with one of them cannot be mistaken
// for the message's wording.
bool exotic(char c) {
  return std::string_view("!#$&*+;<=>?^_`{|}~").find(c) != npos ||
         static_cast<unsigned char>(c) >= 0x80;
}

void check_error(std::string_view text, const amqp::url_error& e, bool as_list) {
  check(e.offset <= text.size() ||
            (text.size() > amqp::max_url_size && e.offset == amqp::max_url_size),
        "an error offset past the input");
  check(printable_line(e.message), "an error message that is not printable ASCII");
  const std::string where = "(offset " + std::to_string(e.offset) + ")";
  check(e.message.size() >= where.size() &&
            e.message.compare(e.message.size() - where.size(), where.size(), where) == 0,
        "an error message that does not end with its offset");
  const auto parts_of_message = split_message(e.message);
  check(parts_of_message.has_value(), "an error message with malformed quoting");

  const auto parts = entries(text, as_list);
  std::string all_masked;
  for (const auto& p : parts) all_masked += masked(p) + ",";
  for (const auto& piece : parts_of_message->quoted) {
    bool found = false;
    for (const auto& p : parts) found = found || masked(p).find(piece) != npos;
    check(found, "a quoted piece of an error message that is not from the masked input");
  }
  for (const auto& p : parts) {
    if (!p.password || p.password->end - p.password->begin < 3) continue;
    const std::string_view pass =
        p.text.substr(p.password->begin, p.password->end - p.password->begin);
    bool distinctive = false;
    for (char c : pass) distinctive = distinctive || exotic(c);
    if (distinctive && all_masked.find(pass) == npos)
      check(parts_of_message->around.find(pass) == npos, "an error message shows the password");
  }
}

void check_url(const amqp::url& u) {
  check(u.scheme == "amqp" || u.scheme == "amqps", "a scheme other than amqp and amqps");
  check(u.tls() == (u.scheme == "amqps"), "tls() does not follow the scheme");
  check(!u.host.empty(), "an empty host");
  check(u.port != 0, "port 0");
  check(!u.user || !u.user->empty(), "an empty user name");
  check(!u.user || clean_text(*u.user), "a user name that is not clean UTF-8");
  check(!u.password || clean_text(*u.password), "a password that is not clean UTF-8");
  check(clean_text(u.address), "an address that is not clean UTF-8");

  const std::string shown = u.to_string(true);
  check(printable_line(shown) && shown.find(' ') == npos, "to_string is not printable ASCII");
  auto again = amqp::parse_url(shown);
  check(again.has_value(), "to_string(true) does not parse");
  check(*again == u, "to_string(true) parses to another url");
  check(again->to_string(true) == shown, "to_string(true) is not a fixed point");

  const std::string hidden = u.to_string();
  if (!u.password) {
    check(hidden == shown, "to_string() differs without a password");
  } else {
    auto h = amqp::parse_url(hidden);
    check(h.has_value(), "to_string() does not parse");
    amqp::url expect = u;
    expect.password = "***";
    check(*h == expect, "to_string() is not the url with the password masked");
  }

  std::string expect_hp;
  if (u.host.find(':') != std::string::npos) {
    expect_hp += '[';
    expect_hp += u.host;
    expect_hp += ']';
  } else {
    expect_hp += u.host;
  }
  expect_hp += ':';
  expect_hp += std::to_string(u.port);
  check(u.host_port() == expect_hp, "host_port() is not host:port");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto one = amqp::parse_url(text);
  if (one) {
    check(size <= amqp::max_url_size, "a URL above the size limit parsed");
    check_url(*one);
  } else {
    check_error(text, one.error(), false);
  }

  auto list = amqp::parse_url_list(text);
  if (list) {
    check(!list->empty(), "an empty list parsed");
    std::string joined;
    for (const auto& u : *list) {
      check_url(u);
      if (!joined.empty()) joined += ", ";
      joined += u.to_string(true);
    }
    auto again = amqp::parse_url_list(joined);
    check(again.has_value() && *again == *list, "a printed list parses to another list");
  } else {
    check_error(text, list.error(), true);
  }

  if (text.find(',') == npos && !text.empty() && text.front() != ' ' && text.front() != '\t' &&
      text.back() != ' ' && text.back() != '\t') {
    check(one.has_value() == list.has_value(), "a one-entry list and its URL disagree");
    if (one) {
      check(list->size() == 1 && list->front() == *one, "a one-entry list gives another url");
    } else {
      check(list.error().offset == one.error().offset, "a one-entry list fails elsewhere");
    }
  }
  return 0;
}
