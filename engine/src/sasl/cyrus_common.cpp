// The Cyrus SASL adapter's shared part (cyrus_common.hpp): process-wide initialisation, helpers
// and conn_base. Built only with AMQP_HAVE_CYRUS_SASL; cyrus_unavailable.cpp stands in otherwise.
#if defined(AMQP_HAVE_CYRUS_SASL)

#include "sasl/cyrus_common.hpp"

#include <openssl/crypto.h>
#include <pthread.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <iterator>
#include <mutex>
#include <new>

namespace amqp::detail {

namespace cyrus_impl {
namespace {

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

}  // namespace

int drop_log(void*, int, const char*) {
  return SASL_OK;
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

// operator new's alignment suits sasl_secret_t's unsigned long.
owned_secret::owned_secret(std::string_view password)
    : bytes_(offsetof(sasl_secret_t, data) + password.size() + 1) {
  get()->len = password.size();
  std::memcpy(bytes_.data() + offsetof(sasl_secret_t, data), password.data(), password.size());
}

owned_secret::~owned_secret() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::string_view owned_secret::text() const noexcept {
  return {reinterpret_cast<const char*>(bytes_.data() + offsetof(sasl_secret_t, data)),
          bytes_.size() - offsetof(sasl_secret_t, data) - 1};
}

void conn_base::close() noexcept {
  if (conn != nullptr) sasl_dispose(&conn);
  wipe(input);
}

// Appended piece by piece: "literal" + std::string here sets off g++ 12's -Wrestrict false
// positive (GCC bug 105329) at -O3.
std::string conn_base::prefix() const {
  std::string out = "Cyrus SASL";
  if (!mechanism.empty()) out.append(" ").append(clean_text(mechanism, secret));
  if (!user.empty()) out.append(" for user '").append(clean_text(user, secret)).append("'");
  if (!authzid.empty() && authzid != user)
    out.append(" acting as '").append(clean_text(authzid, secret)).append("'");
  return out.append(": ");
}

cyrus_error conn_base::error(cyrus_errc code, std::string_view what, int sasl_code) const {
  return {code, sasl_code, prefix() + std::string(what)};
}

cyrus_error conn_base::sasl_error(int code, std::string_view during) const {
  std::string what(during);
  if (!what.empty()) what += ": ";
  what += sasl_errstring(code, nullptr, nullptr);
  const char* detail = conn != nullptr ? sasl_errdetail(conn) : nullptr;
  if (detail != nullptr) what += " (" + clean_text(detail, secret) + ")";
  return error(classify(code), what, code);
}

std::optional<cyrus_error> conn_base::take_input(bytes_view bytes, std::string_view what) {
  if (bytes.size() > max_message(limits))
    return error(cyrus_errc::limit_exceeded,
                 std::string(what) + " of " + std::to_string(bytes.size()) +
                     " bytes exceeds the limit of " + std::to_string(max_message(limits)));
  input.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return std::nullopt;
}

int conn_base::no_security_layer() {
  const sasl_security_properties_t props{};
  return sasl_setprop(conn, SASL_SEC_PROPS, &props);
}

std::optional<cyrus_error> conn_base::check_output(unsigned out_len, bool challenge) {
  if (out_len > max_message(limits))
    return error(
        cyrus_errc::limit_exceeded,
        "the mechanism's message of " + std::to_string(out_len) + " bytes exceeds the limit");
  if (challenge && ++rounds > limits.max_rounds)
    return error(cyrus_errc::limit_exceeded,
                 "more than " + std::to_string(limits.max_rounds) + " challenges");
  return std::nullopt;
}

cyrus_result<std::vector<std::string>> conn_base::list_mechanisms() const {
  if (setup_error) return *setup_error;
  const char* list = nullptr;
  const int rc = sasl_listmech(conn, nullptr, "", " ", "", &list, nullptr, nullptr);
  if (rc == SASL_NOMECH) return std::vector<std::string>{};
  if (rc != SASL_OK) return sasl_error(rc, "listing mechanisms");
  return split_list(list != nullptr ? list : "");
}

std::optional<cyrus_error> check_text(const conn_base& b, std::string_view value,
                                      std::string_view what) {
  if (!has_nul(value)) return std::nullopt;
  return b.error(cyrus_errc::invalid_argument, std::string(what) + " contains a NUL byte");
}

}  // namespace cyrus_impl

bool cyrus_available() noexcept {
  return true;
}

std::vector<std::string> cyrus_mechanisms(cyrus_role role) {
  auto list = role == cyrus_role::client ? cyrus_impl::client_mechanisms()
                                         : cyrus_impl::server_mechanisms();
  return list ? std::move(*list) : std::vector<std::string>{};
}

}  // namespace amqp::detail

#endif  // AMQP_HAVE_CYRUS_SASL
