// The messaging handler: what an application overrides to take part in AMQP conversations,
// one call per fact, each given an event that names everything the fact concerns.
//
//   struct hello : amqp::messaging_handler {
//     void on_start(amqp::messaging_event& e) override {
//       auto c = e.container().connect("127.0.0.1:5672");
//       c.open_receiver("examples");
//       c.open_sender("examples");
//     }
//     void on_sendable(amqp::messaging_event& e) override {
//       amqp::message m;
//       m.set_value(amqp::value("Hello World!"));
//       (void)e.sender().send(m);
//       e.sender().close();
//     }
//     void on_message(amqp::messaging_event& e) override {
//       std::cout << e.message().body[0] << '\n';
//       e.connection().close();
//     }
//   };
//
// Calls for one connection come one at a time, on that connection's thread, in the order the
// facts happened; a handler shared by connections running on several threads must guard its
// own state. The engine is never on the stack: a handler may call any command.
//
// Errors: on_connection_error, on_session_error and on_link_error call on_error by default,
// which reports the condition (container::report_error) and closes the connection;
// on_transport_error reports it and lets reconnect go on. Nothing fails silently unless the application overrides them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "amqp/condition.hpp"
#include "amqp/message.hpp"
#include "amqp/messaging/endpoints.hpp"
#include "amqp/messaging/transaction.hpp"

namespace amqp {

class container;

// One fact and everything it concerns. Only what the fact concerns is set: on_message has a
// connection, session, receiver, delivery and message, on_accepted a sender and tracker.
// The handles are made when asked for: an event the handler only looks at costs no reference
// counting. An event is valid during the handler call; a copy of it keeps the connection's
// state alive like a handle does, and is valid as long as it lives (its view() and message()
// excepted, which belong to the call).
class messaging_event {
 public:
  messaging_event(const messaging_event& other);
  messaging_event& operator=(const messaging_event& other);
  ~messaging_event();

  amqp::container& container() const noexcept { return *container_; }
  amqp::connection connection() const;
  amqp::session session() const;
  amqp::sender sender() const;
  amqp::receiver receiver() const;
  // The sender or the receiver.
  amqp::link link() const;
  amqp::tracker tracker() const;
  amqp::delivery delivery() const;
  // The received message, decoded on first use (on_message only). Valid during the call, also
  // after the handler settled the delivery.
  const amqp::message& message() const;
  // The same without copying: views into the delivery's payload, valid during the call until
  // the delivery is settled (null from then on).
  const message_view* view() const noexcept;
  // The transaction of an on_transaction_* event.
  amqp::transaction transaction() const;
  // The condition of an error or close event, if any.
  const std::optional<condition>& error() const noexcept { return error_; }

 private:
  friend struct detail::connection_context;
  friend class container;
  explicit messaging_event(amqp::container& c) noexcept : container_(&c) {}
  messaging_event(amqp::container& c, detail::connection_context* ctx, std::uint32_t epoch) noexcept
      : container_(&c), ctx_(ctx), epoch_(epoch) {}

  static constexpr std::uint32_t none = 0xffffffffu;
  enum class transfer : std::uint8_t { none, tracker, delivery };

  amqp::container* container_;
  // What the fact concerns, as records of the connection's state (null for the container's
  // own events). The state outlives the handler call; a copy of the event holds owner_.
  detail::connection_context* ctx_ = nullptr;
  std::shared_ptr<detail::connection_context> owner_;
  std::uint32_t session_ = none;
  std::uint32_t link_ = none;
  bool sender_link_ = false;
  transfer transfer_ = transfer::none;
  std::uint32_t epoch_ = 0;  // the transport the tracker or delivery belongs to
  delivery_handle delivery_;
  const amqp::message_view* view_ = nullptr;
  mutable std::optional<amqp::message> message_;
  std::optional<condition> error_;
  std::shared_ptr<detail::transaction_record> transaction_;  // on_transaction_* only
};

class messaging_handler {
 public:
  virtual ~messaging_handler() = default;

  // The container started running (the handler given to container::run).
  virtual void on_start(messaging_event&) {}

  // The peer's open arrived. A server answers with connection::open() here, or the
  // connection opens itself with its options when this returns.
  virtual void on_connection_opened(messaging_event&) {}
  // The connection closed cleanly, or with the peer's error (then on_connection_error first).
  virtual void on_connection_closed(messaging_event&) {}
  virtual void on_connection_error(messaging_event& e) { on_error(e); }

  virtual void on_session_opened(messaging_event&) {}
  virtual void on_session_closed(messaging_event&) {}
  virtual void on_session_error(messaging_event& e) { on_error(e); }

  // The peer's attach arrived: its answer to this side's, or a link it opened, which this side
  // answers here with sender::open / receiver::open / link::close, or opens with the peer's
  // termini when this returns. Called again after each reconnect.
  virtual void on_link_opened(messaging_event&) {}
  virtual void on_link_closed(messaging_event&) {}
  virtual void on_link_error(messaging_event& e) { on_error(e); }

  // A sender has credit (again): send now.
  virtual void on_sendable(messaging_event&) {}
  // A receiver's drain completed.
  virtual void on_receiver_drained(messaging_event&) {}
  // A sender was asked to drain: send what it has, then sender::complete_drain() (done for it
  // after this returns if it did not).
  virtual void on_sender_drain_start(messaging_event&) {}

  // A message arrived. Unless the application settles it here (or turned auto_accept off),
  // it is accepted when this returns.
  virtual void on_message(messaging_event&) {}

  // The peer's outcome of a message this side sent.
  virtual void on_accepted(messaging_event&) {}
  virtual void on_rejected(messaging_event&) {}
  virtual void on_released(messaging_event&) {}
  virtual void on_modified(messaging_event&) {}
  // The peer settled a message this side sent (after its outcome, if any), or, on a receiver,
  // a delivery this side had not settled yet.
  virtual void on_settled(messaging_event&) {}
  // A message this side sent lost its link or connection before the peer settled it: it may or
  // may not have arrived. An at-least-once sender sends it again.
  virtual void on_in_doubt(messaging_event&) {}

  // The transport failed (the error names what and where: host, reason); on_disconnected
  // follows. By default reported (container::report_error), without closing: reconnect, when on, goes on.
  virtual void on_transport_error(messaging_event& e);
  // The connection's transport is gone; with reconnect on, another attempt is scheduled.
  virtual void on_disconnected(messaging_event&) {}
  // A reconnect attempt succeeded: the peer's open arrived again; links attach again next.
  virtual void on_reconnected(messaging_event&) {}

  // Transactions (transaction.hpp); the event's transaction() is the one concerned, its
  // session() the one it was declared on, and its error() the reason of a failure. Called on
  // the handler given to declare_transaction (the connection's when none was).
  virtual void on_transaction_declared(messaging_event&) {}
  virtual void on_transaction_committed(messaging_event&) {}
  // Rolled back: asked to, or by the coordinator when the connection was lost (then with an
  // error).
  virtual void on_transaction_aborted(messaging_event&) {}
  // By default reported (container::report_error) without closing: the connection may go on.
  virtual void on_transaction_declare_failed(messaging_event& e);
  virtual void on_transaction_commit_failed(messaging_event& e);

  // The default of every error hook: reports "error: <what failed>: <condition>" through
  // container::report_error and closes the connection.
  virtual void on_error(messaging_event& e);
};

}  // namespace amqp
