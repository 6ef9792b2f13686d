// `amqp-bench memory`: two engines of one implementation in one process, a sender and a
// receiver, the bytes each writes fed to the other without sockets (in the handshake modes, a
// client and a server, a new pair per connection). This header describes the workload every
// implementation runs, the figures it reports and the interface it provides.
//
//   const amqp::bench::workload w = amqp::bench::make_workload(amqp::bench::mode::presettled,
//                                                              200'000);
//   const amqp::bench::figures f = amqp::bench::run_proton_memory(w);
//   std::cout << double(w.messages) / f.measured.seconds << " msg/s\n";
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/measure.hpp"

namespace amqp::bench {

enum class mode : std::uint8_t {
  presettled,               // snd-settle-mode settled: the sender settles as it sends
  at_least_once,            // unsettled: the receiver accepts and settles, then the sender settles
  large_at_least_once,      // at_least_once with 64 KiB bodies
  tls_at_least_once,        // at_least_once with both engines talking TLS
  tls_large_at_least_once,  // large_at_least_once with both engines talking TLS
  // Connections rather than messages: a client and a server engine make a full TLS handshake,
  // exchange opens, exchange closes and end TLS with close_notify.
  tls_handshake,
  tls_resumed_handshake  // the same, the client resuming the TLS session of its last connection
};

inline constexpr mode all_modes[] = {
    mode::presettled,           mode::at_least_once,           mode::large_at_least_once,
    mode::tls_at_least_once,    mode::tls_large_at_least_once, mode::tls_handshake,
    mode::tls_resumed_handshake};

constexpr std::string_view mode_name(mode m) noexcept {
  switch (m) {
    case mode::presettled:
      return "presettled";
    case mode::at_least_once:
      return "at_least_once";
    case mode::large_at_least_once:
      return "large_at_least_once";
    case mode::tls_at_least_once:
      return "tls_at_least_once";
    case mode::tls_large_at_least_once:
      return "tls_large_at_least_once";
    case mode::tls_handshake:
      return "tls_handshake";
    case mode::tls_resumed_handshake:
      return "tls_resumed_handshake";
  }
  return "?";
}

// What both implementations do, so that they move the same frames. Where the engines offer a
// choice the same one is made on both sides; elsewhere each keeps its defaults.
struct workload {
  bench::mode mode = mode::presettled;
  // Messages of the measured phase. Before it, warmup_messages go over the same link and are
  // not measured. Zero in the handshake modes.
  std::uint64_t messages = 0;
  std::uint64_t warmup_messages = 0;
  // Each message is one data section of this many bytes, and nothing else.
  std::size_t body_size = 100;
  // Connections of the measured phase in the handshake modes, one after the other, each with
  // a new pair of engines; before it, warmup_connections are made and not measured. Zero in
  // the other modes.
  std::uint64_t connections = 0;
  std::uint64_t warmup_connections = 0;

  constexpr bool presettled() const noexcept { return mode == mode::presettled; }
  constexpr bool tls() const noexcept {
    return mode != mode::presettled && mode != mode::at_least_once &&
           mode != mode::large_at_least_once;
  }
  constexpr bool handshakes() const noexcept {
    return mode == mode::tls_handshake || mode == mode::tls_resumed_handshake;
  }
  constexpr bool resumes() const noexcept { return mode == mode::tls_resumed_handshake; }

  // The receiver grants credit_window credits when the link opens, and brings the credit back
  // to credit_window whenever it falls to credit_low_water or below.
  static constexpr std::uint32_t credit_window = 1000;
  static constexpr std::uint32_t credit_low_water = 500;

  // The applications on both sides:
  // - the sender encodes each message when it sends it (one message object and one buffer
  //   reused), and sends whenever it has credit, as Proton's examples do: the whole credit at
  //   once, so that in the large mode up to 64 MiB wait in its engine;
  // - the receiver decodes every message and checks its body; unless the message came
  //   pre-settled it accepts it, and it settles it at once;
  // - the sender settles each unsettled delivery when its outcome arrives.
  // A phase ends when the receiver has every message and neither side has a delivery left
  // unsettled.
  // In the handshake modes the client opens, the server answers with its open, the client
  // checks the TLS session (version, and whether it was resumed as the mode says) and closes,
  // the server answers with its close, and both engines finish.

