// The handshake modes on this project's engine: connection after connection between a client
// and a server connection_engine, each a new engine, with TLS contexts built once and shared
// as an application shares them. The client opens at once (its open waits in the engine for
// the TLS handshake), the server answers the open and the close; each measured connection
// is checked to have resumed its TLS session, or not, as the mode says.
#include "bench/amqp_engines.hpp"

namespace amqp::bench {
namespace {

using namespace amqp_impl;

class client_side {
 public:
  explicit client_side(const engine_config& c) : engine_(c) {
    expect(engine_.open({.container_id = workload::sender_container_id}), "open");
  }
  connection_engine& engine() noexcept { return engine_; }
  bool opened() const noexcept { return opened_; }
  void on_drained() noexcept {}
  void on_event(const event& e) {
    if (std::holds_alternative<peer_opened>(e))
      opened_ = true;
    else
      check(e);
  }

 private:
  connection_engine engine_;
  bool opened_ = false;
};

class server_side {
 public:
  explicit server_side(const engine_config& c) : engine_(c) {}
  connection_engine& engine() noexcept { return engine_; }
  void on_drained() noexcept {}
  void on_event(const event& e) {
    if (std::holds_alternative<peer_opened>(e))
      expect(engine_.open({.container_id = workload::receiver_container_id}), "open");
    else if (std::holds_alternative<peer_closed>(e))
      expect(engine_.close(), "close");
    else
      check(e);
  }

 private:
  connection_engine engine_;
};

// One connection from the ClientHello to both engines finished. A measured connection's
// TLS session must be resumed, or not, as the mode says; a warm-up connection (the first
// one cannot resume) reports the client's view of its session in `warmup` instead.
void connect(const workload& w, const engine_config& client_config,
             const engine_config& server_config, wire_bytes& wire, figures* warmup = nullptr) {
  client_side client(client_config);
  server_side server(server_config);
  pump(client, server, wire, [&] { return client.opened(); });
  const tls_info* tls = client.engine().tls();
  if (tls == nullptr) fail("the connection opened without TLS");
  if (warmup) {
    warmup->tls_protocol = tls->protocol;
    warmup->tls_cipher = tls->cipher;
  } else if (tls->resumed != w.resumes()) {
    fail(tls->resumed ? "a TLS session was resumed" : "the TLS session was not resumed");
  }
  expect(client.engine().close(), "close");
  pump(client, server, wire,
       [&] { return client.engine().is_finished() && server.engine().is_finished(); });
}

}  // namespace

figures run_amqp_handshakes(const workload& w) {
  const tls_contexts tls = make_tls_contexts(w);
  const engine_config client = config(engine_role::client, tls);
  const engine_config server = config(engine_role::server, tls);
  figures f;
  wire_bytes wire;
  // The warm-up leaves a session to resume (tls_resumed_handshake) and the library warm.
  for (std::uint64_t i = 0; i < w.warmup_connections; ++i) connect(w, client, server, wire, &f);
  const wire_bytes before = wire;
  auto phase = [&] {
    for (std::uint64_t i = 0; i < w.connections; ++i) connect(w, client, server, wire);
  };
  f.measured = measure(phase);
  f.wire = wire - before;
  return f;
}

}  // namespace amqp::bench
