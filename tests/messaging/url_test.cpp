// The messaging layer's URL: every accepted form with the fields it gives, every error with
// its message and offset, printing, round trips, and the password kept out of every text
// meant for a log.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/messaging/url.hpp"

namespace amqp {
namespace {

using std::nullopt;

struct good_case {
  std::string_view text;
  std::string scheme;
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::string host;
  std::uint16_t port;
  std::string address;
};

const good_case good_cases[] = {
    // Full form, default ports per scheme.
    {"amqp://host", "amqp", nullopt, nullopt, "host", 5672, ""},
    {"amqps://host", "amqps", nullopt, nullopt, "host", 5671, ""},
    {"amqp://host:1234/queue", "amqp", nullopt, nullopt, "host", 1234, "queue"},
    {"AMQPS://Broker.Example:1/Q", "amqps", nullopt, nullopt, "Broker.Example", 1, "Q"},
    {"amqp://my_host-1.example.com:65535", "amqp", nullopt, nullopt, "my_host-1.example.com", 65535,
     ""},
    {"amqp://host:00080", "amqp", nullopt, nullopt, "host", 80, ""},
    {"amqp://127.0.0.1:5672/examples", "amqp", nullopt, nullopt, "127.0.0.1", 5672, "examples"},
    // User information.
    {"amqp://user@host", "amqp", "user", nullopt, "host", 5672, ""},
    {"amqp://user:pass@host:1234/queue", "amqp", "user", "pass", "host", 1234, "queue"},
    {"amqp://user:@host", "amqp", "user", "", "host", 5672, ""},
    {"amqp://user:p@ss@host", "amqp", "user", "p@ss", "host", 5672, ""},
    {"amqp://user:a:b@host", "amqp", "user", "a:b", "host", 5672, ""},
    {"amqp://us%40er:p%3Aw%2Fd%2C@host/a%2Fb", "amqp", "us@er", "p:w/d,", "host", 5672, "a/b"},
    {"amqps://user@[::1]:5671/queue", "amqps", "user", nullopt, "::1", 5671, "queue"},
    // The address: everything after the first '/', percent-decoded.
    {"amqp://host/", "amqp", nullopt, nullopt, "host", 5672, ""},
    {"amqp://host/a/b/c?x=1#f", "amqp", nullopt, nullopt, "host", 5672, "a/b/c?x=1#f"},
    {"amqp://host/a@b:c", "amqp", nullopt, nullopt, "host", 5672, "a@b:c"},
    {"amqp://host/a%20b%25", "amqp", nullopt, nullopt, "host", 5672, "a b%"},
    {"amqp://host/caf%C3%A9", "amqp", nullopt, nullopt, "host", 5672, "caf\xC3\xA9"},
    {"amqp://host/caf\xC3\xA9", "amqp", nullopt, nullopt, "host", 5672, "caf\xC3\xA9"},
    // Service names as ports.
    {"amqp://host:amqps", "amqp", nullopt, nullopt, "host", 5671, ""},
    {"amqps://host:amqp/q", "amqps", nullopt, nullopt, "host", 5672, "q"},
    {"amqp://host:AMQPS", "amqp", nullopt, nullopt, "host", 5671, ""},
    // IPv6 literals, with and without port, with a zone id.
    {"[::1]:5672/q", "amqp", nullopt, nullopt, "::1", 5672, "q"},
    {"[::1]", "amqp", nullopt, nullopt, "::1", 5672, ""},
    {"[::1]/q", "amqp", nullopt, nullopt, "::1", 5672, "q"},
    {"amqp://[::1]/q", "amqp", nullopt, nullopt, "::1", 5672, "q"},
    {"amqps://[2001:db8::1]:5000", "amqps", nullopt, nullopt, "2001:db8::1", 5000, ""},
    {"amqp://[1:2:3:4:5:6:7:8]", "amqp", nullopt, nullopt, "1:2:3:4:5:6:7:8", 5672, ""},
    {"amqp://[::ffff:192.0.2.1]:1/q", "amqp", nullopt, nullopt, "::ffff:192.0.2.1", 1, "q"},
    {"amqp://[fe80::1%25eth0]/q", "amqp", nullopt, nullopt, "fe80::1%eth0", 5672, "q"},
    {"amqp://[fe80::1%25en%2D0]:9", "amqp", nullopt, nullopt, "fe80::1%en-0", 9, ""},
    {"amqp://u:p@[::]:7", "amqp", "u", "p", "::", 7, ""},
    // The bare form; an empty host there is localhost.
    {"host:5672/address", "amqp", nullopt, nullopt, "host", 5672, "address"},
    {"host", "amqp", nullopt, nullopt, "host", 5672, ""},
    {"host/address", "amqp", nullopt, nullopt, "host", 5672, "address"},
    {"127.0.0.1:5672/examples", "amqp", nullopt, nullopt, "127.0.0.1", 5672, "examples"},
    {":5672/q", "amqp", nullopt, nullopt, "localhost", 5672, "q"},
    {":5673", "amqp", nullopt, nullopt, "localhost", 5673, ""},
    {"/q", "amqp", nullopt, nullopt, "localhost", 5672, "q"},
    {"user:pw@host:1/q", "amqp", "user", "pw", "host", 1, "q"},
    // "://" in the address does not make a scheme.
    {"host/a://b", "amqp", nullopt, nullopt, "host", 5672, "a://b"},
};

TEST(url, parses_every_form) {
  for (const auto& c : good_cases) {
    SCOPED_TRACE(c.text);
    auto u = parse_url(c.text);
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->scheme, c.scheme);
    EXPECT_EQ(u->user, c.user);
    EXPECT_EQ(u->password, c.password);
    EXPECT_EQ(u->host, c.host);
    EXPECT_EQ(u->port, c.port);
    EXPECT_EQ(u->address, c.address);
    EXPECT_EQ(u->tls(), c.scheme == "amqps");
  }
}

TEST(url, every_parsed_form_round_trips) {
  for (const auto& c : good_cases) {
    SCOPED_TRACE(c.text);
    auto u = parse_url(c.text);
    ASSERT_TRUE(u) << u.error().message;
    const std::string text = u->to_string(true);
    auto again = parse_url(text);
    ASSERT_TRUE(again) << text << ": " << again.error().message;
    EXPECT_EQ(*again, *u) << text;
    EXPECT_EQ(again->to_string(true), text) << "printing is not a fixed point";
  }
}

struct bad_case {
  std::string_view text;
  std::string_view message;  // a substring of the message
  std::size_t offset;
};

const bad_case bad_cases[] = {
    {"", "the text is empty", 0},
    // Scheme.
    {"ftp://host", "\"ftp\" is not a scheme of AMQP: use amqp or amqps", 0},
    {"http://host:80/q", "\"http\" is not a scheme of AMQP", 0},
    {"://host", "no scheme before '://'", 0},
    // Host missing.
    {"amqp://", "no host after 'amqp://'", 7},
    {"amqp:///q", "no host after 'amqp://'", 7},
    {"amqps://:5671", "no host after 'amqps://'", 8},
    {"amqp://user@", "no host after '@'", 12},
    {"amqp://user:pw@:5672/q", "no host after '@'", 15},
    {"user@:5672/q", "no host after '@'", 5},
    {"user@", "no host after '@'", 5},
    // User information.
    {"amqp://@host", "no user name before '@'", 7},
    {"amqp://:pw@host", "no user name before ':'", 7},
    // Port.
    {"amqp://host:", "no port after ':'", 12},
    {"host:/q", "no port after ':'", 5},
    {"amqp://host:abc", "port \"abc\" is neither a number nor amqp or amqps", 12},
    {"amqp://host:5672x", "port \"5672x\" is neither a number", 12},
    {"amqp://host:-1", "port \"-1\" is neither a number", 12},
    {"amqp://host:0", "port \"0\" is not a port: ports start at 1", 12},
    {"amqp://host:0000", "ports start at 1", 12},
    {"amqp://host:65536", "port \"65536\" is above 65535", 12},
    {"amqp://host:99999999999999999999999/q", "is above 65535", 12},
    {"amqp://host:56:72", "port \"56:72\" is neither a number", 12},
    // Brackets.
    {"amqp://[::1", "'[' without a closing ']'", 7},
    {"amqp://[::1/q]", "'[' without a closing ']'", 7},
    {"amqp://[::1]x", "\"x\" after the IPv6 address: expected ':port', '/address' or the end", 12},
    {"amqp://[::1]]:5672", "\"]:5672\" after the IPv6 address", 12},
    {"[::1]@", "no host after '@'", 6},
    {"amqp://[]", "\"\" is not an IPv6 address", 8},
    {"amqp://[host]", "\"host\" is not an IPv6 address", 8},
    {"amqp://[1::2::3]", "\"1::2::3\" is not an IPv6 address", 8},
    {"amqp://[1:2:3:4:5:6:7:8:9]", "is not an IPv6 address", 8},
    {"amqp://[1:2:3:4:5:6:7::8]", "is not an IPv6 address", 8},
    {"amqp://[12345::]", "is not an IPv6 address", 8},
    {"amqp://[::1:]", "is not an IPv6 address", 8},
    {"amqp://[:1::]", "is not an IPv6 address", 8},
    {"amqp://[::256.0.0.1]", "is not an IPv6 address", 8},
    {"amqp://[::1.2.3]", "is not an IPv6 address", 8},
    {"amqp://[::01.2.3.4]", "is not an IPv6 address", 8},
    {"amqp://[fe80::1%eth0]", "a zone id follows '%25' in a URL (RFC 6874)", 15},
    {"amqp://[fe80::1%25]", "no zone id after '%25'", 15},
    {"amqp://[fe80::1%25a%20b]", "the zone id holds a space", 19},
    {"amqp://[fe80::1%25a%zz]", "\"%zz\" in the zone id is not a percent escape", 19},
    {"amqp://::1/q", "an IPv6 address goes in brackets, as in [::1]:5672", 7},
    {"::1", "an IPv6 address goes in brackets", 0},
    {"fe80::1:5672", "an IPv6 address goes in brackets", 0},
    // Characters.
    {"amqp://ho st", "a space is not allowed: write it as %20", 9},
    {" amqp://host", "a space is not allowed", 0},
    {"amqp://host\t", "control character 0x09 is not allowed", 11},
    {"amqp://host/a\nb", "control character 0x0A is not allowed", 13},
    {"amqp://host/a\x7f", "control character 0x7F is not allowed", 13},
    {std::string_view("amqp://host/\0", 13), "control character 0x00 is not allowed", 12},
    {"amqp://ho!st", "\"!\" is not allowed in a host name", 9},
    {"amqp://ho%41st", "\"%\" is not allowed in a host name", 9},
    {"amqp://ho[st", "\"[\" is not allowed in a host name", 9},
    {"amqp://h\xC3\xB4st", "\"\\xC3\" is not allowed in a host name: write an international", 8},
    // Percent escapes and decoded contents.
    {"amqp://host/%zz",
     "\"%zz\" in the address is not a percent escape ('%' and two hex "
     "digits): write % as %25",
     12},
    {"amqp://host/%4", "\"%4\" in the address is not a percent escape", 12},
    {"amqp://host/a%", "\"%\" in the address is not a percent escape", 13},
    {"amqp://host/%00", "the address holds a control character (%00)", 12},
    {"amqp://host/ab%1F", "the address holds a control character (%1F)", 14},
    {"amqp://host/%FF", "the address is not UTF-8 once percent-decoded", 12},
    {"amqp://host/ab%C3", "the address is not UTF-8", 14},
    {"amqp://host/ab\xC3", "the address is not UTF-8", 14},
    {"amqp://host/a%C3%A9%ED%A0%80", "the address is not UTF-8", 19},
    {"amqp://us%zzer@host", "\"%zz\" in the user name is not a percent escape", 9},
    {"amqp://us%0Aer@host", "the user name holds a control character (%0A)", 9},
    {"amqp://u%C0%80@host", "the user name is not UTF-8", 8},
    {"amqp://user:pa%zzss@host", "a '%' in the password is not a percent escape", 14},
    {"amqp://user:pa%00ss@host", "the password holds a control character (offset 14)", 14},
    {"amqp://user:%FF@host", "the password is not UTF-8", 12},
    {"amqp://user:p\x01w@host", "a control character is not allowed (offset 13)", 13},
};

TEST(url, rejects_with_the_problem_and_where) {
  for (const auto& c : bad_cases) {
    SCOPED_TRACE(c.text);
    auto u = parse_url(c.text);
    ASSERT_FALSE(u) << u->to_string(true);
    const url_error& e = u.error();
    EXPECT_NE(e.message.find(c.message), std::string::npos) << e.message;
    EXPECT_EQ(e.offset, c.offset) << e.message;
    EXPECT_EQ(e.message.rfind("bad URL \"", 0), 0u) << e.message;
    const std::string where = "(offset " + std::to_string(c.offset) + ")";
    EXPECT_NE(e.message.find(where), std::string::npos) << e.message;
    EXPECT_LE(e.offset, c.text.size());
  }
}

TEST(url, error_messages_quote_the_input_safely) {
  auto e = parse_url("ftp://host/\"q\\");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message,
            "bad URL \"ftp://host/\\\"q\\\\\": \"ftp\" is not a scheme of AMQP: use amqp or amqps "
            "(offset 0)");
  e = parse_url("amqp://host:x/\xC3\xA9");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message,
            "bad URL \"amqp://host:x/\\xC3\\xA9\": port \"x\" is neither a number nor amqp or "
            "amqps (offset 12)");
}

