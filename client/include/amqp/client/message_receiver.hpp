// message_receiver: a receiver in the shape of uAMQP's MessageReceiver. It owns one link from
// a source, keeps up to `prefetch` messages coming, and hands each over to a callback or to
// whoever pulls with receive(timeout).
//
//   amqp::client::message_receiver r(conn, "orders", {.prefetch = 50},
//       [](amqp::client::received_message& m) {
//         handle(m.message());
//         (void)m.accept();               // peek_lock: settled by the application
//       });
//   r.open();
//   // or, without a callback:
//   r.receive(5s, [](std::optional<amqp::client::received_message> m) { ... });
//
// peek_lock asks for rcv-settle-mode second: the application's outcome goes to the sender,
// which settles, and only then is the message gone (RabbitMQ 3.10 refuses second: use
// receive_and_delete there, or the consumer). receive_and_delete asks the sender to send
// settled: a message is gone once sent, at most once.
//
// Threading: used on its connection's thread, as message_sender.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "amqp/client/exclusive_link.hpp"
#include "amqp/condition.hpp"
#include "amqp/message.hpp"
#include "amqp/messaging/endpoints.hpp"

namespace amqp::client {

// A message this side received and its delivery, until settled.
class received_message {
 public:
  received_message() = default;
  received_message(amqp::message m, amqp::delivery d) : message_(std::move(m)), delivery_(d) {}

  const amqp::message& message() const noexcept { return message_; }
  amqp::message& message() noexcept { return message_; }
  amqp::delivery delivery() const noexcept { return delivery_; }
  // Settled (by this side, or sent settled: receive_and_delete).
  bool settled() const noexcept { return delivery_.settled(); }

  // The outcomes (spec Part 3, 3.4): errc::wrong_state for a message that needs none
  // (receive_and_delete) or was settled already.
  std::error_code accept() { return outcome([](amqp::delivery& d) { return d.accept(); }); }
  std::error_code reject(std::optional<condition> error = std::nullopt) {
    return outcome([&](amqp::delivery& d) { return d.reject(std::move(error)); });
  }
  std::error_code release() { return outcome([](amqp::delivery& d) { return d.release(); }); }
  std::error_code modify(bool delivery_failed, bool undeliverable_here = false,
                         value message_annotations = {}) {
    return outcome([&](amqp::delivery& d) {
      return d.modify(delivery_failed, undeliverable_here, std::move(message_annotations));
    });
  }

 private:
  template <class F>
  std::error_code outcome(F&& f) {
    if (!delivery_.is_set() || delivery_.settled() || delivery_.remote_settled())
      return make_error_code(errc::wrong_state);
    return f(delivery_);
  }
  amqp::message message_;
  amqp::delivery delivery_;
};

struct message_receiver_options {
  // The link name; empty: a random UUID.
  std::string name;
  // The target address this side names in its attach; empty: none.
  std::string target;
  client::receive_settle_mode receive_settle_mode = client::receive_settle_mode::peek_lock;
  // Messages kept coming: credit granted so that those buffered (not yet handed over) and those
  // the sender may still send never pass it.
  std::uint32_t prefetch = 300;
  // Announced in the attach; 0: no limit of this side's (the connection's limits still hold).
  std::uint64_t max_message_size = 0;
  value properties;
  std::vector<std::string> desired_capabilities;
  // Called on every change of state() (uAMQP's on_state_changed), on the connection's thread.
  std::function<void(link_state previous, link_state now)> on_state_changed;
};

using message_callback = std::function<void(received_message&)>;
using receive_callback = std::function<void(std::optional<received_message>)>;

class message_receiver : public exclusive_link {
 public:
  message_receiver() = default;
  // A receiver from `source` on `session`, not open yet. With `on_message`, every message goes
  // to it as it arrives; without, messages wait for receive().
  message_receiver(amqp::session session, std::string source,
                   message_receiver_options options = {}, message_callback on_message = {});
  message_receiver(amqp::connection connection, std::string source,
                   message_receiver_options options = {}, message_callback on_message = {});

  // open(), close() and destroy() (exclusive_link): after close(), messages buffered and
  // unsettled stay settleable while the connection lasts; destroy() (and the destructor)
  // answers waiting receive() calls with nothing.
  const std::string& source() const noexcept { return address(); }
  amqp::receiver link() const;
  // Messages arrived and not handed over yet.
  std::size_t buffered() const noexcept;

  // The next message: at once when one is buffered, else the next to arrive within `timeout`
  // (then nothing). Callers are served in order.
  void receive(std::chrono::milliseconds timeout, receive_callback callback);

  struct impl;

 private:
  impl* self() const noexcept;
};

}  // namespace amqp::client
