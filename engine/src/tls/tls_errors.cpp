// Error queue discipline and failure text for the TLS stage and context.
#include "tls/tls_errors.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <system_error>
#include <vector>

namespace amqp::detail {
namespace {

bool is_ssl_reason(unsigned long code, int reason) noexcept {
  return code != 0 && !ERR_SYSTEM_ERROR(code) && ERR_GET_LIB(code) == ERR_LIB_SSL &&
         ERR_GET_REASON(code) == reason;
}

// Verification results that mean "the chain does not end at a CA we trust", whichever way
// OpenSSL noticed it (no issuer found, or a self-signed root that is not in the store).
bool is_untrusted_ca(long v) noexcept {
  return v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
         v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
         v == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE ||
         v == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN;
}

// Reasons OpenSSL gives when the first bytes are not a TLS record at all: something else
// (plain AMQP, HTTP, a proxy) is talking on the port.
bool is_not_tls(unsigned long code) noexcept {
  return is_ssl_reason(code, SSL_R_WRONG_VERSION_NUMBER) ||
         is_ssl_reason(code, SSL_R_HTTP_REQUEST) ||
         is_ssl_reason(code, SSL_R_HTTPS_PROXY_REQUEST) ||
         is_ssl_reason(code, SSL_R_PACKET_LENGTH_TOO_LONG) ||
         is_ssl_reason(code, SSL_R_UNKNOWN_PROTOCOL);
}

void append_notes(std::string& out, const std::vector<std::string>& notes) {
  if (notes.empty()) return;
  out += " (";
  for (std::size_t i = 0; i < notes.size(); ++i) {
    if (i != 0) out += ", ";
    out += notes[i];
  }
  out += ')';
}

}  // namespace

std::string quoted(std::string_view s) {
  std::string q = "'";
  q += s;
  q += '\'';
  return q;
}

openssl_errors drain_openssl_errors() noexcept {
  openssl_errors e;
  while (const unsigned long code = ERR_get_error()) {
    if (e.first == 0) e.first = code;
    if (e.first_ssl == 0 && !ERR_SYSTEM_ERROR(code) && ERR_GET_LIB(code) == ERR_LIB_SSL) {
      e.first_ssl = code;
    }
  }
  return e;
}

std::string openssl_reason(unsigned long code) {
  if (code == 0) return "unknown error";
  // OpenSSL 3.0 gives no text for system errors (ERR_reason_error_string returns null for
  // them, see its manual page); the reason is the errno value.
  if (ERR_SYSTEM_ERROR(code)) {
    return std::generic_category().message(static_cast<int>(ERR_GET_REASON(code)));
  }
  if (const char* r = ERR_reason_error_string(code)) return r;
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

openssl_error_scope::openssl_error_scope() noexcept {
  ERR_clear_error();
}
openssl_error_scope::~openssl_error_scope() {
  ERR_clear_error();
}

std::string describe_tls_failure(const tls_failure& f) {
  std::string out = f.handshaking ? "TLS handshake failed: " : "TLS connection failed: ";
  const unsigned long code = f.errors.primary();
  std::vector<std::string> notes;
  if (code == 0) {
    out += "internal error (OpenSSL gave no reason)";
    return out;
  }
  if (is_ssl_reason(code, SSL_R_CERTIFICATE_VERIFY_FAILED)) {
    out += "certificate verify failed";
    if (f.verify_result != X509_V_OK) {
      out += ": ";
      out += X509_verify_cert_error_string(f.verify_result);
    }
    if (f.verify_result == X509_V_ERR_HOSTNAME_MISMATCH ||
        f.verify_result == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      notes.push_back("expected " + quoted(f.server_name));
    } else {
      if (is_untrusted_ca(f.verify_result)) notes.emplace_back("untrusted CA");
      if (!f.client) {
        notes.emplace_back("client certificate");
      } else if (!f.server_name.empty()) {
        notes.push_back("server " + quoted(f.server_name));
      }
    }
  } else {
    out += openssl_reason(code);
    const int reason = ERR_SYSTEM_ERROR(code) ? 0 : ERR_GET_REASON(code);
    if (is_not_tls(code)) {
      notes.emplace_back("is the peer speaking TLS?");
    } else if (ERR_GET_LIB(code) == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET) {
      // Reasons above SSL_AD_REASON_OFFSET are alerts the peer sent (ssl.h): the failure was
      // decided on the other side, and its log says more.
      notes.emplace_back("alert from the peer");
    } else if (is_ssl_reason(code, SSL_R_UNSUPPORTED_PROTOCOL) ||
               is_ssl_reason(code, SSL_R_NO_PROTOCOLS_AVAILABLE)) {
      notes.emplace_back("no TLS version both sides allow");
    }
  }
  append_notes(out, notes);
  return out;
}

}  // namespace amqp::detail
