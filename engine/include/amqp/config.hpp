// Configuration of the engine: its role, the limits on everything a peer controls, and the
// fields of the local open.
//
//   amqp::engine_config cfg{.role = amqp::engine_role::server};
//   cfg.limits.max_frame_size = 64 * 1024;
//   cfg.limits.decode.max_depth = 16;
//   amqp::connection_engine engine(cfg);
//
// Defaults are safe for a server facing untrusted peers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/value.hpp"
#include "amqp/random.hpp"
#include "amqp/sasl.hpp"
#include "amqp/spec/constants.hpp"
#include "amqp/tls.hpp"

namespace amqp {

class trace_sink;

struct limits {
  // Largest frame accepted, advertised as max-frame-size; at least 512 (spec Part 2, 2.7.1).
  std::uint32_t max_frame_size = 1u << 20;
  // Largest SASL frame read or written. The spec fixes it at 512, MIN-MAX-FRAME-SIZE (Part 5,
  // 5.3.1), which long PLAIN credentials or Kerberos tokens (GSSAPI through Cyrus) exceed;
  // both peers must raise it for those. Below 512 counts as 512.
  std::uint32_t max_sasl_frame_size = 512;
  // Highest channel number accepted, advertised as channel-max (spec Part 2, 2.7.1): at most
  // channel_max + 1 sessions at a time.
  std::uint16_t channel_max = 255;
  // Highest link handle accepted in each session, advertised as handle-max (2.7.2): at most
  // handle_max + 1 links per session. Handles index a table, so at most 65535.
  std::uint32_t handle_max = 1023;
  // Largest message a receiving link accepts, advertised as its max-message-size (2.7.3)
  // unless link_options asks for less; a larger one closes the link with
  // amqp:link:message-size-exceeded.
  std::uint64_t max_message_size = 16u << 20;
  // Bytes of deliveries still arriving (not yet whole) across the connection: a peer that
  // starts many large deliveries at once cannot make the engine buffer more. Exceeding it
  // closes the link that crossed it with amqp:resource-limit-exceeded.
  std::uint64_t max_reassembly_bytes = 64u << 20;
  // Deliveries a receiving link takes beyond its credit since the application last granted it
  // credit (none before the first grant). The spec lets a receiver handle such an excess normally
  // or detach with amqp:link:transfer-limit-exceeded (Part 2, 2.6.7): a sender may have transfers
  // in flight when the delivery-limit moves, and RabbitMQ 3.x's AMQP 1.0 plugin sends one or a
  // few beyond credit topped up while it sends (rabbitmq-server#2597, fixed in 4.0), which Qpid
  // Proton's receivers take. An excess is delivered like any other, the delivery-count advancing
  // and the credit staying at zero (link_status::excess_transfers counts them); one past this
  // bound closes the link, and 0 closes it at the first. The count starts again at each grant,
  // since a grant restates the delivery-limit and such an overrun is by what was in flight then:
  // a long-lived link may see one per grant, well under 100, while a sender that ignores credit
  // passes 100 within a grant. An excess still counts against the session's incoming window,
  // max_message_size and max_reassembly_bytes; all it adds is up to this many messages per grant
  // that the application did not ask for.
  std::uint32_t max_excess_transfers = 100;
  // Events queued for the application; feed() stops consuming input while this many wait.
  std::size_t max_pending_events = 1024;
  // Output bytes not yet consumed; feed() stops consuming input while more wait, so that a
  // peer whose frames call for answers (echo flows, heartbeats) cannot grow the output buffer
  // faster than the application writes it.
  std::size_t max_pending_output = 1u << 20;
  // How long the peer may take to send its protocol header and open, from the first call
  // that gives the engine a time; then the connection fails.
  std::chrono::milliseconds handshake_timeout{30'000};
  // How long the peer may take to answer our close; then the transport ends without it.
  std::chrono::milliseconds close_timeout{30'000};
  // Nesting depth and zero-width element bounds for every decoded value.
  decode_limits decode{};
};

enum class engine_role : std::uint8_t { client, server };

// How TLS starts (spec Part 5, 5.2): at once, as on port 5671 (amqps), or after the TLS
// protocol header AMQP 2.1.0.0 is exchanged. A server accepts both.
enum class tls_start : std::uint8_t { direct, after_header };

// TLS below SASL and AMQP (spec Part 5, 5.2), with the engine's own OpenSSL stage.
struct tls_options {
  // A client context (tls_context::client) for a client engine, a server context for a server.
  std::shared_ptr<const tls_context> context;
  tls_start start = tls_start::direct;  // client only
  // Client: the name the server's certificate must carry (and SNI); empty: the context's.
  std::string server_name;
  // Server: whether a client may connect without TLS (a listener serving both). When false
  // such a client gets the TLS header and a named refusal.
  bool allow_plain = false;
};

struct engine_config {
  engine_role role = engine_role::client;
  amqp::limits limits{};
  // Receives every protocol header and frame read or written; not owned, may be null. The
  // credentials and proofs in SASL frames are shown as their length only.
  trace_sink* trace = nullptr;
  // The SASL layer (spec Part 5, 5.3), for the role's side: a client authenticates as
  // sasl_client says before its open goes out; a server offers sasl_server's mechanisms and
  // refuses a client that skips SASL. Unset: plain AMQP, and a peer's SASL header is refused.
  // The other role's member is ignored.
  std::optional<sasl_client_options> sasl_client;
  std::optional<sasl_server_options> sasl_server;
  // TLS (spec Part 5, 5.2); unset: none, and a client's TLS header or ClientHello is refused.
  std::optional<tls_options> tls;
  // Where SCRAM nonces and secrets come from; not owned; null: system_random().
  random_source* random = nullptr;
};

// The fields of the local open (spec Part 2, 2.7.1). max-frame-size and channel-max are not
// here: the engine advertises its limits, so that what it announces is what it enforces.
struct open_options {
  std::string container_id;  // required by the spec: not empty
  std::string hostname;      // the virtual host the client wants; empty: not sent
  // The local idle timeout: the peer must send something at least this often, or the engine
  // closes the connection with amqp:resource-limit-exceeded. The open advertises half of it as
  // idle-time-out (spec Part 2, 2.4.5), as Qpid Proton does. Zero: none.
  std::chrono::milliseconds idle_timeout{0};
  std::vector<std::string> outgoing_locales;
  std::vector<std::string> incoming_locales;
  std::vector<std::string> offered_capabilities;
  std::vector<std::string> desired_capabilities;
  value properties;  // null, or a map with symbol keys
};

// The fields of a local begin (spec Part 2, 2.7.2). handle-max is the engine's limit.
struct session_options {
  // Transfer frames the peer may send before this session grants more (incoming-window).
  std::uint32_t incoming_window = 2048;
  // Transfer frames this session announces it may send (outgoing-window).
  std::uint32_t outgoing_window = 2048;
  std::vector<std::string> offered_capabilities;
  std::vector<std::string> desired_capabilities;
  value properties;  // null, or a map with symbol keys
};

}  // namespace amqp
