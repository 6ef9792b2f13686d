// One TLS connection as a byte stage: ciphertext from the wire in, plaintext up; plaintext
// from above in, ciphertext for the wire out. OpenSSL runs over two memory BIOs, so the stage
// does no I/O and never blocks; the caller moves the bytes.
//
//   detail::tls_stage tls(client_ctx, "broker.example");  // the ClientHello is already pending
//   send(tls.pending_output()); tls.consume_output(n);    // n: what the transport took
//   std::size_t took = tls.feed(received);                // may be less than all of it
//   use(tls.plaintext()); tls.consume_plaintext(m);
//   tls.write(frames);                                    // buffered until the handshake is done
//   tls.close();                                          // close_notify after what was written
//
// Buffering is bounded (tls_buffer_limits): feed() stops taking ciphertext while the plaintext
// not yet consumed is at its limit (or answers to the peer are piling up unsent), and write()
// takes only what fits. Nothing is lost: the caller offers the rest again once it has
// consumed plaintext or output.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/codec/types.hpp"
#include "amqp/tls.hpp"

namespace amqp::detail {

enum class tls_state : std::uint8_t {
  handshaking,  // the handshake is under way; written plaintext is held back
  open,         // application data flows both ways
  closing,      // close() was called, or the peer sent close_notify; the other half is open
  closed,       // close_notify sent, and the peer's received (or its transport ended)
  failed,       // see error(); pending_output() may still hold an alert for the peer
};

struct tls_buffer_limits {
  // Decrypted bytes not yet consumed: feed() takes no more once this many wait. At most one
  // TLS record (16 KiB) more than this is ever buffered.
  std::size_t max_plaintext = 64 * 1024;
  // Ciphertext not yet consumed by the caller: write() stops encrypting beyond this. feed()
  // stops too once answers to the peer's records (a KeyUpdate) pile up a few records above
  // it, so a peer that never reads cannot grow it without bound.
  std::size_t max_output = 64 * 1024;
  // Plaintext written during the handshake, held until it is done.
  std::size_t max_early_write = 64 * 1024;
};

class tls_stage {
 public:
  // A connection of the context's role. A client checks the server's certificate against
  // `server_name` (when empty, the context's server_name); a server ignores it. A stage that
  // cannot start (no name to check, an invalid name, no memory in OpenSSL) is failed at once,
  // with the reason in error(). A client's first flight is pending when this returns.
  explicit tls_stage(std::shared_ptr<const tls_context> context, std::string_view server_name = {},
                     tls_buffer_limits limits = {});
  // A moved-from stage may only be destroyed or assigned to.
  tls_stage(tls_stage&&) noexcept;
  tls_stage& operator=(tls_stage&&) noexcept;
  ~tls_stage();

  // Bytes from the wire. Returns how many were taken, which may be fewer than offered (the
  // buffers are at their limits: consume plaintext or output, then offer the rest again).
  // A failed or closed stage, or one whose peer has sent close_notify, takes and discards
  // everything. Keeps no pointer into `ciphertext`.
  std::size_t feed(bytes_view ciphertext);
  // The transport's read side ended; call after every byte was taken. Before the peer's
  // close_notify this fails the stage: during the handshake as a closed connection, after it
  // as a truncation (an attacker may have cut the data short), unless close() was already
  // called and our close_notify sent, which needs no answer (RFC 8446, 6.1).
  void feed_eof();

  // Decrypted bytes for the layer above, valid until the next non-const call. Still readable
  // after the stage failed: they were authenticated before the failure.
  bytes_view plaintext() const noexcept;
  void consume_plaintext(std::size_t n);
  // True once the peer's close_notify was read: no more plaintext will come.
  bool peer_closed() const noexcept { return peer_closed_; }

  // Plaintext from the layer above. Returns how many bytes were taken: during the handshake
  // up to max_early_write are held; afterwards they are encrypted while the output is below
  // max_output. Nothing is taken after close() or once the stage is closed or failed.
  std::size_t write(bytes_view plaintext);

