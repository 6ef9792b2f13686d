// SASL mechanisms from Cyrus SASL (libsasl2), client and server, for every mechanism the engine
// does not implement itself (DIGEST-MD5, CRAM-MD5, GSSAPI, ... whatever plugins are installed).
// Internal to the engine: the SASL stage drives these objects with the bytes of sasl-init,
// sasl-challenge, sasl-response and sasl-outcome frames, as it drives scram.hpp.
//
// Client:
//   amqp::detail::cyrus_client c({.mechanism = "DIGEST-MD5", .server_host = "broker.example",
//                                 .username = "alice"}, password);
//   auto first = c.initial_response();   // nullopt: sasl-init without initial-response
//   auto answer = c.on_challenge(challenge);
//   auto ok = c.on_success(additional_data);  // checks the server's last step, if any
//
// Server:
//   amqp::detail::cyrus_server s({.realm = "example.org", .sasldb_path = "/srv/sasldb2"});
//   auto step = s.start("DIGEST-MD5", std::nullopt);  // then s.step(response) per response
//   // std::get_if<cyrus_challenge>(&step), cyrus_success (user name), cyrus_failure (why)
//
// Optional at build time: without AMQP_HAVE_CYRUS_SASL every object reports
// cyrus_errc::unavailable ("built without Cyrus SASL") and cyrus_mechanisms() is empty.
//
// Cyrus keeps process-wide state: sasl_client_init / sasl_server_init run once per process, on
// first use (std::call_once), with the application name "amqp", and are never undone. Cyrus
// reads its configuration file only at that point, so per-object configuration (a config folder,
// a sasldb path, a mechanism list) is read by this adapter and served to Cyrus through a
// per-connection SASL_CB_GETOPT callback. Cyrus still loads its plugins from its compiled-in
// folder, and reads the environment variables SASL_PATH and SASL_CONF_PATH itself.
//
// No SASL security layer is ever negotiated (max_ssf 0): the engine does not wrap the AMQP bytes
// that follow the exchange (spec Part 5, 5.3 allows a layer; TLS is the engine's encryption),
// so DIGEST-MD5 and GSSAPI settle for authentication only ("auth" qop). Error texts name the
// mechanism, the user (on a server with its realm, and the identity it asked to act as) and
// Cyrus' reason (sasl_errdetail), never a password: Cyrus text is checked for the client's
// password before it is used. Objects are neither copyable nor movable (hold them in a
// std::optional or std::unique_ptr); not thread-safe, but different objects may be used on
// different threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "amqp/codec/types.hpp"
#include "amqp/errors.hpp"

namespace amqp::detail {

// The application name given to sasl_server_init: Cyrus' own configuration file is
// "<confdir>/amqp.conf", and so is the one cyrus_server_config::config_dir names.
inline constexpr std::string_view cyrus_app_name = "amqp";

enum class cyrus_role : std::uint8_t { client, server };

enum class cyrus_errc : std::uint8_t {
  unavailable,            // built without Cyrus SASL, or its initialisation failed
  no_mechanism,           // no usable Cyrus plugin for the mechanism, or excluded by mech_list
  authentication_failed,  // credentials refused (SASL_BADAUTH, SASL_NOUSER, SASL_NOAUTHZ, ...)
                          // or, on a client, a server that failed mutual authentication
  bad_protocol,           // the peer's message breaks the mechanism (SASL_BADPROT)
  limit_exceeded,         // more rounds or a larger message than cyrus_limits allows
  invalid_argument,       // unusable configuration: NUL bytes, an unreadable config file, ...
  wrong_state,            // a call out of turn; nothing changed
  failure,                // any other Cyrus failure (SASL_FAIL, SASL_NOMEM, SASL_INTERACT, ...)
};

struct cyrus_error {
  cyrus_errc code{};
  int sasl_code = 0;  // Cyrus' result code (SASL_BADAUTH is -13); 0 when not from Cyrus
  // "Cyrus SASL DIGEST-MD5 for user 'alice': authentication failure (SASL(-13): ...)".
  std::string message;
};

template <class T>
using cyrus_result = result<T, cyrus_error>;

// Bounds on one exchange, on top of the engine's SASL frame size limit.
struct cyrus_limits {
  std::size_t max_message_size = 65536;  // bytes of one challenge or response, either way
  std::uint32_t max_rounds = 16;         // challenges a server sends / a client answers
};

// True when the engine was built with Cyrus SASL (whether or not its initialisation works).
bool cyrus_available() noexcept;

// The mechanisms Cyrus offers here for `role`, as sasl_listmech reports them: for a client,
// those whose plugin can run with a user name and password; for a server, those the system-wide
// configuration allows. Empty when unavailable or when initialisation failed.
std::vector<std::string> cyrus_mechanisms(cyrus_role role);

struct cyrus_client_config {
  std::string mechanism;         // chosen by the engine from the server's sasl-mechanisms
  std::string service = "amqp";  // GSSAPI service principal, DIGEST-MD5 digest-uri
  std::string server_host;       // the server's host name; empty means "localhost"
  // Authentication identity (SASL_CB_AUTHNAME). A realm goes in the name ("alice@example.org"):
  // a Cyrus server takes it from there for every mechanism.
  std::string username;
  std::string authzid;  // authorization identity (SASL_CB_USER); empty means none
  // DIGEST-MD5 realm when the server offers several; empty: the first one. Cyrus answers a
  // server offering one realm with that realm, whatever this says.
  std::string realm;
  cyrus_limits limits;
};

class cyrus_client {
 public:
  // `password` is copied into a sasl_secret_t that the destructor wipes. Configuration errors
  // (and "built without Cyrus SASL") are reported by initial_response().
  cyrus_client(const cyrus_client_config& config, std::string_view password);
  ~cyrus_client();
  cyrus_client(const cyrus_client&) = delete;
  cyrus_client& operator=(const cyrus_client&) = delete;

