// The TLS byte stage: OpenSSL over a pair of memory BIOs, with bounded buffers on both sides.
//
// Every entry point that calls into OpenSSL opens an openssl_error_scope, and each SSL_* call
// starts from an empty error queue (ERR_clear_error) and has its errors drained right after,
// because the queue is per thread and shared with every other connection on it.
#include "tls/tls_stage.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "tls/tls_context_impl.hpp"
#include "tls/tls_errors.hpp"

namespace amqp::detail {
namespace {

// The largest plaintext one record carries (RFC 8446, 5.1; RFC 5246, 6.2.1).
constexpr std::size_t max_record_plaintext = SSL3_RT_MAX_PLAIN_LENGTH;
// Ciphertext held in the read BIO: one whole record of the largest kind OpenSSL accepts
// (header, 16 KiB of plaintext, and the TLS 1.2 expansion allowance), so a record can always
// complete, and never more.
constexpr std::size_t max_buffered_input = SSL3_RT_HEADER_LENGTH + SSL3_RT_MAX_ENCRYPTED_LENGTH;

struct bio_deleter {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};

}  // namespace

void tls_stage::byte_queue::consume(std::size_t n) noexcept {
  begin_ += std::min(n, size());
  if (begin_ == end_) begin_ = end_ = 0;
}

std::uint8_t* tls_stage::byte_queue::prepare(std::size_t n) {
  if (buf_.size() - end_ < n) {
    if (begin_ != 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, size());
      end_ -= begin_;
      begin_ = 0;
    }
    if (buf_.size() - end_ < n) buf_.resize(end_ + n);
  }
  return buf_.data() + end_;
}

tls_stage::tls_stage(std::shared_ptr<const tls_context> context, std::string_view server_name,
                     tls_buffer_limits limits)
    : context_(std::move(context)), limits_(limits) {
  openssl_error_scope scope;
  start(server_name);
}

tls_stage::tls_stage(tls_stage&&) noexcept = default;
tls_stage& tls_stage::operator=(tls_stage&&) noexcept = default;
tls_stage::~tls_stage() = default;

void tls_stage::start(std::string_view server_name) {
  if (!context_) {
    fail("TLS stage created without a context");
    return;
  }
  tls_context_impl& impl = *context_->impl_;
  client_ = impl.client;
  ssl_.reset(SSL_new(impl.ctx.get()));
  std::unique_ptr<BIO, bio_deleter> rbio(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, bio_deleter> wbio(BIO_new(BIO_s_mem()));
  if (!ssl_ || !rbio || !wbio) {
    fail("cannot start TLS: " + openssl_reason(drain_openssl_errors().primary()));
    return;
  }
  // An empty read BIO must mean "no bytes yet" (retry), not end of stream: the end is told
  // by feed_eof() (BIO_set_mem_eof_return).
  BIO_set_mem_eof_return(rbio.get(), -1);
  BIO_set_mem_eof_return(wbio.get(), -1);
  SSL_set_bio(ssl_.get(), rbio.release(), wbio.release());  // the SSL object owns both now
  if (!client_) {
    SSL_set_accept_state(ssl_.get());
    return;
  }
  SSL_set_connect_state(ssl_.get());
  std::string name(server_name.empty() ? std::string_view(impl.server_name) : server_name);
  // "[::1]" as written in URLs names the IP literal "::1".
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  server_name_ = std::make_unique<std::string>(std::move(name));
  if (!set_peer_name(*server_name_)) return;
  SSL_set_app_data(ssl_.get(), server_name_.get());
  if (impl.session_resumption && !server_name_->empty()) {
    if (SSL_SESSION* session = impl.sessions.take(*server_name_)) {
      static_cast<void>(SSL_set_session(ssl_.get(), session));  // takes its own reference
      SSL_SESSION_free(session);
      ERR_clear_error();
    }
  }
  advance();  // the ClientHello
}

bool tls_stage::set_peer_name(const std::string& name) {
  const tls_verify verify = context_->impl_->verify;
  if (name.empty()) {
    if (verify != tls_verify::peer_and_host) return true;
    fail(
        "TLS client has no server name to check the certificate against (give one, or verify "
        "peer only)");
    return false;
  }
  if (name.find('\0') != std::string::npos) {
    fail("invalid TLS server name: it contains a NUL byte");
    return false;
  }
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
  const bool is_ip = ip != nullptr;
  ASN1_OCTET_STRING_free(ip);
  ERR_clear_error();  // a2i_IPADDRESS may leave a parse error for a DNS name
  SSL* ssl = ssl_.get();
  if (is_ip) {
    // IP literals are matched against iPAddress SANs and are never sent as SNI (RFC 6066, 3).
    if (verify == tls_verify::peer_and_host &&
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) != 1) {
      fail("invalid TLS server address " + quoted(name));
      return false;
    }
    return true;
  }
  if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    fail("invalid TLS server name " + quoted(name) + ": " +
         openssl_reason(drain_openssl_errors().primary()));
    return false;
  }
  if (verify == tls_verify::peer_and_host) {
    // "*.example" matches "a.example" but "a*.example" matches nothing (RFC 6125, 6.4.3
    // leaves partial wildcards to the client; we refuse them).
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, name.c_str()) != 1) {
      fail("invalid TLS server name " + quoted(name));
      return false;
    }
  }
  return true;
}

