// What a tls_context holds: the SSL_CTX, the settings a connection needs, and a client's
// session cache.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "amqp/tls.hpp"

namespace amqp::detail {

struct ssl_ctx_deleter {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_deleter>;

// Sessions a client may resume, one per server name, the oldest dropped first beyond `max`.
// A context is shared by connections that may live on different threads, so this is the one
// place with a lock; it is held only to move a pointer in or out.
class tls_session_cache {
 public:
  explicit tls_session_cache(std::size_t max) : max_(max) {}
  ~tls_session_cache();
  tls_session_cache(const tls_session_cache&) = delete;
  tls_session_cache& operator=(const tls_session_cache&) = delete;

  // Keeps `session` for `name`, replacing the one held before. True: the caller's reference
  // now belongs to the cache; false (a cache of size zero): it is still the caller's.
  bool put(std::string_view name, SSL_SESSION* session);
  // A session to offer to `name`, as a reference the caller frees, or null. TLS 1.3 tickets
  // are handed out once: clients should not reuse a ticket (RFC 8446, C.4), and the server
  // sends fresh ones on every connection.
  SSL_SESSION* take(std::string_view name);
  // Drops what is held for `name` (after a failed resumption).
  void forget(std::string_view name);
  std::size_t size() const;

 private:
  struct entry {
    std::string name;
    SSL_SESSION* session = nullptr;
  };
  mutable std::mutex mutex_;
  std::deque<entry> entries_;  // oldest first
  std::size_t max_;
};

struct tls_context_impl {
  explicit tls_context_impl(std::size_t max_sessions) : sessions(max_sessions) {}

  ssl_ctx_ptr ctx;
  bool client = true;
  tls_verify verify = tls_verify::peer_and_host;
  std::string server_name;  // the client's default expected name
  bool session_resumption = true;
  tls_session_cache sessions;
};

// The context's impl behind an SSL object (set as the SSL_CTX's app data), for callbacks.
// A client SSL object's own app data (SSL_set_app_data) is the std::string its sessions are
// kept under, the server name; the new-session callback reads it there.
tls_context_impl* context_impl_of(const SSL* ssl) noexcept;

}  // namespace amqp::detail
