// What the Cyrus SASL client and server (cyrus.hpp) share: the process-wide initialisation, the
// callback table helpers, text and byte helpers, and conn_base, the state both roles build on.
// Private to the adapter and only for builds with AMQP_HAVE_CYRUS_SASL: it names libsasl2.
#pragma once

#include <sasl/sasl.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/cyrus.hpp"

namespace amqp::detail::cyrus_impl {

// sasl_callback_t stores every callback as int (*)(void). A detour through void (*)(void),
// which converts to and from any function pointer type, keeps -Wcast-function-type quiet; Cyrus
// calls each one through the type its id implies.
template <class F>
sasl_callback_t callback(unsigned long id, F* fn, void* context) {
  return {id, reinterpret_cast<int (*)()>(reinterpret_cast<void (*)()>(fn)), context};
}
inline constexpr sasl_callback_t callback_end{SASL_CB_LIST_END, nullptr, nullptr};

// Cyrus logs to syslog unless a SASL_CB_LOG callback takes the messages. Every connection
// names this one too, in case another part of the process initialised Cyrus first with other
// global callbacks (a second sasl_server_init keeps the first one's).
int drop_log(void* context, int level, const char* message);

// Cyrus' process-wide state, set up on first use: SASL_OK or why it failed (the same answer for
// every later call).
int initialise();

cyrus_errc classify(int code);
bool has_nul(std::string_view s);
// RFC 4422 section 3.1: 1 to 20 characters of A-Z, 0-9, '-' and '_'.
bool is_mechanism_name(std::string_view m);
std::size_t max_message(const cyrus_limits& limits);
std::vector<std::uint8_t> to_bytes(const char* data, unsigned size);
void wipe(std::string& s) noexcept;
// Peer or Cyrus text for an error message: printable ASCII, at most 300 bytes, and never the
// password (masked before anything else, so no part of it survives truncation).
std::string clean_text(std::string_view text, std::string_view password);
std::vector<std::string> split_list(std::string_view list);

// An owned sasl_secret_t (a length and the bytes, here NUL-terminated as some plugins expect),
// wiped before it is freed. Cyrus borrows it through SASL_CB_PASS for the connection's life.
class owned_secret {
 public:
  explicit owned_secret(std::string_view password);
  ~owned_secret();
  owned_secret(const owned_secret&) = delete;
  owned_secret& operator=(const owned_secret&) = delete;

  sasl_secret_t* get() noexcept { return reinterpret_cast<sasl_secret_t*>(bytes_.data()); }
  std::string_view text() const noexcept;

 private:
  std::vector<unsigned char> bytes_;
};

// What client and server share: the connection, bounds, error texts.
struct conn_base {
  sasl_conn_t* conn = nullptr;
  std::string mechanism;
  std::string user;  // for error texts; empty when not known
  // The identity the client asks to act as (SASL_CB_USER on a client), named by error texts
  // when it is not `user`; empty: its own.
  std::string authzid;
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
  void close() noexcept;

  std::string prefix() const;
  cyrus_error error(cyrus_errc code, std::string_view what, int sasl_code = 0) const;
  // Cyrus' name for `code` and, when there is a connection, its detail (sasl_errdetail has
  // what plugins log at SASL_LOG_FAIL, so the log callbacks can drop everything).
  cyrus_error sasl_error(int code, std::string_view during = {}) const;
  // Takes the peer's bytes into `input` after checking the size bound.
  std::optional<cyrus_error> take_input(bytes_view bytes, std::string_view what);
  // Refuses a security layer, which the engine would not apply (see cyrus.hpp): min_ssf,
  // max_ssf and maxbufsize all 0.
  int no_security_layer();
  // Checks what the mechanism wants to send (bounded like what the peer sends) and, for a
  // challenge, counts the round.
  std::optional<cyrus_error> check_output(unsigned out_len, bool challenge);
  cyrus_result<std::vector<std::string>> list_mechanisms() const;
};

std::optional<cyrus_error> check_text(const conn_base& b, std::string_view value,
                                      std::string_view what);

// What cyrus_mechanisms() lists for each role, from a probe connection of that role.
cyrus_result<std::vector<std::string>> client_mechanisms();
cyrus_result<std::vector<std::string>> server_mechanisms();

}  // namespace amqp::detail::cyrus_impl
