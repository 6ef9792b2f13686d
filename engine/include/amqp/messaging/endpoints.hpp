// The objects a messaging application works with: connection, session, sender, receiver,
// tracker (a message this side sent) and delivery (a message it received).
//
//   void on_sendable(amqp::messaging_event& e) override {
//     amqp::sender s = e.sender();
//     while (s.credit() > 0 && sent_ < total_) {
//       amqp::message m;
//       m.set_value(amqp::value(std::int64_t{sent_++}));
//       if (auto t = s.send(m); !t) std::cerr << t.error().message() << '\n';
//     }
//   }
//
// They are handles: small values, copied freely, compared equal when they name the same thing.
// Each keeps its connection's state alive, so a handle kept after its endpoint ended is safe:
// its queries answer as for a closed endpoint and its commands return errc::invalid_handle
// (or, for the open_* calls, a handle whose on_*_error reports why).
//
// Threading: a connection's handles are used on that connection's thread only (in the Asio
// binding, its strand: inside its handler calls, or through connection::post()).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "amqp/codec/types.hpp"
#include "amqp/condition.hpp"
#include "amqp/engine.hpp"
#include "amqp/errors.hpp"
#include "amqp/handles.hpp"
#include "amqp/link.hpp"
#include "amqp/message.hpp"
#include "amqp/messaging/options.hpp"

namespace amqp {

class container;
class session;
class sender;
class receiver;
class tracker;
class transaction;
class messaging_handler;
namespace detail {
struct connection_context;
}

// What an endpoint's state is, from both sides (spec Part 2, 2.4.1, 2.5.5, 2.6.1).
enum class endpoint_state : std::uint8_t {
  opening,  // this side opened, the peer's answer is awaited (or the reverse)
  active,   // open both ways
  closing,  // one side closed, the other's close is awaited
  closed,   // over (a handle to something gone says this too)
};

class connection {
 public:
  connection() = default;
  bool is_set() const noexcept { return ctx_ != nullptr; }

  // The container this connection belongs to. Precondition: is_set().
  amqp::container& container() const noexcept;
  endpoint_state state() const noexcept;
  // This side's container id, and the peer's (empty before its open).
  const std::string& container_id() const noexcept;
  std::string remote_container_id() const;
  // The peer's open; null before it arrived (and between reconnects).
  const open_fields* remote_open() const noexcept;
  // Whether the peer's open offers `capability` ("ANONYMOUS-RELAY").
  bool peer_offers(std::string_view capability) const noexcept;
  // The URL a client connected to (the failover entry in use), or the listener's for a server.
  const url& address() const noexcept;
  // Who the SASL exchange authenticated (a server: the client; a client: itself); null without
  // SASL. The TLS connection; null without TLS.
  const sasl_authenticated* authentication() const noexcept;
  const tls_info* tls() const noexcept;
  // Whether the current transport is a reconnection (not the first).
  bool reconnected() const noexcept;
  // The error the connection ended with, this side's or the peer's or the transport's.
  std::optional<condition> error() const;

  // Opens the connection (a server answering a client's open, when on_connection_opened did
  // not; a client opens when connected by itself).
  void open();
  // Closes it, with `error` when given; on_connection_closed follows. No reconnect after this.
  void close(std::optional<condition> error = std::nullopt);

  // A session with default options, made on first use and reused: what open_sender and
  // open_receiver use.
  session default_session();
  session open_session(const session_options& options = {});
  // A sender to `address` (its target) and a receiver from `address` (its source), on the
  // default session. An empty address: a sender for the anonymous relay, a receiver of a
  // dynamic node when options.dynamic.
  amqp::sender open_sender(std::string_view address, const sender_options& options = {});
  amqp::receiver open_receiver(std::string_view address, const receiver_options& options = {});

  // Runs `work` on this connection's thread, in order with its events, then writes what it
  // made the connection send. Safe from any thread: the way to act on a connection from
  // another connection's handler when the container runs on several threads. false when the
  // connection is over (`work` is dropped).
  bool post(std::function<void()> work) const;

