// The driver shared by the TLS-stage fuzz targets (tls_server.cpp, tls_client.cpp), and what
// their seed writer uses too: a test identity, the contexts, the buffer limits.
//
// The identity is an EC P-256 key and a self-signed certificate for "localhost" and 127.0.0.1,
// made once per process with OpenSSL's API and kept in static storage (no key file is
// committed). The contexts are built from it once, as PEM text in memory, and shared by every
// run; the stage under test is made afresh for each input.
//
// Input layout:
//   byte 0   bits 0-1 the context (server_context / client_context below), bits 2-3 the
//            buffer limits (limits below), bit 4 the application writes plaintext now and
//            then, bit 5 it calls close() once at some point, bit 6 it takes the stage's
//            output only in parts (a slow transport), bit 7 it takes plaintext only in parts;
//   byte 1   the seed of a generator that cuts the peer's bytes into reads (from 1 byte to all
//            that is left) and decides when and how much the application writes and takes;
//   rest     the peer's bytes, as they would come off the socket.
// A missing byte 0 or 1 counts as 0. OpenSSL draws its own randomness (client and server
// randoms, ephemeral keys), so two runs of one input differ in the bytes the stage writes but
// not in what it is fed or how it is driven.
//
// Oracles, checked after every call on the stage; a broken one prints what broke and traps:
// - no crash, no undefined behaviour, no leak;
// - bounds (tls_buffer_limits): plaintext() holds at most max_plaintext plus one record's
//   plaintext (16 KiB); pending_output() at most max_output plus a few records (three of the
//   largest, SSL3_RT_MAX_PACKET_SIZE: feed() stops at two above max_output and one feed step
//   or one encryption adds at most about one more); buffered_input() at most one record; while
//   the handshake runs, write() takes at most max_early_write bytes in all;
// - feed() takes at most what it is offered, all of it once the stage is failed or closed or
//   the peer has closed; it takes something whenever want_input() said it would, and when it
//   leaves bytes, want_input() is false; once the application has taken all output and
//   plaintext, a stage that is still running wants input again (no stall);
// - state: failed exactly when error() is non-empty, and failed stays failed, closed stays
//   closed, and nothing goes back to handshaking; want_input() is false once failed, closed
//   or peer_closed(), which stays set; protocol_version() and cipher() are empty while the
//   handshake runs; is_client() is the role it was made with;
// - write() takes nothing after close() or once failed or closed;
// - OpenSSL's per-thread error queue is empty after every call (tls_errors.hpp);
// - the end: after all input, the application takes everything, then feed_eof(): the stage is
//   then failed, or closed, or closing after the peer's close_notify, and wants no input; a
//   stage that never finished its handshake is failed, with a non-empty error.
#pragma once

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "amqp/tls.hpp"
#include "tls/tls_stage.hpp"

namespace tls_fuzz {

using amqp::detail::tls_buffer_limits;
using amqp::detail::tls_stage;
using amqp::detail::tls_state;

[[noreturn]] inline void broken(const char* what, const tls_stage* s = nullptr) {
  std::fprintf(stderr, "tls oracle broken: %s\n", what);
  if (s != nullptr) {
    std::fprintf(stderr, "  state %d, error '%s', plaintext %zu, output %zu\n",
                 static_cast<int>(s->state()), s->error().c_str(), s->plaintext().size(),
                 s->pending_output().size());
  }
  std::fflush(stderr);
  __builtin_trap();
}

[[noreturn]] inline void setup_failed(const char* what) {
  std::fprintf(stderr, "tls fuzz setup: %s\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

// ---- the test identity --------------------------------------------------------------------

struct identity {
  std::string certificate_pem;
  std::string key_pem;
};

inline std::string pem_of(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

inline identity make_identity() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) setup_failed("cannot make a key");
  X509_set_version(cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -86400L);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3650L * 86400L);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("AMQP fuzz"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  // A self-signed certificate that is its own trust anchor, for servers and clients alike.
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,digitalSignature,keyCertSign"},
      {NID_subject_key_identifier, "hash"},
      {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
  };
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) setup_failed("cannot add an extension");
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert, key, EVP_sha256()) == 0) setup_failed("cannot sign the certificate");

  identity id;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_X509(bio, cert) != 1) setup_failed("cannot write PEM");
  id.certificate_pem = pem_of(bio);
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    setup_failed("cannot write PEM");
  id.key_pem = pem_of(bio);
  BIO_free(bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  return id;
}

