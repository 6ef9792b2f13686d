// Certificate verification: the three client verify modes, DNS and IP names, and the ways a
// chain goes wrong; client certificates as a server asks for them.
#include <gtest/gtest.h>

#include "tls_pair.hpp"

namespace amqp::test {
namespace {

tls_server_options server_with(const std::string& cert, const std::string& key) {
  tls_server_options o;
  o.certificate_chain.pem = cert;
  o.private_key.pem = key;
  return o;
}

tls_client_options client_verifying(tls_verify v) {
  auto o = client_options();
  o.verify = v;
  return o;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST(tls_verify, peer_and_host_is_the_default) {
  EXPECT_EQ(tls_client_options{}.verify, tls_verify::peer_and_host);
}

// ---- DNS and IP names ----

class tls_verify_good_name : public ::testing::TestWithParam<const char*> {};

TEST_P(tls_verify_good_name, matches_a_san_of_the_server_certificate) {
  tls_pair p(client_context(), server_context(), GetParam());
  ASSERT_TRUE(p.handshake()) << GetParam() << ": " << p.client.error();
}

INSTANTIATE_TEST_SUITE_P(names, tls_verify_good_name,
                         ::testing::Values("localhost", "broker.example", "BROKER.example",
                                           "127.0.0.1", "::1", "[::1]"));

TEST(tls_verify, ip_literals_are_not_sent_as_sni) {
  tls_pair p(client_context(), server_context(), "127.0.0.1");
  ASSERT_TRUE(p.handshake()) << p.client.error();
  EXPECT_EQ(p.server.requested_server_name(), "");
}

TEST(tls_verify, the_context_server_name_is_the_default) {
  auto c = client_options();
  c.server_name = "broker.example";
  tls_pair p(client_context(c), server_context());
  ASSERT_TRUE(p.handshake()) << p.client.error();
  EXPECT_EQ(p.server.requested_server_name(), "broker.example");
}

TEST(tls_verify, a_dns_name_the_certificate_does_not_have) {
  tls_pair p(client_context(), server_context(), "nothere.example");
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.client.state(), tls_state::failed);
  EXPECT_EQ(p.client.error(),
            "TLS handshake failed: certificate verify failed: hostname mismatch (expected "
            "'nothere.example')");
  // The client's alert ends the server's side too.
  EXPECT_EQ(p.server.state(), tls_state::failed);
  EXPECT_TRUE(contains(p.server.error(), "(alert from the peer)")) << p.server.error();
}

TEST(tls_verify, an_ip_address_the_certificate_does_not_have) {
  tls_pair p(client_context(), server_context(), "10.1.2.3");
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.client.error(),
            "TLS handshake failed: certificate verify failed: IP address mismatch (expected "
            "'10.1.2.3')");
}

TEST(tls_verify, a_certificate_for_another_host) {
  const auto& pki = test_certs();
  tls_pair p(client_context(), server_context(server_with(pki.wrong_host_cert, pki.wrong_host_key)),
             "broker.example");
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.client.error(),
            "TLS handshake failed: certificate verify failed: hostname mismatch (expected "
            "'broker.example')");
}

TEST(tls_verify, an_expired_certificate) {
  const auto& pki = test_certs();
  tls_pair p(client_context(), server_context(server_with(pki.expired_cert, pki.expired_key)));
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.client.error(),
            "TLS handshake failed: certificate verify failed: certificate has expired (server "
            "'localhost')");
  EXPECT_TRUE(contains(p.server.error(), "alert certificate expired")) << p.server.error();
}

TEST(tls_verify, a_certificate_from_an_untrusted_ca) {
  const auto& pki = test_certs();
  tls_pair p(client_context(), server_context(server_with(pki.untrusted_cert, pki.untrusted_key)));
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.client.error(),
            "TLS handshake failed: certificate verify failed: unable to get local issuer "
            "certificate (untrusted CA, server 'localhost')");
  EXPECT_TRUE(contains(p.server.error(), "alert unknown ca")) << p.server.error();
}

TEST(tls_verify, a_self_signed_ca_sent_along_is_still_untrusted) {
  const auto& pki = test_certs();
  tls_pair p(client_context(), server_context(server_with(
                                   pki.untrusted_cert + pki.untrusted_ca_cert, pki.untrusted_key)));
  EXPECT_FALSE(p.handshake());
  EXPECT_TRUE(
      contains(p.client.error(), "self-signed certificate in certificate chain (untrusted CA"))
      << p.client.error();
}

TEST(tls_verify, peer_accepts_any_name_but_not_any_chain) {
  const auto& pki = test_certs();
  tls_pair wrong_host(client_context(client_verifying(tls_verify::peer)),
                      server_context(server_with(pki.wrong_host_cert, pki.wrong_host_key)));
  EXPECT_TRUE(wrong_host.handshake()) << wrong_host.client.error();

  tls_pair untrusted(client_context(client_verifying(tls_verify::peer)),
                     server_context(server_with(pki.untrusted_cert, pki.untrusted_key)));
  EXPECT_FALSE(untrusted.handshake());
  EXPECT_TRUE(contains(untrusted.client.error(), "(untrusted CA")) << untrusted.client.error();

  tls_pair expired(client_context(client_verifying(tls_verify::peer)),
                   server_context(server_with(pki.expired_cert, pki.expired_key)));
  EXPECT_FALSE(expired.handshake());
  EXPECT_TRUE(contains(expired.client.error(), "certificate has expired"));
}

