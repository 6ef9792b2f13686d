// The state behind one messaging connection: its options, the engine of the current transport,
// and the sessions and links the application knows, which outlive a transport so that a
// reconnect attaches them again. Handles (connection, sender, tracker ...) point here.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "amqp/codec/writer.hpp"
#include "amqp/engine.hpp"
#include "amqp/messaging/connection_driver.hpp"
#include "amqp/messaging/container.hpp"
#include "amqp/messaging/endpoints.hpp"
#include "amqp/messaging/handler.hpp"
#include "amqp/messaging/options.hpp"
#include "amqp/messaging/reconnect.hpp"

namespace amqp::detail {

// Where an endpoint stands, this side and the peer's.
struct endpoint_flags {
  bool local_open = false;    // this side opened (or asked to: sent when possible)
  bool remote_open = false;   // the peer's open/begin/attach arrived
  bool local_closed = false;  // this side closed
  bool remote_closed = false;
  bool reported_closed = false;  // on_*_closed was called
  std::optional<condition> error;

  endpoint_state state() const noexcept;
};

// Engine handle -> record, for the engine's events: a vector indexed by the handle's slot (the
// engine reuses slots, so it is as long as the most endpoints alive at once), looked up with a
// bounds check and a comparison rather than by hashing, once per message on a busy link. The
// subset of std::unordered_map's interface the messaging layer uses, with entry pointers for
// iterators.
template <class Tag>
class handle_map {
 public:
  using key_type = basic_handle<Tag>;
  struct entry {
    key_type first;  // unset: the slot maps nothing
    std::uint32_t second = 0;
  };

  entry* find(key_type h) noexcept {
    if (h.slot >= entries_.size()) return nullptr;
    entry& e = entries_[h.slot];
    return e.first == h ? &e : nullptr;
  }
  entry* end() noexcept { return nullptr; }
  std::uint32_t& operator[](key_type h) {
    if (h.slot >= entries_.size()) entries_.resize(std::size_t{h.slot} + 1);
    entries_[h.slot].first = h;
    return entries_[h.slot].second;
  }
  void erase(entry* e) noexcept {
    if (e) e->first = {};
  }
  void erase(key_type h) noexcept { erase(find(h)); }
  void clear() noexcept { entries_.clear(); }

 private:
  std::vector<entry> entries_;
};

inline constexpr std::uint32_t no_link = 0xffffffffu;
inline constexpr std::uint32_t no_session = 0xffffffffu;

// A session's link to the peer's transaction coordinator (transactions.cpp): attached on the
// first declare, for the current transport only (links to a coordinator cannot be resumed,
// spec Part 4, 4.1).
struct coordinator_state {
  std::uint32_t link = no_link;  // its link record; no_link: none yet, or lost
  // The peer's attach answered with a coordinator: what it offers is known.
  bool known = false;
  bool multi_txns_per_ssn = false;
  bool multi_ssns_per_txn = false;
};

struct session_record {
  session_options options;
  session_handle engine;  // unset while not begun on the current transport
  endpoint_flags flags;
  bool peer_began = false;  // the peer began it (a server's session): not begun again
  bool answered = false;    // this side's begin went out on the current transport
  coordinator_state coordinator;
};

// A transaction this side declared (transaction.hpp). The connection keeps it while it is under
// way (declaring to aborting); the handles to it keep it after, with its final state.
struct transaction_record {
  std::uint32_t session = 0;
  transaction_state state = transaction_state::declaring;
  std::optional<transaction_id> id;
  std::optional<condition> error;
  messaging_handler* handler = nullptr;  // where its events go
  // Its declare or discharge: waiting for the coordinator (its attach, its capabilities, its
  // credit) while `queued`; then the delivery `request` on the coordinator link.
  bool queued = false;
  bool fail = false;  // the discharge rolls back
  delivery_handle request;
  value acquire_properties;              // {txn-id: id}, the flow properties of acquire()
  std::vector<std::uint32_t> acquiring;  // receivers whose flows carry them
  transaction::discharge_callback discharged;
  declare_callback declared;

