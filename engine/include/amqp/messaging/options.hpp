// Options of the messaging layer: how a connection is made and secured, how it reconnects, and
// how senders and receivers attach. Aggregates with safe defaults, filled with designated
// initialisers:
//
//   amqp::connection_options co{.user = "alice", .password = "secret", .idle_timeout = 30s};
//   amqp::receiver_options ro{.credit_window = 100, .selector = "colour = 'green'"};
//   amqp::sender_options so{.mode = amqp::delivery_mode::at_most_once};
//
// What an option leaves unset comes from the URL (user, password, host, TLS for amqps) or from
// the container (its id).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "amqp/codec/value.hpp"
#include "amqp/config.hpp"
#include "amqp/events.hpp"
#include "amqp/link.hpp"
#include "amqp/messaging/reconnect.hpp"
#include "amqp/messaging/url.hpp"
#include "amqp/sasl.hpp"
#include "amqp/tls.hpp"

namespace amqp {

class trace_sink;
class messaging_handler;

// A server's answer to a client's SASL credentials (sasl_auth_requested).
struct sasl_verdict {
  enum class kind : std::uint8_t { accept, reject, scram };
  kind decision = kind::reject;
  scram_credentials credentials;  // scram: the user's stored keys; the engine checks the proof

  static sasl_verdict accept() { return {.decision = kind::accept}; }
  static sasl_verdict reject() { return {.decision = kind::reject}; }
  static sasl_verdict scram(scram_credentials c) {
    return {.decision = kind::scram, .credentials = std::move(c)};
  }
};

// Decides who may in; called on the connection's thread, once per SASL exchange.
using sasl_authenticator = std::function<sasl_verdict(const sasl_auth_requested&)>;

struct connection_options {
  // The container id sent in open; empty: the container's.
  std::string container_id;
  // The virtual host named in open and sasl-init; empty: the URL's host.
  std::string virtual_host;

  // --- SASL (spec Part 5, 5.3) ----------------------------------------------------------------
  // Client credentials; unset: the URL's. No user: ANONYMOUS (or EXTERNAL with a certificate).
  std::optional<std::string> user;
  std::optional<std::string> password;
  // Client: the mechanisms it may use, by preference; empty: the built-in ones, strongest first.
  // Server: the mechanisms offered; empty: ANONYMOUS only, or with `authenticate` set, the
  // SCRAM family and PLAIN.
  std::vector<std::string> allowed_mechs;
  // false: no SASL layer at all (a server then refuses clients that start one).
  bool sasl_enabled = true;
  // PLAIN without TLS.
  bool allow_insecure_mechs = false;
  // Server: checks what a client presented; unset: every client is accepted (ANONYMOUS).
  sasl_authenticator authenticate;

  // --- TLS (spec Part 5, 5.2) -----------------------------------------------------------------
  // Client: used for amqps URLs (and for amqp ones when `tls_start` is after_header); unset with
  // an amqps URL: a context that verifies the server against the system's trust store.
  // Server: lets clients use TLS; unset: plain only.
  std::shared_ptr<const tls_context> tls;
  tls_start tls_start_mode = tls_start::direct;
  // Client: the name the server's certificate must carry; empty: the URL's host.
  std::string tls_server_name;
  // Server: also accept clients without TLS when `tls` is set.
  bool tls_allow_plain = false;

  // --- the open -------------------------------------------------------------------------------
  // The peer must send something this often or the connection closes (the open asks it for
  // every half of this, see open_options::idle_timeout); zero: no limit.
  std::chrono::milliseconds idle_timeout{0};
  // Bounds on what the peer controls; limits.max_frame_size is the max-frame-size announced.
  amqp::limits limits{};
  std::vector<std::string> offered_capabilities;
  std::vector<std::string> desired_capabilities;
  value properties;  // null, or a map with symbol keys

  // --- reconnect (clients) --------------------------------------------------------------------
  // Reconnect after a lost connection, with `reconnect_policy` delays, trying the URL and then
  // `failover` in turn. Sessions and links are attached again; unsettled deliveries are
  // reported in doubt first. A peer that refuses this side's credentials or certificate
  // (amqp:unauthorized-access: authentication failed, the server's or the client's certificate
  // did not verify) is not tried again: it would refuse again.
  bool reconnect = true;
  // Unset: exponential_backoff with its defaults (0.1 s doubling to 10 s, without end).
  std::shared_ptr<amqp::reconnect_policy> reconnect_policy;
  std::vector<url> failover;

