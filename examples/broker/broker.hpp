// The example broker's messaging handler: in-memory queues made on demand, producers and
// consumers attached to them, dynamic nodes for reply-to addresses, the anonymous relay, JMS
// selectors and browsing. It does no I/O itself; main.cpp runs it in the Asio container.
//
//   broker::broker_handler handler({.queue_limit = 100000});
//   amqp::asio::container c(handler);
//   amqp::connection_options o = handler.connection_options();   // offers ANONYMOUS-RELAY
//   auto l = c.listen("127.0.0.1:5672", o);
//   c.run();
//
// What a client sees:
// - A receiver on address A consumes from queue A (made if it does not exist), round robin
//   with the queue's other consumers, within its credit. Deliveries are unsettled and wait for
//   the receiver's outcome (accepted and rejected drop the message, released and modified put
//   it back) unless the receiver asked for settled ones (snd-settle-mode settled). A receiver
//   that settles without an outcome consumed the message. A receiver whose link, session or
//   connection ends gives back what it had not settled.
// - distribution-mode "copy" browses: copies of the messages, none taken away.
// - A selector (the filter apache.org:selector-filter:string, or its code 0x468C00000004, under
//   any key) selects by application properties and JMS headers (selector.hpp); the filter is
//   echoed in the answer. One that does not parse refuses the link with amqp:invalid-field.
// - A receiver with a dynamic source gets a new queue, "dynamic-<n>", named in the answer and
//   deleted when that link closes; so does a sender with a dynamic target.
// - A sender on address A appends to queue A; a sender with no target address uses the
//   anonymous relay (ANONYMOUS-RELAY is offered): each message goes to its `to`.
// - A message to a full queue (queue_limit), or past the memory limit, is rejected with
//   amqp:resource-limit-exceeded; one to a deleted dynamic node or without a `to` on the relay
//   with amqp:not-found.
// - Durable subscriptions are ordinary queues: the subscription's name is its address.
// - With confirm_on_consume, an unsettled message is settled with the outcome its consumer gave
//   (accepted or rejected), or accepted once sent to an at-most-once consumer; one whose
//   dynamic node is deleted first is rejected with amqp:resource-deleted. Without it, the
//   broker accepts a message once its queue holds it.
// - Local transactions (spec Part 4): a sender whose target is a coordinator declares and
//   discharges them (the coordinator offers amqp:local-transactions, amqp:multi-txns-per-ssn and
//   amqp:multi-ssns-per-txn). A message sent in a transaction is answered
//   transactional-state(accepted) at once and put in its queue only if the transaction commits.
//   A delivery a consumer settles in a transaction, or that it acquired in one (its flow's
//   properties name the txn-id: the deliveries then come in transactional-state), is held
//   until the discharge: its outcome is applied on commit, and it is released (available
//   again, in its place) on rollback. A commit that cannot put every message in its queue (a
//   queue full, or gone) rolls back instead: the discharge is rejected with
//   amqp:transaction:rollback. An id that is not an open transaction of the connection naming
//   it is amqp:transaction:unknown-id: the discharge or the message is rejected, a consumer's
//   link closed. A declare with a global id (a distributed transaction) is rejected with
//   amqp:not-implemented. Transactions still open when their coordinator link, session or
//   connection goes are rolled back. Transactional sends are not subject to
//   confirm_on_consume: their answer is the transaction's.
//
// All connections must run on one thread (the Asio container's single-threaded run()): a
// message received on one connection is sent on others from the same handler call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "amqp/messaging/endpoints.hpp"
#include "amqp/messaging/handler.hpp"
#include "amqp/messaging/options.hpp"
#include "queue.hpp"
#include "selector.hpp"
#include "transactions.hpp"

namespace broker {

struct broker_options {
  std::size_t queue_limit = 100000;         // messages per queue (waiting and unsettled)
  std::size_t max_queues = 10000;           // queues at once
  std::size_t memory_limit = std::size_t{1} << 30;  // bytes of messages held, all queues
  std::uint32_t credit_window = 100;        // credit kept granted to each producer
  // Settle a producer's unsettled delivery only when a consumer accepted or rejected the
  // message (with that outcome), not when the queue took it. A message held in memory is
  // then never confirmed before it is consumed, so a broker that dies loses nothing a
  // reliable producer does not resend: its deliveries are in doubt.
  bool confirm_on_consume = false;
  transaction_limits transactions{};
  selector_limits selector{};
  std::ostream* log = nullptr;  // verbose: connections and links, one line each
};

class broker_handler : public amqp::messaging_handler {
 public:
  explicit broker_handler(broker_options options = {});
  ~broker_handler() override;

  // What the listener needs on top of TLS and SASL: the ANONYMOUS-RELAY capability.
  amqp::connection_options connection_options(amqp::connection_options base = {}) const;

  // For tests and logs.
  const queue* find_queue(std::string_view name) const;
  std::size_t queue_count() const noexcept { return queues_.size(); }