  friend bool operator==(const connection&, const connection&) = default;
  friend struct std::hash<connection>;

 private:
  friend struct detail::connection_context;
  friend class session;
  friend class link;
  friend class tracker;
  friend class delivery;
  explicit connection(std::shared_ptr<detail::connection_context> ctx) noexcept
      : ctx_(std::move(ctx)) {}
  std::shared_ptr<detail::connection_context> ctx_;
};

class session {
 public:
  session() = default;
  bool is_set() const noexcept { return ctx_ != nullptr; }
  amqp::connection connection() const;
  endpoint_state state() const noexcept;
  // The engine's view (windows, channels); null when not attached to the current transport.
  const session_status* status() const noexcept;
  amqp::sender open_sender(std::string_view address, const sender_options& options = {});
  amqp::receiver open_receiver(std::string_view address, const receiver_options& options = {});
  // Opens a session the peer began (when on_session_opened did not).
  void open(const session_options& options = {});
  void close(std::optional<condition> error = std::nullopt);
  std::optional<condition> error() const;

  friend bool operator==(const session&, const session&) = default;

 private:
  friend struct detail::connection_context;
  friend class connection;
  friend class link;
  friend transaction declare_transaction(const session&, messaging_handler*);
  friend transaction declare_transaction(const session&,
                                         std::function<void(std::error_code, transaction)>);
  session(std::shared_ptr<detail::connection_context> ctx, std::uint32_t id) noexcept
      : ctx_(std::move(ctx)), id_(id) {}
  std::shared_ptr<detail::connection_context> ctx_;
  std::uint32_t id_ = 0;
};

// What sender and receiver share.
class link {
 public:
  link() = default;
  bool is_set() const noexcept { return ctx_ != nullptr; }
  amqp::connection connection() const;
  amqp::session session() const;
  endpoint_state state() const noexcept;
  amqp::role role() const noexcept;
  const std::string& name() const noexcept;
  // The address of the node at the other end: the target of a sender, the source of a
  // receiver, as the peer's attach gave it (a dynamic node's name) or as asked before that.
  std::string address() const;
  // The engine's view (credit, settle modes, the remote termini); null while not attached.
  const link_status* status() const noexcept;
  std::optional<condition> error() const;
  // Closes the link (spec Part 2, 2.6.6); on_link_closed follows.
  void close(std::optional<condition> error = std::nullopt);
  // Detaches it without closing (a durable subscription stays for a later attach by name).
  void detach(std::optional<condition> error = std::nullopt);
  // Sends this side's flow state for the link with echo set (spec Part 2, 2.7.4): the peer
  // answers with its own, which updates status() (a receiver learns the sender's
  // delivery-count and available). errc::wrong_state while not attached.
  std::error_code request_flow();
  // Where this link's events go from now on (sender_options::handler); null: the connection's
  // handler. An object that owns a link and goes away before its last event sets a handler
  // that outlives it.
  void set_handler(messaging_handler* handler);

  friend bool operator==(const link&, const link&) = default;
  friend struct std::hash<link>;

