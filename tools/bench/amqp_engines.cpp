#include "bench/amqp_engines.hpp"

#include <stdexcept>

#include "bench/tls_files.hpp"

namespace amqp::bench::amqp_impl {

void fail(const std::string& what) {
  throw std::runtime_error("amqp: " + what);
}

void check(const event& e) {
  if (const auto* v = std::get_if<protocol_violation>(&e)) fail(v->error.to_string());
  if (const auto* t = std::get_if<transport_closed>(&e); t && t->error) fail(t->error->to_string());
}

tls_contexts make_tls_contexts(const workload& w) {
  if (!w.tls()) return {};
  const test::test_cert_files& files = tls_files();
  tls_client_options c;
  c.ca_file = files.path("ca.pem");
  c.verify = tls_verify::peer_and_host;
  c.session_resumption = w.resumes();
  tls_server_options s;
  s.certificate_chain.file = files.path("server.pem");
  s.private_key.file = files.path("server.key");
  auto client = tls_context::client(c);
  if (!client) fail("client TLS context: " + client.error());
  auto server = tls_context::server(s);
  if (!server) fail("server TLS context: " + server.error());
  return {*client, *server};
}

engine_config config(engine_role role, const tls_contexts& tls) {
  engine_config c{.role = role};
  c.limits.max_frame_size = workload::max_frame_size;
  const bool client = role == engine_role::client;
  const auto& context = client ? tls.client : tls.server;
  // The client names the server per connection, as Proton's pn_ssl_set_peer_hostname does.
  if (context)
    c.tls = tls_options{.context = context, .server_name = client ? workload::tls_server_name : ""};
  return c;
}

bool move(connection_engine& from, connection_engine& to, std::uint64_t& wire) {
  const bytes_view out = from.pending_output();
  if (out.empty()) return false;
  const std::size_t n = to.feed(out, start_time);
  from.consume_output(n);
  wire += n;
  return n > 0;
}

}  // namespace amqp::bench::amqp_impl
