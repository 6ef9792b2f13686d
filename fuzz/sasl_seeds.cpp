// Seeds for the SASL targets (engine_server_sasl, engine_client_sasl, sasl_frame): real
// conversations between a client and a server engine, each configured as the target that reads
// the other's bytes (targets/engine_sasl.hpp), for every mechanism, succeeding and failing.
// engine_server_sasl gets what the client wrote, engine_client_sasl what the server wrote;
// sasl_frame gets the same from two bare SASL layers (targets/sasl_frame.hpp).
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
#include "targets/sasl_frame.hpp"

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

// sasl_frame's seeds: a client and a server unit (targets/sasl_frame.hpp) talk, each side's
// output fed to the other until neither has more to say; the target then plays one side, its
// options byte first, and reads what the other side wrote.
struct exchange {
  pieces client, server;
  sasl_frame::state client_end{}, server_end{};
};

exchange talk(const sasl_frame::setup& client, const sasl_frame::setup& server) {
  sasl_frame::unit c(client), s(server);
  exchange x;
  std::size_t from_client = 0, from_server = 0;
  const auto ignore = [](const sasl_frame::step&) {};
  const auto pass = [&](sasl_frame::unit& from, std::size_t& sent, pieces& log,
                        sasl_frame::unit& to) {
    const amqp::bytes_view out = from.out().view().subspan(sent);
    if (out.empty()) return false;
    log.emplace_back(out.begin(), out.end());
    sent += out.size();
    (void)to.feed(out, ignore);
    return true;
  };
  for (int round = 0; round < 16; ++round) {
    const bool any = pass(c, from_client, x.client, s);
    if (!pass(s, from_server, x.server, c) && !any) break;
  }
  x.client_end = c.layer().status();
  x.server_end = s.layer().status();
  return x;
}

std::uint8_t server_byte(unsigned configuration, bool secure = false,
                         sasl_frame::timing when = sasl_frame::timing::at_once,
                         unsigned rounds = 0) {
  return static_cast<std::uint8_t>(configuration << 1 | unsigned{secure} << 3 |
                                   static_cast<unsigned>(when) << 4 | rounds << 6);
}

std::uint8_t client_byte(unsigned configuration, bool secure = false, unsigned identity = 0,
                         bool hostname = false) {
  return static_cast<std::uint8_t>(1 | configuration << 1 | unsigned{secure} << 3 | identity << 4 |
                                   unsigned{hostname} << 6);
}

void put_frame_seed(const std::string& name, std::uint8_t options, const pieces& peer, bool mark) {
  bytes seed{options};
  const bytes stream = mark ? marked(peer) : whole(peer);
  seed.insert(seed.end(), stream.begin(), stream.end());
  put("sasl_frame", name, seed);
}