TEST(url, refuses_input_longer_than_the_limit) {
  std::string text = "amqp://host/";
  text.append(max_url_size - text.size(), 'a');
  auto ok = parse_url(text);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->address.size(), max_url_size - 12);

  text += 'a';
  auto e = parse_url(text);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().offset, max_url_size);
  EXPECT_NE(e.error().message.find("it is 65537 bytes long, above the limit of 65536"),
            std::string::npos)
      << e.error().message;
  // The quoted input is cut, not 64 KiB of text in a log line.
  EXPECT_LT(e.error().message.size(), 300u);
  EXPECT_NE(e.error().message.find("aaa\"..."), std::string::npos);
}

TEST(url, prints_with_the_password_masked) {
  url u;
  u.scheme = "amqps";
  u.user = "user";
  u.host = "::1";
  u.port = 5671;
  u.address = "queue";
  EXPECT_EQ(u.to_string(), "amqps://user@[::1]:5671/queue");
  EXPECT_TRUE(u.tls());
  u.password = "s3cret";
  EXPECT_EQ(u.to_string(), "amqps://user:***@[::1]:5671/queue");
  EXPECT_EQ(u.to_string(true), "amqps://user:s3cret@[::1]:5671/queue");
  u.password = "";
  EXPECT_EQ(u.to_string(), "amqps://user:***@[::1]:5671/queue");
  EXPECT_EQ(u.to_string(true), "amqps://user:@[::1]:5671/queue");
  // A password without a user is not written at all.
  u.user.reset();
  u.password = "s3cret";
  EXPECT_EQ(u.to_string(true), "amqps://[::1]:5671/queue");

  auto p = parse_url("amqp://alice:wonder%2Fland@broker/orders");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->to_string(), "amqp://alice:***@broker:5672/orders");
  EXPECT_EQ(p->to_string(true), "amqp://alice:wonder%2Fland@broker:5672/orders");
  EXPECT_EQ(p->host_port(), "broker:5672");
}

