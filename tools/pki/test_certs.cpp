// The test PKI: EC P-256 keys and X.509 v3 certificates made with OpenSSL's API.
#include "pki/test_certs.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

namespace amqp::test {
namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "test_certs: %s\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

struct pkey_deleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
struct x509_deleter {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;
struct bio_deleter {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

pkey_ptr new_key() {
  pkey_ptr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!k) die("EC key generation failed");
  return k;
}

struct cert_spec {
  const char* org = "Example";
  const char* cn = "localhost";
  const char* san = nullptr;  // "DNS:a,IP:1.2.3.4"
  bool ca = false;
  bool client = false;  // extendedKeyUsage clientAuth instead of serverAuth
  long from_days = -1;  // validity, in days from now
  long to_days = 365;
  long serial = 1;
};

void add_ext(X509* x, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (ext == nullptr) die("cannot make an extension");
  if (X509_add_ext(x, ext, -1) != 1) die("cannot add an extension");
  X509_EXTENSION_free(ext);
}

// A certificate for `key`, signed by `issuer`'s key (self-signed when issuer is null).
x509_ptr make_cert(const cert_spec& s, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  x509_ptr x(X509_new());
  if (!x) die("X509_new");
  X509_set_version(x.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), s.serial);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), s.from_days * 86400L);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), s.to_days * 86400L);
  X509_NAME* name = X509_get_subject_name(x.get());
  const auto* org = reinterpret_cast<const unsigned char*>(s.org);
  const auto* cn = reinterpret_cast<const unsigned char*>(s.cn);
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, org, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1) {
    die("cannot set the subject");
  }
  X509* signer = issuer != nullptr ? issuer : x.get();
  X509_set_issuer_name(x.get(), X509_get_subject_name(signer));
  X509_set_pubkey(x.get(), key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, signer, x.get(), nullptr, nullptr, 0);
  add_ext(x.get(), &ctx, NID_basic_constraints, s.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_ext(x.get(), &ctx, NID_key_usage,
          s.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  add_ext(x.get(), &ctx, NID_subject_key_identifier, "hash");
  if (!s.ca) {
    add_ext(x.get(), &ctx, NID_ext_key_usage, s.client ? "clientAuth" : "serverAuth");
    add_ext(x.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  }
  if (s.san != nullptr) add_ext(x.get(), &ctx, NID_subject_alt_name, s.san);
  if (X509_sign(x.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    die("X509_sign");
  }
  return x;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string cert_pem(X509* x) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), x) != 1) die("PEM_write_bio_X509");
  return bio_text(bio.get());
}

std::string key_pem(EVP_PKEY* k) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    die("PEM_write_bio_PrivateKey");
  }
  return bio_text(bio.get());
}

std::string encrypted_key_pem(EVP_PKEY* k, const std::string& password) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), k, EVP_aes_256_cbc(), password.data(),
                                    static_cast<int>(password.size()), nullptr, nullptr) != 1) {
    die("PEM_write_bio_PKCS8PrivateKey");
  }
  return bio_text(bio.get());
}

constexpr const char* server_sans = "DNS:localhost,DNS:broker.example,IP:127.0.0.1,IP:::1";

test_pki make_pki() {
  test_pki pki;
  pkey_ptr ca_key = new_key();
  x509_ptr ca =
      make_cert({.org = "Example", .cn = "Test CA", .ca = true, .to_days = 3650, .serial = 1},
                ca_key.get(), nullptr, nullptr);
  pki.ca_cert = cert_pem(ca.get());

  pkey_ptr server_key = new_key();
  x509_ptr server = make_cert({.cn = "localhost", .san = server_sans, .serial = 2},
                              server_key.get(), ca.get(), ca_key.get());
  pki.server_chain = cert_pem(server.get());
  pki.server_key = key_pem(server_key.get());
  pki.encrypted_server_key = encrypted_key_pem(server_key.get(), pki.key_password);

  pkey_ptr client_key = new_key();
  x509_ptr client =
      make_cert({.org = "Example Clients", .cn = "client-1", .client = true, .serial = 3},
                client_key.get(), ca.get(), ca_key.get());
  pki.client_cert = cert_pem(client.get());
  pki.client_key = key_pem(client_key.get());

  pkey_ptr expired_key = new_key();
  x509_ptr expired = make_cert(
      {.cn = "localhost", .san = server_sans, .from_days = -30, .to_days = -1, .serial = 4},
      expired_key.get(), ca.get(), ca_key.get());
  pki.expired_cert = cert_pem(expired.get());
  pki.expired_key = key_pem(expired_key.get());

  pkey_ptr wrong_key = new_key();
  x509_ptr wrong = make_cert({.cn = "other.example", .san = "DNS:other.example", .serial = 5},
                             wrong_key.get(), ca.get(), ca_key.get());
  pki.wrong_host_cert = cert_pem(wrong.get());
  pki.wrong_host_key = key_pem(wrong_key.get());

  pkey_ptr rogue_ca_key = new_key();
  x509_ptr rogue_ca = make_cert(
      {.org = "Elsewhere", .cn = "Untrusted CA", .ca = true, .to_days = 3650, .serial = 6},
      rogue_ca_key.get(), nullptr, nullptr);
  pki.untrusted_ca_cert = cert_pem(rogue_ca.get());
  pkey_ptr untrusted_key = new_key();
  x509_ptr untrusted = make_cert({.cn = "localhost", .san = server_sans, .serial = 7},
                                 untrusted_key.get(), rogue_ca.get(), rogue_ca_key.get());
  pki.untrusted_cert = cert_pem(untrusted.get());
  pki.untrusted_key = key_pem(untrusted_key.get());
  ERR_clear_error();
  return pki;
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) die("cannot write a test certificate file");
}

}  // namespace

const test_pki& test_certs() {
  static const test_pki pki = make_pki();
  return pki;
}

std::string fingerprint_sha256(const std::string& pem) {
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  x509_ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x) die("fingerprint_sha256: not a PEM certificate");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(x.get(), EVP_sha256(), md, &len) != 1) die("X509_digest");
  std::string out;
  char hex[4];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof hex, i == 0 ? "%02X" : ":%02X", md[i]);
    out += hex;
  }
  return out;
}

test_cert_files::test_cert_files(const test_pki& pki) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "amqp-tls-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) die("mkdtemp");
  dir_ = buf.data();
  write_text(dir_ / "ca.pem", pki.ca_cert);
  write_text(dir_ / "server.pem", pki.server_chain);
  write_text(dir_ / "server.key", pki.server_key);
  write_text(dir_ / "server-encrypted.key", pki.encrypted_server_key);
  write_text(dir_ / "client.pem", pki.client_cert);
  write_text(dir_ / "client.key", pki.client_key);
  write_text(dir_ / "expired.pem", pki.expired_cert);
  write_text(dir_ / "expired.key", pki.expired_key);
  write_text(dir_ / "wrong-host.pem", pki.wrong_host_cert);
  write_text(dir_ / "wrong-host.key", pki.wrong_host_key);
  write_text(dir_ / "untrusted-ca.pem", pki.untrusted_ca_cert);
  write_text(dir_ / "untrusted.pem", pki.untrusted_cert);
  write_text(dir_ / "untrusted.key", pki.untrusted_key);
}

test_cert_files::~test_cert_files() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace amqp::test
