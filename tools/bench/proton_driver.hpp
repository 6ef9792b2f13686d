// What the runners on Qpid Proton C share (proton_memory.cpp, proton_handshake.cpp): a
// connection driver per side, TLS domains for a workload, and the loop that moves bytes
// between a client and a server driver in memory.
//
//   const proton_impl::tls_domains tls(w);  // once per run
//   my_client client(&tls);                 // classes derived from endpoint
//   my_server server(&tls);
//   proton_impl::pump(client, server, wire, [&] { return client.done(); });
#pragma once

#include <proton/condition.h>
#include <proton/connection_driver.h>
#include <proton/link.h>
#include <proton/ssl.h>

#include <cstdint>
#include <string>

#include "bench/memory_bench.hpp"

namespace amqp::bench::proton_impl {

[[noreturn]] void fail(const std::string& what);
// Fails with `what` and the condition's name and description.
[[noreturn]] void fail(const char* what, pn_condition_t* c);

// Proton's TLS configuration of a run: a domain per role, built once, before anything is
// measured, and shared by every connection, as an application builds them. Without TLS in
// the workload it holds nothing and start() does nothing.
class tls_domains {
 public:
  explicit tls_domains(const workload& w);
  ~tls_domains();
  tls_domains(const tls_domains&) = delete;
  tls_domains& operator=(const tls_domains&) = delete;

  // Puts TLS under the transport of a driver that has not run yet: the server's certificate,
  // or the client's trust, host name check and, when the workload resumes sessions, the
  // session id Proton keeps the session under for the next connection.
  void start(pn_transport_t* t, bool server) const;

 private:
  pn_ssl_domain_t* client_ = nullptr;
  pn_ssl_domain_t* server_ = nullptr;
  bool resume_ = false;
};

// The TLS version and cipher of a transport, as its SSL layer names them ("TLSv1.3",
// "TLS_AES_256_GCM_SHA384"); empty before the handshake completed.
std::string tls_protocol(pn_transport_t* t);
std::string tls_cipher(pn_transport_t* t);

// What both sides do with their connection driver. A server's transport is set to the server
// role; `tls`, when given, starts TLS on it.
class endpoint {
 public:
  endpoint(bool server, const tls_domains* tls);
  ~endpoint() { pn_connection_driver_destroy(&driver_); }
  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;

  pn_connection_driver_t& driver() noexcept { return driver_; }

  // Deliveries of this side not settled yet.
  int unsettled() const noexcept { return link_ ? pn_link_unsettled(link_) : 0; }
  // Called after this side's output was taken: a sender may write more.
  void on_drained() noexcept {}

 protected:
  static void check_transport(pn_event_t* e);
  // A server's part at the connection level: it names its container, answers the client's
  // open and then its close. False for an event of another kind.
  static bool answer_connection(pn_event_t* e);

  pn_connection_driver_t driver_{};
  pn_link_t* link_ = nullptr;
};

// Hands every event the driver has to the endpoint; false when there was none.
template <class Endpoint>
bool dispatch(Endpoint& e) {
  bool any = false;
  while (pn_event_t* ev = pn_connection_driver_next_event(&e.driver())) {
    e.on_event(ev);
    any = true;
  }
  return any;
}

// Moves everything `from` has written into `to` and counts it in `wire`; false when nothing
// moved (see proton_driver.cpp).
bool transfer(pn_connection_driver_t& from, pn_connection_driver_t& to, std::uint64_t& wire);

// Runs both event loops until done() holds: the client's events, its output to the server,
// the client may write more (on_drained), then the server's events and its output.
template <class Client, class Server, class Done>
void pump(Client& client, Server& server, wire_bytes& wire, Done done) {
  while (!done()) {
    bool moved = dispatch(client);
    moved |= transfer(client.driver(), server.driver(), wire.to_receiver);
    client.on_drained();
    moved |= dispatch(server);
    moved |= transfer(server.driver(), client.driver(), wire.to_sender);
    if (!moved) fail("neither side can make progress");
  }
}

}  // namespace amqp::bench::proton_impl