TEST(url, host_port_names_the_endpoint) {
  url u;
  u.host = "example.com";
  EXPECT_EQ(u.host_port(), "example.com:5672");
  u.host = "::1";
  EXPECT_EQ(u.host_port(), "[::1]:5672");
  auto z = parse_url("amqps://u:pw@[fe80::1%25eth0]/q");
  ASSERT_TRUE(z);
  EXPECT_EQ(z->host_port(), "[fe80::1%eth0]:5671");
  EXPECT_EQ(z->to_string(), "amqps://u:***@[fe80::1%25eth0]:5671/q");
  EXPECT_FALSE(url{}.tls());
}

TEST(url, printing_encodes_what_the_grammar_would_misread) {
  url u;
  u.user = "a:b@c/d,e%f g";
  u.password = "p@:/,%[]?#";
  u.host = "h";
  u.address = "x y,z%/?#:@\xC3\xA9[]";
  const std::string text = u.to_string(true);
  EXPECT_EQ(text,
            "amqp://a%3Ab%40c%2Fd%2Ce%25f%20g:p%40%3A%2F%2C%25%5B%5D%3F%23@h:5672/"
            "x%20y%2Cz%25/%3F%23:@%C3%A9%5B%5D");
  auto back = parse_url(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, u);
  // Printable ASCII only, so a log line stays one line.
  for (char c : text) EXPECT_TRUE(c > 0x20 && c < 0x7f) << text;
  // Sub-delimiters other than ',' stay as they are.
  u.user = "a!$&'()*+;=~";
  u.password.reset();
  u.address = "q!$&'()*+;=";
  EXPECT_EQ(u.to_string(), "amqp://a!$&'()*+;=~@h:5672/q!$&'()*+;=");
}

