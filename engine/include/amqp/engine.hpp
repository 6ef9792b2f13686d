// The connection engine: one AMQP 1.0 connection, client or server, with no sockets, no clock
// and no threads. Bytes and the current time go in; bytes, a next deadline and events come out.
//
//   amqp::connection_engine engine({.role = amqp::engine_role::client});
//   (void)engine.open({.container_id = "app-1", .hostname = "broker"});
//   for (;;) {
//     write_all(socket, engine.pending_output());          // then:
//     engine.consume_output(engine.pending_output().size());
//     if (engine.is_finished()) break;
//     wait_readable_until(socket, engine.next_deadline());
//     auto now = std::chrono::steady_clock::now();
//     if (auto n = read(socket, buf)) engine.feed(buf.first(n), now); else engine.feed_eof(now);
//     engine.handle_timeout(now);
//     while (auto ev = engine.poll_event()) handle(*ev);  // handlers may call any command
//   }
//
// Errors come in three classes. Usage: a command the application may not give now returns an
// error code and changes nothing. Peer: the peer broke the protocol; the engine closes the
// connection with the right AMQP condition, reports it as an event, and feed() still succeeds.
// Fatal: the engine ran out of memory mid-change and is poisoned; every later command returns
// errc::engine_failed, it reads and writes nothing more, and it is finished.
//
// Not thread-safe; one engine per connection. The engine never throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "amqp/codec/types.hpp"
#include "amqp/codec/value.hpp"
#include "amqp/condition.hpp"
#include "amqp/config.hpp"
#include "amqp/events.hpp"
#include "amqp/handles.hpp"
#include "amqp/link.hpp"

namespace amqp {

// The engine's notion of time: whatever clock the caller reads, as long as it never goes back.
using time_point = std::chrono::steady_clock::time_point;

// The peer's open (spec Part 2, 2.7.1), copied out of its frame.
struct open_fields {
  std::string container_id;
  std::optional<std::string> hostname;
  std::uint32_t max_frame_size = 0xffffffffu;
  std::uint16_t channel_max = 65535;
  std::optional<std::chrono::milliseconds> idle_timeout;
  std::vector<std::string> outgoing_locales;
  std::vector<std::string> incoming_locales;
  std::vector<std::string> offered_capabilities;
  std::vector<std::string> desired_capabilities;
  value properties;  // null, or a map
};

// A session as both sides see it (spec Part 2, 2.5.6); the counters are transfer-ids and
// windows in transfer frames.
struct session_status {
  std::uint16_t channel = 0;                    // the channel this side sends on
  std::optional<std::uint16_t> remote_channel;  // the channel the peer sends on
  bool begin_sent = false;
  bool begin_received = false;
  bool end_sent = false;
  bool end_received = false;
  std::uint32_t next_outgoing_id = 0;
  std::uint32_t incoming_window = 0;
  std::uint32_t outgoing_window = 0;
  std::uint32_t next_incoming_id = 0;
  std::uint32_t remote_incoming_window = 0;
  std::uint32_t remote_outgoing_window = 0;
  std::uint32_t handle_max = 0;
  std::uint32_t remote_handle_max = 0;
  // The peer's begin, once it arrived.
  std::vector<std::string> remote_offered_capabilities;
  std::vector<std::string> remote_desired_capabilities;
  value remote_properties;
};

class connection_engine {
 public:
  explicit connection_engine(const engine_config& config = {});
  ~connection_engine();
  connection_engine(connection_engine&&) noexcept;
  connection_engine& operator=(connection_engine&&) noexcept;
  connection_engine(const connection_engine&) = delete;
  connection_engine& operator=(const connection_engine&) = delete;

  // --- bytes and time -------------------------------------------------------------------------

  // Reads as much of `bytes` as it can and returns how much: all of it, unless
  // limits::max_pending_events events wait to be polled or more than
  // limits::max_pending_output bytes wait to be written (then feed the rest after that), or,
  // on a SASL server, a client's AMQP header pipelined behind its sasl-init comes while
  // sasl_auth_requested awaits sasl_accept() or sasl_reject() (feed the rest after that).
  // Keeps no pointer into `bytes`. Bytes after the end of the conversation are consumed and
  // ignored. `now` must not be earlier than any time given before.
  std::size_t feed(bytes_view bytes, time_point now);
  // The transport's read side closed. Before the peer's close, that is an error: the
  // transport closes with amqp:connection:framing-error ("connection aborted").
  void feed_eof(time_point now);
  // What the engine wants written, valid until the next call on the engine other than
  // next_deadline(), the queries and poll_event(). Write some of it, then consume_output(n).
  // Settlements given since the last call are written here, as few dispositions as the ranges
  // of consecutive deliveries with the same state allow.
  bytes_view pending_output();
  // Drops the first n bytes of pending_output() (n <= its size), which were written.
  void consume_output(std::size_t n) noexcept;
  // How many bytes wait to be written: what pending_output() shows and, with TLS, the frames
  // not encrypted yet (pending_output() encrypts about 64 KiB at a time and shows no more). An
  // application that stops producing while too much waits compares this, not
  // pending_output().size(), with its bound. Settlements not yet written into dispositions
  // are not counted.
  std::size_t output_backlog() const noexcept;
  // Acts on every deadline at or before `now`: heartbeats, the local idle timeout, the
  // handshake and close timeouts.
  void handle_timeout(time_point now);
  // When handle_timeout() must next be called, if ever (nothing is due while this is empty).
  std::optional<time_point> next_deadline() const noexcept;

