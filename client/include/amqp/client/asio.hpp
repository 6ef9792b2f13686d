// The completion-token form of message_sender::send on Asio: callbacks, asio::use_future,
// asio::use_awaitable, asio::deferred ...
//
//   // in a coroutine:
//   auto [result, error] = co_await sender.async_send(m, asio::use_awaitable, 5s);
//   if (result != amqp::client::send_result::ok) std::cerr << error.what << '\n';
//   // blocking a thread that does not run the io_context:
//   auto [result, error] = sender.async_send(m, asio::use_future).get();
//
// It completes with (send_result, send_error), as send()'s callback is called, on the token's
// associated executor. It may be started from any thread (it is posted to the connection's),
// and the message_sender must outlive it.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "amqp/asio/async.hpp"
#include "amqp/client/message_sender.hpp"

namespace amqp::client {

template <class Token>
auto initiate_async_message_send(message_sender& s, message m,
                                 std::optional<std::chrono::milliseconds> timeout, Token&& token) {
  return ::asio::async_initiate<Token, void(send_result, send_error)>(
      [&s](auto handler, message msg, std::optional<std::chrono::milliseconds> t) {
        using op_type = amqp::detail::async_send_op<decltype(handler)>;
        auto op = std::make_shared<op_type>(std::move(handler));
        // A callback inside post_send (the connection is over) must not complete in place.
        auto initiating = std::make_shared<std::atomic<bool>>(true);
        s.post_send(
            std::move(msg),
            [op, initiating](const message&, send_result r, const send_error& e) {
              amqp::detail::complete_async(op, initiating->load(), r, e);
            },
            t);
        initiating->store(false);
      },
      token, std::move(m), timeout);
}

}  // namespace amqp::client
