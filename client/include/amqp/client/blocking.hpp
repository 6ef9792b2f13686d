// blocking_connection: for scripts and tests that do not want an event loop. It runs a
// container (Asio or libevent) on a thread of its own; every call may come from any thread and
// waits for its answer.
//
//   amqp::client::blocking_connection c("amqp://guest:guest@localhost",
//                                       {.producer = {.addressing = addressing::rabbitmq()}});
//   auto r = c.publish(nlohmann::json{{"id", 17}}, {.routing_key = "orders"});
//   if (r.result != amqp::client::send_result::ok) std::cerr << r.error.what << '\n';
//   if (auto m = c.receive({.name = "orders"}, 5s)) {
//     std::cout << std::get<nlohmann::json>(m->body()) << '\n';
//     (void)m->ack();
//   }
//   // or kombu's loop: callbacks run by drain_events() on the calling thread
//   c.consume({{.name = "orders"}}, [](const payload& body, blocking_message& m) { m.ack(); });
//   while (c.drain_events(1s) > 0) {}
//
// Threading: every member may be called from any thread, also at once from several: each
// call's work runs on the connection's thread, in the order the calls reached it. Callbacks
// given to consume() run on the thread that calls drain_events(), one at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "amqp/client/consumer.hpp"
#include "amqp/client/producer.hpp"
#include "amqp/messaging/options.hpp"

namespace amqp::client {

struct blocking_impl;

// A message received through a blocking_connection: its body decoded, and its settlement,
// which may be given from any thread (it waits for the connection's thread to do it).
class blocking_message {
 public:
  const payload& body() const noexcept { return body_; }
  const amqp::message& message() const noexcept { return message_.message(); }
  const std::string& queue() const noexcept { return message_.queue(); }
  bool acknowledged() const noexcept { return *acknowledged_; }

  std::error_code ack();
  std::error_code reject(bool requeue = false);
  std::error_code requeue();

 private:
  friend struct blocking_impl;
  std::error_code settle(int how);
  payload body_;
  consumed_message message_;
  std::weak_ptr<blocking_impl> owner_;
  std::shared_ptr<bool> acknowledged_ = std::make_shared<bool>(false);
};

using blocking_callback = std::function<void(const payload& body, blocking_message& message)>;

enum class io_binding : std::uint8_t { asio, libevent };

struct blocking_options {
  connection_options connection;
  io_binding io = io_binding::asio;
  // How long a call waits for the connection (open, publish's outcome when the publish has no
  // timeout of its own, a settlement).
  std::chrono::milliseconds timeout{30000};
  producer_options producer;
  // The options of the consumers behind receive() and consume() (their callbacks are not
  // used: consume() takes its own).
  consumer_options consumer;
};

class blocking_connection {
 public:
  // Connects at once (the container starts on its thread); wait_open() waits for the peer.
  explicit blocking_connection(std::string_view url, blocking_options options = {});
  // close(), then the thread ends.
  ~blocking_connection();
  blocking_connection(const blocking_connection&) = delete;
  blocking_connection& operator=(const blocking_connection&) = delete;

  // The peer's open arrived within `timeout` (default: the options'); else false, and error()
  // says why when the connection failed.
  bool wait_open(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // The connection's last error ("connection to localhost:5672: connection refused").
  std::optional<condition> error() const;
  bool is_open() const;

  // Publishes through the connection's producer and waits for the outcome.
  publish_result publish(payload body, publish_options options = {});

  // One message from `q` within `timeout`, unacknowledged until ack() (a consumer with
  // prefetch 1 per queue asked, kept for the next calls). Nothing after the timeout.
  std::optional<blocking_message> receive(const queue& q, std::chrono::milliseconds timeout);

  // Consumes from `queues` with `callback`, which drain_events() calls. Returns once the
  // broker attached every queue's link: false when it refused one, did not answer within the
  // options' timeout, or `queues` is empty.
  bool consume(std::vector<queue> queues, blocking_callback callback);
  // Runs the callback of consume() for each message that arrived, on this thread: waits up to
  // `timeout` for the first, then takes what else is there. Returns how many it handled.
  std::size_t drain_events(std::chrono::milliseconds timeout);

  // Closes the connection and waits (up to the options' timeout) for it to end.
  void close();

 private:
  std::shared_ptr<blocking_impl> impl_;
};

}  // namespace amqp::client
