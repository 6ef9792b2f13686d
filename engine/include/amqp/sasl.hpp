// SASL (spec Part 5, 5.3): how a client authenticates, and how a server decides who may in.
//
// A client names who it is; the engine picks the strongest mechanism both sides allow:
//
//   amqp::engine_config c{.role = amqp::engine_role::client};
//   c.sasl_client = amqp::sasl_client_options{.user = "alice", .password = "secret"};
//
// A server offers mechanisms and decides through events, so it may look credentials up
// asynchronously:
//
//   amqp::engine_config s{.role = amqp::engine_role::server};
//   s.sasl_server = amqp::sasl_server_options{.mechanisms = {"SCRAM-SHA-256", "ANONYMOUS"}};
//   ...
//   if (auto* r = std::get_if<amqp::sasl_auth_requested>(&*ev)) {
//     if (r->mechanism == "ANONYMOUS") (void)engine.sasl_accept();
//     else if (auto creds = store.find(r->user)) (void)engine.sasl_scram_credentials(*creds);
//     else (void)engine.sasl_reject();  // SCRAM: the client cannot tell this from a bad password
//   }
//
// Built in: ANONYMOUS (RFC 4505), PLAIN (RFC 4616), EXTERNAL (RFC 4422, appendix A: the
// identity is the TLS client certificate's subject) and SCRAM-SHA-1, SCRAM-SHA-256 and
// SCRAM-SHA-512 (RFC 5802, RFC 7677). PLAIN sends the password as it is: both sides refuse it
// on a connection without TLS unless allow_insecure_mechs is set. A server offers EXTERNAL
// only to a TLS client that presented a certificate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/codec/types.hpp"
#include "amqp/errors.hpp"

namespace amqp {

// The mechanisms the engine implements, strongest first: a client's default preference.
inline constexpr std::string_view sasl_builtin_mechanisms[] = {
    "SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "EXTERNAL", "ANONYMOUS"};

struct sasl_client_options {
  // The authentication identity; empty: EXTERNAL (with a TLS client certificate) or
  // ANONYMOUS.
  std::string user;
  std::string password;
  // The identity to act as, when it differs from the authenticated one (PLAIN, SCRAM and
  // EXTERNAL's message); empty: none.
  std::string authzid;
  // The mechanisms this client may use, in its order of preference; empty: the built-in ones,
  // strongest first, those that need a user left out when user is empty, and EXTERNAL left out
  // unless TLS below has a client certificate to present. Others named here come from Cyrus
  // SASL when the engine was built with it.
  std::vector<std::string> allowed_mechs;
  // PLAIN without TLS: refused unless set.
  bool allow_insecure_mechs = false;
  // The sasl-init hostname (the virtual host, spec Part 5, 5.3.3.3); empty: not sent.
  std::string hostname;
};

// What a server stores for a SCRAM user instead of the password (RFC 5802, section 3): the
// salt, the iteration count, StoredKey and ServerKey. Neither key lets whoever reads it log in.
struct scram_credentials {
  std::string mechanism = "SCRAM-SHA-256";  // the credentials fit this mechanism only
  std::vector<std::uint8_t> salt;
  std::uint32_t iterations = 4096;
  std::vector<std::uint8_t> stored_key;
  std::vector<std::uint8_t> server_key;
};

// Derives the credentials a server stores for `password` (SASLprep'd first). Errors name what
// was wrong (an unknown mechanism, an empty salt, zero iterations, a password SASLprep refuses),
// never the password.
result<scram_credentials, std::string> make_scram_credentials(std::string_view mechanism,
                                                              std::string_view password,
                                                              bytes_view salt,
                                                              std::uint32_t iterations = 4096);

// Where Cyrus SASL finds a server's users, for the mechanisms it provides beyond the built-in
// ones (DIGEST-MD5, CRAM-MD5, GSSAPI ...) in an engine built with it (AMQP_CYRUS_SASL).
//
// Users of these mechanisms are always named with their realm, "alice@example.org", in
// sasl_auth_requested, sasl_authenticated and in errors. A client that names no realm is a user
// of `realm`; one may name another ("alice@other.org", or DIGEST-MD5's realm directive) and is
// then that realm's user, never the local alice: whether it may in is the application's call.
struct sasl_cyrus_options {
  std::string sasldb_path;  // the users' sasldb; empty: Cyrus' own configuration decides
  std::string config_dir;   // a folder with an amqp.conf in Cyrus' format; empty: none
  // The realm of user names without one; empty: the host name (server_host, else the system's),
  // as in Cyrus' sasldb lookups.
  std::string realm;
  std::string server_host;  // this server's name (DIGEST-MD5's digest-uri); empty: the system's
};

struct sasl_server_options {
  // The mechanisms offered, in this order; PLAIN is left out of the offer on a connection
  // without TLS unless allow_insecure_mechs is set.
  std::vector<std::string> mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-512", "SCRAM-SHA-1"};
  bool allow_insecure_mechs = false;
  // A secret of at least 16 bytes, the same for every connection of this server: SCRAM users
  // the application rejects get a salt derived from it, so a client cannot tell an unknown user
  // from a wrong password (RFC 5802, section 9). Empty: drawn from the random source for this
  // engine (unknown users then get a different salt on each connection).
  std::vector<std::uint8_t> scram_secret;
  // The iteration count an unknown user appears to have: make it the one real users have.
  std::uint32_t scram_iterations = 4096;
  // Challenge rounds a client may take before it is refused (SCRAM needs one).
  std::uint32_t max_rounds = 4;
  // Mechanisms in `mechanisms` that are not built in are offered when Cyrus provides them; it
  // checks the credentials, and the application still decides (sasl_auth_requested).
  sasl_cyrus_options cyrus;
};

}  // namespace amqp
