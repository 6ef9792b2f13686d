// The Asio container: the messaging layer's container on an asio::io_context. TCP connections
// out (with reconnect and failover) and in (listeners), timers, and the handler's calls, each
// connection on a strand of its own.
//
//   struct hello : amqp::messaging_handler { ... };   // see amqp/messaging/handler.hpp
//   hello h;
//   amqp::asio::container c(h);
//   c.run();                      // until every connection and listener is done, or stop()
//
// An application that runs its own io_context gives it to the container, which then adds its
// work to that loop: `amqp::asio::container c(h, io); ... io.run();` (call c.start() first, or
// c.run(), to get on_start).
//
// Threading:
// - One engine per connection, driven on that connection's strand: its handler calls come one
//   at a time, in order, on whichever thread runs the io_context. The io_context may run on
//   several threads (run(n), or the application's own threads); then a handler shared by
//   connections must guard its own state.
// - connect, listen, schedule and stop may be called from any thread.
// - A connection's handles (connection, sender, receiver, tracker, delivery) are used on its
//   strand: inside its handler calls, or through connection::post() from anywhere else (a
//   scheduled task, another connection's handler, another thread). On a single-threaded run()
//   every handler call and scheduled task is on the one thread, and any handle may be used
//   from any of them: the connection writes what it was asked to soon after.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "amqp/messaging/container.hpp"

namespace amqp::asio {

namespace detail {
class tcp_connection;
class tcp_listener;
}  // namespace detail

class container final : public amqp::container {
 public:
  // A container with an io_context of its own, run by run().
  explicit container(messaging_handler& handler, std::string id = {});
  // A container working on the application's io_context (which must outlive it).
  container(messaging_handler& handler, ::asio::io_context& io, std::string id = {});
  ~container() override;

  using amqp::container::connect;
  using amqp::container::listen;
  connection connect(const url& address, const connection_options& options = {},
                     messaging_handler* handler = nullptr) override;
  result<listener, std::string> listen(const url& address, const connection_options& options = {},
                                       messaging_handler* handler = nullptr) override;
  scheduled_task schedule(std::chrono::milliseconds delay, std::function<void()> work) override;
  // Calls on_start, then runs the io_context on this thread until it runs out of work.
  void run() override;
  // The same on `threads` threads (this one among them).
  void run(std::size_t threads);
  // Calls on_start (once) without running the loop: for an application that runs the
  // io_context itself.
  void start();
  // Closes every connection (no reconnect) and listener and drops scheduled work; run()
  // returns once the connections' closes were exchanged (or timed out).
  void stop() override;
  // Writes the line to stderr.
  void report_error(std::string_view line) override;

  ::asio::io_context& io_context() noexcept { return *io_; }

 protected:
  connection adopt_failed(connection_driver driver) override;

 private:
  friend class detail::tcp_connection;
  friend class detail::tcp_listener;
  // A connection that ended for good leaves the container.
  void forget(const detail::tcp_connection* c);
  // A client a listener accepted, on its strand.
  void adopt_server(const ::asio::strand<::asio::io_context::executor_type>& s,
                    ::asio::ip::tcp::socket socket, const url& address,
                    const connection_options& options, messaging_handler& handler);

  std::unique_ptr<::asio::io_context> own_io_;
  ::asio::io_context* io_;
  std::once_flag started_;
  // stopping_, for the scheduled tasks' check; shared with them, as they may outlive this
  // object on an application's io_context.
  std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(false);
  std::mutex mutex_;  // guards what follows: connect, listen, schedule and stop come from anywhere
  bool stopping_ = false;
  std::chrono::steady_clock::time_point last_scheduled_{};
  std::vector<std::shared_ptr<detail::tcp_connection>> connections_;
  std::vector<std::shared_ptr<detail::tcp_listener>> listeners_;
  // Every listener made, for the destructor: handles may outlive the container.
  std::vector<std::weak_ptr<detail::tcp_listener>> every_listener_;
  std::vector<std::weak_ptr<::asio::steady_timer>> timers_;
};

}  // namespace amqp::asio