  void on_connection_opened(amqp::messaging_event& e) override;
  void on_connection_closed(amqp::messaging_event& e) override;
  void on_connection_error(amqp::messaging_event& e) override;
  void on_session_closed(amqp::messaging_event& e) override;
  void on_session_error(amqp::messaging_event& e) override;
  void on_link_opened(amqp::messaging_event& e) override;
  void on_link_closed(amqp::messaging_event& e) override;
  void on_link_error(amqp::messaging_event& e) override;
  void on_sendable(amqp::messaging_event& e) override;
  void on_message(amqp::messaging_event& e) override;
  void on_accepted(amqp::messaging_event& e) override { outcome_arrived(e); }
  void on_rejected(amqp::messaging_event& e) override { outcome_arrived(e); }
  void on_released(amqp::messaging_event& e) override { outcome_arrived(e); }
  void on_modified(amqp::messaging_event& e) override { outcome_arrived(e); }
  void on_settled(amqp::messaging_event& e) override;
  void on_transport_error(amqp::messaging_event& e) override;
  void on_disconnected(amqp::messaging_event& e) override;

 private:
  struct queue_entry {
    std::unique_ptr<broker::queue> q;
    std::unordered_map<consumer_id, amqp::sender> senders;  // its consumers' links
    std::optional<amqp::link> owner;  // a dynamic node: the link it was made for
  };
  struct consumer_link {
    std::string queue;
    consumer_id id = 0;
    std::unordered_map<amqp::tracker, std::uint64_t> unsettled;  // -> the queue's delivery id
    // Deliveries sent while the consumer acquired in a transaction, and which one.
    std::unordered_map<amqp::tracker, amqp::transaction_id> acquired;
  };
  struct producer_link {
    std::optional<std::string> address;  // none: the anonymous relay
  };

  // The queue `name`, made if it may be; null with `why` set when it may not.
  queue_entry* find_or_make(const std::string& name, amqp::condition& why);
  queue_entry* make_dynamic(const amqp::link& owner);
  void open_consumer(amqp::sender s, const amqp::link_status& st);
  void open_producer(amqp::receiver r, const amqp::link_status& st);
  // Answers the peer's attach and closes the link at once, with `why`.
  template <class Link>
  void refuse(Link l, amqp::condition why);
  // A link is gone: consumers give back what they held; dynamic nodes it owned go.
  void forget_link(const amqp::link& l);
  void forget_where(const std::function<bool(const amqp::link&)>& which);
  void delete_queue(const std::string& name);
  // Drops a queue nobody uses and that holds nothing (it is made again when named).
  void collect(const std::string& name);
  void dispatch(queue_entry& q);
  // Where a producer's message goes: its link's address, or its `to` on the anonymous relay.
  std::optional<std::string> route(amqp::messaging_event& e, amqp::condition& why);
  // --- transactions (broker_transactions.cpp) ---
  void open_coordinator(amqp::receiver r);
  void on_coordinator_message(amqp::messaging_event& e);
  void on_transactional_send(amqp::messaging_event& e);
  // A consumer's outcome for a delivery it settled in, or acquired in, transaction `id`.
  // Returns false when the transaction is not one of the connection's (the link is closed).
  bool hold_in_transaction(consumer_link& c, const amqp::link& l, std::uint64_t delivery,
                           const amqp::transaction_id& id, const outcome& o);
  // The transaction a consumer's link acquires in (its flow properties' txn-id), if any.
  std::optional<amqp::transaction_id> acquiring(const amqp::sender& s) const;
  // Applies a transaction's work; the reason when it had to roll back instead.
  std::optional<amqp::condition> commit(open_transaction& t);
  void rollback(open_transaction& t);
  void rollback_where(const std::function<bool(const amqp::link&)>& which);
  queue_entry& add_queue(const std::string& name, bool dynamic);
  // confirm_on_consume: the message with receipt `r` was consumed with `o`.
  void confirm(receipt r, const outcome& o);
  void outcome_arrived(amqp::messaging_event& e);
  void log(const std::string& line) const;

  broker_options options_;
  memory_budget budget_;
  std::map<std::string, queue_entry, std::less<>> queues_;
  std::unordered_map<amqp::link, consumer_link> consumers_;
  std::unordered_map<amqp::link, producer_link> producers_;
  // confirm_on_consume: producers' deliveries waiting for their messages to be consumed (a
  // handle goes stale, its commands failing, once its producer's link is gone).
  std::unordered_map<receipt, amqp::delivery> held_;
  receipt next_receipt_ = 1;
  transaction_table transactions_;
  std::unordered_set<amqp::link> coordinators_;
  std::uint64_t next_dynamic_ = 1;
};

// The condition the broker refuses something with, and how its log names a link.
amqp::condition make_condition(std::string name, std::string description);
std::string describe(const amqp::link& l);

// The selector text of a source's filter map (null or a map): the first entry whose value is
// described as apache.org:selector-filter:string (or 0x0000468C00000004) with a string. `key`
// gets that entry's key, to echo the filter back.
std::optional<std::string> selector_filter(const amqp::value& filter, amqp::value* key = nullptr);

}  // namespace broker
