// TLS contexts over the test PKI (test_certs.hpp), for engine tests and interop tests alike.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "amqp/tls.hpp"
#include "pki/test_certs.hpp"

namespace amqp::test {

// A client trusting the test CA and expecting `server_name`, with the client certificate if
// asked. Null (and a test failure) if OpenSSL refuses.
inline std::shared_ptr<const tls_context> client_tls(std::string server_name = "localhost",
                                                     bool with_certificate = false) {
  tls_client_options o;
  o.ca_pem = test_certs().ca_cert;
  o.server_name = std::move(server_name);
  if (with_certificate) {
    o.certificate_chain.pem = test_certs().client_cert;
    o.private_key.pem = test_certs().client_key;
  }
  auto c = tls_context::client(o);
  EXPECT_TRUE(c) << (c ? "" : c.error());
  return c ? *c : nullptr;
}

// A server with the test server certificate (localhost, broker.example, 127.0.0.1, ::1), or
// another pair of the PKI, taking client certificates from the test CA as `certs` says.
inline std::shared_ptr<const tls_context> server_tls(
    tls_client_certificates certs = tls_client_certificates::none,
    const std::string& cert = test_certs().server_chain,
    const std::string& key = test_certs().server_key) {
  tls_server_options o;
  o.certificate_chain.pem = cert;
  o.private_key.pem = key;
  o.client_certificates = certs;
  if (certs != tls_client_certificates::none) o.client_ca_pem = test_certs().ca_cert;
  auto c = tls_context::server(o);
  EXPECT_TRUE(c) << (c ? "" : c.error());
  return c ? *c : nullptr;
}

}  // namespace amqp::test
