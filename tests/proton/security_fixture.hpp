// Our engine and a Qpid Proton peer over TLS and SASL, in memory: the certificates as files for
// Proton, our engine's configurations, and opening with either side as the server.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "exchange.hpp"
#include "proton_security.hpp"
#include "pki/test_certs.hpp"
#include "support/test_tls.hpp"

namespace amqp::test {

// The test PKI as files (Proton reads nothing else), written once per test program.
inline const test_cert_files& cert_files() {
  static const test_cert_files files;
  return files;
}
inline std::string cert_file(const char* name) {
  return cert_files().path(name);
}

// A Proton server domain with a certificate pair of cert_files() ("server", "expired",
// "wrong-host", "untrusted"); `client_certificates` asks for one from the test CA.
inline std::shared_ptr<proton_tls_domain> proton_server_domain(
    const std::string& identity = "server", bool client_certificates = false) {
  return std::make_shared<proton_tls_domain>(
      proton_role::server,
      proton_tls_settings{
          .certificate_file = cert_file((identity + ".pem").c_str()),
          .key_file = cert_file((identity + ".key").c_str()),
          .ca_file = cert_file("ca.pem"),
          .verify = client_certificates ? proton_verify::peer : proton_verify::none});
}

// A Proton client domain trusting `ca` ("ca.pem" or "untrusted-ca.pem") and checking the host
// name, with the test client certificate if asked.
inline std::shared_ptr<proton_tls_domain> proton_client_domain(bool with_certificate = false,
                                                               const char* ca = "ca.pem") {
  proton_tls_settings s{.ca_file = cert_file(ca), .verify = proton_verify::peer_name};
  if (with_certificate) {
    s.certificate_file = cert_file("client.pem");
    s.key_file = cert_file("client.key");
  }
  return std::make_shared<proton_tls_domain>(proton_role::client, s);
}

inline engine_config our_client(std::shared_ptr<const tls_context> tls,
                                std::optional<sasl_client_options> sasl = sasl_client_options{}) {
  engine_config c{.role = engine_role::client};
  if (tls) c.tls = tls_options{.context = std::move(tls)};
  c.sasl_client = std::move(sasl);
  return c;
}

inline engine_config our_server(std::shared_ptr<const tls_context> tls,
                                std::vector<std::string> mechanisms = {"PLAIN", "ANONYMOUS"}) {
  engine_config c{.role = engine_role::server};
  if (tls) c.tls = tls_options{.context = std::move(tls)};
  c.sasl_server = sasl_server_options{.mechanisms = std::move(mechanisms)};
  return c;
}

// Our client opens; the Proton server (auto_answer) authenticates and answers.
inline void open_with_proton_server(interop& i) {
  ASSERT_FALSE(i.ours.open({.container_id = "our-client"}));
  i.pump();
}

// The Proton client opens; our server accepts PLAIN for alice with "secret" and every other
// request but PLAIN, and answers the open.
inline void open_with_proton_client(interop& i) {
  i.theirs.open();
  std::size_t decided = 0;
  for (int round = 0; round < 10; ++round) {
    i.pump();
    std::size_t seen = 0;
    for (const event& e : i.events) {
      const auto* r = std::get_if<sasl_auth_requested>(&e);
      if (r == nullptr || ++seen <= decided) continue;
      ++decided;
      const bool ok = r->mechanism != "PLAIN" || (r->user == "alice" && r->password == "secret");
      ASSERT_FALSE(ok ? i.ours.sasl_accept() : i.ours.sasl_reject());
      break;
    }
    // The server answers the client's open (a second call is refused and changes nothing).
    if (i.find<peer_opened>()) (void)i.ours.open({.container_id = "our-server"});
  }
  i.pump();
}

// "condition: description" of our transport_closed error; empty without one.
inline std::string our_failure(const interop& i) {
  const auto* t = i.find<transport_closed>();
  if (!t || !t->error) return "";
  return t->error->name + ": " + t->error->description;
}

inline std::string their_failure(proton_peer& p) {
  const condition c = p.transport_condition();
  return c.is_set() ? c.name + ": " + c.description : "";
}

// Our side closes; both finish without an error, TLS close_notify included.
inline void close_cleanly(interop& i) {
  ASSERT_FALSE(i.ours.close());
  i.pump();
  if (i.theirs.state().local == endpoint::active) i.theirs.close();
  i.pump();
  EXPECT_EQ(our_failure(i), "");
  EXPECT_EQ(their_failure(i.theirs), "");
  EXPECT_TRUE(i.ours.is_finished());
  EXPECT_TRUE(i.theirs.finished());
}

// Two connections in turn, made by `make()` (an interop) and opened by `open(interop&)`:
// whether each resumed its TLS session, as both sides agree.
template <class Make, class Open>
std::vector<bool> tls_resumptions(Make make, Open open) {
  std::vector<bool> resumed;
  for (int n = 0; n < 2; ++n) {
    interop i = make();
    open(i);
    EXPECT_TRUE(i.find<peer_opened>()) << our_failure(i);
    if (!i.ours.tls()) break;
    resumed.push_back(i.ours.tls()->resumed);
    EXPECT_EQ(resumed.back(), i.theirs.tls_resumed());
    close_cleanly(i);
  }
  return resumed;
}

}  // namespace amqp::test