std::size_t tls_stage::feed(bytes_view ciphertext) {
  if (state_ == tls_state::failed || state_ == tls_state::closed || peer_closed_ || eof_) {
    return ciphertext.size();
  }
  openssl_error_scope scope;
  std::size_t taken = 0;
  while (taken < ciphertext.size() && want_input()) {
    const std::size_t held = BIO_ctrl_pending(rbio());
    if (held >= max_buffered_input) break;
    const std::size_t n = std::min(ciphertext.size() - taken, max_buffered_input - held);
    // A memory BIO takes everything or fails for want of memory.
    if (BIO_write(rbio(), ciphertext.data() + taken, static_cast<int>(n)) != static_cast<int>(n)) {
      fail("TLS connection failed: out of memory");
      break;
    }
    taken += n;
    advance();
  }
  // What arrives after a failure or after close_notify has no reader: take it all, so that a
  // caller looping on feed() makes progress.
  if (state_ == tls_state::failed || state_ == tls_state::closed || peer_closed_) {
    return ciphertext.size();
  }
  return taken;
}

void tls_stage::feed_eof() {
  if (eof_ || state_ == tls_state::failed || state_ == tls_state::closed) return;
  eof_ = true;
  openssl_error_scope scope;
  settle_eof();
}

// Decides what the end of the transport means, once every record taken has been read.
void tls_stage::settle_eof() {
  if (!eof_ || state_ == tls_state::failed || state_ == tls_state::closed) return;
  // Records still in the read BIO (the plaintext buffer is full) may end with close_notify:
  // decide when consume_plaintext() has let them be read.
  if (BIO_ctrl_pending(rbio()) > 0 && state_ != tls_state::handshaking) return;
  if (state_ == tls_state::handshaking) {
    std::string msg = "TLS handshake failed: the connection closed during the handshake";
    if (client_ && server_name_ && !server_name_->empty()) {
      msg += " (server " + quoted(*server_name_) + ")";
    } else if (!client_ && !SSL_in_before(ssl_.get()) && !SSL_session_reused(ssl_.get())) {
      // Some clients (Qpid Proton among them) refuse a certificate by closing, no alert sent.
      msg +=
          ", after our certificate went out: the client may not trust it or expect another "
          "host name";
    }
    fail(std::move(msg));
    return;
  }
  if (peer_closed_ || sent_close_) {
    update_state();
    return;
  }
  // Without close_notify the reader cannot tell the end of the data from a cut made by an
  // attacker or a broken path (RFC 8446, 6.1; RFC 5246, 7.2.1).
  std::string msg = "TLS connection truncated: the transport closed without close_notify";
  if (client_ && !read_data_) {
    // In TLS 1.3 the server checks our certificate after the client's handshake is done; a
    // server that refuses it (or its absence) may just close.
    msg +=
        ", before the server sent any data (it may have refused our client certificate, or "
        "the lack of one)";
  }
  fail(std::move(msg));
}

bytes_view tls_stage::plaintext() const noexcept {
  return plaintext_.view();
}

void tls_stage::consume_plaintext(std::size_t n) {
  plaintext_.consume(n);
  if (state_ != tls_state::open && state_ != tls_state::closing) return;
  openssl_error_scope scope;
  advance();
}

