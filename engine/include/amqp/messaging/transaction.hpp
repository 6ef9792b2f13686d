// Local transactions (spec Part 4) from the controller's side: declare one, send and accept
// inside it, commit or roll back. Sends count, and accepted messages are consumed, only if it
// commits.
//
//   void on_connection_opened(amqp::messaging_event& e) override {
//     (void)amqp::declare_transaction(e.connection());  // on_transaction_declared follows
//   }
//   void on_transaction_declared(amqp::messaging_event& e) override {
//     amqp::transaction t = e.transaction();
//     (void)t.send(sender_, message);               // visible at the peer only after commit
//     (void)t.commit();                             // on_transaction_committed follows
//   }
//
// A transaction is declared on a session (the connection's default one unless another is
// named), through that session's coordinator link: a sender link to the peer's coordinator,
// attached on the first declare and kept hidden from the application's link events. The peer's
// coordinator says what it allows in its capabilities (amqp:multi-txns-per-ssn: several
// transactions at a time on one session; amqp:multi-ssns-per-txn: work on links of other
// sessions); a command outside that is refused with errc::invalid_argument.
//
// When the connection is lost, the coordinator rolls back what was not discharged (spec Part 4,
// 4.1): an active transaction ends with on_transaction_aborted, a commit whose answer was lost
// with on_transaction_commit_failed and errc::in_doubt in the error's description, and a
// declare with on_transaction_declare_failed. A transaction is never carried across a
// reconnect. The same holds when the coordinator link or its session ends: what was not
// discharged is rolled back, and the next declare attaches a coordinator link again.
//
// Declares made before the coordinator answered (its capabilities unknown) wait for it; so do
// declares and discharges while it gives no credit. A peer without transactions refuses the
// coordinator link (a null target, then a detach with amqp:not-implemented, as RabbitMQ does):
// every declare waiting on it fails with that condition.
//
// A transaction's handle keeps its final state and error after it ended, as long as it lives.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>

#include "amqp/condition.hpp"
#include "amqp/errors.hpp"
#include "amqp/link.hpp"
#include "amqp/messaging/endpoints.hpp"

namespace amqp {

class messaging_handler;
namespace detail {
struct transaction_record;
}

enum class transaction_state : std::uint8_t {
  declaring,   // the declare is out: on_transaction_declared or _declare_failed follows
  active,      // declared: work may be done in it
  committing,  // commit() is out: on_transaction_committed or _commit_failed follows
  aborting,    // abort() is out: on_transaction_aborted follows
  committed,
  aborted,     // rolled back: asked to, or by the coordinator (the connection was lost)
  failed,      // the declare failed, or the commit did (the coordinator rolled it back)
};

class transaction {
 public:
  transaction() = default;
  bool is_set() const noexcept { return ctx_ != nullptr; }
  amqp::connection connection() const;
  amqp::session session() const;
  // failed for an unset handle.
  transaction_state state() const noexcept;
  // The coordinator's id for it; null until declared (and for an unset handle). Valid as long
  // as this handle, or a copy of it, lives.
  const transaction_id* id() const noexcept;
  // Why the declare or the commit failed, or why it was rolled back without being asked to
  // (or, for an abort, why the coordinator rejected it).
  std::optional<condition> error() const;

  // Sends `m` on `s` inside the transaction: the peer makes it available only if the
  // transaction commits. The tracker reports the peer's provisional outcome (its remote_state
  // carries the transaction). errc::wrong_state unless active; errc::invalid_argument for a
  // sender of another connection, or of another session without amqp:multi-ssns-per-txn;
  // otherwise sender::send's errors.
  [[nodiscard]] result<tracker, std::error_code> send(const sender& s, const message& m);
  // Accepts and settles `d` inside the transaction: the message is consumed only if the
  // transaction commits, and the peer makes it available again if it rolls back.
  // errc::wrong_state unless active; errc::invalid_argument as for send; errc::invalid_handle
  // for a delivery already settled.
  std::error_code accept(const delivery& d);
  // Settles `d` inside the transaction with any outcome (accepted, rejected, released,
  // modified); errc::invalid_argument for anything else (a state already transactional).
  std::error_code settle(const delivery& d, const delivery_state& outcome);
  // Transactional acquisition (spec Part 4, 4.4.3): grants `credit` on `r` with the
  // transaction's id in the link's flow properties, so that what the peer sends for it is
  // acquired inside the transaction (and available again if it rolls back). The link stays
  // in the transaction until it ends: then a flow without the properties goes out, and the
  // messages arrive plainly again. The txn-id is the link's state, not the credit's: with a
  // credit window (receiver_options::credit_window), the window's credit, topped up as
  // usual, acquires in the transaction too while it lasts, and `credit` is granted on top of
  // it; for exactly `credit` messages, use a receiver with credit_window 0. Credit left when
  // the transaction ends stays (the spec asks the controller to see to it): drain first to
  // acquire nothing more plainly. A delivery acquired in a live transaction is accepted (by
  // auto_accept, delivery::accept ...) inside it, as the spec requires (4.4.4).
  // errc::wrong_state unless active, or when the link is not attached, or already acquires
  // in another transaction; errc::invalid_argument as for send.
  std::error_code acquire(const receiver& r, std::uint32_t credit);

