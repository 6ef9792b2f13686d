// The messaging layer's side of one connection, for bindings: it owns the connection engine
// of the current transport, turns the engine's events into handler calls, keeps the sessions
// and links the application opened so that a reconnect attaches them again, and decides when
// and where to reconnect. It does no I/O and reads no clock: a binding supplies the transport
// and the timers.
//
// A binding's life of a client connection:
//
//   amqp::connection_driver d = amqp::connection_driver::client(container, handler, url, opts);
//   for (auto attempt = d.first_attempt(); attempt; ) {
//     wait(attempt->delay);
//     if (!tcp_connect(attempt->address)) { attempt = d.connect_failed("connection refused"); continue; }
//     d.transport_started();                 // makes a new engine and opens it
//     ... pump bytes between the socket and d.engine(), calling d.dispatch() after each
//         feed/handle_timeout, until the engine is finished or the socket fails ...
//     attempt = d.transport_ended(now, socket_error_text);  // empty: no more attempts
//   }
//
// A server connection: connection_driver::server(...), transport_started(), pump, and
// transport_ended() once. Not thread-safe: one thread (strand) per connection.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "amqp/engine.hpp"
#include "amqp/messaging/endpoints.hpp"
#include "amqp/messaging/handler.hpp"
#include "amqp/messaging/options.hpp"
#include "amqp/messaging/url.hpp"

namespace amqp {

class container;

// Where and when to try a connection next.
struct connect_attempt {
  url address;
  std::chrono::milliseconds delay{0};
};

class connection_driver {
 public:
  static connection_driver client(container& c, messaging_handler& h, url address,
                                  connection_options options);
  // `address` is the listener's (what connection::address() shows).
  static connection_driver server(container& c, messaging_handler& h, url address,
                                  connection_options options);
  // A client connection that never gets an attempt: `error` (a bad URL) is reported as a
  // transport error when dispatch() is first called.
  static connection_driver failed(container& c, messaging_handler& h, condition error);

  connection_driver(connection_driver&&) noexcept;
  connection_driver& operator=(connection_driver&&) noexcept;
  // A driver given up (destroyed or assigned over) ends its connection for the application:
  // the handles it keeps answer as for a closed one, and the hooks are not called again.
  ~connection_driver();

  amqp::connection connection() const;

  // --- attempts (clients) ---------------------------------------------------------------------
  // The first attempt: the URL, at once. Empty for a failed() driver.
  std::optional<connect_attempt> first_attempt();
  // The attempt could not make a transport (`reason`: "connection refused", "no such host");
  // on_transport_error and on_disconnected are called; then the next attempt, if any.
  std::optional<connect_attempt> connect_failed(std::string_view reason);

  // --- the transport --------------------------------------------------------------------------
  // A transport is up: makes a new engine (TLS, SASL and limits from the options) and, for a
  // client, opens it and attaches again what the application opened before.
  void transport_started();
  // The current engine; valid from transport_started() until the next transport_started().
  connection_engine& engine() noexcept;
  // Polls every event of the engine and calls the handler for each, then grants the credit
  // receivers' windows call for. Call after every feed(), feed_eof() and handle_timeout().
  void dispatch();
  // The transport ended (`io_error`: what the socket said, empty when it closed cleanly). Tells
  // the engine its input ended (if the binding had not), reports what was lost (in doubt,
  // disconnected) and returns the next attempt, if reconnecting.
  std::optional<connect_attempt> transport_ended(time_point now, std::string_view io_error = {});
  // Nothing more will happen on this connection: it closed, or it gave up reconnecting.
  bool is_finished() const noexcept;

  // --- hooks from the binding -----------------------------------------------------------------
  // Called when a command given outside dispatch() (a scheduled task, another connection's
  // handler, connection::post) left output to write: the binding flushes soon after, on this
  // connection's thread. Called at most once until the next dispatch() or flushed(). Also
  // called when the application closed the connection while no transport was up (waiting to
  // reconnect, or connecting): the connection is_finished() then, and the binding stops
  // waiting for its attempt.
  void on_output(std::function<void()> hook);
  // Tells the driver the binding wrote what was pending (re-arms on_output).
  void flushed() noexcept;
  // How connection::post() runs work on this connection's thread; returns false when the
  // connection is gone.
  void on_post(std::function<bool(std::function<void()>)> hook);

 private:
  explicit connection_driver(std::shared_ptr<detail::connection_context> ctx) noexcept;
  void release() noexcept;
  std::shared_ptr<detail::connection_context> ctx_;
};

}  // namespace amqp
