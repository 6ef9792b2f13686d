// Where a connection goes: the AMQP URL of the messaging layer, parsed without any I/O.
//
//   auto u = amqp::parse_url("amqps://alice:s%40cret@broker.example:5671/orders");
//   if (!u) { std::cerr << u.error().message << '\n'; return; }
//   u->host;         // "broker.example"
//   u->password;     // "s@cret" (percent-decoded)
//   u->to_string();  // "amqps://alice:***@broker.example:5671/orders"
//
// Forms accepted:
//
//   amqp://[user[:password]@]host[:port][/address]   amqps:// likewise (TLS, port 5671)
//   host[:port][/address]                              the bare form, scheme amqp
//   [::1]:5672/q   amqp://[fe80::1%25eth0]/q           IPv6 literals in brackets, zone id
//                                                      written %25 as RFC 6874 says
//   amqp://host:amqps                                  the service names amqp (5672) and
//                                                      amqps (5671) as ports
//
// Rules, with the reason for each:
// - The scheme is case-insensitive (RFC 3986, 3.1) and stored in lower case.
// - In the bare form an empty host means "localhost" (":5672/q", "/q"), as Qpid Proton's
//   examples use it. With a scheme the host is required: "amqp:///q" is far more often an
//   empty variable spliced into a template than a wish for localhost.
// - The host is ASCII letters, digits, '-', '.', '_' and '~' (or an IPv6 literal); anything
//   else is refused early with its offset, because the resolver would only say "not found".
//   An international name must be given in its ASCII (punycode) form.
// - The address is everything after the first '/' after the host, '?' and '#' included:
//   AMQP addresses are opaque to the URL, and Proton reads them the same way.
// - User, password, address and zone id are percent-decoded; after decoding they must be
//   UTF-8 without control characters (user and password travel in SASL PLAIN, where a NUL
//   would split them, and the address is an AMQP string).
// - Spaces and control characters are refused anywhere: in a URL they mean a copy-and-paste
//   accident; write %20 where a space belongs.
// - The user information ends at the last '@' before the first '/' after the scheme, so an
//   unencoded '@' in a password still works; ':', '/' and '@' in a password are better
//   percent-encoded (a password with an unencoded '/' cannot be told from an address).
// - An input longer than max_url_size bytes is refused: a URL is configuration, not data.
//
// Parsing never throws: every failure is a url_error value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/errors.hpp"

namespace amqp {

struct url {
  std::string scheme = "amqp";          // "amqp" or "amqps"
  std::optional<std::string> user;      // percent-decoded; never empty after parse_url
  std::optional<std::string> password;  // percent-decoded; may be empty ("user:@host")
  std::string host;                     // an IPv6 literal without brackets; never empty after
                                        // parse_url; a zone id follows a plain '%'
  std::uint16_t port = 5672;            // 5672 for amqp, 5671 for amqps unless given
  std::string address;                  // percent-decoded; may be empty

  // Whether the connection starts with TLS: the scheme is amqps.
  bool tls() const noexcept;

  // The URL as text: "amqps://user:***@[::1]:5671/queue". The password shows as "***"
  // unless `show_password`; a password without a user is not written at all. The port is
  // always written. Every byte outside printable ASCII, and every character the grammar would
  // misread (',' included, for failover lists), is percent-encoded, so the text is safe to
  // log. With `show_password`, parse_url reads the text of any url it returned back to an
  // equal url.
  std::string to_string(bool show_password = false) const;

  // "host:port", with brackets around an IPv6 literal ("[::1]:5672"): what a connection error
  // names. Carries no credentials.
  std::string host_port() const;

  friend bool operator==(const url&, const url&) = default;
};

// Why a text is not a URL. `message` names the problem and quotes the input with any
// password replaced by "***"; `offset` is the byte of the input where the problem starts.
// Text taken from the input is always in double quotes, with '"' and '\' escaped by '\' and
// bytes outside printable ASCII written \xNN (so a message is one printable line); the
// grammar's own tokens are in single quotes.
//
//   bad URL "ftp://host/q": "ftp" is not a scheme of AMQP: use amqp or amqps (offset 0)
//   bad URL "amqp://u:***@": no host after '@' (offset 12)
//
// The password span hidden is found from the shape of the text alone: from the first ':'
// after the scheme (after "://" when what precedes it could be a scheme, else from the start)
// to the last '@' (an empty one hides nothing, so it shows as it is). That hides too much rather
// than too little when a password holds an unencoded '/' or ',' and the parse goes astray.
struct url_error {
  std::string message;
  std::size_t offset = 0;
  friend bool operator==(const url_error&, const url_error&) = default;
};

// The longest text parse_url reads, in bytes.
inline constexpr std::size_t max_url_size = 64 * 1024;

// Parses one URL in any of the forms above. Returns the url, or a url_error for: an empty or
// too long input; a space or control character; an unknown or empty scheme; user information
// with no host or an empty user; an empty host after a scheme; a character a host name may
// not hold, or an IPv6 address without brackets; an unterminated '[', an invalid IPv6 literal
// or zone id, or text after ']' that is not ":port" or "/address"; an empty, non-numeric,
// zero or too large port; a bad percent escape; a decoded user, password or address that is
// not UTF-8 or holds a control character.
result<url, url_error> parse_url(std::string_view text);

// Parses a comma-separated failover list: each entry is a full URL of its own (nothing is
// inherited from the entry before), spaces and tabs around each entry are ignored, and a
// comma inside a password must be written %2C. Returns at least one url, in order, or the
// first entry's error, with the entry's number in the message and the offset counted from
// the start of the whole list. An empty entry ("a,,b", a trailing comma) is an error, and so
// is a list longer than max_url_size bytes.
result<std::vector<url>, url_error> parse_url_list(std::string_view comma_separated);

}  // namespace amqp