// Inputs with the password "hunter22" that fail in every way the parser knows; no message may
// show it, or a piece of it that the messages' own words do not hold.
TEST(url, no_error_message_shows_the_password) {
  const std::string big(max_url_size, 'a');
  const std::string cases[] = {
      "ftp://u:hunter22@host",
      "amqp://u:hunter22@",
      "amqp://u:hunter22@host:x",
      "amqp://u:hunter22@host:0",
      "amqp://u:hunter22@[::1",
      "amqp://u:hunter22@[::1]x",
      "amqp://u:hunter22@[zz]",
      "amqp://u:hunter22@ho st",
      "amqp://u:hunter22@ho!st",
      "amqp://u:hunter22@host/%zz",
      "amqp://u:hunter22@host/%00",
      "amqp://u:hunter22@host\x01",
      "amqp://u:hun ter22@host",
      "amqp://u:hunter22%zz@host",
      "amqp://u:hunter22%00@host",
      "amqp://u:hunter22%FF@host",
      "amqp://u:hunter22\x01@host",
      "amqp://%zz:hunter22@host",
      // An unencoded '/' ends the host part inside the password: the port complained about
      // is a piece of the password, and shows masked.
      "amqp://u:hunter22/x@host",
      "amqp://u:hunter/22@host",
      // Without a scheme, and with a scheme-like prefix that is not one.
      "u:hunter22@host:0",
      "a_b://u:hunter22@host",
      "amqp://u:hunter22@host/" + big,
  };
  for (const auto& text : cases) {
    SCOPED_TRACE(text.substr(0, 40));
    auto u = parse_url(text);
    ASSERT_FALSE(u);
    const std::string& m = u.error().message;
    for (const char* piece : {"hunter22", "hunt", "hun", "nter2", "er22", "r22", "/22"})
      EXPECT_EQ(m.find(piece), std::string::npos) << piece << " in " << m;
    EXPECT_NE(m.find("***"), std::string::npos) << m;
  }
}