void frame_seeds() {
  using sasl_frame::state;
  using sasl_frame::timing;
  const auto client_peer = [](amqp::sasl_client_options o, bool secure = false) {
    return sasl_frame::setup{.client = std::move(o), .secure = secure};
  };
  const auto server_peer = [](std::vector<std::string> offer, bool reject = false,
                              bool secure = false) {
    amqp::sasl_server_options o = engine_sasl::server_options(std::move(offer));
    return sasl_frame::setup{.server = std::move(o), .secure = secure, .reject_all = reject};
  };
  struct run {
    const char* name;
    std::uint8_t options;  // the target's side
    sasl_frame::setup peer;
    bool success;
  };
  const run runs[] = {
      // The target is the server.
      {"server-anonymous", server_byte(0), client_peer(only("ANONYMOUS", "", "")), true},
      {"server-plain", server_byte(0), client_peer(only("PLAIN", "alice", "secret")), true},
      {"server-plain-wrong-password", server_byte(0),
       client_peer(only("PLAIN", "alice", "not-secret")), false},
      {"server-scram-sha-1", server_byte(0), client_peer(only("SCRAM-SHA-1", "alice", "secret")),
       true},
      {"server-scram-sha-256", server_byte(0),
       client_peer(only("SCRAM-SHA-256", "alice", "secret")), true},
      {"server-scram-sha-512", server_byte(0),
       client_peer(only("SCRAM-SHA-512", "alice", "secret")), true},
      {"server-scram-sha-256-wrong-password", server_byte(0),
       client_peer(only("SCRAM-SHA-256", "alice", "not-secret")), false},
      {"server-scram-sha-512-unknown-user", server_byte(0),
       client_peer(only("SCRAM-SHA-512", "mallory", "secret")), false},
      {"server-scram-sha-256-one-round", server_byte(0, false, timing::at_once, 1),
       client_peer(only("SCRAM-SHA-256", "alice", "secret")), true},
      {"server-scram-default", server_byte(1), client_peer(engine_sasl::client_options()), true},
      {"server-external", server_byte(2, true), client_peer(only("EXTERNAL", "", ""), true), true},
      {"server-anonymous-without-tls", server_byte(2), client_peer(engine_sasl::client_options()),
       true},
      {"server-plain-over-tls", server_byte(3, true),
       client_peer({.user = "alice", .password = "secret", .allowed_mechs = {"PLAIN"}}, true),
       true},
      {"server-nothing-to-offer", server_byte(3), client_peer(engine_sasl::client_options()),
       false},
      // The target is the client.
      {"client-anonymous", client_byte(0), server_peer({"ANONYMOUS"}), true},
      {"client-plain", client_byte(0), server_peer({"PLAIN"}), true},
      {"client-plain-rejected", client_byte(0), server_peer({"PLAIN"}, true), false},
      {"client-scram-sha-1", client_byte(0), server_peer({"SCRAM-SHA-1"}), true},
      {"client-scram-sha-256", client_byte(0), server_peer({"SCRAM-SHA-256"}), true},
      {"client-scram-sha-512", client_byte(0), server_peer({"SCRAM-SHA-512"}), true},
      {"client-scram-sha-256-rejected", client_byte(0), server_peer({"SCRAM-SHA-256"}, true),
       false},
      {"client-everything-offered", client_byte(0, false, 0, true),
       server_peer(engine_sasl::server_mechanisms()), true},
      {"client-defaults", client_byte(1), server_peer(engine_sasl::server_mechanisms()), true},
      {"client-external", client_byte(2, true, 2), server_peer({"EXTERNAL", "PLAIN"}, false, true),
       true},
      {"client-scram-sha-256-authzid", client_byte(3, false, 1, true),
       server_peer({"SCRAM-SHA-256", "PLAIN"}), true},
      {"client-scram-sha-1-escaped-name", client_byte(3, false, 3), server_peer({"SCRAM-SHA-1"}),
       false},
      {"client-no-common-mechanism", client_byte(2), server_peer({"SCRAM-SHA-1"}), false},
  };
  for (const run& r : runs) {
    const bool client = r.options & 1;
    const sasl_frame::setup target = sasl_frame::setup_of(r.options);
    const exchange x = client ? talk(target, r.peer) : talk(r.peer, target);
    const state end = client ? x.client_end : x.server_end;
    if ((end == state::done) != r.success || (!r.success && end != state::failed))
      fail(std::string("sasl_frame seed ") + r.name + " did not end as intended");
    put_frame_seed(r.name, r.options, client ? x.server : x.client, false);
    if (std::string_view(r.name).ends_with("scram-sha-256"))
      put_frame_seed(std::string(r.name) + "-marked", r.options, client ? x.server : x.client,
                     true);
  }
  // The server's decision put off (until after the client's next frame, which comes too
  // early, or until the input ends, the client's header and sasl-init alone) or never given;
  // no SCRAM round left.
  const exchange x = talk(client_peer(only("SCRAM-SHA-256", "alice", "secret")),
                          sasl_frame::setup_of(server_byte(0)));
  const exchange plain =
      talk(client_peer(only("PLAIN", "alice", "secret")), sasl_frame::setup_of(server_byte(0)));
  put_frame_seed("server-scram-sha-256-decided-late",
                 server_byte(0, false, timing::after_next_item), x.client, false);
  put_frame_seed("server-plain-decided-late", server_byte(0, false, timing::after_next_item),
                 plain.client, false);
  put_frame_seed("server-scram-sha-256-decided-at-end", server_byte(0, false, timing::at_end),
                 pieces(x.client.begin(), x.client.begin() + 2), false);
  put_frame_seed("server-scram-sha-256-never-decided", server_byte(0, false, timing::never),
                 x.client, false);
  put_frame_seed("server-scram-sha-256-no-rounds", server_byte(0, false, timing::at_once, 2),
                 x.client, false);
  // A client that speaks AMQP at once, and a server that does.
  const bytes amqp_header = {'A', 'M', 'Q', 'P', 0, 1, 0, 0};
  put_frame_seed("server-no-sasl", server_byte(0), {amqp_header}, false);
  put_frame_seed("client-no-sasl", client_byte(0), {amqp_header}, false);
}

}  // namespace

void sasl_seeds() {
  server_target_seeds();
  client_target_seeds();
  frame_seeds();
}

}  // namespace seeds
