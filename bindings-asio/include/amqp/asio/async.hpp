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
//   // transactions (amqp/messaging/transaction.hpp), in a coroutine:
//   amqp::transaction t =
//       co_await amqp::async_declare_transaction(session, asio::use_awaitable);
//   (void)t.send(sender, m);
//   co_await t.async_commit(asio::use_awaitable);  // throws when it rolled back
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
// Transactions' operations run and complete the same way: async_declare_transaction with
// (std::error_code, transaction), async_commit and async_abort with (std::error_code), their
// errors those of transaction.hpp's callback forms (errc::transaction_failed, errc::in_doubt
// ...), and errc::wrong_state for a command the transaction's state refuses or a declare on a
// closed session.
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
#include "amqp/messaging/transaction.hpp"

namespace amqp {

namespace detail {

// One operation (async_send, a declare or a discharge) from its start to its completion: the
// handler, and work counted on the handler's executor so that the loop that runs it (a
// coroutine's io_context) does not run out of work and return while the outcome is awaited.
// Shared, so that the completion can sit in the copyable callback the messaging layer keeps.
template <class Handler>
struct async_send_op {
  using executor_type = ::asio::associated_executor_t<Handler>;

  explicit async_send_op(Handler&& h)
      : handler(std::move(h)), work(::asio::get_associated_executor(handler)) {}

  Handler handler;
  ::asio::executor_work_guard<executor_type> work;
};

// Completes `op` with `args` on its handler's executor: at once when that is where this runs
// (a plain callback: the connection's strand), posted otherwise. `immediate`: from inside the
// initiating function, which must not call the handler itself.
template <class Handler, class... Args>
void complete_async(std::shared_ptr<async_send_op<Handler>> op, bool immediate, Args... args) {
  const auto ex = op->work.get_executor();
  auto call = [op = std::move(op), ... args = std::move(args)]() mutable {
    Handler h = std::move(op->handler);
    op->work.reset();
    std::move(h)(std::move(args)...);
  };
  if (immediate)
    ::asio::post(ex, std::move(call));
  else
    ::asio::dispatch(ex, std::move(call));
}

template <class Handler>
void complete_async_send(std::shared_ptr<async_send_op<Handler>> op, std::error_code ec,
                         delivery_state state, bool immediate) {
  complete_async(std::move(op), immediate, ec, std::move(state));
}

inline amqp::connection connection_of(const amqp::connection& c) {
  return c;
}
inline amqp::connection connection_of(const session& s) {
  return s.connection();
}

// Declares on the connection's strand (`where` is a session or a connection).
template <class Where, class Token>
auto initiate_declare(Where where, Token&& token) {
  return ::asio::async_initiate<Token, void(std::error_code, transaction)>(
      [](auto handler, Where w) {
        using op_type = async_send_op<decltype(handler)>;
        auto op = std::make_shared<op_type>(std::move(handler));
        const amqp::connection c = connection_of(w);
        const bool posted = c.post([op, w] {
          const transaction started =
              declare_transaction(w, [op](std::error_code ec, transaction t) {
                complete_async(op, false, ec, std::move(t));
              });
          if (!started.is_set())
            complete_async(op, false, make_error_code(errc::wrong_state), transaction());
        });
        if (!posted)
          complete_async(std::move(op), true, make_error_code(errc::invalid_handle), transaction());
      },
      token, std::move(where));
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

// Found by transaction::async_commit and async_abort through argument-dependent lookup.
template <class Token>
auto initiate_async_discharge(transaction t, bool fail, Token&& token) {
  return ::asio::async_initiate<Token, void(std::error_code)>(
      [](auto handler, transaction txn, bool roll_back) {
        using op_type = detail::async_send_op<decltype(handler)>;
        auto op = std::make_shared<op_type>(std::move(handler));
        const amqp::connection c = txn.connection();
        const bool posted = c.post([op, txn, roll_back]() mutable {
          auto done = [op](std::error_code ec) { detail::complete_async(op, false, ec); };
          const std::error_code ec = roll_back ? txn.abort(done) : txn.commit(done);
          if (ec) detail::complete_async(op, false, ec);
        });
        if (!posted)
          detail::complete_async(std::move(op), true, make_error_code(errc::invalid_handle));
      },
      token, std::move(t), fail);
}

// Found by amqp::async_declare_transaction through argument-dependent lookup.
template <class Token>
auto initiate_async_declare(session s, Token&& token) {
  return detail::initiate_declare(std::move(s), std::forward<Token>(token));
}
template <class Token>
auto initiate_async_declare(connection c, Token&& token) {
  return detail::initiate_declare(std::move(c), std::forward<Token>(token));
}

}  // namespace amqp
