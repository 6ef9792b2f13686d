#include "proton_security.hpp"

#include <proton/connection.h>
#include <proton/sasl.h>
#include <proton/sasl_plugin.h>

#include <stdexcept>
#include <string_view>

#include "proton_peer.hpp"

namespace amqp::test {
namespace {

std::string text_of(const char* s) {
  return s == nullptr ? std::string() : std::string(s);
}

void require(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string("proton_tls_domain: Proton refused ") + what);
}

// ---- Server-side PLAIN through Proton's SASL plugin interface.

// The plugin's context. Proton keeps the pointers it is given for the authenticated user, so
// the strings live here, as long as the transport.
struct plain_server_state {
  std::map<std::string, std::string> logins;
  std::string user;
  std::string authzid;
};

plain_server_state& state_of(pn_transport_t* t) {
  return *static_cast<plain_server_state*>(pnx_sasl_get_context(t));
}

// Like Proton's Cyrus server: no PLAIN where a password would cross in clear, unless allowed.
const char* plain_list_mechanisms(pn_transport_t* t) {
  const bool secure =
      pnx_sasl_is_transport_encrypted(t) || pnx_sasl_get_allow_insecure_mechanisms(t);
  return secure ? "PLAIN" : "";
}

bool plain_init_server(pn_transport_t* t) {
  pnx_sasl_set_desired_state(t, SASL_POSTED_MECHANISMS);
  return true;
}

// RFC 4616: [authzid] NUL authcid NUL passwd.
void plain_process_init(pn_transport_t* t, const char* mechanism, const pn_bytes_t* recv) {
  bool ok = false;
  if (std::string_view(mechanism) == "PLAIN" && recv != nullptr) {
    const std::string_view message(recv->start, recv->size);
    const std::size_t first = message.find('\0');
    const std::size_t second =
        first == std::string_view::npos ? first : message.find('\0', first + 1);
    if (second != std::string_view::npos) {
      plain_server_state& state = state_of(t);
      state.authzid = message.substr(0, first);
      state.user = message.substr(first + 1, second - first - 1);
      const auto it = state.logins.find(state.user);
      ok = it != state.logins.end() && it->second == message.substr(second + 1);
      if (ok) {
        pnx_sasl_set_succeeded(t, state.user.c_str(),
                               state.authzid.empty() ? nullptr : state.authzid.c_str());
      }
    }
  }
  if (!ok) pnx_sasl_set_failed(t);
  pnx_sasl_set_desired_state(t, SASL_POSTED_OUTCOME);
}

// PLAIN has one step: a response is out of turn.
void plain_process_response(pn_transport_t* t, const pn_bytes_t*) {
  pnx_sasl_set_failed(t);
  pnx_sasl_set_desired_state(t, SASL_POSTED_OUTCOME);
}

void no_free(pn_transport_t*) {}
bool no_client(pn_transport_t*) {
  return false;
}
void no_write(pn_transport_t*) {}
bool no_mechanisms(pn_transport_t*, const char*) {
  return false;
}
void no_bytes(pn_transport_t*, const pn_bytes_t*) {}
bool no_encryption(pn_transport_t*) {
  return false;
}
ssize_t no_encrypt_size(pn_transport_t*) {
  return 0;
}
ssize_t no_coding(pn_transport_t*, pn_bytes_t, pn_bytes_t*) {
  return -1;
}

constexpr pnx_sasl_implementation plain_server = {
    no_free,
    plain_list_mechanisms,
    plain_init_server,
    no_client,
    no_write,
    plain_process_init,
    plain_process_response,
    no_mechanisms,
    no_bytes,
    no_bytes,
    no_encryption,
    no_encrypt_size,
    no_coding,
    no_coding,
};

pn_ssl_verify_mode_t verify_mode(proton_role role, proton_verify v) {
  switch (v) {
    case proton_verify::none:
      return PN_SSL_ANONYMOUS_PEER;
    case proton_verify::peer:
      return PN_SSL_VERIFY_PEER;
    case proton_verify::peer_name:
      return role == proton_role::server ? PN_SSL_VERIFY_PEER : PN_SSL_VERIFY_PEER_NAME;
  }
  return PN_SSL_VERIFY_PEER_NAME;
}

}  // namespace