  // --- events and lifecycle -------------------------------------------------------------------

  // The next event, in the order the facts happened; empty when none waits.
  std::optional<event> poll_event();
  // Whether reading more input could matter (false once the input side has ended).
  bool wants_input() const noexcept;
  // Nothing more will happen: the conversation is over and all output was consumed.
  bool is_finished() const noexcept;

  // --- commands -------------------------------------------------------------------------------

  // Sends the local open (a client sends its protocol header first, without waiting for the
  // peer's: pipelined open). A server answers the peer's header by itself and calls this
  // after peer_opened. errc::wrong_state when already opened or closed; errc::invalid_argument
  // for an empty container id or an open whose encoding exceeds 512 bytes, the largest frame a
  // peer must accept before it has sent its own open (spec Part 2, 2.4.1).
  [[nodiscard]] std::error_code open(const open_options& options);
  // Sends close, with `error` when given (spec Part 2, 2.4.3); the peer's close ends the
  // conversation. errc::wrong_state before open() (a close must follow an open) or once close
  // was sent, by the application or by the engine.
  [[nodiscard]] std::error_code close(std::optional<condition> error = std::nullopt);
  // Stops at once: pending output is dropped, no close is sent, the engine is finished.
  void abort() noexcept;

  // Begins a session on the lowest free channel (spec Part 2, 2.5.2); the peer's answer comes
  // as peer_began_session. Allowed from open() until close. errc::wrong_state outside that;
  // errc::limit_reached when every channel up to the smaller channel-max is in use;
  // errc::invalid_argument for properties that are not a map.
  [[nodiscard]] result<session_handle, std::error_code> begin_session(
      const session_options& options = {});
  // Answers a session the peer began (peer_began_session with answer false). Errors as above,
  // plus errc::invalid_handle for a stale handle and errc::wrong_state when already answered.
  [[nodiscard]] std::error_code begin_session(session_handle session,
                                              const session_options& options = {});
  // Ends a session, with `error` when given (spec Part 2, 2.5.4): the peer's end completes it
  // (peer_ended_session), or completes at once when the peer ended first. errc::invalid_handle
  // for a stale handle; errc::wrong_state when end was already sent or the connection closed.
  [[nodiscard]] std::error_code end_session(session_handle session,
                                            std::optional<condition> error = std::nullopt);

  // Attaches a link on `session` as sender or receiver (spec Part 2, 2.6.3), with the lowest
  // free handle; the peer's answer comes as peer_attached. errc::invalid_handle for a stale
  // session; errc::wrong_state when the session is not begun both ways or is ending;
  // errc::limit_reached when every handle up to both handle-max is in use;
  // errc::invalid_argument for an empty name, a tag-less option the spec forbids, properties
  // or maps that are not maps, or an attach too large for one frame.
  [[nodiscard]] result<link_handle, std::error_code> attach_sender(session_handle session,
                                                                   const link_options& options);
  [[nodiscard]] result<link_handle, std::error_code> attach_receiver(session_handle session,
                                                                     const link_options& options);
  // Answers a link the peer attached (peer_attached with answer false), in the opposite role.
  // The name is the peer's (options.name is ignored). Errors as above, plus errc::wrong_state
  // when already answered.
  [[nodiscard]] std::error_code attach(link_handle link, const link_options& options);
  // Detaches a link without closing it (spec Part 2, 2.6.4; it may be attached again by name),
  // or closes it (2.6.6), with `error` when given. The peer's detach completes it. Unsettled
  // deliveries this side sent are then in doubt (delivery_in_doubt). errc::invalid_handle for
  // a stale link; errc::wrong_state once detach was sent or the session is ending.
  [[nodiscard]] std::error_code detach(link_handle link,
                                       std::optional<condition> error = std::nullopt);
  [[nodiscard]] std::error_code close_link(link_handle link,
                                           std::optional<condition> error = std::nullopt);

  // A receiver grants `credit` more deliveries (spec Part 2, 2.6.7), sent in a flow at once.
  // errc::wrong_state on a sender, before the attach was sent or after detach.
  [[nodiscard]] std::error_code grant_credit(link_handle link, std::uint32_t credit);
  // The same, with `flow_properties` (null, or a map with symbol keys) replacing the link's
  // link-state properties from this flow on; null stops sending them. A receiver acquires
  // inside a transaction this way: {txn-id: the id} (spec Part 4, 4.4.3).
  // errc::invalid_argument for properties that are not a map.
  [[nodiscard]] std::error_code grant_credit(link_handle link, std::uint32_t credit,
                                             value flow_properties);
  // A receiver asks the sender to use or give up all its credit now; link_drained follows.
  [[nodiscard]] std::error_code drain(link_handle link);
  // A sender answers a drain: the credit left is given up (delivery-count advances by it) and
  // a flow tells the receiver. errc::wrong_state on a receiver or when no drain is requested.
  [[nodiscard]] std::error_code complete_drain(link_handle link);
  // A sender tells the receiver how many deliveries it has waiting (available).
  [[nodiscard]] std::error_code set_available(link_handle link, std::uint32_t available);
  // Sends this side's flow state for the link with echo set: the peer answers with its own.
  [[nodiscard]] std::error_code request_flow(link_handle link);

