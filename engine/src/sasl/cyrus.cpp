// Cyrus SASL mechanisms (cyrus.hpp). Everything that names libsasl2 is inside
// AMQP_HAVE_CYRUS_SASL; without it the same API reports "built without Cyrus SASL".
#include "cyrus.hpp"

#if !defined(AMQP_HAVE_CYRUS_SASL)

namespace amqp::detail {
namespace {

cyrus_error unavailable() {
  return {cyrus_errc::unavailable, 0, "Cyrus SASL: the engine was built without Cyrus SASL"};
}

}  // namespace

struct cyrus_client::state {
  std::string mechanism;
};
struct cyrus_server::state {};

bool cyrus_available() noexcept {
  return false;
}
std::vector<std::string> cyrus_mechanisms(cyrus_role) {
  return {};
}

cyrus_client::cyrus_client(const cyrus_client_config& config, std::string_view)
    : state_(std::make_unique<state>(state{config.mechanism})) {}
cyrus_client::~cyrus_client() = default;
const std::string& cyrus_client::mechanism() const noexcept {
  return state_->mechanism;
}
cyrus_result<std::optional<std::vector<std::uint8_t>>> cyrus_client::initial_response() {
  return unavailable();
}
cyrus_result<std::vector<std::uint8_t>> cyrus_client::on_challenge(bytes_view) {
  return unavailable();
}
cyrus_result<std::monostate> cyrus_client::on_success(bytes_view) {
  return unavailable();
}

cyrus_server::cyrus_server(const cyrus_server_config&) : state_(std::make_unique<state>()) {}
cyrus_server::~cyrus_server() = default;
cyrus_result<std::vector<std::string>> cyrus_server::mechanisms() const {
  return unavailable();
}
cyrus_server_step cyrus_server::start(std::string_view, std::optional<bytes_view>) {
  return cyrus_failure{unavailable()};
}
cyrus_server_step cyrus_server::step(bytes_view) {
  return cyrus_failure{unavailable()};
}

}  // namespace amqp::detail

#else  // AMQP_HAVE_CYRUS_SASL

#include <openssl/crypto.h>
#include <pthread.h>
#include <sasl/sasl.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <mutex>
#include <new>

