// tls_context: builds and checks an SSL_CTX from the options, and keeps a client's sessions.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <new>

#include "amqp/tls.hpp"
#include "tls/tls_context_impl.hpp"
#include "tls/tls_errors.hpp"
#include "tls/tls_load.hpp"

namespace amqp {
namespace detail {

tls_session_cache::~tls_session_cache() {
  for (entry& e : entries_) SSL_SESSION_free(e.session);
}

bool tls_session_cache::put(std::string_view name, SSL_SESSION* session) {
  if (max_ == 0) return false;
  entry fresh{std::string(name), session};  // may throw: nothing is changed yet
  std::lock_guard lock(mutex_);
  auto same = std::find_if(entries_.begin(), entries_.end(),
                           [&](const entry& e) { return e.name == name; });
  if (same != entries_.end()) {
    SSL_SESSION_free(same->session);
    entries_.erase(same);
  }
  while (entries_.size() >= max_) {
    SSL_SESSION_free(entries_.front().session);
    entries_.pop_front();
  }
  entries_.push_back(std::move(fresh));
  return true;
}

SSL_SESSION* tls_session_cache::take(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const entry& e) { return e.name == name; });
  if (it == entries_.end()) return nullptr;
  SSL_SESSION* s = it->session;
  if (SSL_SESSION_get_protocol_version(s) == TLS1_3_VERSION) {
    entries_.erase(it);  // the cache's reference passes to the caller
    return s;
  }
  SSL_SESSION_up_ref(s);
  return s;
}

void tls_session_cache::forget(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const entry& e) { return e.name == name; });
  if (it == entries_.end()) return;
  SSL_SESSION_free(it->session);
  entries_.erase(it);
}

std::size_t tls_session_cache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

tls_context_impl* context_impl_of(const SSL* ssl) noexcept {
  return static_cast<tls_context_impl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

namespace {

// OpenSSL calls this for every session a client could resume later: after a TLS 1.2
// handshake, and for each TLS 1.3 NewSessionTicket read after the handshake. Returning 1
// keeps the reference OpenSSL took for us (SSL_CTX_sess_set_new_cb).
int remember_session(SSL* ssl, SSL_SESSION* session) {
  tls_context_impl* impl = context_impl_of(ssl);
  const auto* key = static_cast<const std::string*>(SSL_get_app_data(ssl));
  if (impl == nullptr || key == nullptr || key->empty() || SSL_SESSION_is_resumable(session) != 1) {
    return 0;
  }
  // This runs inside OpenSSL's C frames: no exception may cross them.
  try {
    return impl->sessions.put(*key, session) ? 1 : 0;
  } catch (const std::bad_alloc&) {
    return 0;
  }
}

int protocol_number(tls_version v) noexcept {
  return v == tls_version::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

using build_error = std::optional<std::string>;

// Settings clients and servers share: versions, ciphers, and what is never wanted.
build_error apply_common(SSL_CTX* ctx, tls_version min, std::optional<tls_version> max,
                         const std::string& ciphers, const std::string& ciphersuites) {
  if (max && *max < min) return std::string("max_version is below min_version");
  // TLS 1.2 is the floor whatever min says: older versions are deprecated (RFC 8996).
  if (SSL_CTX_set_min_proto_version(ctx, protocol_number(min)) != 1 ||
      (max && SSL_CTX_set_max_proto_version(ctx, protocol_number(*max)) != 1)) {
    return "cannot set the TLS versions: " + openssl_reason(drain_openssl_errors().primary());
  }
  // Renegotiation (TLS 1.2) buys AMQP nothing and has a history of attacks; compression opens
  // CRIME. OpenSSL 3.0 already disables compression by default; this keeps it so.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
    return "invalid TLS 1.2 cipher list '" + ciphers +
           "': " + openssl_reason(drain_openssl_errors().primary());
  }
  if (!ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, ciphersuites.c_str()) != 1) {
    return "invalid TLS 1.3 ciphersuites '" + ciphersuites +
           "': " + openssl_reason(drain_openssl_errors().primary());
  }
  return std::nullopt;
}

// A certificate and key pair, both or neither.
build_error apply_identity(SSL_CTX* ctx, const tls_pem_source& chain, const tls_pem_source& key,
                           const std::string& password, bool required) {
  if (chain.empty() && key.empty()) {
    if (required) return std::string("a TLS server needs a certificate_chain and a private_key");
    return std::nullopt;
  }
  if (chain.empty()) return std::string("a private_key was given without a certificate_chain");
  if (key.empty()) return std::string("a certificate_chain was given without a private_key");
  if (auto e = use_certificate_chain(ctx, chain)) return e;
  return use_private_key(ctx, key, password, chain);
}

std::string cannot_create() {
  return "cannot create a TLS context: " + openssl_reason(drain_openssl_errors().primary());
}

}  // namespace
}  // namespace detail

