// The handshake modes on Qpid Proton C: connection after connection between a client and a
// server pn_connection_driver_t, each a new driver, with SSL domains built once and shared as
// an application shares them. The client opens at once (Proton holds the open until the TLS
// handshake is done), the server answers the open and the close; each measured connection is
// checked to have resumed its TLS session, or not, as the mode says.
#include <proton/connection.h>
#include <proton/event.h>
#include <proton/ssl.h>

#include "bench/proton_driver.hpp"

namespace amqp::bench {
namespace {

using namespace proton_impl;

class client_side : public endpoint {
 public:
  explicit client_side(const tls_domains& tls) : endpoint(false, &tls) {}
  bool opened() const noexcept { return opened_; }
  void on_event(pn_event_t* e) {
    const pn_event_type_t type = pn_event_type(e);
    if (type == PN_CONNECTION_INIT) {
      pn_connection_set_container(pn_event_connection(e), workload::sender_container_id);
      pn_connection_open(pn_event_connection(e));
    } else if (type == PN_CONNECTION_REMOTE_OPEN) {
      opened_ = true;
    } else {
      check_transport(e);
    }
  }

 private:
  bool opened_ = false;
};

class server_side : public endpoint {
 public:
  explicit server_side(const tls_domains& tls) : endpoint(true, &tls) {}
  void on_event(pn_event_t* e) {
    if (!answer_connection(e)) check_transport(e);
  }
};

// One connection from the ClientHello to both transports finished. A measured connection's
// TLS session must be resumed, or not, as the mode says; a warm-up connection (the first
// one cannot resume) reports the client's view of its session in `warmup` instead.
void connect(const workload& w, const tls_domains& tls, wire_bytes& wire,
             figures* warmup = nullptr) {
  client_side client(tls);
  server_side server(tls);
  pump(client, server, wire, [&] { return client.opened(); });
  pn_transport_t* t = client.driver().transport;
  if (warmup) {
    warmup->tls_protocol = tls_protocol(t);
    warmup->tls_cipher = tls_cipher(t);
  } else if ((pn_ssl_resume_status(pn_ssl(t)) == PN_SSL_RESUME_REUSED) != w.resumes()) {
    fail(w.resumes() ? "the TLS session was not resumed" : "a TLS session was resumed");
  }
  pn_connection_close(client.driver().connection);
  pump(client, server, wire, [&] {
    return pn_connection_driver_finished(&client.driver()) &&
           pn_connection_driver_finished(&server.driver());
  });
}

}  // namespace

figures run_proton_handshakes(const workload& w) {
  const tls_domains tls(w);
  figures f;
  wire_bytes wire;
  // The warm-up leaves a session to resume (tls_resumed_handshake) and the library warm.
  for (std::uint64_t i = 0; i < w.warmup_connections; ++i) connect(w, tls, wire, &f);
  const wire_bytes before = wire;
  auto phase = [&] {
    for (std::uint64_t i = 0; i < w.connections; ++i) connect(w, tls, wire);
  };
  f.measured = measure(phase);
  f.wire = wire - before;
  return f;
}

}  // namespace amqp::bench
