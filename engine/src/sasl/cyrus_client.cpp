// The Cyrus SASL client (cyrus.hpp): the callbacks that answer Cyrus' questions from the
// configuration, and the exchange from the initial response to the server's last step.
#if defined(AMQP_HAVE_CYRUS_SASL)

#include <array>
#include <utility>

#include "sasl/cyrus_common.hpp"

namespace amqp::detail {

using namespace cyrus_impl;

struct cyrus_client::state final : conn_base {
  enum class phase : std::uint8_t { initial, started, finished, done, failed };
  phase at = phase::initial;
  std::string service, server_host, username, realm;
  owned_secret password;
  std::array<sasl_callback_t, 6> callbacks{};

  state(const cyrus_client_config& config, std::string_view pass)
      : service(config.service),
        server_host(config.server_host.empty() ? "localhost" : config.server_host),
        username(config.username),
        realm(config.realm),
        password(pass) {
    mechanism = config.mechanism;
    user = config.username;
    authzid = config.authzid;
    limits = config.limits;
    secret = password.text();
  }
  ~state() { close(); }

  static int simple(void* context, int id, const char** result, unsigned* len) {
    auto* s = static_cast<state*>(static_cast<conn_base*>(context));
    const std::string* value = id == SASL_CB_USER       ? &s->authzid
                               : id == SASL_CB_AUTHNAME ? &s->username
                                                        : nullptr;
    if (value == nullptr || result == nullptr) return SASL_BADPARAM;
    *result = value->c_str();
    if (len != nullptr) *len = static_cast<unsigned>(value->size());
    return SASL_OK;
  }
  static int pass(sasl_conn_t*, void* context, int id, sasl_secret_t** out) {
    if (id != SASL_CB_PASS || out == nullptr) return SASL_BADPARAM;
    *out = static_cast<state*>(static_cast<conn_base*>(context))->password.get();
    return SASL_OK;
  }
  // DIGEST-MD5 offers realms in its challenge (RFC 2831 section 2.1.1): ours if configured,
  // else the server's first, else none. Cyrus asks only when the server offers several or none:
  // it answers a single offer with that realm itself.
  static int get_realm(void* context, int id, const char** offered, const char** result) {
    if (id != SASL_CB_GETREALM || result == nullptr) return SASL_BADPARAM;
    const auto* s = static_cast<state*>(static_cast<conn_base*>(context));
    *result = !s->realm.empty()                           ? s->realm.c_str()
              : offered != nullptr && *offered != nullptr ? *offered
                                                          : "";
    return SASL_OK;
  }

  // Validates the configuration and creates the Cyrus connection; failures go to setup_error.
  void open() {
    if (!is_mechanism_name(mechanism)) {
      setup_error = error(cyrus_errc::invalid_argument, "not a SASL mechanism name");
      return;
    }
    const std::pair<std::string_view, const char*> texts[] = {
        {service, "the service name"}, {server_host, "the server host name"},
        {username, "the username"},    {authzid, "the authorization identity"},
        {realm, "the realm"},          {password.text(), "the password"}};
    for (const auto& [value, what] : texts)
      if ((setup_error = check_text(*this, value, what))) return;
    if (const int rc = initialise(); rc != SASL_OK) {
      setup_error = sasl_error(rc, "initialising the library");
      setup_error->code = cyrus_errc::unavailable;
      return;
    }
    void* self = static_cast<conn_base*>(this);
    callbacks = {
        callback(SASL_CB_USER, &simple, self),     callback(SASL_CB_AUTHNAME, &simple, self),
        callback(SASL_CB_PASS, &pass, self),       callback(SASL_CB_GETREALM, &get_realm, self),
        callback(SASL_CB_LOG, &drop_log, nullptr), callback_end};
    int rc = sasl_client_new(service.c_str(), server_host.c_str(), nullptr, nullptr,
                             callbacks.data(), 0, &conn);
    if (rc == SASL_OK) rc = no_security_layer();
    if (rc != SASL_OK) setup_error = sasl_error(rc, "creating the connection");
  }

