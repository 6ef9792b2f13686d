// The broker's local transactions (spec Part 4), without any I/O: which transactions are open,
// whose they are, and the work each one holds until its discharge. broker.cpp declares and
// discharges them on coordinator links and applies the held work to the queues.
//
//   broker::transaction_table txns({.max_open = 100, .max_work = 10000});
//   broker::open_transaction* t = txns.declare(coordinator_link);   // null: too many open
//   t->sends.push_back({"orders", message});
//   auto done = txns.take(t->id, connection);   // at the discharge: commit or roll back
//
// What a transaction holds:
// - sends: messages sent in it, to be put in their queues if it commits (dropped otherwise);
// - outcomes: deliveries its controller settled in it (transactional accept, or any outcome),
//   or that were acquired in it and then settled; the queue holds them (queue::hold) until the
//   discharge applies the outcome (commit) or releases them (rollback).
// A transaction belongs to the connection whose coordinator declared it: another connection
// naming its id is told it is unknown. It ends at its discharge, or is rolled back when its
// coordinator link or connection goes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "amqp/link.hpp"
#include "amqp/messaging/endpoints.hpp"
#include "queue.hpp"

namespace broker {

struct transaction_limits {
  std::size_t max_open = 1000;    // transactions open at once, all connections together
  std::size_t max_work = 100000;  // sends and outcomes one transaction may hold
};

struct open_transaction {
  struct held_send {
    std::string queue;
    std::shared_ptr<const stored_message> message;
  };
  struct held_outcome {
    std::string queue;
    std::uint64_t delivery;  // the queue's delivery id (queue::hold)
    outcome result;
  };

  amqp::transaction_id id;
  amqp::link coordinator;  // the link that declared it
  std::vector<held_send> sends;
  std::vector<held_outcome> outcomes;

  std::size_t work() const noexcept { return sends.size() + outcomes.size(); }
};

class transaction_table {
 public:
  explicit transaction_table(transaction_limits limits = {}) : limits_(limits) {}

  const transaction_limits& limits() const noexcept { return limits_; }
  // A new transaction with a fresh id, owned by `coordinator`; null when max_open are open.
  open_transaction* declare(const amqp::link& coordinator);
  // The open transaction `id` when `asker` (the connection naming it) owns it; null otherwise.
  open_transaction* find(const amqp::transaction_id& id, const amqp::connection& asker);
  // Ends the transaction `id` of `asker`'s, handing it over for its discharge; empty when it
  // is not theirs or not open.
  std::optional<open_transaction> take(const amqp::transaction_id& id,
                                       const amqp::connection& asker);
  // Ends every transaction whose coordinator `which` says is gone, for rollback.
  template <class Pred>
  std::vector<open_transaction> take_where(Pred which) {
    std::vector<open_transaction> out;
    for (auto it = open_.begin(); it != open_.end();) {
      if (which(it->second.coordinator)) {
        out.push_back(std::move(it->second));
        it = open_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
  std::size_t size() const noexcept { return open_.size(); }

 private:
  transaction_limits limits_;
  std::unordered_map<amqp::transaction_id, open_transaction> open_;
  std::uint64_t next_ = 1;
};

}  // namespace broker