tls_context::tls_context(std::unique_ptr<detail::tls_context_impl> impl) noexcept
    : impl_(std::move(impl)) {}

tls_context::~tls_context() = default;

bool tls_context::is_client() const noexcept {
  return impl_->client;
}

std::size_t tls_context::cached_sessions() const {
  return impl_->sessions.size();
}

result<std::shared_ptr<tls_context>, std::string> tls_context::client(const tls_client_options& o) {
  detail::openssl_error_scope scope;
  const std::size_t max_sessions = o.session_resumption ? o.max_cached_sessions : 0;
  auto impl = std::make_unique<detail::tls_context_impl>(max_sessions);
  impl->client = true;
  impl->verify = o.verify;
  impl->server_name = o.server_name;
  impl->session_resumption = o.session_resumption && max_sessions > 0;
  impl->ctx.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* ctx = impl->ctx.get();
  if (ctx == nullptr) return detail::cannot_create();
  if (auto e = detail::apply_common(ctx, o.min_version, o.max_version, o.ciphers, o.ciphersuites)) {
    return *e;
  }
  const bool any_trust = !o.ca_file.empty() || !o.ca_dir.empty() || !o.ca_pem.empty();
  if (any_trust) {
    if (auto e = detail::add_trust(ctx, {o.ca_file, o.ca_dir, o.ca_pem, ""}, false)) return *e;
  } else if (o.verify != tls_verify::none && SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return "cannot use the system's CA store: " +
           detail::openssl_reason(detail::drain_openssl_errors().primary());
  }
  SSL_CTX_set_verify(ctx, o.verify == tls_verify::none ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                     nullptr);
  if (auto e = detail::apply_identity(ctx, o.certificate_chain, o.private_key,
                                      o.private_key_password, false)) {
    return *e;
  }
  if (impl->session_resumption) {
    // Sessions are kept per server name by the context itself, not in OpenSSL's internal
    // client cache, which is keyed by nothing a client can look up.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, detail::remember_session);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
  SSL_CTX_set_app_data(ctx, impl.get());
  return std::shared_ptr<tls_context>(new tls_context(std::move(impl)));
}

result<std::shared_ptr<tls_context>, std::string> tls_context::server(const tls_server_options& o) {
  detail::openssl_error_scope scope;
  auto impl = std::make_unique<detail::tls_context_impl>(0);
  impl->client = false;
  impl->session_resumption = o.session_resumption;
  impl->ctx.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* ctx = impl->ctx.get();
  if (ctx == nullptr) return detail::cannot_create();
  if (auto e = detail::apply_common(ctx, o.min_version, o.max_version, o.ciphers, o.ciphersuites)) {
    return *e;
  }
  // The server's order decides among ciphers both sides allow, so its configuration means
  // what it says.
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (auto e = detail::apply_identity(ctx, o.certificate_chain, o.private_key,
                                      o.private_key_password, true)) {
    return *e;
  }
  int mode = SSL_VERIFY_NONE;
  if (o.client_certificates != tls_client_certificates::none) {
    const bool any_trust =
        !o.client_ca_file.empty() || !o.client_ca_dir.empty() || !o.client_ca_pem.empty();
    if (!any_trust) {
      return std::string(
          "client certificates need trust anchors: client_ca_file, client_ca_dir or "
          "client_ca_pem");
    }
    if (auto e = detail::add_trust(
            ctx, {o.client_ca_file, o.client_ca_dir, o.client_ca_pem, "client_"}, true)) {
      return *e;
    }
    mode = SSL_VERIFY_PEER;
    if (o.client_certificates == tls_client_certificates::required) {
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);
  // A server must name the context its sessions belong to, or OpenSSL refuses to resume
  // sessions whose client certificate was verified (SSL_CTX_set_session_id_context).
  static constexpr unsigned char session_context[] = {'a', 'm', 'q', 'p'};
  SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context);
  if (!o.session_resumption) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
  }
  SSL_CTX_set_app_data(ctx, impl.get());
  return std::shared_ptr<tls_context>(new tls_context(std::move(impl)));
}

}  // namespace amqp
