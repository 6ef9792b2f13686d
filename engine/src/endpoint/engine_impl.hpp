// The state behind connection_engine, shared by the files that implement it: input.cpp reads
// and dispatches, connection.cpp runs the connection's state machine and its timers,
// session.cpp the sessions', output.cpp writes frames.
#pragma once

#include <cstdint>
#include <new>
#include <optional>
#include <string>

#include "amqp/engine.hpp"
#include "amqp/frame.hpp"
#include "amqp/spec.hpp"
#include "amqp/trace.hpp"
#include "ring.hpp"
#include "sasl/sasl_layer.hpp"
#include "tls/tls_stage.hpp"
#include "session.hpp"

namespace amqp {

struct connection_engine::impl {
  explicit impl(const engine_config& c);
  // Runs f, poisoning the engine if it runs out of memory.
  template <class F>
  void guarded(F&& f) noexcept;
  // Runs a command: its result, or errc::engine_failed once the engine is poisoned.
  template <class F>
  auto command(F&& f) noexcept -> decltype(f());
  // Out of memory: the state being changed may be half-changed, so nothing more is trusted.
  void poison() noexcept;

  // --- wire.cpp: TLS below everything else (spec Part 5, 5.2) ---
  // The engine's byte surface: the wire's bytes in and out, through TLS when it is on.
  std::size_t feed_wire(bytes_view bytes);
  bytes_view wire_output();
  void consume_wire(std::size_t n);
  // Drops n bytes of the plaintext output (written, or taken by TLS).
  void consume_plain(std::size_t n) noexcept;
  void wire_eof();
  // All output written, TLS's close_notify included when TLS is on.
  bool wire_drained() const noexcept;
  // The TLS stage's state after it ran: a failure ends the transport; a finished handshake
  // makes the connection secure for SASL.
  void after_tls();
  void start_tls();

  // --- input.cpp ---
  // The plaintext stream: protocol headers and frames.
  std::size_t feed(bytes_view bytes);
  void on_item(const frame_reader::item_type& item);
  void on_reader_error(const decode_error& e);
  void on_frame(const frame_view& f);
  frame_view traced(const frame_view& f) const;
  const spec::type_info* performative_type(bytes_view body) const;
  // Decodes the performative that a frame's body (f.payload: the reader leaves it undecoded)
  // starts with into `into`, in one pass that checks every byte; `payload` receives the bytes
  // after it. An error's offset counts from the start of the input stream.
  template <class T>
  std::optional<decode_error> performative(const frame_view& f, T& into,
                                           bytes_view* payload = nullptr) const {
    std::size_t used = 0;
    if (auto e = spec::decode_prefix(f.payload, into, used, config.limits.decode)) {
      return decode_error{e->code, static_cast<std::size_t>(f.offset) + frame_header_size +
                                       f.extended_header.size() + e->offset};
    }
    if (payload) *payload = f.payload.subspan(used);
    return std::nullopt;
  }

  // --- connection.cpp ---
  void on_protocol_header(const protocol_header& h);
  void on_open(const frame_view& f);
  void on_close(const frame_view& f);
  std::error_code send_open(const open_options& options);
  std::error_code send_close(const std::optional<condition>& error);
  // The peer broke the protocol: close with `error` and discard its frames until its close.
  void violation(condition error);
  // The conversation ended without both closes: report it, stop reading.
  void fail_transport(condition error);
  void on_eof();
  void on_time();
  std::optional<time_point> deadline() const noexcept;
  // Emits transport_closed once the input side is done and the local close was sent.
  void maybe_closed();

  // --- authentication.cpp ---
  // The SASL layer's header and frames, and the application's decisions: each runs `step`
  // with the output buffer, traces what it wrote, then acts on how the exchange stands; the
  // step's result is returned.
  void on_sasl_header(const protocol_header& h);
  void on_sasl_frame(const frame_view& f);
  template <class F>
  std::error_code sasl_step(F&& step);
  bool sasl_running() const noexcept { return sasl && !sasl->finished(); }
  // A server's decision is still wanted: the exchange runs and the transport has not ended
  // (a handshake timeout may have ended it while the application was deciding).
  bool sasl_deciding() const noexcept { return sasl_running() && !close_sent && !aborted; }
  // `next`, where an item starts, is a client's AMQP header pipelined behind its sasl-init,
  // while the application decides that init: it waits unread until the outcome is written.
  bool holds_pipelined_header(std::uint8_t next) const noexcept {
    return !reading_item && next == 'A' && sasl &&
           sasl->status() == detail::sasl_layer::state::awaiting_decision;
  }
  // Client: writes the SASL header, the open waiting in pending_open.
  void start_sasl();
  // Traces the headers and frames written to `out` from `from` on (SASL frames redacted).
  void trace_written(std::size_t from);
  // The checks of an open, before it is sent or kept for after SASL.
  std::error_code check_open(const open_options& options) const;