TEST(url, parses_failover_lists) {
  auto l = parse_url_list("amqp://a, amqps://u:p@b:1/q ,\t[::1]:7 ,c");
  ASSERT_TRUE(l) << l.error().message;
  ASSERT_EQ(l->size(), 4u);
  EXPECT_EQ((*l)[0].to_string(), "amqp://a:5672");
  EXPECT_EQ((*l)[1].to_string(true), "amqps://u:p@b:1/q");
  EXPECT_EQ((*l)[2].host_port(), "[::1]:7");
  EXPECT_EQ((*l)[3].host_port(), "c:5672");
  // Nothing is inherited from the entry before.
  EXPECT_FALSE((*l)[2].user);
  EXPECT_EQ((*l)[2].scheme, "amqp");

  auto one = parse_url_list("host");
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front(), *parse_url("host"));

  // A comma in a password is written %2C.
  auto comma = parse_url_list("amqp://u:a%2Cb@h,amqp://g");
  ASSERT_TRUE(comma);
  ASSERT_EQ(comma->size(), 2u);
  EXPECT_EQ((*comma)[0].password, "a,b");
}

TEST(url, failover_list_errors_name_the_entry) {
  struct list_case {
    std::string_view text;
    std::string_view message;
    std::size_t offset;
  };
  const list_case cases[] = {
      {"", "bad URL list: it names no URL (offset 0)", 0},
      {"  \t ", "bad URL list: it names no URL", 4},
      {"a,,b", "bad URL list: entry 2 is empty (offset 2)", 2},
      {"a, ", "bad URL list: entry 2 is empty (offset 3)", 3},
      {",a", "bad URL list: entry 1 is empty (offset 0)", 0},
      {"amqp://a, ftp://b",
       "bad URL \"ftp://b\", entry 2 of the list: \"ftp\" is not a scheme of AMQP: use amqp or "
       "amqps (offset 10)",
       10},
      {"amqp://a,amqp://b:x", "entry 2 of the list: port \"x\" is neither", 18},
      {"amqp://u:pw@:1 , b", "entry 1 of the list: no host after '@' (offset 12)", 12},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto l = parse_url_list(c.text);
    ASSERT_FALSE(l);
    EXPECT_NE(l.error().message.find(c.message), std::string::npos) << l.error().message;
    EXPECT_EQ(l.error().offset, c.offset) << l.error().message;
  }

  auto secret = parse_url_list("amqp://a, amqp://u:hunter22@b:0");
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().message.find("hunter22"), std::string::npos);
  EXPECT_NE(secret.error().message.find("\"amqp://u:***@b:0\""), std::string::npos);

  std::string long_list(max_url_size + 1, 'a');
  auto too_long = parse_url_list(long_list);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().offset, max_url_size);
}

}  // namespace
}  // namespace amqp
