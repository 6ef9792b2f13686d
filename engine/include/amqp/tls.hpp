// TLS configuration: what a client trusts and presents, what a server presents and asks of
// its clients, and the shareable context built from either (spec Part 5, 5.2: TLS after the
// `AMQP 2.1.0.0` header, or directly as on port 5671).
//
// A context is built once, checked eagerly (files, key password, key/certificate match,
// cipher strings), and shared by every connection that uses it:
//
//   amqp::tls_client_options opts;
//   opts.ca_file = "/etc/amqp/ca.pem";           // neither ca_file nor ca_dir: the system store
//   opts.server_name = "broker.example";         // SNI and the host name check
//   auto ctx = amqp::tls_context::client(opts);
//   if (!ctx) std::cerr << ctx.error() << '\n';  // "cannot load CA file '/etc/amqp/ca.pem': ..."
//   std::shared_ptr<amqp::tls_context> shared = *ctx;
//
// This header names no OpenSSL type: the context is opaque. Option strings are only read while
// the context is built; nothing keeps a reference to them (the key password included).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "amqp/errors.hpp"

namespace amqp {

namespace detail {
struct tls_context_impl;
class tls_stage;
}  // namespace detail

// How a client checks the server's certificate.
enum class tls_verify : std::uint8_t {
  none,           // accept any certificate: encryption without authentication
  peer,           // the chain must lead to a trusted CA; any name is accepted
  peer_and_host,  // the chain must be trusted and name server_name (RFC 6125)
};

// Protocol versions. TLS 1.2 is always the floor: older versions are never negotiated.
enum class tls_version : std::uint8_t { tls1_2, tls1_3 };

// What a server asks of its clients' certificates.
enum class tls_client_certificates : std::uint8_t {
  none,      // no CertificateRequest is sent
  optional,  // asked for; a client without one is accepted, one that is presented is verified
  required,  // a client without a trusted certificate fails the handshake
};

// A certificate chain or a private key: a PEM file, or PEM text in memory. At most one of the
// two may be set; both empty means "not given".
struct tls_pem_source {
  std::string file;  // path of a PEM file
  std::string pem;   // PEM text ("-----BEGIN ...")

  bool empty() const noexcept { return file.empty() && pem.empty(); }
};

struct tls_client_options {
  // Trust anchors for the server's chain. Any combination; when none is given the system
  // store (OpenSSL's default verify paths) is used.
  std::string ca_file;  // PEM file with one or more CA certificates
  std::string ca_dir;   // directory hashed as by `openssl rehash`
  std::string ca_pem;   // PEM text with one or more CA certificates
  tls_verify verify = tls_verify::peer_and_host;
  // The name a connection expects when its stage does not give one: a DNS name (sent as SNI,
  // matched against DNS SANs) or an IP literal, "127.0.0.1", "::1" or "[::1]" (matched against
  // IP SANs, never sent as SNI: RFC 6066, 3).
  std::string server_name;
  // A client certificate, for servers that ask for one: the chain (leaf first) and its key.
  tls_pem_source certificate_chain;
  tls_pem_source private_key;
  std::string private_key_password;  // for an encrypted key; empty: the key is not encrypted
  tls_version min_version = tls_version::tls1_2;
  std::optional<tls_version> max_version;  // none: the highest OpenSSL supports
  std::string ciphers;       // TLS 1.2 cipher list (OpenSSL syntax); empty: OpenSSL's default
  std::string ciphersuites;  // TLS 1.3 ciphersuites ("TLS_AES_128_GCM_SHA256:..."); empty: default
  // Resume sessions (RFC 5077 tickets, TLS 1.3 PSK) with servers of the same name.
  bool session_resumption = true;
  std::size_t max_cached_sessions = 256;  // server names remembered; the oldest is dropped
};

struct tls_server_options {
  tls_pem_source certificate_chain;  // required: leaf first, then intermediates
  tls_pem_source private_key;        // required
  std::string private_key_password;
  tls_client_certificates client_certificates = tls_client_certificates::none;
  // Trust anchors for client certificates; at least one is required unless
  // client_certificates is none. Their subjects are also sent as the acceptable CA names.
  std::string client_ca_file;
  std::string client_ca_dir;
  std::string client_ca_pem;
  tls_version min_version = tls_version::tls1_2;
  std::optional<tls_version> max_version;
  std::string ciphers;
  std::string ciphersuites;
  // Let returning clients resume: session tickets and, for TLS 1.2, a session cache.
  bool session_resumption = true;
};

// A connection's TLS once its handshake completed (connection_engine::tls()).
struct tls_info {
  std::string protocol;  // "TLSv1.3"
  std::string cipher;    // "TLS_AES_256_GCM_SHA384"
  bool resumed = false;  // an earlier session was resumed
  // The peer's certificate: its subject in RFC 2253 form and SHA-256 fingerprint ("AB:01:...");
  // empty when the peer sent none (a client without a certificate).
  std::string peer_subject;
  std::string peer_fingerprint_sha256;
};

// A built, immutable TLS configuration. Thread-safe: connections on different threads may
// share one; the only state that changes after construction is a client's session cache,
// which is guarded.
class tls_context {
 public:
  // Builds a client context. The error names the option or file and OpenSSL's reason:
  //   "cannot load certificate chain '/etc/x.pem': no start line"
  //   "cannot load private key '/etc/k.pem': wrong password"
  //   "private key '/etc/k.pem' does not match certificate chain '/etc/c.pem'"
  static result<std::shared_ptr<tls_context>, std::string> client(const tls_client_options& o);
  // Builds a server context; the same kind of errors.
  static result<std::shared_ptr<tls_context>, std::string> server(const tls_server_options& o);

  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;
  ~tls_context();

  bool is_client() const noexcept;
  // Sessions a client context holds for resumption (zero for a server context).
  std::size_t cached_sessions() const;

 private:
  friend class detail::tls_stage;
  explicit tls_context(std::unique_ptr<detail::tls_context_impl> impl) noexcept;

  std::unique_ptr<detail::tls_context_impl> impl_;
};

}  // namespace amqp
