// The broker's handler: attaching producers and consumers to queues, moving messages between
// them, and cleaning up after links, sessions and connections that end.
#include "broker.hpp"

#include <functional>
#include <utility>

#include "amqp/transaction.hpp"

namespace broker {

namespace {

constexpr std::uint64_t selector_filter_code = 0x0000468C00000004;
constexpr std::string_view selector_filter_name = "apache.org:selector-filter:string";
constexpr std::string_view dynamic_prefix = "dynamic-";

std::string_view text_of(amqp::value_view v) {
  if (v.type() == amqp::kind::string || v.type() == amqp::kind::symbol) return v.as_string();
  return {};
}

}  // namespace

std::string describe(const amqp::link& l) {
  return "link '" + l.name() + "' of " + l.connection().remote_container_id();
}

amqp::condition make_condition(std::string name, std::string description) {
  return amqp::condition{.name = std::move(name), .description = std::move(description), .info = {}};
}

std::optional<std::string> selector_filter(const amqp::value& filter, amqp::value* key) {
  const amqp::map* entries = filter.get_if<amqp::map>();
  if (!entries) return std::nullopt;
  for (const auto& [k, v] : *entries) {
    const amqp::described* d = v.get_if<amqp::described>();
    if (!d) continue;
    const amqp::value& desc = *d->descriptor;
    const bool named = desc.get_if<amqp::symbol>() &&
                       desc.get_if<amqp::symbol>()->str == selector_filter_name;
    const bool coded = desc.get_if<std::uint64_t>() &&
                       *desc.get_if<std::uint64_t>() == selector_filter_code;
    const std::string* text = d->inner->get_if<std::string>();
    if ((named || coded) && text) {
      if (key) *key = k;
      return *text;
    }
  }
  return std::nullopt;
}

broker_handler::broker_handler(broker_options options)
    : options_(std::move(options)), transactions_(options_.transactions) {
  budget_.limit = options_.memory_limit;
}

// The queues account to budget_ when they go, so they must go first.
broker_handler::~broker_handler() { queues_.clear(); }

amqp::connection_options broker_handler::connection_options(amqp::connection_options base) const {
  base.offered_capabilities.emplace_back("ANONYMOUS-RELAY");
  return base;
}

const queue* broker_handler::find_queue(std::string_view name) const {
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : it->second.q.get();
}

void broker_handler::log(const std::string& line) const {
  if (options_.log) *options_.log << line << std::endl;
}

// --- queues -------------------------------------------------------------------------------------

broker_handler::queue_entry* broker_handler::find_or_make(const std::string& name,
                                                          amqp::condition& why) {
  if (auto it = queues_.find(name); it != queues_.end()) return &it->second;
  if (name.starts_with(dynamic_prefix)) {
    // Dynamic names are the broker's to give: one that is not there was deleted.
    why = make_condition("amqp:not-found", "no node '" + name + "' (a deleted dynamic node)");
    return nullptr;
  }
  if (queues_.size() >= options_.max_queues) {
    why = make_condition("amqp:resource-limit-exceeded",
                         "the broker holds " + std::to_string(queues_.size()) +
                             " queues, its limit; cannot make '" + name + "'");
    return nullptr;
  }
  queue_entry& q = add_queue(name, false);
  log("queue '" + name + "' made");
  return &q;
}

broker_handler::queue_entry& broker_handler::add_queue(const std::string& name, bool dynamic) {
  queue_entry& q = queues_[name];
  q.q = std::make_unique<queue>(name, queue_limits{options_.queue_limit, &budget_}, dynamic);
  if (options_.confirm_on_consume)
    q.q->on_consumed([this](receipt r, const outcome& o) { confirm(r, o); });
  return q;
}

broker_handler::queue_entry* broker_handler::make_dynamic(const amqp::link& owner) {
  if (queues_.size() >= options_.max_queues) return nullptr;
  std::string name;
  do {
    name = std::string(dynamic_prefix) + std::to_string(next_dynamic_++);
  } while (queues_.count(name));
  queue_entry& q = add_queue(name, true);
  q.owner = owner;
  log("dynamic queue '" + name + "' made for " + describe(owner));
  return &q;
}

void broker_handler::delete_queue(const std::string& name) {
  auto it = queues_.find(name);
  if (it == queues_.end()) return;
  // Other links that named the node go with it.
  for (auto& [id, s] : it->second.senders) {
    consumers_.erase(s);
    s.close(make_condition("amqp:resource-deleted", "the node '" + name + "' was deleted"));
  }
  // Producers still waiting for these messages learn that they will never be consumed.
  for (const receipt r : it->second.q->receipts())
    confirm(r, outcome{.kind = outcome_kind::rejected,
                       .error = make_condition("amqp:resource-deleted",
                                               "the node '" + name + "' was deleted")});
  log("queue '" + name + "' deleted (" + std::to_string(it->second.q->depth()) +
      " messages dropped)");
  queues_.erase(it);
}

void broker_handler::collect(const std::string& name) {
  auto it = queues_.find(name);
  if (it == queues_.end() || it->second.owner) return;
  if (it->second.q->depth() == 0 && it->second.q->consumers() == 0) queues_.erase(it);
}

void broker_handler::dispatch(queue_entry& q) {
  // Consumers acquiring in a transaction get their deliveries in it; one naming a transaction
  // that is not its connection's is closed, outside the dispatch.
  std::unordered_map<consumer_id, amqp::transaction_id> in_transaction;
  std::vector<amqp::sender> unknown;
  for (auto& [id, s] : q.senders) {
    q.q->set_credit(id, s.credit());
    if (auto txn = acquiring(s)) {
      if (transactions_.find(*txn, s.connection())) {
        in_transaction.emplace(id, *txn);
      } else {
        q.q->set_credit(id, 0);
        unknown.push_back(s);
      }
    }
  }
  q.q->dispatch([&](const queue::delivery& d) {
    auto s = q.senders.find(d.consumer);
    if (s == q.senders.end()) return false;
    auto txn = in_transaction.find(d.consumer);
    auto t = s->second.send_encoded(d.message.bytes(),
                                    txn == in_transaction.end() ? nullptr : &txn->second);
    if (!t) return false;
    if (d.id != 0) {
      auto c = consumers_.find(s->second);
      if (c != consumers_.end()) {
        c->second.unsettled.emplace(*t, d.id);
        if (txn != in_transaction.end()) c->second.acquired.emplace(*t, txn->second);
      }
    }
    return true;
  });
  // Closed after the dispatch, which walks the queue's consumers (on_link_closed forgets them).
  for (amqp::sender& s : unknown)
    s.close(make_condition(std::string(amqp::transaction_errors::unknown_id),
                           "the link acquires in a transaction its connection has not open"));
}

// --- links --------------------------------------------------------------------------------------

template <class Link>
void broker_handler::refuse(Link l, amqp::condition why) {
  log("refused " + describe(l) + ": " + why.to_string());
  // Closed before it is answered: the answer carries a null terminus, the detach the reason
  // (spec Part 2, 2.6.3, refusing a link).
  l.close(std::move(why));
}

void broker_handler::on_link_opened(amqp::messaging_event& e) {
  const amqp::link_status* st = e.link().status();
  if (!st) return;
  if (e.link().role() == amqp::role::sender)
    open_consumer(e.sender(), *st);
  else
    open_producer(e.receiver(), *st);
}

void broker_handler::open_consumer(amqp::sender s, const amqp::link_status& st) {
  if (!st.remote_source) {
    refuse(s, make_condition("amqp:invalid-field", "a receiving link needs a source"));
    return;
  }
  amqp::terminus source = *st.remote_source;
  consumer_options co;
  co.pre_settled = st.snd_settle_mode == amqp::sender_settle_mode::settled;
  co.browse = source.distribution_mode == "copy";

  // The selector is checked before any queue is made for the link.
  amqp::value key;
  const std::optional<std::string> text = selector_filter(source.filter, &key);
  if (text) {
    auto parsed = selector::parse(*text, options_.selector);
    if (!parsed) {
      refuse(s, make_condition("amqp:invalid-field",
                               "invalid selector: " + parsed.error().to_string()));
      return;
    }
    co.filter = std::make_shared<const selector>(std::move(*parsed));
    // Only the filter honoured is echoed (spec Part 3, 3.5.3: the others are left out).
    amqp::map echoed;
    for (const auto& [k, v] : *source.filter.get_if<amqp::map>())
      if (k == key) {
        echoed.emplace_back(k, v);
        break;
      }
    source.filter = amqp::value(std::move(echoed));
  } else {
    source.filter = {};
  }

  queue_entry* q = nullptr;
  if (source.dynamic) {
    q = make_dynamic(s);
    if (!q) {
      refuse(s, make_condition("amqp:resource-limit-exceeded", "too many queues"));
      return;
    }
    source.address = q->q->name();
  } else {
    if (!source.address || source.address->empty()) {
      refuse(s, make_condition("amqp:invalid-field",
                               "a receiving link needs a source address (or a dynamic source)"));
      return;
    }
    amqp::condition why;
    q = find_or_make(*source.address, why);
    if (!q) {
      refuse(s, std::move(why));
      return;
    }
  }
  if (co.browse) source.distribution_mode = "copy";

  amqp::sender_options so;
  so.source = source;
  s.open(so);
  const consumer_id id = q->q->subscribe(co);
  q->senders.emplace(id, s);
  consumers_[s] = consumer_link{.queue = q->q->name(), .id = id, .unsettled = {}};
  log("consumer " + describe(s) + " on '" + q->q->name() + "'" + (co.browse ? " (browsing)" : "") +
      (co.pre_settled ? " (at most once)" : "") +
      (co.filter ? " selecting " + co.filter->to_string() : ""));
  dispatch(*q);
}

void broker_handler::open_producer(amqp::receiver r, const amqp::link_status& st) {
  if (!st.remote_target) {
    refuse(r, make_condition("amqp:invalid-field", "a sending link needs a target"));
    return;
  }
  if (st.remote_target->coordinator) {
    open_coordinator(r);
    return;
  }
  amqp::terminus target = *st.remote_target;
  producer_link p;
  if (target.dynamic) {
    queue_entry* q = make_dynamic(r);
    if (!q) {
      refuse(r, make_condition("amqp:resource-limit-exceeded", "too many queues"));
      return;
    }
    target.address = q->q->name();
    p.address = q->q->name();
  } else if (target.address && !target.address->empty()) {
    amqp::condition why;
    if (!find_or_make(*target.address, why)) {
      refuse(r, std::move(why));
      return;
    }
    p.address = *target.address;
  }
  amqp::receiver_options ro;
  ro.credit_window = options_.credit_window;
  ro.auto_accept = false;
  ro.target = target;
  r.open(ro);
  producers_[r] = std::move(p);
  log("producer " + describe(r) + " to " +
      (producers_[r].address ? "'" + *producers_[r].address + "'" : "the anonymous relay"));
}

void broker_handler::forget_link(const amqp::link& l) {
  if (coordinators_.erase(l)) {
    rollback_where([&](const amqp::link& coordinator) { return coordinator == l; });
    return;
  }
  if (auto c = consumers_.find(l); c != consumers_.end()) {
    const consumer_link record = std::move(c->second);
    consumers_.erase(c);
    auto q = queues_.find(record.queue);
    if (q == queues_.end()) return;
    q->second.q->unsubscribe(record.id);
    q->second.senders.erase(record.id);
    log("consumer " + describe(l) + " left '" + record.queue + "'");
    if (q->second.owner && *q->second.owner == l) {
      delete_queue(record.queue);
      return;
    }
    dispatch(q->second);  // what it gave back goes to the others
    collect(record.queue);
    return;
  }
  if (auto p = producers_.find(l); p != producers_.end()) {
    const std::optional<std::string> address = p->second.address;
    producers_.erase(p);
    if (!address) return;
    auto q = queues_.find(*address);
    if (q != queues_.end() && q->second.owner && *q->second.owner == l)
      delete_queue(*address);
    else
      collect(*address);
  }
}

void broker_handler::forget_where(const std::function<bool(const amqp::link&)>& which) {
  std::vector<amqp::link> gone;
  for (const auto& [l, c] : consumers_)
    if (which(l)) gone.push_back(l);
  for (const auto& [l, p] : producers_)
    if (which(l)) gone.push_back(l);
  for (const amqp::link& l : coordinators_)
    if (which(l)) gone.push_back(l);
  for (const amqp::link& l : gone) forget_link(l);
}

void broker_handler::on_link_closed(amqp::messaging_event& e) { forget_link(e.link()); }

void broker_handler::on_link_error(amqp::messaging_event& e) {
  // on_link_closed follows; the connection goes on.
  if (e.error()) log(describe(e.link()) + " ended: " + e.error()->to_string());
}

void broker_handler::on_session_closed(amqp::messaging_event& e) {
  // Its links ended with it, without a call each.
  const amqp::session s = e.session();
  forget_where([&](const amqp::link& l) { return l.session() == s; });
}

void broker_handler::on_session_error(amqp::messaging_event& e) {
  if (e.error()) log("session of " + e.connection().remote_container_id() +
                     " ended: " + e.error()->to_string());
}

// --- connections --------------------------------------------------------------------------------

void broker_handler::on_connection_opened(amqp::messaging_event& e) {
  const amqp::connection c = e.connection();
  std::string who = "'" + c.remote_container_id() + "'";
  if (const auto* a = c.authentication(); a && !a->user.empty())
    who += " as " + a->user + " (" + a->mechanism + ")";
  if (c.tls()) who += " over TLS";
  log("connection from " + who);
}

void broker_handler::on_connection_closed(amqp::messaging_event& e) {
  const amqp::connection c = e.connection();
  forget_where([&](const amqp::link& l) { return l.connection() == c; });
  log("connection from '" + c.remote_container_id() + "' closed");
}

void broker_handler::on_connection_error(amqp::messaging_event& e) {
  if (e.error()) log("connection from '" + e.connection().remote_container_id() +
                     "' failed: " + e.error()->to_string());
}

void broker_handler::on_transport_error(amqp::messaging_event& e) {
  if (e.error()) log("transport: " + e.error()->to_string());
}

void broker_handler::on_disconnected(amqp::messaging_event& e) {
  const amqp::connection c = e.connection();
  forget_where([&](const amqp::link& l) { return l.connection() == c; });
}

// --- messages -----------------------------------------------------------------------------------

void broker_handler::on_sendable(amqp::messaging_event& e) {
  auto c = consumers_.find(e.sender());
  if (c == consumers_.end()) return;
  auto q = queues_.find(c->second.queue);
  if (q != queues_.end()) dispatch(q->second);
}

std::optional<std::string> broker_handler::route(amqp::messaging_event& e,
                                                 amqp::condition& why) {
  auto p = producers_.find(e.receiver());
  if (p == producers_.end()) {
    why = make_condition("amqp:internal-error", "the link is not a producer's");
    return std::nullopt;
  }
  if (p->second.address) return *p->second.address;
  const amqp::message_view& m = *e.view();
  std::string address;
  if (m.properties) address = std::string(text_of(m.properties->to.view()));
  if (address.empty()) {
    why = make_condition("amqp:not-found",
                         "the message has no 'to' address for the anonymous relay");
    return std::nullopt;
  }
  return address;
}

void broker_handler::on_message(amqp::messaging_event& e) {
  amqp::delivery d = e.delivery();
  if (coordinators_.count(e.receiver())) {
    on_coordinator_message(e);
    return;
  }
  if (!producers_.count(e.receiver())) {
    (void)d.release();
    return;
  }
  if (d.remote_state().is_transactional()) {
    on_transactional_send(e);
    return;
  }
  const auto settle_with = [&](std::optional<amqp::condition> why) {
    if (d.remote_settled()) return;  // sent settled: nothing to tell the producer
    if (why)
      (void)d.reject(std::move(why));
    else
      (void)d.accept();
  };
  amqp::condition why;
  const std::optional<std::string> address = route(e, why);
  queue_entry* q = address ? find_or_make(*address, why) : nullptr;
  if (!q) {
    settle_with(std::move(why));
    return;
  }
  // confirm_on_consume: the producer's delivery waits for its message's consumer.
  const receipt r = options_.confirm_on_consume && !d.remote_settled() ? next_receipt_ : 0;
  switch (q->q->publish(d.payload(), r)) {
    case publish_result::ok:
      if (r != 0)
        held_.emplace(next_receipt_++, d);
      else
        settle_with(std::nullopt);
      break;
    case publish_result::full:
      settle_with(make_condition("amqp:resource-limit-exceeded",
                                 "queue '" + *address + "' is full (" +
                                     std::to_string(options_.queue_limit) + " messages)"));
      return;
    case publish_result::out_of_memory:
      settle_with(make_condition("amqp:resource-limit-exceeded",
                                 "the broker's memory limit for messages is reached"));
      return;
    case publish_result::malformed:
      settle_with(make_condition("amqp:decode-error", "the message does not decode"));
      return;
  }
  dispatch(*q);
}

void broker_handler::outcome_arrived(amqp::messaging_event& e) {
  amqp::tracker t = e.tracker();
  auto c = consumers_.find(e.sender());
  if (c != consumers_.end()) {
    if (auto u = c->second.unsettled.find(t); u != c->second.unsettled.end()) {
      const std::uint64_t id = u->second;
      c->second.unsettled.erase(u);
      std::optional<amqp::transaction_id> acquired_in;
      if (auto a = c->second.acquired.find(t); a != c->second.acquired.end()) {
        acquired_in = a->second;
        c->second.acquired.erase(a);
      }
      const amqp::delivery_state state = t.remote_state();
      outcome o;
      switch (state.kind) {
        case amqp::delivery_state::type::rejected:
          o.kind = outcome_kind::rejected;
          if (state.error) o.error = *state.error;
          break;
        case amqp::delivery_state::type::released: o.kind = outcome_kind::released; break;
        case amqp::delivery_state::type::modified:
          o.kind = outcome_kind::modified;
          o.delivery_failed = state.delivery_failed;
          o.undeliverable_here = state.undeliverable_here;
          if (state.message_annotations) o.message_annotations = *state.message_annotations;
          break;
        default: o.kind = outcome_kind::accepted; break;
      }
      // Settled in a transaction, or acquired in one that is still open: the discharge
      // decides.
      std::optional<amqp::transaction_id> txn;
      if (state.is_transactional())
        txn = *state.txn;
      else if (acquired_in && transactions_.find(*acquired_in, e.connection()))
        txn = acquired_in;
      if (txn) {
        (void)hold_in_transaction(c->second, e.sender(), id, *txn, o);
      } else {
        const std::string name = c->second.queue;
        const consumer_id cid = c->second.id;
        auto q = queues_.find(name);
        if (q != queues_.end() && q->second.q->settle(cid, id, o)) dispatch(q->second);
      }
    }
  }
  // The outcome is final for the broker: settle now, even when the receiver waits for that
  // (rcv-settle-mode second) before settling itself.
  if (!t.remote_settled() && !t.settled()) (void)t.settle();
}

void broker_handler::confirm(receipt r, const outcome& o) {
  auto it = held_.find(r);
  if (it == held_.end()) return;
  amqp::delivery d = it->second;
  held_.erase(it);
  // A producer that left has nobody to tell; its messages were delivered all the same.
  if (o.kind == outcome_kind::rejected)
    (void)d.reject(o.error);
  else
    (void)d.accept();
}

void broker_handler::on_settled(amqp::messaging_event& e) {
  // Settled without an outcome: the receiver is done with the message.
  outcome_arrived(e);
}

}  // namespace broker
