// Seeds for the SASL engine targets (engine_server_sasl, engine_client_sasl): real
// conversations between a client and a server engine, each configured as the target that reads
// the other's bytes (targets/engine_sasl.hpp), for every mechanism, succeeding and failing.
// engine_server_sasl gets what the client wrote, engine_client_sasl what the server wrote.
//
// Both engines draw from counters, as the targets do, so the conversations are the same on
// every run, and a recorded SCRAM exchange logs in again when a target replays it: the server's
// nonce and secret (engine_server_sasl) or the client's nonce (engine_client_sasl) come out
// the same. Each conversation is checked to end as intended before it is written.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/engine.hpp"
#include "seeds.hpp"
#include "targets/engine_sasl.hpp"

namespace seeds {
namespace {

using namespace std::chrono_literals;
using engine_sasl::decision;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "make_seeds: %s\n", what.c_str());
  std::exit(1);
}

// How the recorded server application decides (the targets' own rule, or a refusal).
using decider = std::function<std::error_code(amqp::connection_engine&, const amqp::sasl_auth_requested&)>;

std::error_code as_target(amqp::connection_engine& e, const amqp::sasl_auth_requested& r) {
  return engine_sasl::apply(e, r, engine_sasl::decide(r));
}

// What one side wrote, in the pieces it wrote them in: each piece is what it had to say after
// reading the other's last piece.
using pieces = std::vector<bytes>;

struct conversation {
  pieces client;
  pieces server;
  bool client_authenticated = false;
  bool server_authenticated = false;
  bool opened = false;  // the client saw the server's open
};

// Runs one conversation to its end: SASL, then open, an optional session, and the client's
// close, answered in kind.
conversation converse(std::optional<amqp::sasl_client_options> client_sasl,
                      std::vector<std::string> offer, const decider& decide, bool session) {
  engine_sasl::counter_random client_random, server_random;
  amqp::engine_config cc{.role = amqp::engine_role::client};
  cc.sasl_client = std::move(client_sasl);
  cc.random = &client_random;
  amqp::engine_config sc{.role = amqp::engine_role::server};
  sc.sasl_server = engine_sasl::server_options(std::move(offer));
  sc.random = &server_random;
  amqp::connection_engine client(cc), server(sc);
  conversation c;
  const amqp::time_point now(1000h);
  if (client.open({.container_id = "seed-client", .hostname = "localhost"})) fail("client open");

  bytes to_server, to_client;
  const auto take = [](amqp::connection_engine& from, pieces& log, bytes& inbox) {
    const amqp::bytes_view out = from.pending_output();
    if (!out.empty()) log.emplace_back(out.begin(), out.end());
    inbox.insert(inbox.end(), out.begin(), out.end());
    const bool any = !out.empty();
    from.consume_output(out.size());
    return any;
  };
  const auto give = [&](amqp::connection_engine& to, bytes& inbox) {
    const std::size_t n = to.feed(amqp::bytes_view(inbox.data(), inbox.size()), now);
    inbox.erase(inbox.begin(), inbox.begin() + static_cast<std::ptrdiff_t>(n));
    return n > 0;
  };
  for (int round = 0; round < 200; ++round) {
    bool progress = take(client, c.client, to_server);
    progress = take(server, c.server, to_client) || progress;
    progress = give(server, to_server) || progress;
    progress = give(client, to_client) || progress;
    while (auto ev = server.poll_event()) {
      progress = true;
      if (const auto* r = std::get_if<amqp::sasl_auth_requested>(&*ev)) {
        if (decide(server, *r)) fail("the server's decision was refused");
      } else if (std::holds_alternative<amqp::sasl_authenticated>(*ev)) {
        c.server_authenticated = true;
      } else if (std::holds_alternative<amqp::peer_opened>(*ev)) {
        if (server.open({.container_id = "seed-server"})) fail("server open");
      } else if (const auto* b = std::get_if<amqp::peer_began_session>(&*ev)) {
        if (server.begin_session(b->session)) fail("server begin");
      } else if (std::holds_alternative<amqp::peer_closed>(*ev)) {
        (void)server.close();
      }
    }
    while (auto ev = client.poll_event()) {
      progress = true;
      if (std::holds_alternative<amqp::sasl_authenticated>(*ev)) {
        c.client_authenticated = true;
      } else if (std::holds_alternative<amqp::peer_opened>(*ev)) {
        c.opened = true;
        if (!session) (void)client.close();
        else if (!client.begin_session()) fail("client begin");
      } else if (std::holds_alternative<amqp::peer_began_session>(*ev)) {
        (void)client.close();
      } else if (std::holds_alternative<amqp::peer_closed>(*ev)) {
        (void)client.close();
      }
    }
    if (!progress) break;
  }
  if (!client.is_finished() && !server.is_finished()) fail("a conversation that never ends");
  return c;
}

amqp::sasl_client_options only(std::string mechanism, std::string_view user,
                               std::string_view password) {
  amqp::sasl_client_options o = engine_sasl::client_options(user, password);
  o.allowed_mechs = {std::move(mechanism)};
  return o;
}

void expect_outcome(const std::string& name, const conversation& c, bool success) {
  if (c.client_authenticated != success || c.server_authenticated != success || c.opened != success)
    fail("sasl seed " + name + " did not end as intended");
}