proton_tls_domain::proton_tls_domain(proton_role role, const proton_tls_settings& s)
    : domain_(
          pn_ssl_domain(role == proton_role::server ? PN_SSL_MODE_SERVER : PN_SSL_MODE_CLIENT)) {
  if (domain_ == nullptr) throw std::runtime_error("proton_tls_domain: pn_ssl_domain failed");
  try {
    if (!s.certificate_file.empty()) {
      require(
          pn_ssl_domain_set_credentials(domain_, s.certificate_file.c_str(), s.key_file.c_str(),
                                        s.key_password.empty() ? nullptr : s.key_password.c_str()),
          "the certificate and key");
    }
    if (!s.ca_file.empty()) {
      require(pn_ssl_domain_set_trusted_ca_db(domain_, s.ca_file.c_str()), "the CA file");
    }
    // A server names the CAs it takes client certificates from; a client passes none.
    const bool asks_client = role == proton_role::server && s.verify != proton_verify::none;
    require(pn_ssl_domain_set_peer_authentication(domain_, verify_mode(role, s.verify),
                                                  asks_client ? s.ca_file.c_str() : nullptr),
            "the verify mode");
    if (s.allow_unsecured_client) {
      require(pn_ssl_domain_allow_unsecured_client(domain_), "allow_unsecured_client");
    }
    if (!s.protocols.empty()) {
      require(pn_ssl_domain_set_protocols(domain_, s.protocols.c_str()), "the protocols");
    }
  } catch (...) {
    pn_ssl_domain_free(domain_);
    throw;
  }
}

proton_tls_domain::~proton_tls_domain() {
  pn_ssl_domain_free(domain_);  // transports initialised from it keep their own reference
}

void configure_tls(pn_transport_t* t, const proton_tls& tls) {
  if (!tls.domain) return;
  pn_ssl_t* ssl = pn_ssl(t);
  if (ssl == nullptr) throw std::runtime_error("proton_peer: pn_ssl failed");
  const char* session = tls.session_id.empty() ? nullptr : tls.session_id.c_str();
  if (pn_ssl_init(ssl, tls.domain->get(), session) != 0) {
    throw std::runtime_error("proton_peer: pn_ssl_init failed");
  }
  if (!tls.peer_hostname.empty() && pn_ssl_set_peer_hostname(ssl, tls.peer_hostname.c_str()) != 0) {
    throw std::runtime_error("proton_peer: pn_ssl_set_peer_hostname failed");
  }
}

std::shared_ptr<void> configure_sasl(pn_transport_t* t, pn_connection_t* c,
                                     const proton_sasl& sasl) {
  pn_sasl_t* s = pn_sasl(t);
  if (s == nullptr) throw std::runtime_error("proton_peer: pn_sasl failed");
  if (!sasl.allowed_mechs.empty()) pn_sasl_allowed_mechs(s, sasl.allowed_mechs.c_str());
  pn_sasl_set_allow_insecure_mechs(s, sasl.allow_insecure_mechs);
  if (!sasl.user.empty()) pn_connection_set_user(c, sasl.user.c_str());
  if (!sasl.password.empty()) pn_connection_set_password(c, sasl.password.c_str());
  pn_transport_require_auth(t, sasl.require_auth);
  if (sasl.plain_logins.empty()) return nullptr;
  auto state = std::make_shared<plain_server_state>();
  state->logins = sasl.plain_logins;
  pnx_sasl_set_implementation(t, &plain_server, state.get());
  return state;
}

// ---- Security. pn_sasl() and pn_ssl() would add a layer to a peer configured without one.

std::string proton_peer::sasl_outcome() {
  if (!options_.sasl) return {};
  switch (pn_sasl_outcome(pn_sasl(driver_.transport))) {
    case PN_SASL_OK:
      return "ok";
    case PN_SASL_AUTH:
      return "auth";
    case PN_SASL_SYS:
      return "sys";
    case PN_SASL_PERM:
      return "perm";
    case PN_SASL_TEMP:
      return "temp";
    default:
      return {};
  }
}
std::string proton_peer::sasl_user() {
  return options_.sasl ? text_of(pn_sasl_get_user(pn_sasl(driver_.transport))) : "";
}
std::string proton_peer::sasl_mechanism() {
  return options_.sasl ? text_of(pn_sasl_get_mech(pn_sasl(driver_.transport))) : "";
}
std::string proton_peer::tls_protocol() {
  char name[64] = {};
  if (!options_.tls.domain) return {};
  return pn_ssl_get_protocol_name(pn_ssl(driver_.transport), name, sizeof name) ? name : "";
}
std::string proton_peer::tls_peer_subject() {
  if (!options_.tls.domain) return {};
  return text_of(pn_ssl_get_remote_subject(pn_ssl(driver_.transport)));
}
bool proton_peer::tls_resumed() {
  return options_.tls.domain &&
         pn_ssl_resume_status(pn_ssl(driver_.transport)) == PN_SSL_RESUME_REUSED;
}

}  // namespace amqp::test
