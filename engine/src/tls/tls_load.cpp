// PEM loading for tls_context: chains, keys and trust anchors, from files or memory.
#include "tls/tls_load.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <climits>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include "tls/tls_errors.hpp"

namespace amqp::detail {
namespace {

struct bio_deleter {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;
struct x509_deleter {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;
struct pkey_deleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

// Certificates are never encrypted; without a callback of our own OpenSSL would fall back to
// prompting on the terminal (PEM_def_callback) for anything that claims to be.
int no_password(char*, int, int, void*) {
  return -1;
}

// A read-only BIO over the file or the text. Null on failure, with the reason left on the
// OpenSSL error queue.
bio_ptr open_source(const std::string& file, const std::string& pem) {
  if (!file.empty()) return bio_ptr(BIO_new_file(file.c_str(), "r"));
  if (pem.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
  return bio_ptr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::string failure(const std::string& what, const std::string& name) {
  return "cannot load " + what + " " + name + ": " +
         openssl_reason(drain_openssl_errors().primary());
}

// True when the last PEM read stopped because no further PEM block was there: the normal end
// of a chain or a CA bundle. Pops the queue either way.
bool reached_end_of_pem(unsigned long& other) {
  const openssl_errors e = drain_openssl_errors();
  const unsigned long code = e.first;
  const bool end = code == 0 || (!ERR_SYSTEM_ERROR(code) && ERR_GET_LIB(code) == ERR_LIB_PEM &&
                                 ERR_GET_REASON(code) == PEM_R_NO_START_LINE);
  other = end ? 0 : code;
  return end;
}

std::optional<std::string> both_given(const tls_pem_source& s, const char* what) {
  if (!s.file.empty() && !s.pem.empty()) {
    return std::string(what) + ": give a file or PEM text, not both";
  }
  return std::nullopt;
}

// The password callback's view of the caller's password; records whether OpenSSL asked,
// which is how an encrypted key is told from a damaged one.
struct password_request {
  const std::string* password = nullptr;
  bool asked = false;
};

int give_password(char* buf, int size, int /*rwflag*/, void* user) {
  auto* req = static_cast<password_request*>(user);
  req->asked = true;
  const std::string& pw = *req->password;
  if (pw.empty() || size < 0 || pw.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buf, pw.data(), pw.size());
  return static_cast<int>(pw.size());
}

}  // namespace

std::string source_name(const tls_pem_source& s) {
  return s.file.empty() ? std::string("(PEM text)") : quoted(s.file);
}

load_error use_certificate_chain(SSL_CTX* ctx, const tls_pem_source& chain) {
  if (auto e = both_given(chain, "certificate chain")) return e;
  const std::string name = source_name(chain);
  const char* what = "certificate chain";
  bio_ptr bio = open_source(chain.file, chain.pem);
  if (!bio) return failure(what, name);
  // The leaf may carry trust settings (the "TRUSTED CERTIFICATE" form): read it with _AUX as
  // SSL_CTX_use_certificate_chain_file does.
  x509_ptr leaf(PEM_read_bio_X509_AUX(bio.get(), nullptr, no_password, nullptr));
  if (!leaf) return failure(what, name);
  if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) return failure(what, name);
  if (SSL_CTX_clear_chain_certs(ctx) != 1) return failure(what, name);
  for (;;) {
    x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr));
    if (!cert) {
      unsigned long other = 0;
      if (reached_end_of_pem(other)) break;
      return "cannot load certificate chain " + name + ": " + openssl_reason(other);
    }
    // add0 takes the reference only on success.
    if (SSL_CTX_add0_chain_cert(ctx, cert.get()) != 1) return failure(what, name);
    static_cast<void>(cert.release());
  }
  return std::nullopt;
}

load_error use_private_key(SSL_CTX* ctx, const tls_pem_source& key, const std::string& password,
                           const tls_pem_source& chain) {
  if (auto e = both_given(key, "private key")) return e;
  const std::string name = source_name(key);
  bio_ptr bio = open_source(key.file, key.pem);
  if (!bio) return failure("private key", name);
  password_request req{&password};
  pkey_ptr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, give_password, &req));
  if (!pkey) {
    const openssl_errors errors = drain_openssl_errors();
    if (req.asked && password.empty()) {
      return "cannot load private key " + name + ": the key is encrypted and no password was given";
    }
    // Asked and still failing: the decryption did not produce a valid key. OpenSSL's reason
    // ("bad decrypt", or a decoder error) is not worth more than saying so.
    if (req.asked) return "cannot load private key " + name + ": wrong password";
    return "cannot load private key " + name + ": " + openssl_reason(errors.primary());
  }
  // SSL_CTX_use_PrivateKey compares the key with the certificate of the same type; the
  // explicit check also catches a key of another type than the leaf's.
  if (SSL_CTX_use_PrivateKey(ctx, pkey.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    const openssl_errors errors = drain_openssl_errors();
    return "private key " + name + " does not match certificate chain " + source_name(chain) +
           " (" + openssl_reason(errors.primary()) + ")";
  }
  return std::nullopt;
}

load_error add_trust(SSL_CTX* ctx, const trust_sources& s, bool advertise) {
  const std::string prefix = s.option_prefix;
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  const auto add_all = [&](const std::string& file, const std::string& pem,
                           const std::string& name) -> load_error {
    const std::string what = "CA certificates";
    bio_ptr bio = open_source(file, pem);
    if (!bio) return failure(what, name);
    int count = 0;
    for (;;) {
      x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr));
      if (!cert) {
        unsigned long other = 0;
        if (reached_end_of_pem(other)) break;
        return "cannot load " + what + " " + name + ": " + openssl_reason(other);
      }
      if (X509_STORE_add_cert(store, cert.get()) != 1) return failure(what, name);
      if (advertise && SSL_CTX_add_client_CA(ctx, cert.get()) != 1) return failure(what, name);
      ++count;
    }
    if (count == 0) return "cannot load " + what + " " + name + ": no certificate found";
    return std::nullopt;
  };
  if (!s.file.empty()) {
    if (auto e = add_all(s.file, {}, quoted(s.file))) return e;
  }
  if (!s.pem.empty()) {
    if (auto e = add_all({}, s.pem, prefix + "ca_pem (PEM text)")) return e;
  }
  if (!s.dir.empty()) {
    // OpenSSL reads a CA directory lazily, during verification; an unusable path would only
    // show up as "unable to get local issuer certificate" on the first handshake.
    std::error_code ec;
    if (!std::filesystem::is_directory(s.dir, ec)) {
      return "cannot use CA directory " + quoted(s.dir) + ": " +
             (ec ? ec.message() : std::string("not a directory"));
    }
    if (SSL_CTX_load_verify_dir(ctx, s.dir.c_str()) != 1) {
      return failure("CA directory", quoted(s.dir));
    }
  }
  return std::nullopt;
}

}  // namespace amqp::detail