// Made once per process: key generation and signing per input would dwarf the stage's work.
inline const identity& test_identity() {
  static const identity id = [] {
    identity made = make_identity();
    ERR_clear_error();  // nothing of the set-up may be taken for the stage's leftovers
    return made;
  }();
  return id;
}

// ---- contexts and limits ------------------------------------------------------------------

inline std::shared_ptr<const amqp::tls_context> build(
    amqp::result<std::shared_ptr<amqp::tls_context>, std::string> r) {
  if (!r) {
    std::fprintf(stderr, "tls fuzz setup: %s\n", r.error().c_str());
    std::abort();
  }
  return *r;
}

// 0: TLS 1.2 and 1.3, resumption; 1: TLS 1.2 only; 2: TLS 1.3 only, client certificates
// required; 3: client certificates optional, no resumption, a restricted cipher choice.
inline std::shared_ptr<const amqp::tls_context> make_server_context(int variant) {
  const identity& id = test_identity();
  amqp::tls_server_options o;
  o.certificate_chain.pem = id.certificate_pem;
  o.private_key.pem = id.key_pem;
  switch (variant) {
    case 1:
      o.max_version = amqp::tls_version::tls1_2;
      break;
    case 2:
      o.min_version = amqp::tls_version::tls1_3;
      o.client_certificates = amqp::tls_client_certificates::required;
      o.client_ca_pem = id.certificate_pem;
      break;
    case 3:
      o.client_certificates = amqp::tls_client_certificates::optional;
      o.client_ca_pem = id.certificate_pem;
      o.session_resumption = false;
      o.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305";
      o.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
      break;
    default:
      break;
  }
  return build(amqp::tls_context::server(o));
}

// 0: verify the peer and "localhost"; 1: TLS 1.2 only, no verification; 2: TLS 1.3 only,
// verify the peer (any name), present the client certificate; 3: no verification, the IP
// literal 127.0.0.1 (no SNI), no resumption, a restricted cipher choice.
inline std::shared_ptr<const amqp::tls_context> make_client_context(int variant) {
  const identity& id = test_identity();
  amqp::tls_client_options o;
  o.ca_pem = id.certificate_pem;
  o.server_name = "localhost";
  switch (variant) {
    case 1:
      o.max_version = amqp::tls_version::tls1_2;
      o.verify = amqp::tls_verify::none;
      break;
    case 2:
      o.min_version = amqp::tls_version::tls1_3;
      o.verify = amqp::tls_verify::peer;
      o.certificate_chain.pem = id.certificate_pem;
      o.private_key.pem = id.key_pem;
      break;
    case 3:
      o.verify = amqp::tls_verify::none;
      o.server_name = "127.0.0.1";
      o.session_resumption = false;
      o.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305";
      o.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
      break;
    default:
      break;
  }
  return build(amqp::tls_context::client(o));
}

inline std::shared_ptr<const amqp::tls_context> context(bool client, int variant) {
  static const std::array<std::shared_ptr<const amqp::tls_context>, 4> servers = {
      make_server_context(0), make_server_context(1), make_server_context(2),
      make_server_context(3)};
  static const std::array<std::shared_ptr<const amqp::tls_context>, 4> clients = {
      make_client_context(0), make_client_context(1), make_client_context(2),
      make_client_context(3)};
  ERR_clear_error();
  return (client ? clients : servers)[static_cast<std::size_t>(variant & 3)];
}

// 0: the defaults; 1: one byte each, the tightest; 2: small; 3: nothing held during the
// handshake, a 2 KiB output bound.
inline tls_buffer_limits limits(int variant) {
  switch (variant & 3) {
    case 1:
      return {1, 1, 1};
    case 2:
      return {100, 300, 50};
    case 3:
      return {16 * 1024, 2048, 0};
    default:
      return {};
  }
}