std::size_t tls_stage::write(bytes_view data) {
  if (close_requested_ || state_ == tls_state::failed || state_ == tls_state::closed ||
      data.empty()) {
    return 0;
  }
  openssl_error_scope scope;
  // Held back during the handshake, and behind plaintext still held from it, so that the
  // order of what was written is kept.
  if (state_ == tls_state::handshaking || !early_.empty()) {
    const std::size_t room =
        limits_.max_early_write > early_.size() ? limits_.max_early_write - early_.size() : 0;
    const std::size_t n = std::min(room, data.size());
    if (n != 0) {
      std::memcpy(early_.prepare(n), data.data(), n);
      early_.commit(n);
    }
    flush_writes();
    return n;
  }
  return encrypt(data);
}

bytes_view tls_stage::pending_output() const noexcept {
  return output_.view();
}

void tls_stage::consume_output(std::size_t n) {
  output_.consume(n);
  if (early_.empty() && (!close_requested_ || sent_close_)) return;
  openssl_error_scope scope;
  flush_writes();
}

void tls_stage::close() {
  if (close_requested_ || state_ == tls_state::failed || state_ == tls_state::closed) return;
  close_requested_ = true;
  openssl_error_scope scope;
  flush_writes();
  update_state();
}

bool tls_stage::want_input() const noexcept {
  if (state_ == tls_state::failed || state_ == tls_state::closed || peer_closed_ || eof_) {
    return false;
  }
  if (plaintext_.size() >= limits_.max_plaintext) return false;
  // Our own writes stop at max_output plus at most one record. Only records from the peer
  // that call for answers (a KeyUpdate asking for ours, RFC 8446, 4.6.3) push the output
  // further; a record's worth of those is let through, then input stops until the output is
  // sent. Were input to stop at max_output itself, two peers both writing in bulk would each
  // wait for the other to read.
  if (output_.size() > limits_.max_output + 2 * max_buffered_input) return false;
  return BIO_ctrl_pending(rbio()) < max_buffered_input;
}

void tls_stage::advance() {
  if (state_ == tls_state::handshaking) handshake();
  if (state_ == tls_state::open || state_ == tls_state::closing) {
    flush_writes();
    read_records();
  }
  collect_output();
  settle_eof();
}

void tls_stage::handshake() {
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    ERR_clear_error();
    state_ = tls_state::open;
    handshake_done_ = true;
    update_state();
    return;
  }
  const int e = SSL_get_error(ssl_.get(), r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return;
  }
  fail_with_ssl_error(e);
}

void tls_stage::read_records() {
  while (!peer_closed_ && (state_ == tls_state::open || state_ == tls_state::closing)) {
    if (plaintext_.size() >= limits_.max_plaintext) return;
    std::uint8_t* p = plaintext_.prepare(max_record_plaintext);
    std::size_t n = 0;
    ERR_clear_error();
    const int r = SSL_read_ex(ssl_.get(), p, max_record_plaintext, &n);
    if (r == 1) {
      plaintext_.commit(n);
      read_data_ = read_data_ || n > 0;
      continue;
    }
    const int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      ERR_clear_error();
      return;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {  // the peer's close_notify
      ERR_clear_error();
      peer_closed_ = true;
      update_state();
      return;
    }
    fail_with_ssl_error(e);
    return;
  }
}

void tls_stage::flush_writes() {
  if (state_ != tls_state::open && state_ != tls_state::closing) return;
  if (!early_.empty()) {
    early_.consume(encrypt(early_.view()));
    if (state_ == tls_state::failed) return;
  }
  if (!close_requested_ || sent_close_ || !early_.empty()) return;
  ERR_clear_error();
  // The first SSL_shutdown only queues close_notify (returning 0, or 1 when the peer's came
  // first); the peer's is then read by SSL_read as SSL_ERROR_ZERO_RETURN.
  const int r = SSL_shutdown(ssl_.get());
  if (r < 0) {
    fail_with_ssl_error(SSL_get_error(ssl_.get(), r));
    return;
  }
  ERR_clear_error();
  sent_close_ = true;
  collect_output();
  update_state();
}

