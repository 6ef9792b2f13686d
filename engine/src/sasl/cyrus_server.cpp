// The Cyrus SASL server (cyrus.hpp): its options (an amqp.conf, the shorthands, the caller's
// list) served to Cyrus per connection, and the exchange from sasl-init to the outcome.
#if defined(AMQP_HAVE_CYRUS_SASL)

#include <algorithm>
#include <array>
#include <fstream>
#include <utility>

#include "sasl/cyrus_common.hpp"

namespace amqp::detail {

using namespace cyrus_impl;

namespace {

using option_list = std::vector<std::pair<std::string, std::string>>;

void set_option(option_list& options, std::string_view key, std::string_view value) {
  for (auto& [k, v] : options)
    if (k == key) {
      v = value;
      return;
    }
  options.emplace_back(key, value);
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view blanks = " \t\r\n";
  const auto first = s.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

// Reads "<dir>/amqp.conf" in Cyrus' format: "option: value" per line, blank lines and lines
// starting with '#' ignored. Returns what went wrong, or nothing.
std::optional<std::string> read_config(const std::string& dir, option_list& options) {
  constexpr std::size_t max_size = 65536;
  const std::string path = dir + "/" + std::string(cyrus_app_name) + ".conf";
  std::ifstream in(path, std::ios::binary);
  std::string text(max_size + 1, '\0');
  if (!in) return "cannot open " + path;
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return "cannot read " + path;
  if (static_cast<std::size_t>(in.gcount()) > max_size)
    return path + " is larger than " + std::to_string(max_size) + " bytes";
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::string_view rest = text;
  for (std::size_t line_no = 1; !rest.empty(); ++line_no) {
    const auto end = std::min(rest.find('\n'), rest.size());
    const std::string_view line = trim(rest.substr(0, end));
    rest.remove_prefix(std::min(end + 1, rest.size()));
    if (line.empty() || line.front() == '#') continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || trim(line.substr(0, colon)).empty() || has_nul(line))
      return path + " line " + std::to_string(line_no) + ": expected 'option: value'";
    set_option(options, trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return std::nullopt;
}

}  // namespace

struct cyrus_server::state final : conn_base {
  enum class phase : std::uint8_t { initial, challenged, done, failed };
  phase at = phase::initial;
  cyrus_server_config config;
  option_list options;  // what SASL_CB_GETOPT answers; the values outlive every answer
  std::array<sasl_callback_t, 3> callbacks{};

  explicit state(const cyrus_server_config& c) : config(c) { limits = c.limits; }
  ~state() { close(); }

  // Cyrus asks each connection's GETOPT first and falls back to its process-wide configuration
  // when the callback does not know the option. Like Cyrus' own file, plugin names are ignored.
  static int get_option(void* context, const char*, const char* option, const char** result,
                        unsigned* len) {
    if (option == nullptr || result == nullptr) return SASL_BADPARAM;
    const auto* s = static_cast<state*>(static_cast<conn_base*>(context));
    for (const auto& [k, v] : s->options)
      if (k == option) {
        *result = v.c_str();
        if (len != nullptr) *len = static_cast<unsigned>(v.size());
        return SASL_OK;
      }
    return SASL_FAIL;
  }

  // Resolves the options (lowest priority first), then creates the Cyrus connection.
  void open() {
    const auto& c = config;
    const std::pair<std::string_view, const char*> texts[] = {
        {c.service, "the service name"},
        {c.server_host, "the server host name"},
        {c.realm, "the realm"},
        {c.config_dir, "the config folder"},
        {c.sasldb_path, "the sasldb path"},
        {c.mech_list, "the mechanism list"}};
    for (const auto& [value, what] : texts)
      if ((setup_error = check_text(*this, value, what))) return;
    if (!c.sasldb_path.empty()) {
      set_option(options, "pwcheck_method", "auxprop");
      set_option(options, "auxprop_plugin", "sasldb");
    }
    if (!c.config_dir.empty()) {
      if (auto e = read_config(c.config_dir, options)) {
        setup_error = error(cyrus_errc::invalid_argument, *e);
        return;
      }
    }
    for (const auto& [k, v] : c.options) {
      if (has_nul(k) || has_nul(v)) {
        setup_error = error(cyrus_errc::invalid_argument, "an option contains a NUL byte");
        return;
      }
      set_option(options, k, v);
    }
    if (!c.sasldb_path.empty()) set_option(options, "sasldb_path", c.sasldb_path);
    if (!c.mech_list.empty()) set_option(options, "mech_list", c.mech_list);
    // Cyrus reports a missing sasldb as "user not found" for every user: say what is wrong.
    for (const auto& [k, v] : options)
      if (k == "sasldb_path" && !std::ifstream(v)) {
        setup_error = error(cyrus_errc::invalid_argument, "cannot read the sasldb " + v);
        return;
      }

    if (const int rc = initialise(); rc != SASL_OK) {
      setup_error = sasl_error(rc, "initialising the library");
      setup_error->code = cyrus_errc::unavailable;
      return;
    }
    void* self = static_cast<conn_base*>(this);
    callbacks = {callback(SASL_CB_GETOPT, &get_option, self),
                 callback(SASL_CB_LOG, &drop_log, nullptr), callback_end};
    // SASL_SUCCESS_DATA: the sasl-outcome carries additional-data, so the mechanism's last word
    // comes with SASL_OK instead of costing one more challenge and an empty response.
    int rc =
        sasl_server_new(c.service.c_str(), c.server_host.empty() ? nullptr : c.server_host.c_str(),
                        c.realm.empty() ? nullptr : c.realm.c_str(), nullptr, nullptr,
                        callbacks.data(), SASL_SUCCESS_DATA, &conn);
    if (rc == SASL_OK) rc = no_security_layer();
    if (rc == SASL_OK && c.realm.empty()) rc = host_realm();
    if (rc != SASL_OK) setup_error = sasl_error(rc, "creating the connection");
  }

  // Without a realm, Cyrus' sasldb (and SQL) lookups take "alice" as alice@<server host name>,
  // yet Cyrus reports her as plain "alice", which names no realm and reads like a user of any.
  // With that host name as the default realm every lookup stays the same and every name Cyrus
  // reports carries the realm it was looked up in.
  int host_realm() {
    const std::string host = property(SASL_SERVERFQDN);
    return host.empty() ? SASL_OK : sasl_setprop(conn, SASL_DEFUSERREALM, host.c_str());
  }

  std::string property(int which) const {
    const void* value = nullptr;
    if (sasl_getprop(conn, which, &value) != SASL_OK || value == nullptr) return {};
    return static_cast<const char*>(value);
  }
  cyrus_server_step fail(cyrus_error e) {
    at = phase::failed;
    return cyrus_failure{std::move(e)};
  }
  // The outcome of sasl_server_start / sasl_server_step.
  cyrus_server_step after(int rc, const char* out, unsigned out_len) {
    wipe(input);  // a response may hold a password (PLAIN, LOGIN)
    if (rc != SASL_OK && rc != SASL_CONTINUE) {
      // Who failed is the authentication identity; SASL_USERNAME is the identity asked for,
      // which alone would blame alice@example.org for what alice@other.org tried.
      authzid = property(SASL_USERNAME);
      user = property(SASL_AUTHUSER);
      if (user.empty()) user = authzid;
      return fail(sasl_error(rc));
    }
    if (auto e = check_output(out_len, rc == SASL_CONTINUE)) return fail(std::move(*e));
    if (rc == SASL_CONTINUE) {
      at = phase::challenged;
      return cyrus_challenge{to_bytes(out, out_len)};
    }
    at = phase::done;
    cyrus_success ok{property(SASL_USERNAME), property(SASL_AUTHUSER), std::nullopt};
    if (out != nullptr) ok.additional_data = to_bytes(out, out_len);
    return ok;
  }
};

cyrus_server::cyrus_server(const cyrus_server_config& config)
    : state_(std::make_unique<state>(config)) {
  state_->open();
}

cyrus_server::~cyrus_server() = default;

cyrus_result<std::vector<std::string>> cyrus_server::mechanisms() const {
  return state_->list_mechanisms();
}

cyrus_server_step cyrus_server::start(std::string_view mechanism,
                                      std::optional<bytes_view> initial_response) {
  state& s = *state_;
  if (s.at != state::phase::initial)
    return cyrus_failure{s.error(cyrus_errc::wrong_state, "start() called twice")};
  if (s.setup_error) return s.fail(*s.setup_error);
  if (!is_mechanism_name(mechanism))
    return s.fail(s.error(cyrus_errc::no_mechanism, "the client chose '" +
                                                        clean_text(mechanism, {}) +
                                                        "', which is not a SASL mechanism name"));
  s.mechanism = mechanism;
  if (initial_response) {
    if (auto e = s.take_input(*initial_response, "the initial response"))
      return s.fail(std::move(*e));
  }
  const char* out = nullptr;
  unsigned out_len = 0;
  // Cyrus tells "no initial response" (NULL) from an empty one (a pointer and length 0).
  const int rc =
      sasl_server_start(s.conn, s.mechanism.c_str(), initial_response ? s.input.c_str() : nullptr,
                        static_cast<unsigned>(s.input.size()), &out, &out_len);
  return s.after(rc, out, out_len);
}

cyrus_server_step cyrus_server::step(bytes_view response) {
  state& s = *state_;
  if (s.at != state::phase::challenged)
    return cyrus_failure{
        s.error(cyrus_errc::wrong_state, "step() before start() or after the exchange ended")};
  if (auto e = s.take_input(response, "a response")) return s.fail(std::move(*e));
  const char* out = nullptr;
  unsigned out_len = 0;
  const int rc = sasl_server_step(s.conn, s.input.c_str(), static_cast<unsigned>(s.input.size()),
                                  &out, &out_len);
  return s.after(rc, out, out_len);
}

namespace cyrus_impl {

cyrus_result<std::vector<std::string>> server_mechanisms() {
  cyrus_server::state probe(cyrus_server_config{});
  probe.open();
  return probe.list_mechanisms();
}

}  // namespace cyrus_impl
}  // namespace amqp::detail

#endif  // AMQP_HAVE_CYRUS_SASL
