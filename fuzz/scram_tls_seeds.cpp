// Seeds for the fuzz targets of the SCRAM mechanisms, their text helpers and the TLS stage
// (scram_server, scram_client, saslprep_base64, tls_server, tls_client).
//
// The SCRAM seeds are whole exchanges between a real scram_client and a real scram_server,
// driven by the same scripted random source the targets use (targets/scram_fixture.hpp), so
// that each valid seed is accepted by the target and the fuzzer starts from the success path;
// they are the same on every run. The TLS seeds are what real stages say to each other
// (targets/tls_harness.hpp's contexts, with a certificate made for the run): OpenSSL draws
// randoms and ephemeral keys, so they differ from run to run, which does not matter to seeds.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "seeds.hpp"
#include "targets/scram_fixture.hpp"
#include "targets/tls_harness.hpp"

namespace seeds {
namespace {

using amqp::detail::scram_client;
using amqp::detail::scram_hash;
using amqp::detail::scram_server;
using scram_fuzz::as_bytes;
using scram_fuzz::counter_random;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "make_seeds: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T must(amqp::detail::scram_result<T> r, const char* step) {
  if (!r) fail(std::string(step) + ": " + r.error().message);
  return *std::move(r);
}

bytes text(std::string_view s) {
  return {s.begin(), s.end()};
}

bytes with_header(std::uint8_t options, std::uint8_t seed, const bytes& body) {
  bytes out{options, seed};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// The client-final-message an honest client sends after `server_first`, with `extension`
// ("x=...") before the proof when given; computed by the reference of scram_fixture.hpp.
std::string honest_final(scram_hash h, std::string_view client_first, std::string_view server_first,
                         std::string_view extension = {}) {
  const std::size_t second_comma = client_first.find(',', client_first.find(',') + 1);
  const std::string_view gs2 = client_first.substr(0, second_comma + 1);
  const std::string_view bare = client_first.substr(second_comma + 1);
  const std::string_view nonce = server_first.substr(2, server_first.find(',') - 2);
  std::string without_proof =
      "c=" + scram_fuzz::ref_base64(as_bytes(gs2)) + ",r=" + std::string(nonce);
  if (!extension.empty()) without_proof += "," + std::string(extension);
  const scram_fuzz::keys k = scram_fuzz::derive(h, scram_fuzz::prepared_password,
                                                as_bytes(scram_fuzz::salt), scram_fuzz::iterations);
  const scram_fuzz::signatures s = scram_fuzz::sign(
      h, k, std::string(bare) + "," + std::string(server_first) + "," + without_proof);
  return without_proof + ",p=" + scram_fuzz::ref_base64(s.proof);
}

// ---- scram_server -----------------------------------------------------------------------------

// A real client's exchange with a server that draws from a counter at `start`, as the target
// does; the server checks that the seed is accepted (or refused when `wrong_password`). A
// nonce length out of bounds (129) is refused by the target's challenge: the seed is then the
// exchange at the default length.
void server_exchange(const std::string& name, std::uint8_t options, std::uint8_t start,
                     std::string_view user, std::string_view authzid, bool wrong_password = false) {
  const scram_hash h = scram_fuzz::hash_of(options);
  counter_random client_random(0x51);
  scram_client client(h, user, wrong_password ? "not the password" : scram_fuzz::password, authzid,
                      client_random);
  const std::string first = must(client.initial_response(), "initial_response");
  counter_random server_random(start);
  amqp::detail::scram_server_options so;
  static constexpr std::size_t lengths[] = {24, 16, 128, 129};
  so.nonce_length = lengths[(options >> 2) & 3];
  const bool refused = so.nonce_length > amqp::detail::scram_max_fresh_nonce;
  if (refused) so.nonce_length = 24;
  scram_server server(h, server_random, so);
  (void)must(server.on_client_first(as_bytes(first)), "on_client_first");
  const auto credentials =
      must(amqp::detail::make_scram_credentials(h, scram_fuzz::password, as_bytes(scram_fuzz::salt),
                                                scram_fuzz::iterations),
           "make_scram_credentials");
  const std::string server_first = must(server.challenge(credentials), "challenge");
  const std::string final_message =
      must(client.on_challenge(as_bytes(server_first)), "on_challenge");
  auto verdict = server.on_client_final(as_bytes(final_message));
  if (!refused && verdict.has_value() == wrong_password)
    fail("scram_server seed " + name + ": wrong verdict");
  put("scram_server", name, scram_fuzz::make_input(options, start, first, final_message));
}

// A hand-written client-first-message answered by an honest client-final-message.
void server_handwritten(const std::string& name, std::uint8_t options, std::uint8_t start,
                        std::string_view first, std::string_view extension = {}) {
  const scram_hash h = scram_fuzz::hash_of(options);
  counter_random server_random(start);
  scram_server server(h, server_random);
  (void)must(server.on_client_first(as_bytes(first)), "on_client_first");
  const auto credentials =
      must(amqp::detail::make_scram_credentials(h, scram_fuzz::password, as_bytes(scram_fuzz::salt),
                                                scram_fuzz::iterations),
           "make_scram_credentials");
  const std::string server_first = must(server.challenge(credentials), "challenge");
  const std::string final_message = honest_final(h, first, server_first, extension);
  (void)must(server.on_client_final(as_bytes(final_message)), "on_client_final");
  put("scram_server", name, scram_fuzz::make_input(options, start, first, final_message));
}

void scram_server_seeds() {
  const std::string t = "scram_server";
  // Options: bits 0-1 the hash, 2-3 the nonce length, 4 calls out of turn.
  server_exchange("sha1-user", 0, 0, "user", "");
  server_exchange("sha256-user", 1, 0x10, "user", "");
  server_exchange("sha512-user", 2, 0x20, "user", "");
  server_exchange("sha256-nonce-redrawn", 1, 180, "user", "");
  server_exchange("sha256-authzid-escaped", 1 | 1 << 2, 7, "us,er=1", "a,b=c");
  server_exchange("sha256-nonce-128", 1 | 2 << 2, 9, "user", "");
  server_exchange("sha256-nonce-129-refused", 1 | 3 << 2, 9, "user", "");
  server_exchange("sha1-out-of-turn", 0 | 0x10, 3, "user", "admin");
  server_exchange("sha256-prepared-user", 1, 4, "\xC3\xBCser\xC2\xAD", "");
  server_exchange("sha256-wrong-password", 1, 5, "user", "", true);
  server_handwritten("sha256-flag-y", 1, 11, "y,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  server_handwritten("sha512-final-extension", 2, 12, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
                     "x=extension-value");
  server_handwritten("sha256-first-extension", 1, 13, "n,,n=user,r=abcdefgh,q=1");
  // Refusals: channel binding required, an unknown mandatory extension, bad escaping, no r=.
  const std::pair<const char*, const char*> refused[] = {
      {"channel-binding", "p=tls-unique,,n=user,r=abcdefgh"},
      {"mandatory-extension", "n,,m=ext,n=user,r=abcdefgh"},
      {"bad-escape", "n,,n=us=3er,r=abcdefgh"},
      {"no-nonce", "n,,n=user"},
      {"control-in-name", "n,,n=us\x01r,r=abcdefgh"},
  };
  for (const auto& [name, first] : refused)
    put(t, name, scram_fuzz::make_input(1, 0, first, "c=biws,r=abcdefgh,p=AAAA"));
  // Accepted first message, refused final ones: wrong c=, wrong nonce, short proof.
  const std::string first = "n,,n=user,r=abcdefgh";
  const std::pair<const char*, std::string> finals[] = {
      {"final-channel-binding-mismatch", "c=eSws,r=abcdefgh,p=AAAA"},
      {"final-nonce-mismatch", "c=biws,r=abcdefgh,p=dGVzdA=="},
      {"final-proof-short", "c=biws,r=abcdefgh" + scram_fuzz::counter_nonce(0, 24) + ",p=AAAA"},
      {"final-proof-bad-base64", "c=biws,r=abcdefgh" + scram_fuzz::counter_nonce(0, 24) + ",p=A"},
  };
  for (const auto& [name, final_message] : finals)
    put(t, name, scram_fuzz::make_input(1, 0, first, final_message));
}

// ---- scram_client -----------------------------------------------------------------------------

struct client_seed {
  std::string name;
  std::uint8_t options = 1;
  std::uint8_t start = 0;
  std::uint32_t iterations = 4096;
  std::string server_first_extension;  // appended to the server-first-message
  std::string server_final_override;   // instead of the server's own
  std::string server_final_extension;  // appended to it
};

// Bits 2-3 of the target's options pick one of these (scram_client.cpp's client_identities).
constexpr std::pair<std::string_view, std::string_view> identities[] = {
    {"user", ""}, {"user", "admin"}, {"us,er=1", "a,b=c"}, {"\xC3\xBCser\xC2\xAD", ""}};

// A real server's exchange with a client that draws from a counter at `start`, as the target
// does. The server's messages may be altered; the reference computation then signs what the
// client will see.
void client_exchange(const client_seed& s) {
  const scram_hash h = scram_fuzz::hash_of(s.options);
  const auto& [user, authzid] = identities[(s.options >> 2) & 3];
  counter_random client_random(s.start);
  amqp::detail::scram_client_options co;
  co.nonce_length = (s.options & 0x10) != 0 ? 128 : 24;
  co.max_iterations = 4096;
  scram_client client(h, user, scram_fuzz::password, authzid, client_random, co);
  const std::string first = must(client.initial_response(), "initial_response");
  counter_random server_random(0x77);
  scram_server server(h, server_random);
  (void)must(server.on_client_first(as_bytes(first)), "on_client_first");
  const auto credentials =
      must(amqp::detail::make_scram_credentials(h, scram_fuzz::password, as_bytes(scram_fuzz::salt),
                                                s.iterations),
           "make_scram_credentials");
  std::string server_first = must(server.challenge(credentials), "challenge");
  const std::string final_message =
      must(client.on_challenge(as_bytes(server_first + s.server_first_extension)), "on_challenge");
  std::string server_final;
  if (s.server_first_extension.empty()) {
    server_final = must(server.on_client_final(as_bytes(final_message)), "on_client_final");
  } else {
    // The server signed another server-first-message: sign the one the client saw.
    server_first += s.server_first_extension;
    const std::size_t header = first.find(',', first.find(',') + 1) + 1;
    const scram_fuzz::keys k = scram_fuzz::derive(h, scram_fuzz::prepared_password,
                                                  as_bytes(scram_fuzz::salt), s.iterations);
    const std::string without_proof = final_message.substr(0, final_message.rfind(','));
    const auto sig =
        scram_fuzz::sign(h, k, first.substr(header) + "," + server_first + "," + without_proof);
    server_final = "v=" + scram_fuzz::ref_base64(sig.server_signature);
  }
  if (!s.server_final_override.empty()) server_final = s.server_final_override;
  server_final += s.server_final_extension;
  const bool valid = s.server_final_override.empty();
  if (client.on_outcome(as_bytes(server_final)).has_value() != valid)
    fail("scram_client seed " + s.name + ": wrong verdict");
  put("scram_client", s.name,
      scram_fuzz::make_input(s.options, s.start, server_first, server_final));
}

void scram_client_seeds() {
  const std::string t = "scram_client";
  // Options: bits 0-1 the hash, 2-3 the identity, 4 a 128-character nonce, 5 calls out of turn.
  client_exchange({.name = "sha1-user", .options = 0, .start = 0});
  client_exchange({.name = "sha256-user", .options = 1, .start = 0x20});
  client_exchange({.name = "sha512-user", .options = 2, .start = 0x40, .iterations = 64});
  client_exchange({.name = "sha256-nonce-redrawn", .options = 1, .start = 182, .iterations = 1});
  client_exchange({.name = "sha256-authzid", .options = 1 | 1 << 2, .start = 1, .iterations = 16});
  client_exchange({.name = "sha256-escaped", .options = 1 | 2 << 2, .start = 2, .iterations = 16});
  client_exchange(
      {.name = "sha256-prepared-user", .options = 1 | 3 << 2, .start = 3, .iterations = 16});
  client_exchange({.name = "sha256-nonce-128", .options = 1 | 0x10, .start = 4, .iterations = 16});
  client_exchange({.name = "sha1-out-of-turn", .options = 0 | 0x20, .start = 5, .iterations = 16});
  client_exchange({.name = "sha256-first-extension",
                   .options = 1,
                   .start = 6,
                   .iterations = 16,
                   .server_first_extension = ",x=ext"});
  client_exchange({.name = "sha256-final-extension",
                   .options = 1,
                   .start = 7,
                   .iterations = 16,
                   .server_final_extension = ",y=ext"});
  client_exchange({.name = "sha256-server-error",
                   .options = 1,
                   .start = 8,
                   .iterations = 16,
                   .server_final_override = "e=invalid-proof"});
  client_exchange({.name = "sha256-wrong-signature",
                   .options = 1,
                   .start = 9,
                   .iterations = 16,
                   .server_final_override = "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="});
  // Refused server-first-messages: too many iterations, m=, a nonce that is not ours, bad salt.
  const std::string nonce = scram_fuzz::counter_nonce(0, 24);
  const std::pair<const char*, std::string> refused[] = {
      {"iterations-above-bound", "r=" + nonce + "srv,s=c2FsdA==,i=4097"},
      {"iterations-huge", "r=" + nonce + "srv,s=c2FsdA==,i=99999999999999999999"},
      {"mandatory-extension", "m=ext,r=" + nonce + "srv,s=c2FsdA==,i=16"},
      {"nonce-not-extended", "r=" + nonce + ",s=c2FsdA==,i=16"},
      {"nonce-foreign", "r=someone-elses-nonce,s=c2FsdA==,i=16"},
      {"salt-not-base64", "r=" + nonce + "srv,s=c2FsdA=,i=16"},
      {"salt-empty", "r=" + nonce + "srv,s=,i=16"},
      {"iterations-zero", "r=" + nonce + "srv,s=c2FsdA==,i=0"},
  };
  for (const auto& [name, first] : refused)
    put(t, name, scram_fuzz::make_input(1, 0, first, "v=AAAA"));
}

// ---- saslprep_base64 ---------------------------------------------------------------------------

void saslprep_base64_seeds() {
  const std::string t = "saslprep_base64";
  const std::pair<const char*, std::string_view> inputs[] = {
      {"ascii-name", "user"},
      {"soft-hyphen", "I\xC2\xADX"},
      {"non-ascii-spaces",
       "a\xC2\xA0"
       "b\xE2\x80\x8B"
       "c\xE3\x80\x80"
       "d"},
      {"mapped-to-nothing-only", "\xC2\xAD\xE2\x80\x8C"},
      {"control-character", "bell\x07"},
      {"private-use", "\xEE\x80\x80"},
      {"noncharacter", "x\xEF\xBF\xBE"},
      {"tag-character", "\xF3\xA0\x80\x81"},
      {"bidi-override",
       "\xE2\x80\xAE"
       "abc"},
      {"overlong-slash", "\xC0\xAF"},
      {"surrogate", "\xED\xA0\x80"},
      {"above-unicode", "\xF4\x90\x80\x80"},
      {"truncated", "ab\xE2\x82"},
      {"latin-and-cjk", "\xC3\xBC\xC3\x9F\xE6\x97\xA5\xF0\x9F\x98\x80"},
      {"base64-rfc5802-salt", "QSXCR+Q6sek8bf92"},
      {"base64-one-pad", "YWI="},
      {"base64-two-pad", "YQ=="},
      {"base64-nonzero-pad-bits", "YR=="},
      {"base64-three-pad", "Y==="},
      {"base64-inner-pad", "YQ==YQ=="},
      {"base64-line-break", "Zm9v\nYmFy"},
      {"saslname-escaped", "us=2Cer=3D1"},
      {"saslname-bad-escape", "us=2"},
      {"empty", ""},
  };
  for (const auto& [name, value] : inputs) put(t, name, text(value));
}

// ---- tls_server and tls_client
// -------------------------------------------------------------------

// What each side of one real handshake and short conversation wrote.
struct conversation {
  bytes client_hello;
  bytes client_all;    // the ClientHello, the client's second flight, data, close_notify
  bytes server_first;  // the server's answer to the ClientHello
  bytes server_all;    // that, then tickets, data, close_notify
};

void take(tls_fuzz::tls_stage& s, bytes& into) {
  const amqp::bytes_view out = s.pending_output();
  into.insert(into.end(), out.begin(), out.end());
  s.consume_output(out.size());
}

void deliver(tls_fuzz::tls_stage& to, const bytes& from, std::size_t& sent) {
  while (sent < from.size()) {
    const std::size_t n = to.feed(amqp::bytes_view(from).subspan(sent));
    sent += n;
    to.consume_plaintext(to.plaintext().size());
    if (n == 0) break;
  }
}

conversation talk(int client_variant, int server_variant) {
  tls_fuzz::tls_stage client(tls_fuzz::context(true, client_variant));
  tls_fuzz::tls_stage server(tls_fuzz::context(false, server_variant));
  conversation c;
  take(client, c.client_hello);
  c.client_all = c.client_hello;
  std::size_t to_server = 0, to_client = 0;
  deliver(server, c.client_all, to_server);
  take(server, c.server_first);
  c.server_all = c.server_first;
  bool wrote = false;
  for (int round = 0; round < 16; ++round) {
    deliver(client, c.server_all, to_client);
    take(client, c.client_all);
    deliver(server, c.client_all, to_server);
    take(server, c.server_all);
    if (!wrote && client.state() == tls_fuzz::tls_state::open &&
        server.state() == tls_fuzz::tls_state::open) {
      const std::string_view hello = "AMQP\x00\x01\x00\x00";
      (void)client.write(as_bytes(hello));
      (void)server.write(as_bytes(hello));
      server.close();
      client.close();
      wrote = true;
    }
  }
  if (!client.error().empty() || !server.error().empty() || !wrote)
    fail("the seed handshake failed: client '" + client.error() + "', server '" + server.error() +
         "'");
  return c;
}

void tls_seeds() {
  const conversation both = talk(0, 0);
  const conversation tls12 = talk(1, 1);
  const conversation certificate = talk(2, 2);
  const conversation restricted = talk(3, 3);
  const bytes amqp_header = text(std::string_view("AMQP\x00\x01\x00\x00", 8));
  const bytes amqp_tls_header = text(std::string_view("AMQP\x02\x01\x00\x00", 8));

  // Options: bits 0-1 the context, 2-3 the limits, 4 writes, 5 close, 6-7 slow consumers.
  const std::string s = "tls_server";
  put(s, "client-hello", with_header(0x00, 0x00, both.client_hello));
  put(s, "client-conversation", with_header(0x00, 0x11, both.client_all));
  put(s, "client-conversation-tls12", with_header(0x01, 0x22, tls12.client_all));
  put(s, "client-conversation-certificate", with_header(0x02, 0x33, certificate.client_all));
  put(s, "client-hello-restricted-ciphers", with_header(0x03, 0x44, restricted.client_hello));
  put(s, "client-conversation-tiny-limits-writes-closes",
      with_header(0x00 | 1 << 2 | 0xf0, 0x55, both.client_all));
  put(s, "client-hello-small-limits-writes", with_header(2 << 2 | 0x10, 0x66, both.client_hello));
  put(s, "client-conversation-tls12-no-early-writes",
      with_header(0x01 | 3 << 2 | 0x10, 0x77, tls12.client_all));
  put(s, "plain-amqp-header", with_header(0x00, 0x00, amqp_header));
  put(s, "amqp-tls-header-then-hello", [&] {
    bytes b = with_header(0x00, 0x00, amqp_tls_header);
    b.insert(b.end(), both.client_hello.begin(), both.client_hello.end());
    return b;
  }());

  const std::string c = "tls_client";
  put(c, "server-flight", with_header(0x00, 0x00, both.server_first));
  put(c, "server-conversation", with_header(0x00, 0x11, both.server_all));
  put(c, "server-conversation-tls12", with_header(0x01, 0x22, tls12.server_all));
  put(c, "server-conversation-certificate-request",
      with_header(0x02, 0x33, certificate.server_all));
  put(c, "server-flight-restricted-ciphers", with_header(0x03, 0x44, restricted.server_first));
  put(c, "server-conversation-tls12-tiny-limits-writes-closes",
      with_header(0x01 | 1 << 2 | 0xf0, 0x55, tls12.server_all));
  put(c, "server-flight-small-limits-writes", with_header(2 << 2 | 0x10, 0x66, both.server_first));
  // A handshake_failure alert, and a peer that does not speak TLS.
  put(c, "alert-handshake-failure",
      with_header(0x00, 0x00, bytes{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}));
  put(c, "plain-amqp-header", with_header(0x00, 0x00, amqp_header));
}

}  // namespace

void scram_tls_seeds() {
  scram_server_seeds();
  scram_client_seeds();
  saslprep_base64_seeds();
  tls_seeds();
}

}  // namespace seeds