  const std::string& mechanism() const noexcept;

  // The sasl-init initial-response: nullopt for mechanisms where the server speaks first
  // (DIGEST-MD5, CRAM-MD5), bytes (possibly empty) otherwise. Errors: unavailable,
  // invalid_argument, no_mechanism, failure, wrong_state (called twice).
  cyrus_result<std::optional<std::vector<std::uint8_t>>> initial_response();
  // The sasl-response to a sasl-challenge. Errors: limit_exceeded, bad_protocol,
  // authentication_failed (the server failed mutual authentication), failure, wrong_state.
  cyrus_result<std::vector<std::uint8_t>> on_challenge(bytes_view challenge);
  // A sasl-outcome with code ok: hands `additional_data` (empty when absent) to the mechanism
  // when it still expects the server's last step (DIGEST-MD5 rspauth, SCRAM v=...), so a server
  // that cannot prove itself is refused. Errors: authentication_failed, bad_protocol (the
  // mechanism is not finished, or data it did not expect), failure, wrong_state.
  cyrus_result<std::monostate> on_success(bytes_view additional_data);

  struct state;

 private:
  std::unique_ptr<state> state_;
};

struct cyrus_server_config {
  std::string service = "amqp";
  std::string server_host;  // our host name; empty: Cyrus asks the system (gethostname)
  // The realm of user names without one: "alice" is alice@<realm>. Empty: the host name
  // (server_host, else the system's), where Cyrus' sasldb lookups go anyway. A client may name
  // another realm ("alice@other.org", or DIGEST-MD5's realm directive) and is then that realm's
  // user: this does not restrict, cyrus_success names the realm.
  std::string realm;
  // A folder holding "amqp.conf" in Cyrus' format ("option: value" lines, '#' comments): read
  // once by the constructor, at most 64 KiB. Empty: none (Cyrus' process-wide file still
  // applies to options nobody here sets).
  std::string config_dir;
  // Shorthands that win over `options` and the file. A sasldb path also selects
  // pwcheck_method "auxprop" and auxprop_plugin "sasldb", unless `options` or the file say
  // otherwise. mech_list is space separated; empty means every mechanism Cyrus offers.
  std::string sasldb_path;
  std::string mech_list;
  // Further Cyrus options (e.g. {"scram_iteration_counter", "8192"}); they win over the file.
  std::vector<std::pair<std::string, std::string>> options;
  cyrus_limits limits;
};

struct cyrus_challenge {
  std::vector<std::uint8_t> data;  // the sasl-challenge's challenge field
};
struct cyrus_success {
  // Cyrus' canonical names, always with their realm ("alice@example.org"), also when the client
  // left it out or the configuration names none.
  std::string username;  // SASL_USERNAME: the authorization identity Cyrus accepted
  std::string authid;    // SASL_AUTHUSER: who proved it (the same unless proxying)
  // The sasl-outcome's additional-data (SCRAM v=..., DIGEST-MD5 rspauth), when the mechanism
  // has a last word.
  std::optional<std::vector<std::uint8_t>> additional_data;
};
struct cyrus_failure {
  cyrus_error error;  // for the application's log; the peer only learns sasl-code "auth"
};
using cyrus_server_step = std::variant<cyrus_challenge, cyrus_success, cyrus_failure>;

class cyrus_server {
 public:
  // Configuration errors (and "built without Cyrus SASL") are reported by start() and
  // mechanisms().
  explicit cyrus_server(const cyrus_server_config& config);
  ~cyrus_server();
  cyrus_server(const cyrus_server&) = delete;
  cyrus_server& operator=(const cyrus_server&) = delete;

  // The mechanisms this server offers (sasl_listmech, after mech_list), for sasl-mechanisms.
  cyrus_result<std::vector<std::string>> mechanisms() const;
  // The mechanism the client chose in sasl-init and its initial-response (nullopt when the
  // field is absent, which differs from empty). A failure ends the exchange; a wrong_state
  // failure (start twice, step before start or after the end) changes nothing.
  cyrus_server_step start(std::string_view mechanism, std::optional<bytes_view> initial_response);
  // The client's sasl-response to our last challenge.
  cyrus_server_step step(bytes_view response);

  struct state;

 private:
  std::unique_ptr<state> state_;
};

}  // namespace amqp::detail