  // Plaintext written during the handshake and held until it is done.
  std::size_t held() const noexcept { return early_.size(); }

  // Ciphertext for the wire, valid until the next non-const call; then consume_output(n).
  bytes_view pending_output() const noexcept;
  void consume_output(std::size_t n);

  // Sends close_notify once everything written has been encrypted. Idempotent.
  void close();

  tls_state state() const noexcept { return state_; }
  // True when feed() would take bytes now.
  bool want_input() const noexcept;
  bool is_client() const noexcept { return client_; }
  // Why the stage failed; empty otherwise. Never contains key material.
  const std::string& error() const noexcept { return error_; }

  // After the handshake: "TLSv1.3", "TLS_AES_256_GCM_SHA384"; empty before.
  std::string_view protocol_version() const noexcept;
  std::string_view cipher() const noexcept;
  // True when the handshake resumed an earlier session instead of a full exchange.
  bool resumed() const noexcept;
  // The name a client asked for with SNI, as a server saw it; empty if none.
  std::string_view requested_server_name() const noexcept;
  // The peer's certificate (a server's always; a client's when it sent one): its subject in
  // RFC 2253 form ("CN=client-1,O=Example"), its SHA-256 fingerprint ("AB:01:..."), its DER
  // encoding. Empty when there is none.
  std::string peer_subject() const;
  // Whether this side has a certificate to present (a client's is sent when the server asks).
  bool has_certificate() const noexcept;
  std::string peer_fingerprint_sha256() const;
  std::vector<std::uint8_t> peer_certificate_der() const;
  // Ciphertext taken but not yet decrypted (bounded by about one record); for tests.
  std::size_t buffered_input() const noexcept;

 private:
  // A contiguous byte queue: appended at the tail, consumed at the head, compacted when the
  // tail runs out of room, so steady traffic reuses one allocation.
  class byte_queue {
   public:
    bytes_view view() const noexcept { return {buf_.data() + begin_, end_ - begin_}; }
    std::size_t size() const noexcept { return end_ - begin_; }
    bool empty() const noexcept { return begin_ == end_; }
    void consume(std::size_t n) noexcept;
    // Room for `n` more bytes at the tail.
    std::uint8_t* prepare(std::size_t n);
    void commit(std::size_t n) noexcept { end_ += n; }

   private:
    std::vector<std::uint8_t> buf_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
  };

  struct ssl_deleter {
    void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
  };

  // The memory BIOs, owned by the SSL object: ciphertext from the peer, and for it.
  BIO* rbio() const noexcept { return SSL_get_rbio(ssl_.get()); }
  BIO* wbio() const noexcept { return SSL_get_wbio(ssl_.get()); }

  void start(std::string_view server_name);
  bool set_peer_name(const std::string& name);
  // Runs OpenSSL as far as the buffered input allows: the handshake, then reading records.
  void advance();
  void handshake();
  void read_records();
  // Encrypts held plaintext and sends close_notify when due.
  void flush_writes();
  std::size_t encrypt(bytes_view plaintext);
  void collect_output();
  void settle_eof();
  void update_state() noexcept;
  void fail_with_ssl_error(int ssl_result);
  void fail(std::string message);

  std::shared_ptr<const tls_context> context_;
  std::unique_ptr<SSL, ssl_deleter> ssl_;
  // The server name: sessions are kept under it, and the SSL object's app data points at it,
  // hence on the heap, where a move of the stage does not take it.
  std::unique_ptr<std::string> server_name_;
  tls_buffer_limits limits_;
  byte_queue plaintext_;
  byte_queue output_;
  byte_queue early_;  // written during the handshake
  std::string error_;
  tls_state state_ = tls_state::handshaking;
  bool client_ = true;
  bool close_requested_ = false;
  bool sent_close_ = false;
  bool peer_closed_ = false;
  bool eof_ = false;
  bool handshake_done_ = false;
  bool read_data_ = false;  // any plaintext arrived
};

}  // namespace amqp::detail
