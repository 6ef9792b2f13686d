// Fuzz target: the example broker's user file (examples/broker/users.hpp) on arbitrary text.
//
// Oracles (a mismatch traps):
// - an error starts with "line N: " for a line that exists, is one line, and never contains
//   the text after a user name's colon on that line when that text is a clear password (at
//   least 6 bytes of letters and digits, none of which the message's own words hold);
// - a store that parsed has users with one to three credentials each, no two of the same
//   mechanism, with keys of the mechanism's size, and every decision on it (PLAIN with a
//   wrong password, SCRAM with each mechanism, ANONYMOUS, an unknown user) is made without
//   trapping; a wrong password and an unknown user are always refused;
// - base64 of any bytes decodes back to them.
//
// A clear-password line costs a PBKDF2 derivation, so inputs are cut to 512 bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "users.hpp"

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "user_file oracle broken: %s\n", what);
  std::fflush(stderr);
  __builtin_trap();
}
void check(bool ok, const char* what) {
  if (!ok) broken(what);
}

struct counting_random final : amqp::random_source {
  std::uint8_t next = 0;
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next++;
  }
};

std::size_t key_size(const std::string& mechanism) {
  if (mechanism == "SCRAM-SHA-1") return 20;
  if (mechanism == "SCRAM-SHA-256") return 32;
  if (mechanism == "SCRAM-SHA-512") return 64;
  return 0;
}

// The clear password of line `n` (1-based), if that line is "name:password" with a password
// that is a long run of letters and digits (so that its appearance in an error is no accident).
std::string password_of_line(std::string_view text, std::size_t n) {
  std::size_t start = 0;
  for (std::size_t i = 1; i < n; ++i) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  std::string_view line = text.substr(start, text.find('\n', start) - start);
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return {};
  const std::string_view pw = line.substr(colon + 1);
  if (pw.size() < 6) return {};
  for (char c : pw)
    if (!((c >= '0' && c <= '9') || (c >= 'Q' && c <= 'Z') || (c >= 'q' && c <= 'z')))
      return {};  // letters the messages' words use (a-p) could make a false alarm
  return std::string(pw);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 512) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  std::vector<std::uint8_t> bytes(data, data + size), back;
  check(broker::decode_base64(broker::encode_base64(bytes), back) && back == bytes,
        "base64 does not round trip");

  counting_random random;
  auto store = broker::user_store::parse(text, random);
  if (!store) {
    const std::string& e = store.error();
    check(e.starts_with("line "), "an error does not name its line");
    check(e.find('\n') == std::string::npos, "an error is not one line");
    std::size_t n = 0;
    std::size_t i = 5;
    for (; i < e.size() && e[i] >= '0' && e[i] <= '9'; ++i) n = n * 10 + (e[i] - '0');
    check(i < e.size() && e[i] == ':' && n >= 1, "an error's line number is malformed");
    std::size_t lines = 1;
    for (char c : text) lines += c == '\n';
    check(n <= lines, "an error names a line past the end");
    const std::string pw = password_of_line(text, n);
    if (!pw.empty()) check(e.find(pw) == std::string::npos, "an error shows a password");
    return 0;
  }

  for (const char* name : {"alice", "bob", ""}) {
    const broker::user* u = store->find(name);
    if (!u) {
      check(store->authenticate({.mechanism = "PLAIN", .user = name, .password = "x"}).decision ==
                amqp::sasl_verdict::kind::reject,
            "an unknown user is accepted");
      continue;
    }
    check(!u->credentials.empty() && u->credentials.size() <= 3, "a user has no credentials");
    for (std::size_t a = 0; a < u->credentials.size(); ++a) {
      const amqp::scram_credentials& c = u->credentials[a];
      check(c.stored_key.size() == key_size(c.mechanism) &&
                c.server_key.size() == key_size(c.mechanism) && !c.salt.empty(),
            "credentials of the wrong size");
      for (std::size_t b = a + 1; b < u->credentials.size(); ++b)
        check(u->credentials[b].mechanism != c.mechanism, "two credentials of one mechanism");
    }
  }
  for (const broker::user* u : {store->find("alice"), store->find("bob")}) {
    if (!u) continue;
    for (const char* mech : {"SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512", "ANONYMOUS"})
      (void)store->authenticate({.mechanism = mech, .user = u->name});
    // Only cheap derivations: a wrong password checked against many iterations is slow.
    bool cheap = true;
    for (const amqp::scram_credentials& c : u->credentials) cheap = cheap && c.iterations <= 4096;
    if (cheap)
      check(store->authenticate({.mechanism = "PLAIN", .user = u->name,
                                 .password = "\x01wrong\x02"})
                    .decision == amqp::sasl_verdict::kind::reject,
            "a wrong password is accepted");
  }
  return 0;
}
