// Building TLS contexts: every configuration error is reported when the context is made, in
// words that name the option or file and OpenSSL's reason.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <fstream>

#include "tls_pair.hpp"

namespace amqp::test {
namespace {

std::string client_error(const tls_client_options& o) {
  auto r = tls_context::client(o);
  return r ? std::string("(no error)") : r.error();
}

std::string server_error(const tls_server_options& o) {
  auto r = tls_context::server(o);
  return r ? std::string("(no error)") : r.error();
}

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

TEST(tls_context, client_and_server_from_pem_text) {
  auto c = tls_context::client(client_options());
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE((*c)->is_client());
  EXPECT_EQ((*c)->cached_sessions(), 0u);
  auto s = tls_context::server(server_options());
  ASSERT_TRUE(s) << s.error();
  EXPECT_FALSE((*s)->is_client());
}

TEST(tls_context, a_client_with_the_system_store) {
  tls_client_options o;  // no CA given
  o.server_name = "broker.example";
  auto c = tls_context::client(o);
  ASSERT_TRUE(c) << c.error();
  // The test CA is in no system store.
  tls_pair p(*c, server_context());
  EXPECT_FALSE(p.handshake());
  EXPECT_NE(p.client.error().find("(untrusted CA"), std::string::npos) << p.client.error();
}

TEST(tls_context, everything_from_files) {
  test_cert_files files;
  tls_server_options s;
  s.certificate_chain.file = files.path("server.pem");
  s.private_key.file = files.path("server-encrypted.key");
  s.private_key_password = test_certs().key_password;
  s.client_certificates = tls_client_certificates::required;
  s.client_ca_file = files.path("ca.pem");
  tls_client_options c;
  c.ca_file = files.path("ca.pem");
  c.server_name = "localhost";
  c.certificate_chain.file = files.path("client.pem");
  c.private_key.file = files.path("client.key");
  tls_pair p(client_context(c), server_context(s));
  ASSERT_TRUE(p.handshake()) << p.client.error() << " / " << p.server.error();
  EXPECT_EQ(p.server.peer_subject(), "CN=client-1,O=Example Clients");
}

TEST(tls_context, a_hashed_ca_directory) {
  test_cert_files files;
  const std::filesystem::path dir = files.dir() / "certs";
  std::filesystem::create_directory(dir);
  // OpenSSL looks anchors up by subject hash: <8 hex digits>.0 (openssl rehash).
  BIO* bio = BIO_new_mem_buf(test_certs().ca_cert.data(), -1);
  X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  ASSERT_NE(ca, nullptr);
  char name[16];
  std::snprintf(name, sizeof name, "%08lx.0", X509_subject_name_hash(ca));
  X509_free(ca);
  BIO_free(bio);
  write_file(dir / name, test_certs().ca_cert);

  tls_client_options c;
  c.ca_dir = dir.string();
  c.server_name = "localhost";
  tls_pair p(client_context(c), server_context());
  EXPECT_TRUE(p.handshake()) << p.client.error();
}

TEST(tls_context, a_missing_certificate_file) {
  auto s = server_options();
  s.certificate_chain = {.file = "/nonexistent/server.pem"};
  EXPECT_EQ(server_error(s),
            "cannot load certificate chain '/nonexistent/server.pem': No such file or directory");
}

TEST(tls_context, a_file_that_is_not_pem) {
  test_cert_files files;
  write_file(files.dir() / "x.pem", "this is not a certificate\n");
  auto s = server_options();
  s.certificate_chain = {.file = files.path("x.pem")};
  EXPECT_EQ(server_error(s),
            "cannot load certificate chain '" + files.path("x.pem") + "': no start line");
  s = server_options();
  s.certificate_chain = {.pem = "garbage"};
  EXPECT_EQ(server_error(s), "cannot load certificate chain (PEM text): no start line");
}

TEST(tls_context, a_damaged_certificate) {
  auto s = server_options();
  std::string pem = test_certs().server_chain;
  pem[pem.size() / 2] = '*';  // not base64
  s.certificate_chain.pem = pem;
  const std::string e = server_error(s);
  EXPECT_EQ(e.rfind("cannot load certificate chain (PEM text): ", 0), 0u) << e;
}

TEST(tls_context, a_wrong_key_password) {
  auto s = server_options();
  s.private_key.pem = test_certs().encrypted_server_key;
  s.private_key_password = "not the password";
  const std::string e = server_error(s);
  EXPECT_EQ(e, "cannot load private key (PEM text): wrong password");
  EXPECT_EQ(e.find("not the password"), std::string::npos);

  test_cert_files files;
  s.private_key = {.file = files.path("server-encrypted.key")};
  EXPECT_EQ(server_error(s),
            "cannot load private key '" + files.path("server-encrypted.key") + "': wrong password");
}

TEST(tls_context, an_encrypted_key_without_a_password) {
  auto s = server_options();
  s.private_key.pem = test_certs().encrypted_server_key;
  EXPECT_EQ(server_error(s),
            "cannot load private key (PEM text): the key is encrypted and no password was given");
}

TEST(tls_context, an_encrypted_key_with_its_password) {
  auto s = server_options();
  s.private_key.pem = test_certs().encrypted_server_key;
  s.private_key_password = test_certs().key_password;
  tls_pair p(client_context(), server_context(s));
  EXPECT_TRUE(p.handshake()) << p.server.error();
}

TEST(tls_context, a_key_that_does_not_match_the_certificate) {
  auto s = server_options();
  s.private_key.pem = test_certs().client_key;
  const std::string e = server_error(s);
  EXPECT_EQ(e.rfind("private key (PEM text) does not match certificate chain (PEM text)", 0), 0u)
      << e;
  // The client side is checked the same way.
  auto c = client_options();
  c.certificate_chain.pem = test_certs().client_cert;
  c.private_key.pem = test_certs().server_key;
  EXPECT_EQ(client_error(c).rfind("private key (PEM text) does not match", 0), 0u);
}

TEST(tls_context, incomplete_or_doubled_identities) {
  tls_server_options none;
  EXPECT_EQ(server_error(none), "a TLS server needs a certificate_chain and a private_key");
  auto c = client_options();
  c.certificate_chain.pem = test_certs().client_cert;
  EXPECT_EQ(client_error(c), "a certificate_chain was given without a private_key");
  c = client_options();
  c.private_key.pem = test_certs().client_key;
  EXPECT_EQ(client_error(c), "a private_key was given without a certificate_chain");
  auto s = server_options();
  s.certificate_chain.file = "/etc/x.pem";
  EXPECT_EQ(server_error(s), "certificate chain: give a file or PEM text, not both");
}

TEST(tls_context, trust_anchors_that_cannot_be_read) {
  auto c = client_options();
  c.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(client_error(c),
            "cannot load CA certificates '/nonexistent/ca.pem': No such file or directory");
  c = client_options();
  c.ca_pem = "no certificates here";
  EXPECT_EQ(client_error(c), "cannot load CA certificates ca_pem (PEM text): no certificate found");
  c = client_options();
  c.ca_dir = "/nonexistent/certs";
  EXPECT_EQ(client_error(c).rfind("cannot use CA directory '/nonexistent/certs': ", 0), 0u)
      << client_error(c);

  auto s = server_options();
  s.client_certificates = tls_client_certificates::required;
  EXPECT_EQ(server_error(s),
            "client certificates need trust anchors: client_ca_file, client_ca_dir or "
            "client_ca_pem");
  s.client_ca_pem = "nothing";
  EXPECT_EQ(server_error(s),
            "cannot load CA certificates client_ca_pem (PEM text): no certificate found");
}

TEST(tls_context, invalid_ciphers_and_versions) {
  auto c = client_options();
  c.ciphers = "NO-SUCH-CIPHER";
  EXPECT_EQ(client_error(c), "invalid TLS 1.2 cipher list 'NO-SUCH-CIPHER': no cipher match");
  c = client_options();
  c.ciphersuites = "TLS_NO_SUCH_SUITE";
  EXPECT_EQ(client_error(c).rfind("invalid TLS 1.3 ciphersuites 'TLS_NO_SUCH_SUITE': ", 0), 0u)
      << client_error(c);
  auto s = server_options();
  s.min_version = tls_version::tls1_3;
  s.max_version = tls_version::tls1_2;
  EXPECT_EQ(server_error(s), "max_version is below min_version");
}

TEST(tls_context, building_leaves_no_error_on_the_queue) {
  ERR_clear_error();
  auto s = server_options();
  s.private_key.pem = test_certs().encrypted_server_key;
  s.private_key_password = "wrong";
  EXPECT_FALSE(tls_context::server(s));
  EXPECT_EQ(ERR_peek_error(), 0u);
  EXPECT_TRUE(tls_context::client(client_options()));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace amqp::test