namespace amqp::detail {
namespace {

// sasl_callback_t stores every callback as int (*)(void). A detour through void (*)(void),
// which converts to and from any function pointer type, keeps -Wcast-function-type quiet; Cyrus
// calls each one through the type its id implies.
template <class F>
sasl_callback_t callback(unsigned long id, F* fn, void* context) {
  return {id, reinterpret_cast<int (*)()>(reinterpret_cast<void (*)()>(fn)), context};
}
constexpr sasl_callback_t callback_end{SASL_CB_LIST_END, nullptr, nullptr};

// Cyrus logs to syslog unless a SASL_CB_LOG callback takes the messages. Every connection
// names this one too, in case another part of the process initialised Cyrus first with other
// global callbacks (a second sasl_server_init keeps the first one's).
int drop_log(void*, int, const char*) {
  return SASL_OK;
}

// Cyrus' built-in mutexes do nothing, yet plugins share state between connections (the
// DIGEST-MD5 server's reauthentication cache): give it real ones. pthread, not std::mutex, so
// nothing can throw through Cyrus' C frames.
void* mutex_alloc() {
  auto* m = new (std::nothrow) pthread_mutex_t;
  if (m != nullptr && pthread_mutex_init(m, nullptr) != 0) {
    delete m;
    return nullptr;
  }
  return m;
}
int mutex_lock(void* m) {
  return pthread_mutex_lock(static_cast<pthread_mutex_t*>(m)) == 0 ? SASL_OK : SASL_FAIL;
}
int mutex_unlock(void* m) {
  return pthread_mutex_unlock(static_cast<pthread_mutex_t*>(m)) == 0 ? SASL_OK : SASL_FAIL;
}
void mutex_free(void* m) {
  pthread_mutex_destroy(static_cast<pthread_mutex_t*>(m));
  delete static_cast<pthread_mutex_t*>(m);
}

// Cyrus' process-wide state: plugins loaded and configuration read, once, for both roles
// (sasl_client_init and sasl_server_init share globals, so one call_once runs both).
// sasl_set_mutex only takes effect before the first initialisation in the process.
int initialise() {
  static const sasl_callback_t callbacks[] = {callback(SASL_CB_LOG, &drop_log, nullptr),
                                              callback_end};
  static std::once_flag once;
  static int status = SASL_NOTINIT;
  // Cyrus keeps the application name's pointer (each connection copies it later): a literal.
  static_assert(cyrus_app_name == "amqp");
  std::call_once(once, [] {
    sasl_set_mutex(&mutex_alloc, &mutex_lock, &mutex_unlock, &mutex_free);
    status = sasl_server_init(callbacks, "amqp");
    if (status == SASL_OK) status = sasl_client_init(callbacks);
  });
  return status;
}

cyrus_errc classify(int code) {
  // Cyrus' codes for credentials or a policy that refuse this user; SASL_BADSERV is a server
  // that failed mutual authentication.
  constexpr int refused[] = {SASL_BADAUTH,  SASL_NOUSER,  SASL_NOAUTHZ,   SASL_TOOWEAK,
                             SASL_ENCRYPT,  SASL_TRANS,   SASL_EXPIRED,   SASL_DISABLED,
                             SASL_NOVERIFY, SASL_BADSERV, SASL_BADBINDING};
  if (std::find(std::begin(refused), std::end(refused), code) != std::end(refused))
    return cyrus_errc::authentication_failed;
  if (code == SASL_NOMECH || code == SASL_WRONGMECH) return cyrus_errc::no_mechanism;
  if (code == SASL_BADPROT || code == SASL_BADMAC) return cyrus_errc::bad_protocol;
  return cyrus_errc::failure;
}

bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

// RFC 4422 section 3.1: 1 to 20 characters of A-Z, 0-9, '-' and '_'.
bool is_mechanism_name(std::string_view m) {
  return !m.empty() && m.size() <= SASL_MECHNAMEMAX && std::all_of(m.begin(), m.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::size_t max_message(const cyrus_limits& limits) {
  return std::min<std::size_t>(limits.max_message_size, UINT_MAX);
}

std::vector<std::uint8_t> to_bytes(const char* data, unsigned size) {
  if (data == nullptr) return {};
  const auto* p = reinterpret_cast<const std::uint8_t*>(data);
  return {p, p + size};
}

void wipe(std::string& s) noexcept {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

// Peer or Cyrus text for an error message: printable ASCII, at most 300 bytes, and never the
// password (masked before anything else, so no part of it survives truncation).
std::string clean_text(std::string_view text, std::string_view password) {
  std::string raw(text.substr(0, 1024));
  if (!password.empty()) {
    for (auto at = raw.find(password); at != std::string::npos; at = raw.find(password, at + 5))
      raw.replace(at, password.size(), "*****");
  }
  std::string out;
  for (char c : std::string_view(raw).substr(0, 300)) {
    const auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? c : '?';
  }
  if (raw.size() > 300) out += "...";
  return out;
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto end = std::min(list.find(' '), list.size());
    if (end > 0) out.emplace_back(list.substr(0, end));
    list.remove_prefix(std::min(end + 1, list.size()));
  }
  return out;
}

// An owned sasl_secret_t (a length and the bytes, here NUL-terminated as some plugins expect),
// wiped before it is freed. Cyrus borrows it through SASL_CB_PASS for the connection's life.
class owned_secret {
 public:
  // operator new's alignment suits sasl_secret_t's unsigned long.
  explicit owned_secret(std::string_view password)
      : bytes_(offsetof(sasl_secret_t, data) + password.size() + 1) {
    get()->len = password.size();
    std::memcpy(bytes_.data() + offsetof(sasl_secret_t, data), password.data(), password.size());
  }
  ~owned_secret() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
  owned_secret(const owned_secret&) = delete;
  owned_secret& operator=(const owned_secret&) = delete;

  sasl_secret_t* get() noexcept { return reinterpret_cast<sasl_secret_t*>(bytes_.data()); }
  std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data() + offsetof(sasl_secret_t, data)),
            bytes_.size() - offsetof(sasl_secret_t, data) - 1};
  }

 private:
  std::vector<unsigned char> bytes_;
};

// What client and server share: the connection, bounds, error texts.
struct conn_base {
  sasl_conn_t* conn = nullptr;
  std::string mechanism;
  std::string user;  // for error texts; empty when not known
  cyrus_limits limits;
  std::optional<cyrus_error> setup_error;  // reported by the first call
  std::uint32_t rounds = 0;
  std::string input;        // the peer's bytes, NUL-terminated as Cyrus' step calls document
  std::string_view secret;  // the client's password, masked in every error text

  conn_base() = default;
  conn_base(const conn_base&) = delete;
  conn_base& operator=(const conn_base&) = delete;
  // Derived states call close() first: a plugin may still use the password or the callbacks
  // while it is disposed, and those are members of the derived state.
  ~conn_base() { close(); }
  void close() noexcept {
    if (conn != nullptr) sasl_dispose(&conn);
    wipe(input);
  }