  // The same on both sides of both implementations:
  // - no SASL layer, no idle timeout: the AMQP header and open come first, after TLS in the
  //   tls_* modes and alone in the others;
  // - one connection, one session, one link, the sender being the client;
  static constexpr const char* sender_container_id = "bench-sender";
  static constexpr const char* receiver_container_id = "bench-receiver";
  static constexpr const char* link_name = "bench";
  static constexpr const char* target_address = "bench";
  // - max-frame-size: Qpid Proton's default (it advertises no limit, so each message goes in
  //   one transfer frame);
  static constexpr std::uint32_t max_frame_size = 0xffffffffu;
  // - session windows: Proton's defaults (no incoming-capacity, so the largest incoming-window;
  //   outgoing-window 2^31-1), so that session flow control never holds a transfer back;
  static constexpr std::uint32_t incoming_window = 0x7fffffffu;
  static constexpr std::uint32_t outgoing_window = 0x7fffffffu;
  // - the sender sends while it has credit and less than this many bytes wait to be written,
  //   as an application writing to a socket would (the large mode's credit is 64 MiB): it
  //   reads what waits once (our output_backlog(); Proton's pn_session_outgoing_bytes plus
  //   pn_transport_pending; both count frames that TLS has not encrypted yet), then adds the
  //   size of each message it sends;
  static constexpr std::size_t output_backlog = 1u << 20;
  // - delivery tags are the 8 bytes of a counter, as in Proton's examples;
  static constexpr std::size_t delivery_tag_size = 8;
  // - TLS (tls_* modes) starts at once, as on port 5671 (a Proton client sends no TLS protocol
  //   header), with each library's default versions, groups and ciphers, which are OpenSSL's:
  //   TLS 1.3. The server presents the EC P-256 certificate of the test PKI (tools/pki), read
  //   from the same PEM files by both libraries; the client sends tls_server_name as SNI,
  //   verifies the chain against the test CA and the certificate's name against
  //   tls_server_name, and presents no certificate. Servers issue session tickets, as both
  //   libraries do by default; clients keep a session to resume only in
  //   tls_resumed_handshake.
  static constexpr const char* tls_server_name = "localhost";
};

// The workload of a mode for `messages`, the count asked for the 100-byte modes: the large
// modes move messages / 20 messages (at least 1000), so that they take about as long, and
// the handshake modes make messages / 200 connections (at least 100). The warm-up is a tenth
// of the measured count: at most 10000 messages, or between 1 and 100 connections.
constexpr workload make_workload(mode m, std::uint64_t messages) {
  workload w;
  w.mode = m;
  if (w.handshakes()) {
    w.connections = std::max<std::uint64_t>(messages / 200, 100);
    w.warmup_connections = std::clamp<std::uint64_t>(w.connections / 10, 1, 100);
    return w;
  }
  w.messages = messages;
  if (m == mode::large_at_least_once || m == mode::tls_large_at_least_once) {
    w.messages = std::max<std::uint64_t>(messages / 20, 1000);
    w.body_size = 65536;
  }
  w.warmup_messages = std::min<std::uint64_t>(w.messages / 10, 10'000);
  return w;
}

// Bytes that crossed the in-memory network in each direction (in the handshake modes, the
// client is the sender).
struct wire_bytes {
  std::uint64_t to_receiver = 0;
  std::uint64_t to_sender = 0;

  friend wire_bytes operator-(const wire_bytes& a, const wire_bytes& b) noexcept {
    return {a.to_receiver - b.to_receiver, a.to_sender - b.to_sender};
  }
};

// What an implementation measured over the measured phase. The heap peak of the whole run is
// measured around it by the caller.
struct figures {
  phase_totals measured;
  wire_bytes wire;
  // In the tls_* modes, the version and cipher the client's library reports, such as
  // "TLSv1.3" and "TLS_AES_256_GCM_SHA384", so that a run shows both negotiated the same.
  std::string tls_protocol;
  std::string tls_cipher;
};

// An implementation: `name` prefixes its figures ("amqp", "proton"). `run` serves the message
// modes: it sets up a sender and a receiver engine, moves w.warmup_messages and then, inside
// measure(), w.messages, checks every body the receiver decoded, closes both ends cleanly, and
// returns what it measured. `run_handshakes` serves the handshake modes: it builds its TLS
// configuration once, makes w.warmup_connections and then, inside measure(), w.connections.
// Both throw std::runtime_error when an exchange fails.
struct memory_impl {
  std::string_view name;
  figures (*run)(const workload& w);
  figures (*run_handshakes)(const workload& w);
};

// Each implementation file defines its runners; main.cpp lists the ones compiled in.
figures run_amqp_memory(const workload& w);
figures run_amqp_handshakes(const workload& w);
#ifdef AMQP_BENCH_HAVE_PROTON
figures run_proton_memory(const workload& w);
figures run_proton_handshakes(const workload& w);
#endif

}  // namespace amqp::bench