  // Sends a message (its encoded sections) on a sending link, as one delivery (spec Part 2,
  // 2.6.12): split into as many transfers as the peer's max-frame-size requires, written now
  // as far as the session window allows and the rest when it opens (link_status::queued).
  // The bytes are copied; the caller may reuse them at once. A delivery sent settled is gone
  // once its last frame is written; otherwise it lives until the application settles it.
  // errc::no_credit when the link has no credit; errc::wrong_state before the peer's attach,
  // after detach, or while an earlier delivery of this link waits for send_more();
  // errc::invalid_argument for a tag over 32 bytes, a settle flag the snd-settle-mode forbids,
  // or a message over the peer's max-message-size.
  [[nodiscard]] result<delivery_handle, std::error_code> send(link_handle link,
                                                              bytes_view message,
                                                              const send_options& options = {});
  // The same for a message in pieces (message_parts), for instance the encoded sections and a
  // body the application holds elsewhere.
  [[nodiscard]] result<delivery_handle, std::error_code> send(link_handle link,
                                                              message_parts message,
                                                              const send_options& options = {});
  // Continues a delivery begun with send_options::more; `more` false ends it.
  [[nodiscard]] std::error_code send_more(delivery_handle delivery, bytes_view message,
                                          bool more);
  // Aborts a delivery not yet completely sent (spec Part 2, 2.6.14): the receiver drops it.
  // The delivery is settled and gone.
  [[nodiscard]] std::error_code abort_delivery(delivery_handle delivery);
  // Sets this side's state of a delivery without settling it (a disposition; with
  // rcv-settle-mode second, how a receiver gives its outcome before the sender settles).
  [[nodiscard]] std::error_code update_state(delivery_handle delivery,
                                             const delivery_state& state);
  // Settles a delivery with `state` (none: keep the current one) and forgets it: the handle is
  // stale afterwards. The peer learns of it unless it settled first. A receiver in
  // rcv-settle-mode second must wait for the sender's settlement (errc::wrong_state before).
  // errc::wrong_state for a delivery still being sent.
  [[nodiscard]] std::error_code settle(delivery_handle delivery, const delivery_state& state = {});

  // Server decisions on a sasl_auth_requested (spec Part 5, 5.3.3). sasl_accept() lets an
  // ANONYMOUS or PLAIN client in. sasl_reject() refuses the client: the outcome says auth, and
  // a SCRAM client first gets a challenge it cannot tell from a real one, so that it learns
  // nothing about which users exist. sasl_scram_credentials() goes on with the SCRAM user's
  // stored keys; the engine checks the proof and ends the exchange itself. errc::wrong_state
  // when no decision is awaited, or sasl_accept() for SCRAM; errc::invalid_argument for
  // credentials of another mechanism or malformed ones.
  [[nodiscard]] std::error_code sasl_accept();
  [[nodiscard]] std::error_code sasl_reject();
  [[nodiscard]] std::error_code sasl_scram_credentials(const scram_credentials& credentials);

  // --- queries --------------------------------------------------------------------------------

  // The peer's open, once peer_opened was reported; null before.
  const open_fields* remote_open() const noexcept;
  // The largest frame the engine sends: the smaller of the peer's max-frame-size and the local
  // one; 512 until the peer's open arrived.
  std::uint32_t max_frame_size() const noexcept;
  // A live session's state; null for a stale handle. Valid until the next command or feed.
  const session_status* session(session_handle session) const noexcept;
  // A live link's state; null for a stale handle. Valid until the next command or feed.
  const link_status* link(link_handle link) const noexcept;
  // A live delivery's state; null for a stale handle. Valid until the next command or feed.
  const delivery_status* delivery(delivery_handle delivery) const noexcept;
  // A received delivery's message bytes, or the bytes of a sent one not yet written; empty
  // for a stale handle. Valid until the delivery is settled.
  bytes_view payload(delivery_handle delivery) const noexcept;
  // A delivery's tag; empty for a stale handle.
  bytes_view delivery_tag(delivery_handle delivery) const noexcept;
  // The SASL exchange's mechanism and authenticated user once it succeeded; null before, and
  // without SASL.
  const sasl_authenticated* authentication() const noexcept;
  // The TLS connection once its handshake completed; null before, and without TLS.
  const tls_info* tls() const noexcept;
  // errc::engine_failed once the engine is poisoned; no error before.
  std::error_code failure() const noexcept;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace amqp
