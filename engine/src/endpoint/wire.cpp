// The wire below the engine's plaintext stream (spec Part 5, 5.2): as it is, or TLS records
// through the TLS stage. A client starts TLS at once (amqps) or after exchanging the TLS
// protocol header AMQP 2.1.0.0; a server tells from the first bytes which one the client does,
// and whether it does TLS at all.
#include "frame/wire.hpp"
#include "amqp/spec.hpp"
#include "engine_impl.hpp"

namespace amqp {

namespace {

constexpr std::uint8_t tls_alert_record = 0x15;  // TLS record content types (RFC 8446, B.1)
constexpr std::uint8_t tls_handshake_record = 0x16;

condition tls_failure(const std::string& what, bool handshaking) {
  // The peer could not be authenticated (or would not authenticate us), or the secured stream
  // broke: the first is a refusal, the second a broken transport.
  return {std::string(handshaking ? spec::amqp_error::unauthorized_access.str
                                  : spec::connection_error::framing_error.str),
          what,
          {}};
}

}  // namespace

void connection_engine::impl::start_tls() {
  const tls_options& o = *config.tls;
  tls = std::make_unique<detail::tls_stage>(o.context, o.server_name);
  wire = wire_mode::tls;
  after_tls();
}

void connection_engine::impl::after_tls() {
  if (!tls) return;
  if (tls->state() == detail::tls_state::failed) {
    if (!input_ended) fail_transport(tls_failure(tls->error(), !tls_status));
    return;
  }
  if (!tls_status && tls->state() != detail::tls_state::handshaking) {
    tls_status = tls_info{.protocol = std::string(tls->protocol_version()),
                          .cipher = std::string(tls->cipher()),
                          .resumed = tls->resumed(),
                          .peer_subject = tls->peer_subject(),
                          .peer_fingerprint_sha256 = tls->peer_fingerprint_sha256()};
    // The SASL layer above may now use PLAIN, and EXTERNAL names the certificate's subject.
    if (sasl) sasl->secure(tls_status->peer_subject, tls->has_certificate());
  }
}

std::size_t connection_engine::impl::feed_wire(bytes_view bytes) {
  std::size_t used = 0;
  if (wire == wire_mode::detecting || wire == wire_mode::tls_header) {
    // The first byte of a TLS record, or a protocol header of 8 bytes, decides.
    const bool record = header_in.empty() && !bytes.empty() &&
                        (bytes[0] == tls_handshake_record ||
                         (wire == wire_mode::tls_header && bytes[0] == tls_alert_record));
    if (record && wire == wire_mode::detecting) {
      start_tls();  // Server: a ClientHello at once.
    } else if (record) {
      // Client: the server skipped the TLS header and answered our ClientHello, as Qpid
      // Proton does. TLS still authenticates it.
      wire = wire_mode::tls;
    } else {
      const std::size_t take = std::min(bytes.size(), protocol_header_size - header_in.size());
      header_in.append(bytes.first(take));
      used = take;
      if (header_in.size() < protocol_header_size) return used;
      const auto h = parse_protocol_header(header_in.view());
      const bool tls_header = h && h->id == protocol_id::tls;
      if (wire == wire_mode::tls_header) {
        // Client: the server answered our TLS header; our ClientHello went out already.
        if (!tls_header) {
          fail_transport(tls_failure("the server answered the TLS header with " +
                                         (h ? detail::describe_header(*h)
                                            : std::string("bytes that are no protocol header")) +
                                         ": it does not offer TLS this way",
                                     true));
          return bytes.size();
        }
        wire = wire_mode::tls;
      } else if (tls_header) {
        // Server: the client asks for TLS with the header; answer it, then the handshake.
        write_protocol_header(wire_prefix, protocol_id::tls);
        start_tls();
      } else if (config.tls->allow_plain) {
        // Server: a plain client, welcome here: the bytes read so far start its stream.
        wire = wire_mode::plain;
        const writer first = std::move(header_in);
        (void)feed(first.view());  // a header is always taken whole
        return used + feed(bytes.subspan(used));
      } else {
        write_protocol_header(wire_prefix, protocol_id::tls);
        fail_transport(
            tls_failure("the client sent " +
                            (h ? detail::describe_header(*h)
                               : std::string("bytes that are no protocol header")) +
                            ", but this server requires TLS (AMQP 2.1.0.0, or TLS at once)",
                        true));
        return bytes.size();
      }
    }
  }
  if (wire == wire_mode::plain) return used + feed(bytes.subspan(used));
  // TLS records: decrypt, hand the plaintext up, until neither moves.
  for (;;) {
    const std::size_t n = tls->feed(bytes.subspan(used));
    used += n;
    after_tls();  // a handshake just completed makes the connection secure before SASL reads
    if (input_ended) break;
    const bytes_view plain = tls->plaintext();
    const std::size_t k = plain.empty() ? 0 : feed(plain);
    if (k) tls->consume_plaintext(k);
    if (n == 0 && k == 0) break;
  }
  return input_ended ? bytes.size() : used;
}

bytes_view connection_engine::impl::wire_output() {
  if (!wire_prefix.empty()) return wire_prefix.view();
  if (!tls) return wire == wire_mode::plain ? out.view().subspan(out_pos) : bytes_view{};
  // Plaintext goes into TLS as far as it takes it; the rest waits in `out`.
  const bytes_view plain = out.view().subspan(out_pos);
  if (!plain.empty()) {
    const std::size_t n = tls->write(plain);
    if (n) consume_plain(n);
  }
  // The conversation is over and all of it encrypted: close_notify (RFC 8446, 6.1).
  if (closed_reported && out_pos == out.size() && !tls_close_started) {
    tls_close_started = true;
    tls->close();
  }
  after_tls();
  return tls->pending_output();
}

void connection_engine::impl::consume_wire(std::size_t n) {
  if (!wire_prefix.empty()) {
    const std::size_t k = std::min(n, wire_prefix.size());
    wire_prefix.erase(0, k);
    return;
  }
  if (!tls) {
    if (wire == wire_mode::plain) consume_plain(n);
    return;
  }
  tls->consume_output(std::min(n, tls->pending_output().size()));
}

void connection_engine::impl::wire_eof() {
  if (tls) {
    tls->feed_eof();
    // Plaintext that arrived before the end still counts.
    const bytes_view plain = tls->plaintext();
    if (!plain.empty()) tls->consume_plaintext(feed(plain));
    after_tls();
  }
  on_eof();
}

bool connection_engine::impl::wire_drained() const noexcept {
  if (!wire_prefix.empty() || out_pos != out.size()) return false;
  if (!tls) return true;
  if (!tls->pending_output().empty()) return false;
  // A clean end sends close_notify first; a failed stage has nothing more to say.
  return tls->state() == detail::tls_state::failed || tls_close_started;
}

const tls_info* connection_engine::tls() const noexcept {
  return impl_->tls_status ? &*impl_->tls_status : nullptr;
}

}  // namespace amqp