  // --- session.cpp ---
  void on_begin(const frame_view& f);
  void on_end(const frame_view& f);
  // Frames that belong to the session mapped to the frame's channel.
  void on_session_frame(const frame_view& f, const spec::type_info& t);
  void on_session_flow(detail::session_endpoint& s, const spec::flow& flow);
  void on_flow(detail::session_endpoint& s, session_handle sh, const frame_view& f);
  result<session_handle, std::error_code> begin_session(std::optional<session_handle> answer,
                                                        const session_options& options);
  std::error_code end_session(session_handle h, const std::optional<condition>& error);
  // The session is over: its links are forgotten, its channels freed.
  void forget_links(detail::session_endpoint& s);
  // The peer broke the protocol within session `h`: end it with `error`.
  void session_violation(session_handle h, condition error);
  // The session the peer sends on `channel`, or null.
  detail::session_endpoint* by_remote(std::uint16_t channel, session_handle* h = nullptr) {
    const std::uint32_t slot = remote_channels.get(channel);
    if (slot == detail::number_map::none) return nullptr;
    if (h) *h = sessions.handle_of(slot);
    return sessions.at(slot);
  }
  void forget_session(session_handle h);

  // --- link.cpp ---
  void on_attach(detail::session_endpoint& s, session_handle sh, const frame_view& f);
  void on_detach(detail::session_endpoint& s, session_handle sh, const frame_view& f);
  result<link_handle, std::error_code> attach(session_handle sh, std::optional<link_handle> answer,
                                              role r, const link_options& options);
  std::error_code detach(link_handle h, bool closed, const std::optional<condition>& error);
  // The peer broke the protocol on link `h`: close it with `error`.
  void link_violation(link_handle h, condition error);
  // The link whose handle the peer sends with, or null.
  detail::link_endpoint* by_remote_handle(detail::session_endpoint& s, std::uint32_t handle,
                                          link_handle* h = nullptr) {
    const std::uint32_t slot = s.remote_handles.get(handle);
    if (slot == detail::number_map::none) return nullptr;
    if (h) *h = links.handle_of(slot);
    return links.at(slot);
  }
  // The link is over (both detaches exchanged, or its session or connection ended): its
  // handles are freed and the deliveries it sent that the peer did not settle are in doubt.
  void forget_link(link_handle h);
  // Takes the link's deliveries out of the session's waiting ring: nothing more goes out.
  void drop_waiting(detail::session_endpoint& s, link_handle h);

  // --- flow.cpp ---
  void on_link_flow(detail::session_endpoint& s, detail::link_endpoint& l, link_handle h,
                    const spec::flow& flow);
  void write_flow(detail::session_endpoint& s, const detail::link_endpoint* l, bool echo = false);
  // Refills the session's incoming window once it is half used (spec Part 2, 2.5.6).
  void refill_incoming_window(detail::session_endpoint& s);
  // `properties`: null keeps the link's flow properties, else replaces them.
  std::error_code grant_credit(link_handle h, std::uint32_t credit, value* properties);
  std::error_code drain(link_handle h);
  std::error_code complete_drain(link_handle h);
  std::error_code set_available(link_handle h, std::uint32_t available);
  std::error_code request_flow(link_handle h);

  // --- transfer.cpp ---
  result<delivery_handle, std::error_code> send(link_handle h, message_parts message,
                                                const send_options& options);
  std::error_code send_more(delivery_handle h, bytes_view message, bool more);
  std::error_code abort_delivery(delivery_handle h);
  // Writes transfers of delivery `d` for `bytes` (`size` of them) while the session window
  // allows; returns how many of the bytes went out. `last`: no bytes follow these.
  std::size_t write_transfers(detail::session_endpoint& s, detail::link_endpoint& l,
                              detail::delivery_endpoint& d, message_parts bytes, std::size_t size,
                              bool last);
  // Writes what the session's waiting deliveries hold, as far as its window now allows.
  void write_waiting(detail::session_endpoint& s);
  void on_transfer(detail::session_endpoint& s, session_handle sh, const frame_view& f);
  void on_link_transfer(detail::session_endpoint& s, session_handle sh, detail::link_endpoint& l,
                        link_handle h, const spec::transfer& t, bytes_view payload);
  // A delivery as the application sees it: one it aborted is gone at once, though its aborted
  // transfer may still wait for the session window.
  detail::delivery_endpoint* app_delivery(delivery_handle h) {
    detail::delivery_endpoint* d = deliveries.find(h);
    return d && !d->abort_pending ? d : nullptr;
  }
  // A delivery the application no longer holds: its buffer goes back to the pool. The second
  // form takes the record the caller has just found.
  void free_delivery(delivery_handle h);
  void free_delivery(delivery_handle h, detail::delivery_endpoint& d);
  writer take_buffer();

  // --- disposition.cpp ---
  std::error_code update_state(delivery_handle h, const delivery_state& state);
  std::error_code settle(delivery_handle h, const delivery_state& state);
  void on_disposition(detail::session_endpoint& s, session_handle sh, const frame_view& f);
  // Queues a disposition for one delivery; consecutive ones with the same state merge.
  void queue_disposition(std::uint16_t channel, role r, std::uint32_t id, bool settled,
                         const delivery_state& state);
  void write_dispositions();

