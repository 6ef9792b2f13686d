// Completion-token forms of the messaging operations, for every kind of Asio completion:
// callbacks, asio::use_future, asio::use_awaitable (C++20 coroutines), asio::deferred ...
//
//   // in a coroutine:
//   auto [ec, state] =
//       co_await sender.async_send(m, asio::experimental::as_tuple(asio::use_awaitable));
//   if (!ec && state.kind == amqp::delivery_state::type::accepted) ...
//   // or, throwing std::system_error on errors:
//   amqp::delivery_state state = co_await sender.async_send(m, asio::use_awaitable);
//   // blocking a thread that does not run the io_context:
//   amqp::delivery_state state = sender.async_send(m, asio::use_future).get();
//   // a callback:
//   sender.async_send(m, [](std::error_code ec, const amqp::delivery_state& s) { ... });
//
// The operation runs on the sender's connection strand (it is posted there, so it may be
// started from any thread) and completes on the token's associated executor (the thread that
// settles the message, for a plain callback), which it keeps busy until then, with:
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

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>

#include "amqp/messaging/endpoints.hpp"

namespace amqp {

namespace detail {

// One async_send from its start to its completion: the handler, and work counted on the
// handler's executor so that the loop that runs it (a coroutine's io_context) does not run
// out of work and return while the outcome is awaited. Shared, so that the completion can sit
// in the copyable callback sender::send keeps.
template <class Handler>
struct async_send_op {
  using executor_type = ::asio::associated_executor_t<Handler>;

  explicit async_send_op(Handler&& h)
      : handler(std::move(h)), work(::asio::get_associated_executor(handler)) {}

  Handler handler;
  ::asio::executor_work_guard<executor_type> work;
};

// Completes `op` on its handler's executor: at once when that is where this runs (a plain
// callback: the connection's strand), posted otherwise. `immediate`: from inside the
// initiating function, which must not call the handler itself.
template <class Handler>
void complete_async_send(std::shared_ptr<async_send_op<Handler>> op, std::error_code ec,
                         delivery_state state, bool immediate) {
  const auto ex = op->work.get_executor();
  auto call = [op = std::move(op), ec, state = std::move(state)]() mutable {
    Handler h = std::move(op->handler);
    op->work.reset();
    std::move(h)(ec, std::move(state));
  };
  if (immediate)
    ::asio::post(ex, std::move(call));
  else
    ::asio::dispatch(ex, std::move(call));
}

}  // namespace detail

// Found by sender::async_send through argument-dependent lookup.
template <class Token>
auto initiate_async_send(sender s, const message& m, Token&& token) {
  return ::asio::async_initiate<Token, void(std::error_code, delivery_state)>(
      [](auto handler, sender snd, message msg) {
        using op_type = detail::async_send_op<decltype(handler)>;
        auto op = std::make_shared<op_type>(std::move(handler));
        const amqp::connection c = snd.connection();
        // On the strand: the send, and the completion once the outcome is known.
        const bool posted = c.post([op, snd, msg = std::move(msg)]() mutable {
          auto t = snd.send(msg, [op](std::error_code ec, const delivery_state& state) {
            detail::complete_async_send(op, ec, state, false);
          });
          if (!t) detail::complete_async_send(op, t.error(), {}, false);
        });
        if (!posted)
          detail::complete_async_send(std::move(op), make_error_code(errc::invalid_handle), {},
                                      true);
      },
      token, std::move(s), m);
}

}  // namespace amqp