  bool live() const noexcept {
    return state == transaction_state::declaring || state == transaction_state::active ||
           state == transaction_state::committing || state == transaction_state::aborting;
  }
};

struct link_record {
  std::uint32_t session = 0;
  amqp::role role = amqp::role::sender;
  std::string name;
  sender_options sender;      // role sender
  receiver_options receiver;  // role receiver
  link_handle engine;         // unset while not attached on the current transport
  endpoint_flags flags;
  bool peer_attached = false;     // the peer attached it: not attached again after a reconnect
  bool answered = false;          // this side's attach went out for it
  bool detach_only = false;       // this side detached rather than closed
  bool wait_for_peer_open = false;  // an anonymous-relay sender: needs the peer's capabilities
  bool credit_listed = false;     // in consumed_credit
  std::string address;            // the node's address as the application asked
  // The session's link to the transaction coordinator: hidden from the application, its
  // events drive the transactions (transactions.cpp); never attached again by a reconnect.
  bool coordinator = false;
};

struct connection_context : std::enable_shared_from_this<connection_context> {
  connection_context(container& c, messaging_handler& h, url address, connection_options o,
                     engine_role r);

  container* owner;
  messaging_handler* handler;
  url address;                 // the URL of the current (or last) attempt
  connection_options options;  // as given, plus what the URL filled in
  engine_role side;
  std::string container_id;

  std::unique_ptr<connection_engine> engine;  // the current transport's; null before the first
  std::uint32_t epoch = 0;                    // transports made so far
  endpoint_flags flags;
  bool ever_opened = false;     // a peer's open arrived on some transport
  bool transport_up = false;    // between transport_started and transport_ended
  // This side's open went out on the current transport: sessions can begin. A client's waits
  // for SASL to succeed (the engine keeps it until then and refuses begins meanwhile).
  bool open_sent = false;
  // Written on the connection's thread, read by connection::post from any thread.
  std::atomic<bool> finished{false};
  // The peer refused to let this side in (amqp:unauthorized-access as the transport's end: a
  // SASL outcome other than ok, a certificate that does not verify): trying again would only
  // be refused again, so it is final, as in Qpid Proton.
  bool refused = false;
  bool in_dispatch = false;
  bool output_signalled = false;
  std::optional<condition> pending_failure;  // a failed() driver's error, reported on dispatch
  std::string io_error;  // what the socket said when the current transport ended

  std::vector<session_record> sessions;
  std::optional<std::uint32_t> default_session;
  std::vector<link_record> links;
  handle_map<link_handle_tag> link_of;  // engine handle -> record
  handle_map<session_handle_tag> session_of;
  std::vector<std::uint32_t> consumed_credit;  // receivers to top up after this dispatch
  // Sent deliveries whose outcome the peer gave before settling (rcv-settle-mode second, or a
  // receiver that settles later): their on_accepted (...) was called, not to be repeated when
  // the settlement comes with the same outcome.
  std::unordered_set<delivery_handle> outcome_reported;
  // Links detached in this dispatch: the engine may still report their deliveries in doubt.
  std::vector<std::pair<link_handle, std::uint32_t>> retired_links;

  reconnect_state reconnect;  // the URL, then the failover list, and the delays between
  std::shared_ptr<const tls_context> default_tls;  // for amqps without options.tls

  std::function<void()> output_hook;
  // connection::post comes from any thread: the hook is set, cleared and read under the mutex.
  std::mutex post_mutex;
  std::function<bool(std::function<void()>)> post_hook;
  // Hands `work` to the binding's hook (called without the mutex held: the hook may drop the
  // binding's last reference to the connection, whose driver then clears the hook); false
  // without a hook.
  bool post(std::function<void()> work);

  writer scratch;  // each message a sender sends is encoded here
  // sender::send(m, on_outcome) callbacks of the current transport, by delivery.
  std::unordered_map<delivery_handle, amqp::sender::outcome_callback> outcome_waiters;
  // Calls and forgets the waiter of `d`, if any.
  void complete_outcome(delivery_handle d, std::error_code ec, const delivery_state& state);
  // The on_message call under way: its event's views point into the delivery's payload.
  messaging_event* delivering = nullptr;
  delivery_handle delivering_handle;
  std::uint32_t delivering_link = 0;
  // The outcome the receiver's options give a message the application left unsettled: after
  // on_message, and before a close made inside it, so that the disposition goes out ahead of
  // the detach, end or close (after them it would be lost and the message sent again).
  void settle_by_default(std::uint32_t link, delivery_handle d);
  // That, for the message of the on_message call under way, when `affected` says the close
  // being made ends its link.
  template <class Affected>
  void settle_delivering_before_close(Affected affected) {
    if (delivering && transport_up && affected(delivering_link))
      settle_by_default(delivering_link, delivering_handle);
  }