// ---- the driver -----------------------------------------------------------------------------

// splitmix64: small, and the same sequence under every compiler, so a replay built by g++
// drives the stage as the fuzzer did.
class generator {
 public:
  explicit generator(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // In [0, n).
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  bool one_in(std::size_t n) { return below(n) == 0; }

 private:
  std::uint64_t state_;
};

// The largest record on the wire and the most ciphertext the stage holds undecrypted.
inline constexpr std::size_t max_record = SSL3_RT_MAX_PACKET_SIZE;

class driver {
 public:
  driver(bool client, const std::uint8_t* data, std::size_t size)
      : client_(client),
        options_(size > 0 ? data[0] : 0),
        gen_(size > 1 ? data[1] : 0),
        limits_(limits(options_ >> 2)),
        peer_(size > 2 ? amqp::bytes_view(data + 2, size - 2) : amqp::bytes_view()),
        stage_(context(client, options_ & 3), {}, limits_) {
    after("the constructor");
  }

  void run() {
    if (client_) take_output();  // the ClientHello
    while (!peer_.empty()) {
      const std::size_t n = read_size();
      feed(peer_.first(n));
      peer_ = peer_.subspan(n);
      application();
    }
    drain_all();
    stage_.feed_eof();
    after("feed_eof");
    drain_all();
    const tls_state s = stage_.state();
    if (!(s == tls_state::failed || s == tls_state::closed ||
          (s == tls_state::closing && stage_.peer_closed())))
      broken("after feed_eof the stage is still running", &stage_);
    if (stage_.want_input()) broken("after feed_eof the stage still wants input", &stage_);
    if (!handshake_done_ && s != tls_state::failed)
      broken("a handshake cut short by the end of input did not fail", &stage_);
  }

 private:
  bool writes() const { return (options_ & 0x10) != 0; }
  bool closes() const { return (options_ & 0x20) != 0; }
  bool slow_output() const { return (options_ & 0x40) != 0; }
  bool slow_plaintext() const { return (options_ & 0x80) != 0; }

  // How much of the peer's bytes the next read brings: often one byte or a few (record
  // headers cut apart), sometimes up to a few hundred, sometimes all that is left.
  std::size_t read_size() {
    const std::size_t left = peer_.size();
    switch (gen_.below(4)) {
      case 0:
        return 1;
      case 1:
        return std::min(left, 1 + gen_.below(5));
      case 2:
        return std::min(left, 1 + gen_.below(300));
      default:
        return left;
    }
  }

  bool terminal() const {
    const tls_state s = stage_.state();
    return s == tls_state::failed || s == tls_state::closed || stage_.peer_closed();
  }

  void feed(amqp::bytes_view piece) {
    while (!piece.empty()) {
      const bool wanted = stage_.want_input();
      const bool discards = terminal();
      const std::size_t took = stage_.feed(piece);
      after("feed");
      if (took > piece.size()) broken("feed() took more than it was given", &stage_);
      if (discards && took != piece.size())
        broken("a failed or closed stage did not take everything", &stage_);
      if (wanted && took == 0) broken("feed() took nothing though want_input() said it would");
      piece = piece.subspan(took);
      if (piece.empty()) return;
      if (stage_.want_input()) broken("feed() left bytes but still wants input", &stage_);
      // The application makes room, as a driver must, and offers the rest again.
      drain_all();
      if (!stage_.want_input() && !terminal())
        broken("with all output and plaintext taken the stage wants no input (stall)", &stage_);
    }
  }

  void application() {
    if (writes() && gen_.one_in(3)) write(1 + gen_.below(600));
    if (closes() && !closed_ && gen_.one_in(8)) {
      closed_ = true;
      stage_.close();
      after("close");
    }
    take_output();
    take_plaintext();
  }