  cyrus_error fail(cyrus_error e) {
    at = phase::failed;
    return e;
  }
  // Hands `input` to the mechanism.
  int step(const char** out, unsigned* out_len) {
    sasl_interact_t* prompts = nullptr;
    return sasl_client_step(conn, input.c_str(), static_cast<unsigned>(input.size()), &prompts, out,
                            out_len);
  }
  // The outcome of sasl_client_start / sasl_client_step.
  cyrus_result<std::vector<std::uint8_t>> after(int rc, const char* out, unsigned out_len) {
    if (rc == SASL_INTERACT)
      return fail(error(cyrus_errc::failure,
                        "the mechanism asks for a value this client does not supply", rc));
    if (rc != SASL_OK && rc != SASL_CONTINUE) return fail(sasl_error(rc));
    if (auto e = check_output(out_len, false)) return fail(std::move(*e));
    at = rc == SASL_OK ? phase::finished : phase::started;
    return to_bytes(out, out_len);
  }
};

cyrus_client::cyrus_client(const cyrus_client_config& config, std::string_view password)
    : state_(std::make_unique<state>(config, password)) {
  state_->open();
}

cyrus_client::~cyrus_client() = default;

const std::string& cyrus_client::mechanism() const noexcept {
  return state_->mechanism;
}

cyrus_result<std::optional<std::vector<std::uint8_t>>> cyrus_client::initial_response() {
  state& s = *state_;
  if (s.at != state::phase::initial)
    return s.error(cyrus_errc::wrong_state, "initial_response() called twice or after a failure");
  if (s.setup_error) return s.fail(*s.setup_error);
  sasl_interact_t* prompts = nullptr;
  const char* out = nullptr;
  unsigned out_len = 0;
  const char* chosen = nullptr;
  const int rc = sasl_client_start(s.conn, s.mechanism.c_str(), &prompts, &out, &out_len, &chosen);
  // Cyrus picks from the list it is given; with one name it can only pick that one or fail.
  if ((rc == SASL_OK || rc == SASL_CONTINUE) && (chosen == nullptr || s.mechanism != chosen))
    return s.fail(s.error(cyrus_errc::no_mechanism, "Cyrus chose another mechanism", rc));
  auto first = s.after(rc, out, out_len);
  if (!first) return first.error();
  // No output at all means the server speaks first; empty output is an empty initial response.
  if (out == nullptr) return std::optional<std::vector<std::uint8_t>>{};
  return std::optional<std::vector<std::uint8_t>>{std::move(*first)};
}

cyrus_result<std::vector<std::uint8_t>> cyrus_client::on_challenge(bytes_view challenge) {
  state& s = *state_;
  if (s.at == state::phase::finished)
    return s.fail(s.error(cyrus_errc::bad_protocol,
                          "the server sent a challenge after the mechanism finished"));
  if (s.at != state::phase::started)
    return s.error(cyrus_errc::wrong_state,
                   "on_challenge() before initial_response() or after the exchange ended");
  if (auto e = s.check_output(0, true)) return s.fail(std::move(*e));  // counts the challenge
  if (auto e = s.take_input(challenge, "a challenge")) return s.fail(std::move(*e));
  const char* out = nullptr;
  unsigned out_len = 0;
  const int rc = s.step(&out, &out_len);
  return s.after(rc, out, out_len);
}

cyrus_result<std::monostate> cyrus_client::on_success(bytes_view additional_data) {
  state& s = *state_;
  if (s.at == state::phase::finished) {
    if (!additional_data.empty())
      return s.fail(s.error(cyrus_errc::bad_protocol,
                            "additional data in the outcome after the mechanism finished"));
    s.at = state::phase::done;
    return std::monostate{};
  }
  if (s.at != state::phase::started)
    return s.error(cyrus_errc::wrong_state,
                   "on_success() before initial_response() or after the exchange ended");
  // The server's last step rides in the outcome (AMQP sasl-outcome additional-data, like
  // RFC 4422 section 5's "additional data with success"): the mechanism must accept it and
  // have nothing left to say, or the server has not proven itself.
  if (auto e = s.take_input(additional_data, "the outcome's additional data"))
    return s.fail(std::move(*e));
  const char* out = nullptr;
  unsigned out_len = 0;
  const int rc = s.step(&out, &out_len);
  auto last = s.after(rc, out, out_len);
  if (!last) return last.error();
  if (s.at != state::phase::finished || !last->empty())
    return s.fail(s.error(cyrus_errc::bad_protocol,
                          "the server reported success before the mechanism finished", rc));
  s.at = state::phase::done;
  return std::monostate{};
}

namespace cyrus_impl {

// A client lists the mechanisms whose callbacks it can answer: it has all of ours.
cyrus_result<std::vector<std::string>> client_mechanisms() {
  cyrus_client::state probe({.mechanism = "PLAIN", .username = "user"}, "");
  probe.open();
  return probe.list_mechanisms();
}

}  // namespace cyrus_impl
}  // namespace amqp::detail

#endif  // AMQP_HAVE_CYRUS_SASL
