#include "bench/proton_driver.hpp"

#include <proton/connection.h>
#include <proton/event.h>
#include <proton/transport.h>

#include <algorithm>
#include <stdexcept>

#include "bench/tls_files.hpp"

namespace amqp::bench::proton_impl {

void fail(const std::string& what) {
  throw std::runtime_error("proton: " + what);
}

void fail(const char* what, pn_condition_t* c) {
  std::string text = what;
  for (const char* part : {pn_condition_get_name(c), pn_condition_get_description(c)}) {
    if (!part) continue;
    text += ": ";
    text += part;
  }
  fail(text);
}

tls_domains::tls_domains(const workload& w) : resume_(w.resumes()) {
  if (!w.tls()) return;
  const test::test_cert_files& files = tls_files();
  client_ = pn_ssl_domain(PN_SSL_MODE_CLIENT);
  server_ = pn_ssl_domain(PN_SSL_MODE_SERVER);
  if (!client_ || !server_) fail("cannot make the TLS domains");
  if (pn_ssl_domain_set_trusted_ca_db(client_, files.path("ca.pem").c_str()) != 0 ||
      pn_ssl_domain_set_peer_authentication(client_, PN_SSL_VERIFY_PEER_NAME, nullptr) != 0)
    fail("cannot configure the client's TLS domain");
  if (pn_ssl_domain_set_credentials(server_, files.path("server.pem").c_str(),
                                    files.path("server.key").c_str(), nullptr) != 0)
    fail("cannot load the server's certificate");
}

tls_domains::~tls_domains() {
  if (client_) pn_ssl_domain_free(client_);
  if (server_) pn_ssl_domain_free(server_);
}

void tls_domains::start(pn_transport_t* t, bool server) const {
  if (!client_) return;
  pn_ssl_t* ssl = pn_ssl(t);
  if (!ssl) fail("cannot add TLS to a transport");
  // Proton saves a client's session under this id when the connection closes, and offers it
  // to the server when a later connection gives the same id.
  const char* session_id = !server && resume_ ? "bench" : nullptr;
  if (pn_ssl_init(ssl, server ? server_ : client_, session_id) != 0)
    fail("cannot start TLS on a transport");
  if (!server && pn_ssl_set_peer_hostname(ssl, workload::tls_server_name) != 0)
    fail("cannot set the server's name");
}

namespace {

template <bool (*Get)(pn_ssl_t*, char*, std::size_t)>
std::string ssl_text(pn_transport_t* t) {
  char buffer[64];
  pn_ssl_t* ssl = pn_ssl(t);
  return ssl && Get(ssl, buffer, sizeof buffer) ? std::string(buffer) : std::string();
}

}  // namespace

std::string tls_protocol(pn_transport_t* t) {
  return ssl_text<pn_ssl_get_protocol_name>(t);
}

std::string tls_cipher(pn_transport_t* t) {
  return ssl_text<pn_ssl_get_cipher_name>(t);
}

endpoint::endpoint(bool server, const tls_domains* tls) {
  if (pn_connection_driver_init(&driver_, nullptr, nullptr) != 0) fail("out of memory");
  if (server) pn_transport_set_server(driver_.transport);
  if (tls) tls->start(driver_.transport, server);
}

void endpoint::check_transport(pn_event_t* e) {
  if (pn_event_type(e) == PN_TRANSPORT_ERROR)
    fail("transport error", pn_transport_condition(pn_event_transport(e)));
}

bool endpoint::answer_connection(pn_event_t* e) {
  switch (pn_event_type(e)) {
    case PN_CONNECTION_INIT:
      pn_connection_set_container(pn_event_connection(e), workload::receiver_container_id);
      return true;
    case PN_CONNECTION_REMOTE_OPEN:
      pn_connection_open(pn_event_connection(e));
      return true;
    case PN_CONNECTION_REMOTE_CLOSE:
      pn_connection_close(pn_event_connection(e));
      return true;
    default:
      return false;
  }
}

// Moves everything `from` has written into `to`, one read buffer at a time, as a socket with
// room for all of it would: the writer's output is taken whole, the reader reads what fits,
// handles it and reads again. This copy is the network, not a copy of Proton's.
bool transfer(pn_connection_driver_t& from, pn_connection_driver_t& to, std::uint64_t& wire) {
  const pn_bytes_t out = pn_connection_driver_write_buffer(&from);
  if (out.size == 0) {
    // The writer is done: the reader sees the end of the stream.
    if (!pn_connection_driver_write_closed(&from) || pn_connection_driver_read_closed(&to))
      return false;
    pn_connection_driver_read_close(&to);
    return true;
  }
  if (pn_connection_driver_read_closed(&to)) {
    pn_connection_driver_write_close(&from);
    return true;
  }
  std::size_t n = 0;
  while (n < out.size) {
    const pn_rwbytes_t in = pn_connection_driver_read_buffer(&to);
    const std::size_t chunk = std::min(out.size - n, in.size);
    if (chunk == 0) break;
    network_copy(in.start, out.start + n, chunk);
    pn_connection_driver_read_done(&to, chunk);
    n += chunk;
  }
  if (n == 0) return false;
  pn_connection_driver_write_done(&from, n);
  wire += n;
  return true;
}

}  // namespace amqp::bench::proton_impl