// The pieces as the reads of a target: go-amqp's marks between them (engine_harness.hpp), so
// that each arrives as it did, after the answer to the one before. Whole, unmarked, the
// stream is cut into reads drawn from its hash instead, and a client's bytes may then arrive
// before the server has answered what came before them.
bytes marked(const pieces& p) {
  const std::string_view mark = "SPLIT\n";
  bytes out;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (i) out.insert(out.end(), mark.begin(), mark.end());
    out.insert(out.end(), p[i].begin(), p[i].end());
  }
  return out;
}

bytes whole(const pieces& p) {
  bytes out;
  for (const bytes& b : p) out.insert(out.end(), b.begin(), b.end());
  return out;
}

// The client's second piece starts with its sasl-init (its first is the SASL header); the low
// byte of that frame's channel is the server target's decision timing (engine_server_sasl.cpp).
pieces with_decision(pieces client, std::uint8_t timing) {
  if (client.size() < 2 || client[1].size() < 8 || client[1][5] != 0x01) fail("no sasl-init");
  client[1][7] = timing;
  return client;
}

void server_target_seeds() {
  const std::string t = "engine_server_sasl";
  const auto& offer = engine_sasl::server_mechanisms();
  struct run {
    const char* name;
    amqp::sasl_client_options client;
    bool success;
    bool session;
  };
  const run runs[] = {
      {"anonymous", only("ANONYMOUS", "", ""), true, true},
      {"plain", only("PLAIN", "alice", "secret"), true, true},
      {"plain-wrong-password", only("PLAIN", "alice", "not-secret"), false, false},
      {"plain-unknown-user", only("PLAIN", "bob", "secret"), false, false},
      {"scram-sha-1", only("SCRAM-SHA-1", "alice", "secret"), true, false},
      {"scram-sha-256", only("SCRAM-SHA-256", "alice", "secret"), true, true},
      {"scram-sha-512", only("SCRAM-SHA-512", "alice", "secret"), true, false},
      {"scram-sha-256-wrong-password", only("SCRAM-SHA-256", "alice", "not-secret"), false, false},
      {"scram-sha-512-unknown-user", only("SCRAM-SHA-512", "mallory", "secret"), false, false},
      // The client's own choice among everything offered: the strongest.
      {"preferred", engine_sasl::client_options(), true, true},
  };
  for (const run& r : runs) {
    const conversation c = converse(r.client, offer, as_target, r.session);
    expect_outcome(r.name, c, r.success);
    put(t, r.name, marked(c.client));
    if (std::string_view(r.name) == "plain" || std::string_view(r.name) == "scram-sha-256") {
      // The same bytes, the decision put off by three reads, and never given.
      put(t, std::string(r.name) + "-late", marked(with_decision(c.client, 1 | 2 << 2)));
      put(t, std::string(r.name) + "-never", marked(with_decision(c.client, 2)));
    }
    if (std::string_view(r.name) == "anonymous" || std::string_view(r.name) == "scram-sha-1")
      put(t, std::string(r.name) + "-unmarked", whole(c.client));
  }
  // A client without SASL: refused with the SASL header and a named error.
  const conversation plain_amqp = converse(std::nullopt, offer, as_target, true);
  put(t, "no-sasl", whole(plain_amqp.client));
}

void client_target_seeds() {
  const std::string t = "engine_client_sasl";
  const auto reject = [](amqp::connection_engine& e, const amqp::sasl_auth_requested&) {
    return e.sasl_reject();
  };
  // Keys for another password: the client's proof fails, as with a wrong password.
  const auto other_keys = [](amqp::connection_engine& e, const amqp::sasl_auth_requested& r) {
    const std::string_view salt = "another-salt-16b";
    auto k = amqp::make_scram_credentials(
        r.mechanism, "not-secret",
        amqp::bytes_view(reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size()), 4096);
    if (!k) fail("make_scram_credentials");
    return e.sasl_scram_credentials(*k);
  };
  struct run {
    const char* name;
    std::vector<std::string> offer;
    decider decide;
    bool success;
    bool session;
  };
  const run runs[] = {
      {"anonymous", {"ANONYMOUS"}, as_target, true, false},
      {"plain", {"PLAIN"}, as_target, true, false},
      {"plain-rejected", {"PLAIN"}, reject, false, false},
      {"scram-sha-1", {"SCRAM-SHA-1"}, as_target, true, false},
      {"scram-sha-256", {"SCRAM-SHA-256"}, as_target, true, false},
      {"scram-sha-512", {"SCRAM-SHA-512"}, as_target, true, false},
      {"scram-sha-256-session", {"SCRAM-SHA-256", "PLAIN"}, as_target, true, true},
      {"scram-sha-256-wrong-keys", {"SCRAM-SHA-256"}, other_keys, false, false},
      {"scram-sha-1-rejected", {"SCRAM-SHA-1"}, reject, false, false},
      {"everything-offered", engine_sasl::server_mechanisms(), as_target, true, true},
  };
  for (const run& r : runs) {
    const conversation c = converse(engine_sasl::client_options(), r.offer, r.decide, r.session);
    expect_outcome(r.name, c, r.success);
    put(t, r.name, marked(c.server));
    if (std::string_view(r.name) == "scram-sha-256") put(t, "scram-sha-256-unmarked", whole(c.server));
  }
  // A server that offers nothing the client allows, and one without SASL at all.
  const conversation none = converse(engine_sasl::client_options(), {"CRAM-MD5"}, as_target, false);
  expect_outcome("no-common-mechanism", none, false);
  put(t, "no-common-mechanism", marked(none.server));
}

}  // namespace

void sasl_seeds() {
  server_target_seeds();
  client_target_seeds();
}

}  // namespace seeds