  // Transactions under way (transactions.cpp), in the order they were declared; and the ones
  // whose declare or discharge waits for the coordinator, in the order they were asked.
  std::vector<std::shared_ptr<transaction_record>> transactions;
  std::vector<std::shared_ptr<transaction_record>> coordinator_queue;

  // --- handles --------------------------------------------------------------------------------
  amqp::connection connection_handle() { return amqp::connection(shared_from_this()); }
  amqp::session session_handle_of(std::uint32_t id) { return {shared_from_this(), id}; }
  amqp::sender sender_of(std::uint32_t id) { return {shared_from_this(), id}; }
  amqp::receiver receiver_of(std::uint32_t id) { return {shared_from_this(), id}; }
  amqp::tracker tracker_of(std::uint32_t link, delivery_handle d) {
    return tracker_of(epoch, link, d);
  }
  amqp::tracker tracker_of(std::uint32_t at_epoch, std::uint32_t link, delivery_handle d) {
    return {shared_from_this(), at_epoch, link, d};
  }
  amqp::delivery delivery_of(std::uint32_t at_epoch, std::uint32_t link, delivery_handle d) {
    return {shared_from_this(), at_epoch, link, d};
  }
  // An event about this connection (and, through set_link, set_tracker and set_delivery, about
  // what else it concerns); its handles are made when the handler asks for them.
  messaging_event make_event() { return messaging_event(*owner, this, epoch); }
  void set_link(messaging_event& e, std::uint32_t id);
  // on_link_closed for the links with their own handler not told yet, of `session` (no_session:
  // all), with `error`.
  void report_own_links_closed(std::uint32_t session, const std::optional<condition>& error);
  // Where link `id`'s events go: its own handler (sender_options::handler,
  // receiver_options::handler), else the connection's.
  messaging_handler* handler_of(std::uint32_t id) const noexcept {
    const link_record& l = links[id];
    messaging_handler* own = l.role == role::sender ? l.sender.handler : l.receiver.handler;
    return own ? own : handler;
  }
  static void set_session(messaging_event& e, std::uint32_t id) { e.session_ = id; }
  static void set_tracker(messaging_event& e, delivery_handle d) {
    e.transfer_ = messaging_event::transfer::tracker;
    e.delivery_ = d;
  }
  static void set_delivery(messaging_event& e, delivery_handle d) {
    e.transfer_ = messaging_event::transfer::delivery;
    e.delivery_ = d;
  }
  // Settles (or, under rcv-settle-mode second, states the outcome of) a delivery of transport
  // `at_epoch`: what delivery::accept(), settle() ... do. errc::invalid_handle when the
  // delivery is gone.
  std::error_code settle_delivery(std::uint32_t at_epoch, delivery_handle d,
                                  const delivery_state& state);

  // --- commands (endpoints.cpp, links.cpp) ----------------------------------------------------
  std::uint32_t add_session(const session_options& o, bool peer_began);
  std::uint32_t ensure_default_session();
  std::uint32_t add_link(std::uint32_t session, amqp::role r, std::string_view address,
                         const sender_options* so, const receiver_options* ro);
  void begin(std::uint32_t session);   // on the current transport, when it can
  void begin_pending();                // the sessions opened while the open was not out
  void send_open();                    // this side's open, and what waited for it
  void attach(std::uint32_t link);     // on the current transport, when it can
  void answer_link(std::uint32_t link);  // a peer's attach, with the record's options
  link_options make_link_options(const link_record& l) const;
  void close_link(std::uint32_t link, std::optional<condition> error, bool detach_only);
  void close_session(std::uint32_t session, std::optional<condition> error);
  void close_connection(std::optional<condition> error);
  // A command outside dispatch() made output: tell the binding once.
  void touched();
  // A link's failure before or without the engine (an attach refused by the engine, no
  // anonymous relay): closed at once, reported inside dispatch or as posted work.
  void fail_link(std::uint32_t link, condition error);
  void report_link_failure(std::uint32_t link, condition error);