  void write(std::size_t n) {
    static const std::string pattern = [] {
      std::string p;
      for (int i = 0; p.size() < 1024; ++i) p += "frame " + std::to_string(i) + ";";
      return p;
    }();
    const bool handshaking = stage_.state() == tls_state::handshaking;
    const bool refuses =
        closed_ || stage_.state() == tls_state::failed || stage_.state() == tls_state::closed;
    const std::size_t took =
        stage_.write(amqp::bytes_view(reinterpret_cast<const std::uint8_t*>(pattern.data()), n));
    after("write");
    if (took > n) broken("write() took more than it was given", &stage_);
    if (refuses && took != 0) broken("write() took bytes after close() or failure", &stage_);
    if (handshaking) {
      early_ += took;
      if (early_ > limits_.max_early_write)
        broken("write() held more than max_early_write during the handshake", &stage_);
    }
  }

  void take_output() {
    const std::size_t size = stage_.pending_output().size();
    stage_.consume_output(slow_output() ? gen_.below(size + 1) : size);
    after("consume_output");
  }

  void take_plaintext() {
    const std::size_t size = stage_.plaintext().size();
    stage_.consume_plaintext(slow_plaintext() ? gen_.below(size + 1) : size);
    after("consume_plaintext");
  }

  // Takes everything, until the stage has nothing more to give. Each round after the first
  // can only bring what the ciphertext held still decrypts to, a record (at least one byte of
  // it) at a time, so the rounds are bounded by the bytes held.
  void drain_all() {
    const std::size_t most = 2 + stage_.buffered_input() + max_record;
    for (std::size_t round = 0;; ++round) {
      if (stage_.pending_output().empty() && stage_.plaintext().empty()) return;
      if (round == most) broken("the stage keeps producing while nothing is fed", &stage_);
      stage_.consume_output(stage_.pending_output().size());
      after("consume_output");
      stage_.consume_plaintext(stage_.plaintext().size());
      after("consume_plaintext");
    }
  }

  void after(const char* call) {
    (void)call;
    const tls_state s = stage_.state();
    if (stage_.plaintext().size() > limits_.max_plaintext + SSL3_RT_MAX_PLAIN_LENGTH)
      broken("plaintext beyond max_plaintext plus one record", &stage_);
    if (stage_.pending_output().size() > limits_.max_output + 3 * max_record)
      broken("output beyond max_output plus a few records", &stage_);
    if (stage_.buffered_input() > max_record)
      broken("more than one record of ciphertext held", &stage_);
    if ((s == tls_state::failed) != !stage_.error().empty())
      broken("failed and a non-empty error() do not go together", &stage_);
    if (was_failed_ && s != tls_state::failed) broken("a failed stage recovered", &stage_);
    if (was_closed_ && s != tls_state::closed) broken("a closed stage reopened", &stage_);
    if (handshake_done_ && s == tls_state::handshaking)
      broken("the stage went back to handshaking", &stage_);
    if (was_peer_closed_ && !stage_.peer_closed()) broken("peer_closed() was unset", &stage_);
    if (terminal() && stage_.want_input()) broken("a failed or closed stage wants input", &stage_);
    if (s == tls_state::handshaking &&
        (!stage_.protocol_version().empty() || !stage_.cipher().empty()))
      broken("a protocol or cipher before the handshake is done", &stage_);
    if (stage_.is_client() != client_) broken("is_client() is not the role", &stage_);
    if (ERR_peek_error() != 0) broken("OpenSSL's error queue was left non-empty", &stage_);
    was_failed_ = s == tls_state::failed;
    was_closed_ = s == tls_state::closed;
    was_peer_closed_ = stage_.peer_closed();
    if (s == tls_state::open || s == tls_state::closing || s == tls_state::closed)
      handshake_done_ = true;
  }

  bool client_;
  std::uint8_t options_;
  generator gen_;
  tls_buffer_limits limits_;
  amqp::bytes_view peer_;
  tls_stage stage_;
  bool closed_ = false;    // the application called close()
  std::size_t early_ = 0;  // bytes write() took during the handshake
  bool was_failed_ = false;
  bool was_closed_ = false;
  bool was_peer_closed_ = false;
  bool handshake_done_ = false;
};

inline void run(bool client, const std::uint8_t* data, std::size_t size) {
  driver(client, data, size).run();
}

}  // namespace tls_fuzz