  std::string prefix() const {
    std::string out = "Cyrus SASL";
    if (!mechanism.empty()) out += " " + clean_text(mechanism, secret);
    if (!user.empty()) out += " for user '" + clean_text(user, secret) + "'";
    return out + ": ";
  }
  cyrus_error error(cyrus_errc code, std::string_view what, int sasl_code = 0) const {
    return {code, sasl_code, prefix() + std::string(what)};
  }
  // Cyrus' name for `code` and, when there is a connection, its detail (sasl_errdetail has
  // what plugins log at SASL_LOG_FAIL, so the log callbacks can drop everything).
  cyrus_error sasl_error(int code, std::string_view during = {}) const {
    std::string what(during);
    if (!what.empty()) what += ": ";
    what += sasl_errstring(code, nullptr, nullptr);
    const char* detail = conn != nullptr ? sasl_errdetail(conn) : nullptr;
    if (detail != nullptr) what += " (" + clean_text(detail, secret) + ")";
    return error(classify(code), what, code);
  }
  // Takes the peer's bytes into `input` after checking the size bound.
  std::optional<cyrus_error> take_input(bytes_view bytes, std::string_view what) {
    if (bytes.size() > max_message(limits))
      return error(cyrus_errc::limit_exceeded,
                   std::string(what) + " of " + std::to_string(bytes.size()) +
                       " bytes exceeds the limit of " + std::to_string(max_message(limits)));
    input.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return std::nullopt;
  }
  // Refuses a security layer, which the engine would not apply (see cyrus.hpp): min_ssf,
  // max_ssf and maxbufsize all 0.
  int no_security_layer() {
    const sasl_security_properties_t props{};
    return sasl_setprop(conn, SASL_SEC_PROPS, &props);
  }
  // Checks what the mechanism wants to send (bounded like what the peer sends) and, for a
  // challenge, counts the round.
  std::optional<cyrus_error> check_output(unsigned out_len, bool challenge) {
    if (out_len > max_message(limits))
      return error(
          cyrus_errc::limit_exceeded,
          "the mechanism's message of " + std::to_string(out_len) + " bytes exceeds the limit");
    if (challenge && ++rounds > limits.max_rounds)
      return error(cyrus_errc::limit_exceeded,
                   "more than " + std::to_string(limits.max_rounds) + " challenges");
    return std::nullopt;
  }
  cyrus_result<std::vector<std::string>> list_mechanisms() const {
    if (setup_error) return *setup_error;
    const char* list = nullptr;
    const int rc = sasl_listmech(conn, nullptr, "", " ", "", &list, nullptr, nullptr);
    if (rc == SASL_NOMECH) return std::vector<std::string>{};
    if (rc != SASL_OK) return sasl_error(rc, "listing mechanisms");
    return split_list(list != nullptr ? list : "");
  }
};

std::optional<cyrus_error> check_text(const conn_base& b, std::string_view value,
                                      std::string_view what) {
  if (!has_nul(value)) return std::nullopt;
  return b.error(cyrus_errc::invalid_argument, std::string(what) + " contains a NUL byte");
}

}  // namespace

// -- Client ------------------------------------------------------------------------------------

struct cyrus_client::state final : conn_base {
  enum class phase : std::uint8_t { initial, started, finished, done, failed };
  phase at = phase::initial;
  std::string service, server_host, username, authzid, realm;
  owned_secret password;
  std::array<sasl_callback_t, 6> callbacks{};

  state(const cyrus_client_config& config, std::string_view pass)
      : service(config.service),
        server_host(config.server_host.empty() ? "localhost" : config.server_host),
        username(config.username),
        authzid(config.authzid),
        realm(config.realm),
        password(pass) {
    mechanism = config.mechanism;
    user = config.username;
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
  // else the server's first, else none.
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

bool cyrus_available() noexcept {
  return true;
}

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

// -- Server ------------------------------------------------------------------------------------

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
    if (rc != SASL_OK) setup_error = sasl_error(rc, "creating the connection");
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
      if (user.empty()) user = property(SASL_USERNAME);
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

std::vector<std::string> cyrus_mechanisms(cyrus_role role) {
  cyrus_result<std::vector<std::string>> list = std::vector<std::string>{};
  if (role == cyrus_role::client) {
    // A client lists the mechanisms whose callbacks it can answer: it has all of ours.
    cyrus_client::state probe({.mechanism = "PLAIN", .username = "user"}, "");
    probe.open();
    list = probe.list_mechanisms();
  } else {
    cyrus_server::state probe(cyrus_server_config{});
    probe.open();
    list = probe.list_mechanisms();
  }
  return list ? std::move(*list) : std::vector<std::string>{};
}

}  // namespace amqp::detail

#endif  // AMQP_HAVE_CYRUS_SASL