  // --- plumbing -------------------------------------------------------------------------------
  trace_sink* trace = nullptr;     // every frame; not owned
  random_source* random = nullptr;  // null: system_random()
};

// How deliveries are settled on a link (spec Part 2, 2.6.12 and 3.4).
enum class delivery_mode : std::uint8_t {
  // What the peer prefers (snd-settle-mode mixed, rcv-settle-mode first).
  none,
  // Sent settled: fire and forget, nothing to resend (snd-settle-mode settled).
  at_most_once,
  // Sent unsettled; the receiver settles with its outcome (snd-settle-mode unsettled,
  // rcv-settle-mode first).
  at_least_once,
};

struct sender_options {
  // The link name; empty: one made unique within the container.
  std::string name;
  delivery_mode mode = delivery_mode::none;
  // Settle a delivery locally once the peer settled it (then on_settled), or once it gave its
  // outcome when it settles second (rcv-settle-mode second: it waits for this side's
  // settlement).
  bool auto_settle = true;
  // The rcv-settle-mode asked of the receiver (spec Part 2, 2.6.12): with second it sends its
  // outcome unsettled and settles after this side did. Its attach says what it agreed to
  // (link_status::rcv_settle_mode); a peer may refuse second (RabbitMQ 3.10 does).
  receiver_settle_mode rcv_settle_mode = receiver_settle_mode::first;
  // The target; its address is the one given to open_sender. Unset fields keep their defaults;
  // an empty address (and no dynamic) asks for the anonymous relay: each message goes to its
  // `to`, which the peer must offer (ANONYMOUS-RELAY).
  terminus target{};
  terminus source{};
  std::uint64_t max_message_size = 0;
  std::vector<std::string> desired_capabilities;
  value properties;
  // Where this link's events go (opened, closed and its errors, sendable, drain, message,
  // outcomes, settled, in doubt; and on_link_closed, with the error, when its session or its
  // connection ends for good, which only the connection's handler hears of otherwise); null:
  // the connection's handler. Not owned: it must outlive the link's events, or be replaced
  // first (link::set_handler).
  messaging_handler* handler = nullptr;
};

struct receiver_options {
  std::string name;  // empty: made unique within the container
  delivery_mode mode = delivery_mode::none;
  // rcv-settle-mode (spec Part 2, 2.6.12): with second, an outcome goes out unsettled and the
  // delivery is settled once the sender settled it, on_settled saying so. A sender whose attach
  // answers first gets first (link_status::rcv_settle_mode says which is in force).
  receiver_settle_mode rcv_settle_mode = receiver_settle_mode::first;
  // Credit kept granted to the sender: topped up as messages are handled. 0: none, the
  // application grants it with receiver::add_credit().
  std::uint32_t credit_window = 10;
  // After on_message returns, accept (auto_accept) and settle (auto_settle) a delivery the
  // application left unsettled.
  bool auto_accept = true;
  bool auto_settle = true;
  // A JMS-style selector on the message's properties (the apache.org:selector-filter:string
  // filter), "colour = 'green'".
  std::optional<std::string> selector;
  // Ask the peer for a temporary node (a reply-to address): receiver::address() names it once
  // the link opened.
  bool dynamic = false;
  // A durable subscription: the source survives detach (terminus durability unsettled-state,
  // expiry never). Give the link a fixed `name` so it can be found again; receiver::detach()
  // keeps it, receiver::close() ends it.
  bool durable = false;
  // "copy" to browse the node without consuming; empty: the peer's default.
  std::string distribution_mode;
  terminus source{};  // its address is the one given to open_receiver
  terminus target{};
  std::uint64_t max_message_size = 0;
  std::vector<std::string> desired_capabilities;
  value properties;
  // Where this link's events go (opened, closed and its errors, sendable, drain, message,
  // outcomes, settled, in doubt; and on_link_closed, with the error, when its session or its
  // connection ends for good, which only the connection's handler hears of otherwise); null:
  // the connection's handler. Not owned: it must outlive the link's events, or be replaced
  // first (link::set_handler).
  messaging_handler* handler = nullptr;
};

}  // namespace amqp
