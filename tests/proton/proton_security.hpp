// TLS and SASL for the Proton test peer (proton_peer.hpp), as Proton stacks them: TLS below
// SASL below AMQP.
//
//   test_cert_files files;  // Proton reads certificates from files only
//   auto domain = std::make_shared<proton_tls_domain>(proton_role::server,
//       proton_tls_settings{.certificate_file = files.path("server.pem"),
//                           .key_file = files.path("server.key")});
//   proton_peer server(proton_role::server,
//                      {.tls = {.domain = domain},
//                       .sasl = proton_sasl{.plain_logins = {{"alice", "secret"}}}});
//
// What Proton (0.37, built without Cyrus SASL as Debian ships it) does, as the interop tests
// show:
// - a TLS client starts with its ClientHello at once (direct TLS, the `amqps` way); it never
//   writes the AMQP TLS header `AMQP 2 1 0 0`. A TLS server tells a ClientHello from an AMQP
//   header, and serves the latter only with allow_unsecured_client.
// - As a server without Cyrus it offers ANONYMOUS, and EXTERNAL when the client sent a
//   certificate; it cannot check a PLAIN password. `plain_logins` fills that gap through
//   Proton's SASL plugin interface (sasl_plugin.h, the way an application adds a mechanism):
//   Proton still writes and reads every SASL frame, the plugin only compares the credentials.
// - As a client it does ANONYMOUS, EXTERNAL and PLAIN, PLAIN only over TLS unless
//   allow_insecure_mechs.
#pragma once

#include <proton/ssl.h>
#include <proton/transport.h>

#include <map>
#include <memory>
#include <string>

namespace amqp::test {

enum class proton_role;

// pn_ssl_verify_mode_t: none (PN_SSL_ANONYMOUS_PEER), the chain (PN_SSL_VERIFY_PEER), the
// chain and the host name (PN_SSL_VERIFY_PEER_NAME). On a server, peer asks for a client
// certificate and refuses a client without one.
enum class proton_verify { none, peer, peer_name };

struct proton_tls_settings {
  std::string certificate_file;  // PEM; a server's is required
  std::string key_file;
  std::string key_password;
  std::string ca_file;                              // trust anchors for verification
  proton_verify verify = proton_verify::peer_name;  // a server ignores peer_name
  bool allow_unsecured_client = false;              // server: serve a plain AMQP header too
  std::string protocols;                            // e.g. "TLSv1.2"; empty: Proton's default
};

// A pn_ssl_domain_t (an OpenSSL SSL_CTX): shared by peers that should resume TLS sessions.
class proton_tls_domain {
 public:
  // Throws std::runtime_error naming the setting Proton refused.
  proton_tls_domain(proton_role role, const proton_tls_settings& settings);
  ~proton_tls_domain();
  proton_tls_domain(const proton_tls_domain&) = delete;
  proton_tls_domain& operator=(const proton_tls_domain&) = delete;
  pn_ssl_domain_t* get() const noexcept { return domain_; }

 private:
  pn_ssl_domain_t* domain_;
};

struct proton_tls {
  std::shared_ptr<proton_tls_domain> domain;  // null: no TLS
  std::string peer_hostname;                  // client: sent as SNI and, with peer_name, checked
  std::string session_id;  // client: a session to resume across peers of one domain
};

struct proton_sasl {
  std::string allowed_mechs;  // space separated (pn_sasl_allowed_mechs); empty: Proton's
  std::string user;           // client: pn_connection_set_user
  std::string password;       // client: pn_connection_set_password
  bool allow_insecure_mechs = false;
  // Server: PLAIN, checked against these users and passwords through the plugin (see above).
  // Empty: Proton's own server mechanisms.
  std::map<std::string, std::string> plain_logins;
  bool require_auth = true;  // server: refuse a client that skips SASL
};

// Add the layers to a transport that is not bound yet. configure_sasl returns what the PLAIN
// plugin keeps (null without plain_logins), to be held as long as the transport.
void configure_tls(pn_transport_t* transport, const proton_tls& tls);
std::shared_ptr<void> configure_sasl(pn_transport_t* transport, pn_connection_t* connection,
                                     const proton_sasl& sasl);

}  // namespace amqp::test