 protected:
  friend struct detail::connection_context;
  friend class connection;
  friend class session;
  friend class transaction;
  link(std::shared_ptr<detail::connection_context> ctx, std::uint32_t id) noexcept
      : ctx_(std::move(ctx)), id_(id) {}
  std::shared_ptr<detail::connection_context> ctx_;
  std::uint32_t id_ = 0;
};

class sender : public link {
 public:
  sender() = default;
  // How many messages the receiver lets this side send now.
  std::uint32_t credit() const noexcept;
  // Sends a message: encoded once into the connection's buffer, copied into the engine, the
  // tracker follows its outcome (unless sent settled: at_most_once). errc::no_credit without
  // credit (wait for on_sendable); errc::wrong_state before the link opened or after it ended;
  // errc::invalid_argument for a message the peer's max-message-size refuses or that does not
  // encode (its body not matching body_type).
  [[nodiscard]] result<tracker, std::error_code> send(const message& m);
  // The same for a message already encoded (encode_message), sent as it is. With `txn`, it is
  // sent inside that transaction (its first transfer carries the transactional-state): a
  // controller sends this way through transaction::send, a coordinator that lets a receiver
  // acquire in a transaction (link_status::remote_flow_properties holds its txn-id) too.
  [[nodiscard]] result<tracker, std::error_code> send_encoded(bytes_view encoded,
                                                              const transaction_id* txn = nullptr);
  // Begins a message given in parts: `first_part` is the start of its encoding, sent as far
  // as frames fill; tracker::send_more() gives the rest, tracker::abort() gives it up. No other
  // message goes on this link until it is complete or aborted (errc::wrong_state meanwhile).
  // Errors as send_encoded's.
  [[nodiscard]] result<tracker, std::error_code> send_partial(bytes_view first_part);
  // Sends `m` and calls `on_outcome` exactly once, on this connection's thread: with the peer's
  // final state once it settled the delivery (at once, with no state, for a message sent
  // settled; at its outcome when it settles second, as this side then settles first), or
  // with errc::in_doubt when the link or connection ended first. Nothing is called when the
  // send itself fails (the error is returned). What the bindings' async_send is built on.
  using outcome_callback = std::function<void(std::error_code, const delivery_state&)>;
  [[nodiscard]] result<tracker, std::error_code> send(const message& m,
                                                      outcome_callback on_outcome);
  // The same for a message already encoded (encode_message), sent as it is.
  [[nodiscard]] result<tracker, std::error_code> send_encoded(bytes_view encoded,
                                                              outcome_callback on_outcome);
  // The completion-token form, `co_await s.async_send(m, asio::use_awaitable)`: provided by the
  // binding in use, which defines amqp::initiate_async_send for its tokens (found when this
  // is instantiated). Completes with (std::error_code, delivery_state) as above.
  template <class Token>
  auto async_send(const message& m, Token&& token) {
    return initiate_async_send(*this, m, std::forward<Token>(token));
  }
  // Answers a drain request: the credit left is given up (link_status::drain says one is asked).
  std::error_code complete_drain();
  // Opens a sender the peer attached (when on_link_opened did not): `options` decide its
  // source and target, the peer's termini being the default.
  void open(const sender_options& options = {});

 private:
  friend struct detail::connection_context;
  friend class connection;
  friend class session;
  using link::link;
  result<tracker, std::error_code> send_with(bytes_view encoded, send_options options);
};

class receiver : public link {
 public:
  receiver() = default;
  // Grants `n` more messages (with credit_window 0, the only way credit is given).
  std::error_code add_credit(std::uint32_t n);
  // Asks the sender to use or give up all credit now; on_receiver_drained follows.
  std::error_code drain();
  // Opens a receiver the peer attached (when on_link_opened did not).
  void open(const receiver_options& options = {});

 private:
  friend struct detail::connection_context;
  friend class connection;
  friend class session;
  using link::link;
};

// A message this side sent, until it is settled.
class tracker {
 public:
  tracker() = default;
  bool is_set() const noexcept { return ctx_ != nullptr; }
  amqp::sender sender() const;
  amqp::connection connection() const;
  // The delivery-tag (unique among the link's unsettled deliveries).
  bytes_view tag() const noexcept;
  // The peer's state: its outcome once it gave one.
  delivery_state remote_state() const;
  bool remote_settled() const noexcept;
  // Whether this side settled it (the tracker is then stale).
  bool settled() const noexcept;
  // Settles it, forgetting it: done automatically after the peer settles unless the sender's
  // auto_settle is off.
  std::error_code settle();
  // A message begun with sender::send_partial(): the next part of its encoding, the last when
  // `more` is false. errc::wrong_state once it is complete or its link ended;
  // errc::invalid_handle once it was aborted or settled.
  std::error_code send_more(bytes_view part, bool more);
  // Gives up a message not yet completely sent (spec Part 2, 2.6.14): the receiver drops
  // what it got of it. The tracker is settled and stale afterwards; no outcome follows.
  // errc::wrong_state once it is complete or its link ended; errc::invalid_handle once it was
  // aborted or settled.
  std::error_code abort();