  // Ends it: commit (then on_transaction_committed, or on_transaction_commit_failed when the
  // coordinator rolled it back) or roll back (on_transaction_aborted). errc::wrong_state
  // unless active (an unset handle: errc::invalid_handle).
  std::error_code commit();
  std::error_code abort();

  // What the bindings' async_commit and async_abort are built on: the callback is called
  // once, on the connection's thread, with no error once the discharge was accepted, or with
  // the failure: errc::in_doubt when the connection was lost before the answer to a commit;
  // otherwise errc::transaction_failed, error() giving the coordinator's rejection or why it
  // rolled back. An abort whose answer was lost completes without error: the coordinator
  // rolls back all the same. The callback comes first, then the handler's event. Nothing is
  // called when the command itself fails (the error is returned).
  using discharge_callback = std::function<void(std::error_code)>;
  std::error_code commit(discharge_callback done);
  std::error_code abort(discharge_callback done);

  // The completion-token forms, `co_await t.async_commit(asio::use_awaitable)`: provided by
  // the binding in use through amqp::initiate_async_discharge. Complete with (std::error_code).
  template <class Token>
  auto async_commit(Token&& token) {
    return initiate_async_discharge(*this, false, std::forward<Token>(token));
  }
  template <class Token>
  auto async_abort(Token&& token) {
    return initiate_async_discharge(*this, true, std::forward<Token>(token));
  }

  friend bool operator==(const transaction&, const transaction&) = default;
  friend struct std::hash<transaction>;

 private:
  friend struct detail::connection_context;
  transaction(std::shared_ptr<detail::connection_context> ctx,
              std::shared_ptr<detail::transaction_record> rec) noexcept
      : ctx_(std::move(ctx)), rec_(std::move(rec)) {}
  // A connection may declare transaction after transaction: the connection keeps the records
  // of those under way only, the handles keep theirs (a final state, an error) as long as
  // they live.
  std::shared_ptr<detail::connection_context> ctx_;
  std::shared_ptr<detail::transaction_record> rec_;
};

// Declares a transaction on `c`'s default session or on `s`; on_transaction_declared (or
// _declare_failed) follows on `handler`, or on the connection's handler when null, and so do
// the transaction's other events. The transaction returned is declaring; unset when the
// connection or the session is closed (or closing). A second transaction under way on the
// session when the coordinator does not offer amqp:multi-txns-per-ssn fails: at once when
// its capabilities are known (the transaction returned is failed already), else once they
// are; on_transaction_declare_failed follows either way, with amqp:not-allowed.
transaction declare_transaction(const connection& c, messaging_handler* handler = nullptr);
transaction declare_transaction(const session& s, messaging_handler* handler = nullptr);

// What the bindings' async_declare_transaction is built on: `done` is called once, on the
// connection's thread, before the handler's event, with no error and the declared
// transaction, or with the failure and the failed transaction (its error() says why):
// errc::invalid_argument for a transaction the coordinator's capabilities do not allow,
// errc::transaction_failed otherwise (the coordinator refused the declare or the link, or
// the connection was lost first). Not called when the transaction returned is unset.
using declare_callback = std::function<void(std::error_code, transaction)>;
transaction declare_transaction(const session& s, declare_callback done);
transaction declare_transaction(const connection& c, declare_callback done);

// `co_await amqp::async_declare_transaction(session, asio::use_awaitable)`: provided by the
// binding through amqp::initiate_async_declare. Completes with (std::error_code, transaction)
// as above, and with errc::wrong_state when the session or connection is closed.
template <class Token>
auto async_declare_transaction(const session& s, Token&& token) {
  return initiate_async_declare(s, std::forward<Token>(token));
}
template <class Token>
auto async_declare_transaction(const connection& c, Token&& token) {
  return initiate_async_declare(c, std::forward<Token>(token));
}

}  // namespace amqp

template <>
struct std::hash<amqp::transaction> {
  std::size_t operator()(const amqp::transaction& t) const noexcept {
    return std::hash<const void*>{}(t.rec_.get());
  }
};