  // --- output.cpp ---
  // Writes a frame after the dispositions queued before it.
  template <spec::composite T>
  std::error_code write(std::uint16_t channel, const T& performative, bytes_view payload = {});
  template <spec::composite T>
  std::error_code write_now(std::uint16_t channel, const T& performative, bytes_view payload = {});
  void write_header();
  void write_heartbeat();
  void traced_output(std::size_t from);
  void sent();  // output was produced now: the heartbeat clock restarts
  // The largest frame to send: the smaller of both max-frame-sizes, 512 before the peer's open.
  std::uint32_t max_frame_size() const noexcept;

  // The time of the latest call that gave one; empty before the first.
  std::optional<time_point> now;
  // Baseline for the handshake timeout: the first time the engine was given.
  std::optional<time_point> started;

  engine_config config;
  frame_reader reader;
  bool reading_item = false;  // the reader holds part of an item: the next byte continues it
  writer out;
  std::size_t out_pos = 0;       // bytes of `out` already consumed
  std::uint64_t out_offset = 0;  // where out[0] is in the outgoing stream (for the trace)
  detail::ring<event> events;

  // Connection state (spec Part 2, 2.4.6), as what each side has done.
  bool header_sent = false;
  bool header_received = false;
  bool open_sent = false;
  bool open_received = false;
  bool close_sent = false;  // or the output is over: nothing more will be sent
  bool close_received = false;
  bool input_ended = false;  // end of input, an unreadable stream, or the peer's close
  bool discarding = false;   // the engine closed on a violation: ignore all but close
  bool closed_reported = false;
  bool aborted = false;
  bool poisoned = false;                    // out of memory: see guarded()
  std::optional<condition> failure_reason;  // what transport_closed reports

  // The SASL layer, from construction when configured for this role; kept once finished for
  // what it authenticated.
  std::unique_ptr<detail::sasl_layer> sasl;
  std::optional<open_options> pending_open;  // client: sent once SASL succeeds
  std::optional<sasl_authenticated> authenticated;
  writer trace_scratch;  // redacted SASL frames for the trace

  // TLS (wire.cpp): how the wire's bytes are read until TLS is known, and the stage.
  enum class wire_mode : std::uint8_t {
    plain,        // no TLS: the wire is the plaintext stream
    detecting,    // server: the first bytes say TLS (a ClientHello or the TLS header) or not
    tls_header,   // client: the server's TLS header (or its first TLS record) is awaited
    tls,          // the wire is TLS records
  };
  wire_mode wire = wire_mode::plain;
  std::unique_ptr<detail::tls_stage> tls;
  writer wire_prefix;            // protocol header bytes for the wire, before any TLS record
  writer header_in;              // the first bytes of the peer's stream, while detecting
  bool tls_close_started = false;
  std::optional<tls_info> tls_status;

  open_fields remote;
  detail::session_table sessions;
  detail::link_table links;
  detail::delivery_table deliveries;
  // Buffers of settled deliveries, kept for the next ones (bounded; see free_delivery).
  std::vector<writer> buffer_pool;
  std::size_t buffer_pool_bytes = 0;   // their capacity
  std::uint64_t reassembly_bytes = 0;  // bytes of incoming deliveries not yet whole
  // Settlements and states not yet written: runs of consecutive delivery-ids with the same
  // state and settled flag (spec Part 2, 2.7.6), written before any other frame.
  struct pending_disposition {
    std::uint16_t channel;
    role r;
    std::uint32_t first;
    std::uint32_t last;
    bool settled;
    delivery_state::type state;
  };
  std::vector<pending_disposition> dispositions;
  writer state_scratch;                // the encoded state of the disposition being written
  detail::number_map local_channels;   // channels this side sends on
  detail::number_map remote_channels;  // channels the peer sends on
  std::chrono::milliseconds local_idle{0};
  std::optional<time_point> last_received;
  std::optional<time_point> last_sent;
  std::optional<time_point> close_sent_at;
};

}  // namespace amqp

namespace amqp {

template <class F>
auto connection_engine::impl::command(F&& f) noexcept -> decltype(f()) {
  using R = decltype(f());
  if (!poisoned) {
    try {
      R r = f();
      if (!poisoned) return r;
    } catch (const std::bad_alloc&) {
      poison();
    }
  }
  return R(make_error_code(errc::engine_failed));
}

template <spec::composite T>
std::error_code connection_engine::impl::write(std::uint16_t channel, const T& performative,
                                               bytes_view payload) {
  if (!dispositions.empty()) write_dispositions();  // they were given first
  return write_now(channel, performative, payload);
}

template <spec::composite T>
std::error_code connection_engine::impl::write_now(std::uint16_t channel, const T& performative,
                                                   bytes_view payload) {
  const std::size_t from = out.size();
  if (const std::error_code ec =
          write_frame(out, frame_type::amqp, channel, performative, payload, max_frame_size()))
    return ec;
  traced_output(from);
  sent();
  return {};
}

}  // namespace amqp
