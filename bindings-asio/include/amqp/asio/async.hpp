// Completion-token forms of the messaging operations, for every kind of Asio completion:
// callbacks, asio::use_future, asio::use_awaitable (C++20 coroutines), asio::deferred ...
//
//   // in a coroutine:
//   auto [ec, state] = co_await sender.async_send(m, asio::as_tuple(asio::use_awaitable));
//   if (!ec && state.kind == amqp::delivery_state::type::accepted) ...
//   // or, throwing std::system_error on errors:
//   amqp::delivery_state state = co_await sender.async_send(m, asio::use_awaitable);
//   // blocking a thread that does not run the io_context:
//   amqp::delivery_state state = sender.async_send(m, asio::use_future).get();
//   // a callback:
//   sender.async_send(m, [](std::error_code ec, const amqp::delivery_state& s) { ... });
//
// The operation runs on the sender's connection strand (it is posted there, so it may be
// started from any thread) and completes on the token's associated executor, with:
// - no error and the peer's final state (accepted, rejected with its condition, released,
//   modified) once the peer settled the message; no error and an empty state for a message
//   sent settled (at most once);
// - errc::in_doubt when the link or connection ended before the peer settled it (send again
//   to be sure it arrives);
// - errc::no_credit, errc::wrong_state ... when the message could not be sent at all, and
//   errc::invalid_handle when the connection is gone.
#pragma once

#include <memory>
#include <system_error>
#include <utility>

#include <asio/async_result.hpp>
#include <asio/associated_executor.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include "amqp/messaging/endpoints.hpp"

namespace amqp {

// Found by sender::async_send through argument-dependent lookup.
template <class Token>
auto initiate_async_send(sender s, const message& m, Token&& token) {
  return ::asio::async_initiate<Token, void(std::error_code, delivery_state)>(
      [](auto handler, sender s, message m) {
        using handler_type = decltype(handler);
        // Shared so that the completion can sit in a copyable std::function.
        auto h = std::make_shared<handler_type>(std::move(handler));
        auto complete = [h](std::error_code ec, delivery_state state) {
          auto ex = ::asio::get_associated_executor(*h);
          ::asio::dispatch(ex, [h, ec, state = std::move(state)]() mutable {
            std::move (*h)(ec, std::move(state));
          });
        };
        const bool posted = s.connection().post([s, m = std::move(m), complete]() mutable {
          auto t = s.send(m, [complete](std::error_code ec, const delivery_state& state) {
            complete(ec, state);
          });
          if (!t) complete(t.error(), {});
        });
        if (!posted) {
          auto ex = ::asio::get_associated_executor(*h);
          ::asio::post(ex, [h]() mutable {
            std::move (*h)(make_error_code(errc::invalid_handle), delivery_state{});
          });
        }
      },
      token, std::move(s), m);
}

}  // namespace amqp
