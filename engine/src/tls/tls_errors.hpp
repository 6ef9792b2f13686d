// OpenSSL's per-thread error queue, and the text of a failed TLS connection.
//
// OpenSSL reports failures by pushing codes onto a queue that belongs to the calling thread,
// not to the SSL object. Connections of one thread would see each other's leftovers unless
// every call starts from an empty queue and empties it again afterwards: `openssl_error_scope`
// does both, and `drain_openssl_errors` reads what a call left before the scope ends.
#pragma once

#include <string>
#include <string_view>

namespace amqp::detail {

// What one call left on the queue, which it pops: the queue is empty afterwards.
struct openssl_errors {
  unsigned long first = 0;      // the oldest code: OpenSSL pushes the cause first
  unsigned long first_ssl = 0;  // the oldest code from libssl, 0 if none

  bool empty() const noexcept { return first == 0; }
  // The code worth reporting: libssl's when there is one (it says what the handshake was
  // doing), else the oldest.
  unsigned long primary() const noexcept { return first_ssl != 0 ? first_ssl : first; }
};

openssl_errors drain_openssl_errors() noexcept;

// OpenSSL's reason text for a code ("no start line", "bad decrypt"); system errors as the
// C library describes errno ("No such file or directory").
std::string openssl_reason(unsigned long code);

// Empties the queue when it starts and when it ends: nothing from before leaks into the calls
// made within, and nothing they leave leaks out to the next connection or to the application.
class openssl_error_scope {
 public:
  openssl_error_scope() noexcept;
  ~openssl_error_scope();
  openssl_error_scope(const openssl_error_scope&) = delete;
  openssl_error_scope& operator=(const openssl_error_scope&) = delete;
};

// Everything that shapes the message of a failed SSL call.
struct tls_failure {
  bool handshaking = true;  // "TLS handshake failed: " or "TLS connection failed: "
  bool client = true;
  std::string_view server_name;  // the name the client expected; empty on a server
  long verify_result = 0;        // SSL_get_verify_result, read while the SSL object lives
  openssl_errors errors;
};

// "TLS handshake failed: certificate verify failed: hostname mismatch (expected 'broker.example')",
// "TLS handshake failed: wrong version number (is the peer speaking TLS?)",
// "TLS connection failed: tlsv13 alert certificate required (alert from the peer)".
std::string describe_tls_failure(const tls_failure& f);

// A name in single quotes, as error texts show names: 'broker.example'.
std::string quoted(std::string_view s);

}  // namespace amqp::detail
