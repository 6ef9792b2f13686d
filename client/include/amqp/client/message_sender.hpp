// message_sender: a sender in the shape of uAMQP's MessageSender. It owns one link on a session,
// queues what it is given, sends as credit allows, tries failures again as its error policy
// says, and tells each message's callback exactly once how it ended.
//
//   amqp::client::message_sender s(conn, "orders", {.max_message_size = 256 * 1024});
//   s.open();
//   s.send(std::move(m), [](const amqp::message&, send_result r, const send_error& e) {
//     if (r != send_result::ok) std::cerr << to_string(r) << ": " << e.what << '\n';
//   }, 5s);
//
// The messaging layer's reconnect attaches the link again after a lost connection; messages
// in flight then were reported in doubt and go again if the policy retries in_doubt (the
// default does: at-least-once). A message whose time runs out is discarded with `timeout`,
// also when it was already on the wire (its outcome, should it come, is then ignored).
//
// Its timers are the container's scheduled tasks: a message's timeout is cancelled when the
// message finishes first; a retry's backoff runs out by itself.
//
// Threading: like the handles it is built on, a message_sender is used on its connection's
// thread (inside the handler's calls or through connection::post()); post_send() and
// async_send() may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "amqp/client/error_policy.hpp"
#include "amqp/client/exclusive_link.hpp"
#include "amqp/condition.hpp"
#include "amqp/message.hpp"
#include "amqp/messaging/endpoints.hpp"

namespace amqp::client {

enum class send_settle_mode : std::uint8_t {
  unsettled,  // each message waits for the receiver's outcome (at least once)
  settled,    // sent settled: fire and forget, no outcome, no retry (at most once)
};

enum class send_result : std::uint8_t { ok, error, timeout, cancelled };
const char* to_string(send_result r) noexcept;

// Why a message did not end `ok`: in words ("rejected: amqp:not-found: no queue 'q'", "not
// sent within 500 ms"), and the peer's condition when it gave one.
struct send_error {
  std::string what;
  std::optional<condition> error;
  // The last failure the error policy judged, when that is how the message ended.
  std::optional<send_failure> failure;
  explicit operator bool() const noexcept { return !what.empty(); }
};

// Called once per message, on the connection's thread.
using send_callback = std::function<void(const message&, send_result, const send_error&)>;

struct message_sender_options {
  // The link name; empty: a random UUID.
  std::string name;
  // The source address this side names in its attach (uAMQP's `source`); empty: none.
  std::string source;
  client::send_settle_mode send_settle_mode = client::send_settle_mode::unsettled;
  client::receive_settle_mode receive_settle_mode =
      client::receive_settle_mode::receive_and_delete;
  // Announced in the attach and checked before a message is sent: a larger one fails at once
  // with `error`, naming both sizes. The peer's own limit is checked too.
  std::uint64_t max_message_size = 1024 * 1024;
  // At most this many messages in flight (sent, outcome awaited); 0: as many as credit allows.
  std::uint32_t link_credit = 0;
  // Link properties sent in the attach (a map with symbol keys), and desired capabilities.
  value properties;
  std::vector<std::string> desired_capabilities;
  client::error_policy error_policy;
  // The timeout of send() calls that give none; zero: none.
  std::chrono::milliseconds timeout{0};
  // Called on every change of state() (uAMQP's on_state_changed), on the connection's thread.
  std::function<void(link_state previous, link_state now)> on_state_changed;
};

class message_sender : public exclusive_link {
 public:
  message_sender() = default;
  // A sender to `target` on `session`, not open yet.
  message_sender(amqp::session session, std::string target, message_sender_options options = {});
  // On the connection's default session.
  message_sender(amqp::connection connection, std::string target,
                 message_sender_options options = {});

  // open(), close() and destroy() (exclusive_link): queued messages go once the link is open;
  // after close() they stay queued, and those in flight are in doubt and go again after open()
  // when the policy retries them; destroy() (and the destructor) ends every message not
  // finished `cancelled`.
  const std::string& target() const noexcept { return address(); }
  amqp::sender link() const;
  // Messages given to send() whose callback has not been called yet.
  std::size_t pending() const noexcept;

  // Queues `m` without waiting; `callback` is called exactly once: ok once the receiver
  // accepted it (at once after sending for `settled`), error when it failed past the error
  // policy, timeout when `timeout` (default: the options') passed first, cancelled on
  // destroy(). Errors found at once (too large, the sender destroyed) are reported through
  // the callback too, from the connection's thread after send() returned.
  void send(message m, send_callback callback,
            std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // The same, judged by `policy` rather than the options' error policy (a producer's retry
  // policy of one publish).
  void send(message m, send_callback callback, std::optional<std::chrono::milliseconds> timeout,
            std::shared_ptr<const error_policy> policy);

  // send() from any thread: posted to the connection's thread, where it queues `m`; the
  // callback runs there. The message_sender must not be moved or destroyed meanwhile. When the
  // connection is over, the callback says `cancelled` at once, on the calling thread.
  void post_send(message m, send_callback callback,
                 std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // The completion-token form, `co_await s.async_send(m, asio::use_awaitable)`, completing with
  // (send_result, send_error): provided by amqp/client/asio.hpp, which defines
  // initiate_async_message_send for Asio's tokens.
  template <class Token>
  auto async_send(message m, Token&& token,
                  std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    return initiate_async_message_send(*this, std::move(m), timeout, std::forward<Token>(token));
  }

  struct impl;

 private:
  impl* self() const noexcept;
};

}  // namespace amqp::client