  // --- the transport (driver.cpp) -------------------------------------------------------------
  engine_config make_engine_config();
  open_options make_open_options() const;
  void start_transport();
  std::optional<connect_attempt> next_attempt();

  // --- events (dispatch.cpp) ------------------------------------------------------------------
  void dispatch();
  void handle(const event& ev);
  void on_peer_opened();
  void on_peer_closed(const peer_closed& ev);
  void on_peer_began(const peer_began_session& ev);
  void on_peer_ended(const peer_ended_session& ev);
  void on_peer_attached(const peer_attached& ev);
  void on_peer_detached(const peer_detached& ev);
  void on_credit(const credit_granted& ev);
  void on_drained(const link_drained& ev);
  void on_transfer(const transfer_received& ev);
  void on_disposition(const disposition_received& ev);
  void on_in_doubt(const delivery_in_doubt& ev);
  void on_violation(const protocol_violation& ev);
  void on_transport_closed(const transport_closed& ev);
  void on_sasl_request(const sasl_auth_requested& ev);
  void top_up_credit();
  // The delivery is about to be settled (its payload freed): the on_message event under way
  // for it copies its message first, and its views go.
  void before_settle(delivery_handle d);
  void report_transport_error(const condition& error);
  void report_disconnected();
  void report_closed();  // on_connection_closed, without an error
  void forget_transport_endpoints();

  // --- transactions (transactions.cpp) --------------------------------------------------------
  amqp::transaction transaction_of(std::shared_ptr<transaction_record> t) {
    return amqp::transaction(shared_from_this(), std::move(t));
  }
  // A declare on `session`, events to `h` (null: the connection's handler); null when the
  // connection or the session is closed.
  std::shared_ptr<transaction_record> declare(std::uint32_t session, messaging_handler* h,
                                              declare_callback done);
  // A discharge: commit, or roll back when `fail`.
  std::error_code discharge(const std::shared_ptr<transaction_record>& t, bool fail,
                            transaction::discharge_callback done);
  void attach_coordinator(std::uint32_t session);
  // Sends what waits for the session's coordinator, as its credit allows; `from_app`: inside
  // an application's call, which hears of failures afterwards.
  void pump_coordinator(std::uint32_t session, bool from_app);
  // The coordinator link's events, in place of the application's link events.
  void on_coordinator_attached(std::uint32_t link);
  void on_coordinator_credit(std::uint32_t link);
  void on_coordinator_disposition(std::uint32_t link, delivery_handle d, bool settled);
  // The coordinator link (or its session) ended: the coordinator rolled back what was not
  // discharged (spec Part 4, 4.1), and what waited for it fails. Nothing when `link` is no
  // longer its session's coordinator.
  void coordinator_lost(std::uint32_t link, const std::optional<condition>& error);
  // The transport ended: every transaction under way ends, as transaction.hpp says.
  void transactions_lost();
  // The id of the active transaction `id` names, if there is one here.
  const transaction_id* active_transaction(const transaction_id& id) const noexcept;
  // The active transaction a received delivery was acquired in (its transfer's
  // transactional-state): its outcome must go in the same transaction (spec Part 4, 4.4.4).
  const transaction_id* acquired_in(const delivery_status& d) const noexcept {
    if (transactions.empty() || !d.remote_state.is_transactional()) return nullptr;
    return active_transaction(*d.remote_state.txn);
  }
  // Whether the session of link `link` may do work of `t` (amqp:multi-ssns-per-txn).
  bool may_work_on(const transaction_record& t, std::uint32_t link) const noexcept;
  // How a transaction ends, and the event that says so.
  enum class txn_end : std::uint8_t { declare_failed, committed, commit_failed, aborted };
  // Ends `t`: its state and error set, removed from the records, its acquisitions cleared,
  // its callback called with `ec`, then its handler's event.
  void finish_transaction(std::shared_ptr<transaction_record> t, txn_end how,
                          std::optional<condition> error, std::error_code ec);
  // The same, as posted work when the application is inside the call that failed (at once
  // when nothing can be posted).
  void finish_transaction_later(std::shared_ptr<transaction_record> t, txn_end how,
                                condition error, std::error_code ec);
  void report_declared(const std::shared_ptr<transaction_record>& t);
};

// "amqp:connection:framing-error" style conditions for what the messaging layer itself decides.
condition make_condition(std::string name, std::string description);

}  // namespace amqp::detail