  friend bool operator==(const tracker& a, const tracker& b) noexcept {
    return a.ctx_ == b.ctx_ && a.epoch_ == b.epoch_ && a.delivery_ == b.delivery_;
  }
  friend struct std::hash<tracker>;

 private:
  friend struct detail::connection_context;
  friend class sender;
  tracker(std::shared_ptr<detail::connection_context> ctx, std::uint32_t epoch,
          std::uint32_t link, delivery_handle d) noexcept
      : ctx_(std::move(ctx)), epoch_(epoch), link_(link), delivery_(d) {}
  std::shared_ptr<detail::connection_context> ctx_;
  std::uint32_t epoch_ = 0;  // which transport of a reconnecting connection it was sent on
  std::uint32_t link_ = 0;
  delivery_handle delivery_;
};

// A message this side received, until it is settled.
class delivery {
 public:
  delivery() = default;
  bool is_set() const noexcept { return ctx_ != nullptr; }
  amqp::receiver receiver() const;
  amqp::connection connection() const;
  bytes_view tag() const noexcept;
  // The encoded message; valid until the delivery is settled.
  bytes_view payload() const noexcept;
  delivery_state remote_state() const;
  bool remote_settled() const noexcept;
  bool settled() const noexcept;

  // The outcomes (spec Part 3, 3.4), each settling the delivery (unless the link's
  // rcv-settle-mode is second: then the state is sent and the sender's settlement awaited).
  std::error_code accept();
  std::error_code reject(std::optional<condition> error = std::nullopt);
  std::error_code release();
  std::error_code modify(bool delivery_failed, bool undeliverable_here = false,
                         value message_annotations = {});
  // Sends a state without settling (received, or an outcome under rcv-settle-mode second).
  std::error_code update(const delivery_state& state);
  // Settles with the current state.
  std::error_code settle();
  // Settles with `state`: any outcome, a coordinator's declared, or a transactional-state.
  std::error_code settle(const delivery_state& state);

  friend bool operator==(const delivery& a, const delivery& b) noexcept {
    return a.ctx_ == b.ctx_ && a.epoch_ == b.epoch_ && a.delivery_ == b.delivery_;
  }

 private:
  friend struct detail::connection_context;
  friend class transaction;
  delivery(std::shared_ptr<detail::connection_context> ctx, std::uint32_t epoch,
           std::uint32_t link, delivery_handle d) noexcept
      : ctx_(std::move(ctx)), epoch_(epoch), link_(link), delivery_(d) {}
  std::shared_ptr<detail::connection_context> ctx_;
  std::uint32_t epoch_ = 0;
  std::uint32_t link_ = 0;
  delivery_handle delivery_;
};

}  // namespace amqp

// Connections and links as keys of unordered containers (a server keeping state per link).
// A sender or receiver is hashed as the link it is.
template <>
struct std::hash<amqp::connection> {
  std::size_t operator()(const amqp::connection& c) const noexcept {
    return std::hash<const void*>{}(c.ctx_.get());
  }
};

template <>
struct std::hash<amqp::link> {
  std::size_t operator()(const amqp::link& l) const noexcept {
    return std::hash<const void*>{}(l.ctx_.get()) ^ (std::size_t{l.id_} * 0x9e3779b97f4a7c15u);
  }
};

template <>
struct std::hash<amqp::tracker> {
  std::size_t operator()(const amqp::tracker& t) const noexcept {
    return std::hash<const void*>{}(t.ctx_.get()) ^
           (std::hash<amqp::delivery_handle>{}(t.delivery_) + t.epoch_);
  }
};
