// Loading certificates, keys and trust anchors into an SSL_CTX, from PEM files or PEM text.
// Each function returns an error message naming what it was loading and OpenSSL's reason, or
// nothing on success. Key material and passwords never appear in a message.
#pragma once

#include <openssl/ssl.h>

#include <optional>
#include <string>

#include "amqp/tls.hpp"

namespace amqp::detail {

using load_error = std::optional<std::string>;

// The leaf and its intermediates, leaf first.
load_error use_certificate_chain(SSL_CTX* ctx, const tls_pem_source& chain);

// The key for the chain loaded before, decrypted with `password` when it is encrypted, and
// checked against the chain's leaf.
load_error use_private_key(SSL_CTX* ctx, const tls_pem_source& key, const std::string& password,
                           const tls_pem_source& chain);

// Where certificates for the peer's chain are looked up.
struct trust_sources {
  const std::string& file;
  const std::string& dir;
  const std::string& pem;
  const char* option_prefix;  // "" for a client, "client_" for a server, in messages
};

// Adds the anchors to the context's store. `advertise`: also send their subjects as the
// acceptable CA names of a server's CertificateRequest (RFC 8446, 4.2.4), so a client with
// several certificates can pick the right one. Returns an error when a source cannot be read
// or holds no certificate; adds nothing and succeeds when all three are empty.
load_error add_trust(SSL_CTX* ctx, const trust_sources& sources, bool advertise);

// "'/etc/x.pem'" for a file, "(PEM text)" for text in memory.
std::string source_name(const tls_pem_source& s);

}  // namespace amqp::detail