TEST(tls_verify, none_accepts_any_certificate) {
  const auto& pki = test_certs();
  const std::pair<const std::string*, const std::string*> servers[] = {
      {&pki.wrong_host_cert, &pki.wrong_host_key},
      {&pki.expired_cert, &pki.expired_key},
      {&pki.untrusted_cert, &pki.untrusted_key}};
  for (const auto& [cert, key] : servers) {
    auto c = client_verifying(tls_verify::none);
    c.ca_pem.clear();  // no trust at all
    tls_pair p(client_context(c), server_context(server_with(*cert, *key)), "broker.example");
    EXPECT_TRUE(p.handshake()) << p.client.error();
    // Still sent: a server may host several names.
    EXPECT_EQ(p.server.requested_server_name(), "broker.example");
  }
}

TEST(tls_verify, peer_and_host_without_a_name_fails_at_once) {
  auto c = client_options();
  c.server_name.clear();
  tls_stage client(client_context(c));
  EXPECT_EQ(client.state(), tls_state::failed);
  EXPECT_TRUE(contains(client.error(), "no server name")) << client.error();
  EXPECT_TRUE(client.pending_output().empty());

  c.verify = tls_verify::peer;  // no name needed
  tls_pair p(client_context(c), server_context());
  EXPECT_TRUE(p.handshake()) << p.client.error();
}

// ---- Client certificates ----

tls_server_options server_asking(tls_client_certificates mode) {
  auto s = server_options();
  s.client_certificates = mode;
  s.client_ca_pem = test_certs().ca_cert;
  return s;
}

tls_client_options client_presenting(const std::string& cert, const std::string& key) {
  auto c = client_options();
  c.certificate_chain.pem = cert;
  c.private_key.pem = key;
  return c;
}

TEST(tls_verify, the_server_sees_the_client_certificate) {
  const auto& pki = test_certs();
  tls_pair p(client_context(client_presenting(pki.client_cert, pki.client_key)),
             server_context(server_asking(tls_client_certificates::required)));
  ASSERT_TRUE(p.handshake()) << p.client.error() << " / " << p.server.error();
  EXPECT_EQ(p.server.peer_subject(), "CN=client-1,O=Example Clients");
  EXPECT_EQ(p.server.peer_fingerprint_sha256(), fingerprint_sha256(pki.client_cert));
  EXPECT_FALSE(p.server.peer_certificate_der().empty());
}

TEST(tls_verify, a_required_client_certificate_that_is_missing_tls_1_3) {
  tls_pair p(client_context(), server_context(server_asking(tls_client_certificates::required)));
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.server.error(), "TLS handshake failed: peer did not return a certificate");
  // In TLS 1.3 the client's handshake is over before the server judges its certificate
  // (RFC 8446, 4.4.2.4): the client learns it from the alert after it opened.
  EXPECT_EQ(p.client.state(), tls_state::failed);
  EXPECT_EQ(p.client.error(),
            "TLS connection failed: tlsv13 alert certificate required (alert from the peer)");
}

TEST(tls_verify, a_required_client_certificate_that_is_missing_tls_1_2) {
  auto c = client_options();
  c.max_version = tls_version::tls1_2;
  tls_pair p(client_context(c), server_context(server_asking(tls_client_certificates::required)));
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.server.error(), "TLS handshake failed: peer did not return a certificate");
  EXPECT_EQ(p.client.state(), tls_state::failed);
  EXPECT_TRUE(contains(p.client.error(), "TLS handshake failed: ")) << p.client.error();
  EXPECT_TRUE(contains(p.client.error(), "(alert from the peer)")) << p.client.error();
}

TEST(tls_verify, an_optional_client_certificate) {
  const auto& pki = test_certs();
  tls_pair without(client_context(),
                   server_context(server_asking(tls_client_certificates::optional)));
  ASSERT_TRUE(without.handshake()) << without.server.error();
  EXPECT_EQ(without.server.peer_subject(), "");

  tls_pair with(client_context(client_presenting(pki.client_cert, pki.client_key)),
                server_context(server_asking(tls_client_certificates::optional)));
  ASSERT_TRUE(with.handshake()) << with.server.error();
  EXPECT_EQ(with.server.peer_subject(), "CN=client-1,O=Example Clients");
}

TEST(tls_verify, an_optional_client_certificate_is_still_verified) {
  const auto& pki = test_certs();
  tls_pair p(client_context(client_presenting(pki.untrusted_cert, pki.untrusted_key)),
             server_context(server_asking(tls_client_certificates::optional)));
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.server.error(),
            "TLS handshake failed: certificate verify failed: unable to get local issuer "
            "certificate (untrusted CA, client certificate)");
}

TEST(tls_verify, a_client_certificate_is_not_asked_for_by_default) {
  const auto& pki = test_certs();
  tls_pair p(client_context(client_presenting(pki.client_cert, pki.client_key)), server_context());
  ASSERT_TRUE(p.handshake());
  EXPECT_EQ(p.server.peer_subject(), "");
}

}  // namespace
}  // namespace amqp::test
