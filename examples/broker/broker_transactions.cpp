// The broker's transaction coordinator (spec Part 4): declare and discharge on coordinator
// links, messages sent in a transaction, outcomes given or deliveries acquired in one, and
// what commit and rollback do to the queues.
#include <map>
#include <string>
#include <utility>

#include "amqp/transaction.hpp"
#include "broker.hpp"

namespace broker {

namespace {

amqp::condition unknown_transaction(const amqp::transaction_id& id) {
  return make_condition(std::string(amqp::transaction_errors::unknown_id),
                        "no open transaction " + amqp::to_hex(id) + " on this connection");
}

}  // namespace

void broker_handler::open_coordinator(amqp::receiver r) {
  amqp::receiver_options ro;
  ro.credit_window = options_.credit_window;
  ro.auto_accept = false;
  ro.target = amqp::terminus::make_coordinator(
      {std::string(amqp::txn_capabilities::local_transactions),
       std::string(amqp::txn_capabilities::multi_txns_per_ssn),
       std::string(amqp::txn_capabilities::multi_ssns_per_txn)});
  r.open(ro);
  coordinators_.insert(r);
  log("coordinator " + describe(r));
}

void broker_handler::on_coordinator_message(amqp::messaging_event& e) {
  amqp::delivery d = e.delivery();
  amqp::receiver link = e.receiver();
  if (d.remote_settled()) {
    // Its answer would be its outcome, and a settled delivery has none to give.
    coordinators_.erase(link);
    rollback_where([&](const amqp::link& c) { return c == link; });
    link.close(make_condition("amqp:invalid-field",
                              "a transaction request must be sent unsettled: its outcome is "
                              "the answer"));
    return;
  }
  auto request = amqp::decode_coordinator_request(d.payload());
  if (!request) {
    (void)d.reject(request.error());
    return;
  }
  if (const auto* declare = std::get_if<amqp::declare_request>(&*request)) {
    if (!declare->global_id.is_null()) {
      (void)d.reject(make_condition("amqp:not-implemented",
                                    "distributed transactions (a declare with a global-id) are "
                                    "not supported; only local ones"));
      return;
    }
    open_transaction* t = transactions_.declare(link);
    if (!t) {
      (void)d.reject(make_condition(
          "amqp:resource-limit-exceeded",
          "the broker has " + std::to_string(transactions_.size()) +
              " transactions open, its limit"));
      return;
    }
    log("transaction " + amqp::to_hex(t->id) + " declared by " + describe(link));
    (void)d.settle(amqp::delivery_state::declared(t->id));
    return;
  }
  const auto& discharge = std::get<amqp::discharge_request>(*request);
  std::optional<open_transaction> t = transactions_.take(discharge.id, e.connection());
  if (!t) {
    (void)d.reject(unknown_transaction(discharge.id));
    return;
  }
  if (discharge.fail) {
    rollback(*t);
    log("transaction " + amqp::to_hex(t->id) + " rolled back");
    (void)d.accept();
    return;
  }
  if (std::optional<amqp::condition> why = commit(*t)) {
    log("transaction " + amqp::to_hex(t->id) + " rolled back: " + why->to_string());
    (void)d.reject(std::move(why));
    return;
  }
  log("transaction " + amqp::to_hex(t->id) + " committed (" + std::to_string(t->sends.size()) +
      " sent, " + std::to_string(t->outcomes.size()) + " settled)");
  (void)d.accept();
}

void broker_handler::on_transactional_send(amqp::messaging_event& e) {
  amqp::delivery d = e.delivery();
  const amqp::transaction_id id = *d.remote_state().txn;
  open_transaction* t = transactions_.find(id, e.connection());
  if (!t) {
    (void)d.reject(unknown_transaction(id));
    return;
  }
  amqp::condition why;
  const std::optional<std::string> address = route(e, why);
  if (!address || !find_or_make(*address, why)) {
    (void)d.reject(std::move(why));
    return;
  }
  if (t->work() >= transactions_.limits().max_work) {
    (void)d.reject(make_condition("amqp:resource-limit-exceeded",
                                  "transaction " + amqp::to_hex(id) + " holds " +
                                      std::to_string(t->work()) + " messages, its limit"));
    return;
  }
  auto m = stored_message::make(d.payload());
  if (!m) {
    (void)d.reject(make_condition("amqp:decode-error", "the message does not decode"));
    return;
  }
  t->sends.push_back({*address, std::move(*m)});
  (void)d.settle(amqp::delivery_state::transactional(id, amqp::delivery_state::accepted()));
}

bool broker_handler::hold_in_transaction(consumer_link& c, const amqp::link& l,
                                         std::uint64_t delivery, const amqp::transaction_id& id,
                                         const outcome& o) {
  auto q = queues_.find(c.queue);
  open_transaction* t = transactions_.find(id, l.connection());
  const bool full = t && t->work() >= transactions_.limits().max_work;
  if (!t || full) {
    // The delivery goes back to the queue and the link that named the transaction closes.
    if (q != queues_.end())
      (void)q->second.q->settle(c.id, delivery, outcome{.kind = outcome_kind::released});
    amqp::link closing = l;
    closing.close(t ? make_condition("amqp:resource-limit-exceeded",
                                     "transaction " + amqp::to_hex(id) + " holds " +
                                         std::to_string(t->work()) + " outcomes, its limit")
                    : unknown_transaction(id));
    return false;
  }
  if (q == queues_.end() || !q->second.q->hold(c.id, delivery)) return true;
  t->outcomes.push_back({c.queue, delivery, o});
  return true;
}

std::optional<amqp::transaction_id> broker_handler::acquiring(const amqp::sender& s) const {
  const amqp::link_status* st = s.status();
  if (!st) return std::nullopt;
  const amqp::map* properties = st->remote_flow_properties.get_if<amqp::map>();
  if (!properties) return std::nullopt;
  for (const auto& [key, value] : *properties) {
    const amqp::symbol* name = key.get_if<amqp::symbol>();
    const amqp::binary* id = value.get_if<amqp::binary>();
    if (name && name->str == "txn-id" && id)
      return amqp::transaction_id::from({id->bytes.data(), id->bytes.size()});
  }
  return std::nullopt;
}

std::optional<amqp::condition> broker_handler::commit(open_transaction& t) {
  // All or nothing: every queue must take its messages before any is put in.
  std::map<std::string, std::size_t> arriving;
  std::size_t bytes = 0;
  for (const auto& s : t.sends) {
    ++arriving[s.queue];
    bytes += s.message->bytes().size();
  }
  for (const auto& [name, count] : arriving) {
    amqp::condition why;
    queue_entry* q = find_or_make(name, why);
    if (!q) {
      rollback(t);
      return make_condition(std::string(amqp::transaction_errors::rollback),
                            "cannot commit: " + why.description);
    }
    if (q->q->depth() + count > options_.queue_limit) {
      rollback(t);
      return make_condition(std::string(amqp::transaction_errors::rollback),
                            "cannot commit: queue '" + name + "' cannot take " +
                                std::to_string(count) + " more messages (limit " +
                                std::to_string(options_.queue_limit) + ")");
    }
  }
  if (bytes > budget_.limit - budget_.used) {
    rollback(t);
    return make_condition(std::string(amqp::transaction_errors::rollback),
                          "cannot commit: the broker's memory limit for messages is reached");
  }
  std::map<std::string, queue_entry*> touched;
  for (auto& s : t.sends) {
    amqp::condition why;
    queue_entry* q = find_or_make(s.queue, why);
    (void)q->q->publish(std::move(s.message));
    touched[s.queue] = q;
  }
  for (const auto& o : t.outcomes) {
    auto q = queues_.find(o.queue);
    if (q == queues_.end()) continue;  // deleted meanwhile, its messages with it
    (void)q->second.q->resolve(o.delivery, o.result);
    touched[o.queue] = &q->second;
  }
  for (auto& [name, q] : touched) dispatch(*q);
  return std::nullopt;
}

void broker_handler::rollback(open_transaction& t) {
  // Sends are dropped; what was settled or acquired in it is available again, in its place.
  std::map<std::string, queue_entry*> touched;
  for (const auto& o : t.outcomes) {
    auto q = queues_.find(o.queue);
    if (q == queues_.end()) continue;
    (void)q->second.q->resolve(o.delivery, outcome{.kind = outcome_kind::released});
    touched[o.queue] = &q->second;
  }
  t.sends.clear();
  t.outcomes.clear();
  for (auto& [name, q] : touched) dispatch(*q);
}

void broker_handler::rollback_where(const std::function<bool(const amqp::link&)>& which) {
  for (open_transaction& t : transactions_.take_where(which)) {
    log("transaction " + amqp::to_hex(t.id) + " rolled back: its coordinator went");
    rollback(t);
  }
}

}  // namespace broker