std::size_t tls_stage::encrypt(bytes_view data) {
  std::size_t taken = 0;
  while (taken < data.size() && output_.size() < limits_.max_output) {
    const std::size_t chunk = std::min(data.size() - taken, max_record_plaintext);
    std::size_t written = 0;
    ERR_clear_error();
    const int r = SSL_write_ex(ssl_.get(), data.data() + taken, chunk, &written);
    if (r != 1) {
      fail_with_ssl_error(SSL_get_error(ssl_.get(), r));
      return taken;
    }
    ERR_clear_error();
    taken += written;
    collect_output();
  }
  return taken;
}

void tls_stage::collect_output() {
  if (!ssl_) return;
  const std::size_t n = std::min<std::size_t>(BIO_ctrl_pending(wbio()), INT_MAX);
  if (n == 0) return;
  const int got = BIO_read(wbio(), output_.prepare(n), static_cast<int>(n));
  if (got > 0) output_.commit(static_cast<std::size_t>(got));
}

void tls_stage::update_state() noexcept {
  if (state_ == tls_state::failed || state_ == tls_state::closed ||
      state_ == tls_state::handshaking) {
    return;
  }
  if (sent_close_ && (peer_closed_ || eof_)) {
    state_ = tls_state::closed;
  } else if (close_requested_ || peer_closed_) {
    state_ = tls_state::closing;
  } else {
    state_ = tls_state::open;
  }
}

void tls_stage::fail_with_ssl_error(int /*ssl_result*/) {
  tls_failure f;
  f.handshaking = state_ == tls_state::handshaking;
  f.client = client_;
  if (server_name_) f.server_name = *server_name_;
  f.verify_result = SSL_get_verify_result(ssl_.get());
  f.errors = drain_openssl_errors();
  collect_output();  // the alert OpenSSL queued for the peer
  // Keys and sessions of a connection that failed are forgotten (RFC 5246, 7.2.2).
  if (client_ && server_name_ && !server_name_->empty()) {
    context_->impl_->sessions.forget(*server_name_);
  }
  fail(describe_tls_failure(f));
}

void tls_stage::fail(std::string message) {
  error_ = std::move(message);
  state_ = tls_state::failed;
}

std::string_view tls_stage::protocol_version() const noexcept {
  if (!handshake_done_) return {};
  return SSL_get_version(ssl_.get());
}

std::string_view tls_stage::cipher() const noexcept {
  if (!handshake_done_) return {};
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
  return c != nullptr ? SSL_CIPHER_get_name(c) : "";
}

bool tls_stage::resumed() const noexcept {
  return handshake_done_ && SSL_session_reused(ssl_.get()) == 1;
}

std::string_view tls_stage::requested_server_name() const noexcept {
  if (!ssl_) return {};
  const char* name = SSL_get_servername(ssl_.get(), TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? name : "";
}

bool tls_stage::has_certificate() const noexcept {
  return ssl_ && SSL_get_certificate(ssl_.get()) != nullptr;
}

std::string tls_stage::peer_subject() const {
  if (!ssl_) return {};
  const X509* cert = SSL_get0_peer_certificate(ssl_.get());
  if (cert == nullptr) return {};
  openssl_error_scope scope;
  std::unique_ptr<BIO, bio_deleter> bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  // One line, most specific RDN first, escaped as RFC 2253 says.
  if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::string tls_stage::peer_fingerprint_sha256() const {
  if (!ssl_) return {};
  const X509* cert = SSL_get0_peer_certificate(ssl_.get());
  if (cert == nullptr) return {};
  openssl_error_scope scope;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return {};
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(len * 3);
  for (unsigned int i = 0; i < len; ++i) {
    if (i != 0) out += ':';
    out += digits[md[i] >> 4];
    out += digits[md[i] & 0x0f];
  }
  return out;
}

std::vector<std::uint8_t> tls_stage::peer_certificate_der() const {
  if (!ssl_) return {};
  const X509* cert = SSL_get0_peer_certificate(ssl_.get());
  if (cert == nullptr) return {};
  openssl_error_scope scope;
  const int len = i2d_X509(cert, nullptr);
  if (len <= 0) return {};
  std::vector<std::uint8_t> der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  if (i2d_X509(cert, &p) != len) return {};
  return der;
}

std::size_t tls_stage::buffered_input() const noexcept {
  return ssl_ ? BIO_ctrl_pending(rbio()) : 0;
}

}  // namespace amqp::detail
