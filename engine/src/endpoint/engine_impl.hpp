// The state behind connection_engine, shared by the files that implement it: input.cpp reads
// and dispatches, connection.cpp runs the connection's state machine and its timers,
// session.cpp the sessions', output.cpp writes frames.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "amqp/engine.hpp"
#include "amqp/frame.hpp"
#include "amqp/trace.hpp"
#include "event_queue.hpp"
#include "session.hpp"

namespace amqp {

struct connection_engine::impl {
  explicit impl(const engine_config& c);
  // Runs f, poisoning the engine if it runs out of memory.
  template <class F>
  void guarded(F&& f) noexcept;

  // --- input.cpp ---
  std::size_t feed(bytes_view bytes);
  void on_item(const frame_reader::item_type& item);
  void on_reader_error(const decode_error& e);
  void on_frame(const frame_view& f);

  // --- connection.cpp ---
  void on_protocol_header(const protocol_header& h);
  void on_open(const frame_view& f);
  void on_close(const frame_view& f);
  std::error_code send_open(const connection_options& options);
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

  // --- session.cpp ---
  void on_begin(const frame_view& f);
  void on_end(const frame_view& f);
  // Frames that belong to the session mapped to the frame's channel.
  void on_session_frame(const frame_view& f, const spec::type_info& t);
  void on_session_flow(detail::session_endpoint& s, const spec::flow& flow);
  result<session_handle, std::error_code> begin_session(std::optional<session_handle> answer,
                                                        const session_options& options);
  std::error_code end_session(session_handle h, const std::optional<condition>& error);
  // The peer broke the protocol within session `h`: end it with `error`.
  void session_violation(session_handle h, condition error);
  // The session the peer sends on `channel`, or null.
  detail::session_endpoint* by_remote(std::uint16_t channel, session_handle* h = nullptr);
  void forget_session(session_handle h);

  // --- output.cpp ---
  template <spec::composite T>
  std::error_code write(std::uint16_t channel, const T& performative, bytes_view payload = {});
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
  writer out;
  std::size_t out_pos = 0;       // bytes of `out` already consumed
  std::uint64_t out_offset = 0;  // where out[0] is in the outgoing stream (for the trace)
  detail::event_queue events;

  // Connection state (spec Part 2, 2.4.6), as what each side has done.
  bool header_sent = false;
  bool header_received = false;
  bool open_sent = false;
  bool open_received = false;
  bool close_sent = false;      // or the output is over: nothing more will be sent
  bool close_received = false;
  bool input_ended = false;   // end of input, an unreadable stream, or the peer's close
  bool discarding = false;    // the engine closed on a violation: ignore all but close
  bool closed_reported = false;
  bool aborted = false;
  bool poisoned = false;        // out of memory: see guarded()
  std::optional<condition> failure_reason;  // what transport_closed reports

  open_fields remote;
  detail::session_table sessions;
  detail::channel_map local_channels;   // channels this side sends on
  detail::channel_map remote_channels;  // channels the peer sends on
  std::chrono::milliseconds local_idle{0};
  std::optional<time_point> last_received;
  std::optional<time_point> last_sent;
  std::optional<time_point> close_sent_at;
};

}  // namespace amqp

namespace amqp {

template <spec::composite T>
std::error_code connection_engine::impl::write(std::uint16_t channel, const T& performative,
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
