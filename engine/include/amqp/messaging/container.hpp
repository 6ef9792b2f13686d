// The container: the top of a messaging application. It makes connections (outgoing, with
// reconnect, and incoming through listeners), runs timers and calls the handler. This is the
// interface; a binding implements it over its event loop (amqp::asio::container).
//
//   struct app : amqp::messaging_handler {
//     void on_start(amqp::messaging_event& e) override {
//       e.container().open_receiver("amqp://127.0.0.1/examples");
//     }
//     void on_message(amqp::messaging_event& e) override { ... }
//   };
//   app handler;
//   amqp::asio::container c(handler);
//   c.run();
//
// Threading: connect, listen, schedule and stop may be called from any thread; the handler is
// called on each connection's own thread (see the binding for how many threads run).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "amqp/messaging/connection_driver.hpp"
#include "amqp/messaging/endpoints.hpp"
#include "amqp/messaging/handler.hpp"
#include "amqp/messaging/options.hpp"
#include "amqp/messaging/url.hpp"

namespace amqp {

// A task given to container::schedule(). cancel() drops it if it has not started, from any
// thread; a dropped task no longer keeps run() going (a message's timeout that was not needed
// does not hold the program up). Copies refer to the same task; an empty one (the container
// had stopped) cancels nothing.
class scheduled_task {
 public:
  scheduled_task() = default;
  // A binding's: `drop` takes the task out of its loop; cancel() calls it once.
  explicit scheduled_task(std::function<void()> drop);

  void cancel() const;
  // cancel() was called; a binding checks this before it runs the task.
  bool cancelled() const noexcept;
  bool is_set() const noexcept { return state_ != nullptr; }

 private:
  struct state;
  std::shared_ptr<state> state_;
};

// What a binding's listener does; held by amqp::listener handles.
class listener_base {
 public:
  virtual ~listener_base() = default;
  // The port it listens on (the one the system chose when asked for port 0).
  virtual std::uint16_t port() const noexcept = 0;
  // Stops accepting; connections already made go on.
  virtual void close() = 0;
};

class listener {
 public:
  listener() = default;
  explicit listener(std::shared_ptr<listener_base> impl) noexcept : impl_(std::move(impl)) {}
  bool is_set() const noexcept { return impl_ != nullptr; }
  std::uint16_t port() const noexcept { return impl_ ? impl_->port() : 0; }
  void close() {
    if (impl_) impl_->close();
  }

 private:
  std::shared_ptr<listener_base> impl_;
};

class container {
 public:
  // `id` empty: a random UUID, so that link names made from it are unique across containers.
  explicit container(messaging_handler& handler, std::string id = {});
  virtual ~container();
  container(const container&) = delete;
  container& operator=(const container&) = delete;

  const std::string& id() const noexcept { return id_; }
  messaging_handler& handler() const noexcept { return *handler_; }

  // Connects to `address` with `options`, reconnecting as they say. The handler gets the
  // connection's events (`handler` overrides the container's for this connection). A bad URL
  // gives a connection whose on_transport_error names what is wrong, and no attempt.
  virtual connection connect(const url& address, const connection_options& options = {},
                             messaging_handler* handler = nullptr) = 0;
  connection connect(std::string_view address, const connection_options& options = {},
                     messaging_handler* handler = nullptr);
  // Accepts connections on `address` ("0.0.0.0:5672", "127.0.0.1:0", amqps for TLS, which
  // then needs options.tls). The error names the address and the reason (in use, denied).
  virtual result<listener, std::string> listen(const url& address,
                                               const connection_options& options = {},
                                               messaging_handler* handler = nullptr) = 0;
  result<listener, std::string> listen(std::string_view address,
                                       const connection_options& options = {},
                                       messaging_handler* handler = nullptr);
  // Runs `work` once after `delay`, on the container's thread (not any connection's), unless
  // the task is cancelled first.
  virtual scheduled_task schedule(std::chrono::milliseconds delay, std::function<void()> work) = 0;
  // Runs until every connection, listener and scheduled task is done, or stop().
  virtual void run() = 0;
  // Closes every connection and listener, drops scheduled work; run() returns.
  virtual void stop() = 0;

  // A connection to the URL's host and a link on it to the URL's address.
  sender open_sender(std::string_view url_and_address, const sender_options& options = {},
                     const connection_options& connection = {});
  receiver open_receiver(std::string_view url_and_address, const receiver_options& options = {},
                         const connection_options& connection = {});

  // A link name unique in this container ("<id>-<n>").
  std::string make_link_name();

  // Where the handler's default error hooks report ("error: sender 'x' (q): amqp:not-found:
  // ..."): the messaging layer does no I/O, so the binding says where such lines go (the
  // Asio container writes them to stderr). Called on the reporting connection's thread.
  virtual void report_error(std::string_view line) = 0;

 protected:
  // Calls the handler's on_start: a binding does this when run() begins.
  void start();
  // A connection that cannot even be attempted (a bad URL): the binding runs the driver's
  // dispatch() on the container's thread soon, so the handler hears why, then drops it.
  virtual connection adopt_failed(connection_driver driver) = 0;

 private:
  messaging_handler* handler_;
  std::string id_;
  std::atomic<std::uint64_t> next_link_{0};  // connections on several threads name links
};

}  // namespace amqp
