// A throwaway PKI for the TLS tests and amqp-bench, made with the OpenSSL API when first asked
// for (EC P-256 keys, so it takes milliseconds), as PEM text in memory, plus a helper that
// writes it to a fresh temporary directory for the file-based options (and for libraries that
// read certificates from files only, such as Qpid Proton).
//
//   const auto& pki = amqp::test::test_certs();
//   amqp::tls_server_options s;
//   s.certificate_chain.pem = pki.server_chain;
//   s.private_key.pem = pki.server_key;
//   amqp::tls_client_options c;
//   c.ca_pem = pki.ca_cert;
#pragma once

#include <filesystem>
#include <string>

namespace amqp::test {

struct test_pki {
  std::string ca_cert;  // "Test CA": signs everything below but the untrusted pair
  // Valid now; CN localhost, DNS SANs localhost and broker.example, IP SANs 127.0.0.1 and ::1.
  // The chain is the leaf alone: the CA is the trust anchor.
  std::string server_chain;
  std::string server_key;
  std::string client_cert;  // CN client-1, O Example Clients, extendedKeyUsage clientAuth
  std::string client_key;
  std::string expired_cert;  // as the server certificate, but expired yesterday
  std::string expired_key;
  std::string wrong_host_cert;  // CN and DNS SAN other.example only
  std::string wrong_host_key;
  std::string untrusted_ca_cert;  // "Untrusted CA", in no trust store
  std::string untrusted_cert;     // localhost and broker.example, signed by the untrusted CA
  std::string untrusted_key;
  std::string encrypted_server_key;  // server_key, PKCS#8 encrypted with the password below
  std::string key_password = "correct horse battery staple";
};

// The PKI, made once per program.
const test_pki& test_certs();

// The SHA-256 fingerprint of a PEM certificate as "AB:01:..." (upper-case hex, colons).
std::string fingerprint_sha256(const std::string& cert_pem);

// Every PEM of `pki` as a file in a new directory under the system's temporary directory
// (removed by the destructor). File names: ca.pem, server.pem, server.key, client.pem,
// client.key, server-encrypted.key, expired.pem, expired.key, wrong-host.pem, wrong-host.key,
// untrusted-ca.pem, untrusted.pem, untrusted.key.
class test_cert_files {
 public:
  explicit test_cert_files(const test_pki& pki = test_certs());
  ~test_cert_files();
  test_cert_files(const test_cert_files&) = delete;
  test_cert_files& operator=(const test_cert_files&) = delete;

  const std::filesystem::path& dir() const noexcept { return dir_; }
  // dir() / name, as a string for the options.
  std::string path(const char* name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace amqp::test
