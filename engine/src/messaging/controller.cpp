// The transaction controller inside a connection (spec Part 4): each session's coordinator link,
// hidden from the application, whose events come here instead of to the handler; the declare
// and discharge requests it carries, queued until the coordinator answered its attach (its
// capabilities decide what is allowed) and gave credit; and how transactions end, by the
// coordinator's answer, by the loss of its link, or with the transport.
#include <algorithm>
#include <string_view>

#include "amqp/transaction.hpp"
#include "messaging/context.hpp"

namespace amqp::detail {

namespace {

bool has(const std::vector<std::string>& all, std::string_view what) {
  return std::find(all.begin(), all.end(), what) != all.end();
}

std::string_view kind_name(delivery_state::type k) {
  switch (k) {
    case delivery_state::type::none:
      return "no outcome";
    case delivery_state::type::received:
      return "received";
    case delivery_state::type::accepted:
      return "accepted";
    case delivery_state::type::rejected:
      return "rejected";
    case delivery_state::type::released:
      return "released";
    case delivery_state::type::modified:
      return "modified";
    case delivery_state::type::declared:
      return "declared";
  }
  return "an unknown state";
}

// Why the coordinator's answer to a request is a failure: its rejection's condition, or what it
// answered instead.
condition refusal(const delivery_state& answer, std::string_view request,
                  std::string_view default_name) {
  if (answer.kind == delivery_state::type::rejected && answer.error) return *answer.error;
  std::string what = "the transaction coordinator answered the ";
  what += request;
  what += answer.kind == delivery_state::type::rejected
              ? " with rejected, without a reason"
              : " with " + std::string(kind_name(answer.kind));
  return make_condition(std::string(default_name), std::move(what));
}

}  // namespace

// --- declares and discharges --------------------------------------------------------------------

std::shared_ptr<transaction_record> connection_context::declare(std::uint32_t session,
                                                                messaging_handler* h,
                                                                declare_callback done) {
  const session_record& s = sessions[session];
  if (finished || flags.local_closed || s.flags.local_closed || s.flags.remote_closed)
    return nullptr;
  auto t = std::make_shared<transaction_record>();
  t->session = session;
  t->handler = h ? h : handler;
  t->declared = std::move(done);
  const coordinator_state& c = s.coordinator;
  if (c.known && !c.multi_txns_per_ssn &&
      std::any_of(transactions.begin(), transactions.end(),
                  [&](const auto& x) { return x->session == session && x->live(); })) {
    t->state = transaction_state::failed;
    t->error = make_condition("amqp:not-allowed",
                              "the transaction coordinator does not offer "
                              "amqp:multi-txns-per-ssn: one transaction at a time on a session");
    finish_transaction_later(t, txn_end::declare_failed, *t->error,
                             make_error_code(errc::invalid_argument));
    return t;
  }
  transactions.push_back(t);
  t->queued = true;
  coordinator_queue.push_back(t);
  if (c.link == no_link) attach_coordinator(session);
  pump_coordinator(session, true);
  return t;
}

std::error_code connection_context::discharge(const std::shared_ptr<transaction_record>& t,
                                              bool fail, transaction::discharge_callback done) {
  t->state = fail ? transaction_state::aborting : transaction_state::committing;
  t->fail = fail;
  t->discharged = std::move(done);
  t->queued = true;
  coordinator_queue.push_back(t);
  pump_coordinator(t->session, true);
  return {};
}

void connection_context::attach_coordinator(std::uint32_t session) {
  sender_options o;
  o.name = "txn-ctrl-" + owner->make_link_name();
  const std::string local(txn_capabilities::local_transactions);
  o.target = terminus::make_coordinator({local});
  o.desired_capabilities = {local};
  // The declare's failure comes back as rejected: a control link should allow it (4.2).
  o.source.outcomes = {"amqp:accepted:list", "amqp:rejected:list"};
  const std::uint32_t id = add_link(session, role::sender, {}, &o, nullptr);
  links[id].coordinator = true;
  links[id].wait_for_peer_open = false;  // no address, yet not for the anonymous relay
  sessions[session].coordinator = coordinator_state{.link = id};
  attach(id);
}

void connection_context::pump_coordinator(std::uint32_t session, bool from_app) {
  const coordinator_state& c = sessions[session].coordinator;
  if (!transport_up || c.link == no_link || !c.known) return;
  const link_handle h = links[c.link].engine;
  if (!h.is_set()) return;
  std::vector<std::shared_ptr<transaction_record>> not_allowed;
  for (std::size_t i = 0; i < coordinator_queue.size();) {
    std::shared_ptr<transaction_record> t = coordinator_queue[i];
    if (t->session != session) {
      ++i;
      continue;
    }
    const bool declaring = t->state == transaction_state::declaring;
    if (declaring && !c.multi_txns_per_ssn &&
        std::any_of(transactions.begin(), transactions.end(), [&](const auto& x) {
          return x != t && x->session == session && x->live() &&
                 !(x->state == transaction_state::declaring && x->queued);
        })) {
      coordinator_queue.erase(coordinator_queue.begin() + static_cast<std::ptrdiff_t>(i));
      not_allowed.push_back(std::move(t));
      continue;
    }
    const link_status* st = engine->link(h);
    if (!st || st->credit == 0) break;
    scratch.clear();
    const coordinator_request request =
        declaring ? coordinator_request(declare_request{})
                  : coordinator_request(discharge_request{*t->id, t->fail});
    if (encode_coordinator_request(scratch, request)) break;  // only a global id fails
    // Never sent settled: the coordinator's answer is the point (4.2, 4.3).
    auto d = engine->send(h, scratch.view(), send_options{});
    if (!d) break;
    t->request = *d;
    t->queued = false;
    coordinator_queue.erase(coordinator_queue.begin() + static_cast<std::ptrdiff_t>(i));
    touched();
  }
  for (auto& t : not_allowed) {
    condition why =
        make_condition("amqp:not-allowed",
                       "the transaction coordinator does not offer amqp:multi-txns-per-ssn: one "
                       "transaction at a time on a session");
    if (from_app)
      finish_transaction_later(std::move(t), txn_end::declare_failed, std::move(why),
                               make_error_code(errc::invalid_argument));
    else
      finish_transaction(std::move(t), txn_end::declare_failed, std::move(why),
                         make_error_code(errc::invalid_argument));
  }
}

// --- the coordinator link's events --------------------------------------------------------------

void connection_context::on_coordinator_attached(std::uint32_t link) {
  link_record& l = links[link];
  l.flags.remote_open = true;
  const link_status* st = engine->link(l.engine);
  // A null target refuses the link: the peer's detach follows with the reason (spec Part 2,
  // 2.6.3), which fails what waits for it.
  if (!st || !st->remote_target) return;
  coordinator_state& c = sessions[l.session].coordinator;
  if (c.link != link) return;
  // The coordinator's capabilities are its target's (4.5.1); some peers offer them on the
  // link as well.
  const auto offers = [&](std::string_view what) {
    return has(st->remote_target->capabilities, what) || has(st->remote_offered_capabilities, what);
  };
  c.known = true;
  c.multi_txns_per_ssn = offers(txn_capabilities::multi_txns_per_ssn);
  c.multi_ssns_per_txn = offers(txn_capabilities::multi_ssns_per_txn);
  pump_coordinator(l.session, false);
}

void connection_context::on_coordinator_credit(std::uint32_t link) {
  const link_handle h = links[link].engine;
  pump_coordinator(links[link].session, false);
  const link_status* st = engine->link(h);
  if (st && st->drain) (void)engine->complete_drain(h);
}

void connection_context::on_coordinator_disposition(std::uint32_t link, delivery_handle d,
                                                    bool settled) {
  const delivery_status* ds = engine->delivery(d);
  if (!ds) return;
  const delivery_state answer = ds->remote_state;
  if (!answer.is_outcome() && !settled) return;  // no answer yet
  (void)engine->settle(d);
  const auto it = std::find_if(transactions.begin(), transactions.end(),
                               [&](const auto& t) { return !t->queued && t->request == d; });
  if (it == transactions.end()) return;
  std::shared_ptr<transaction_record> t = *it;
  t->request = {};
  (void)link;
  const bool accepted = answer.kind == delivery_state::type::accepted && !answer.txn;
  const std::error_code failed = make_error_code(errc::transaction_failed);
  switch (t->state) {
    case transaction_state::declaring:
      if (answer.kind == delivery_state::type::declared && answer.txn) {
        t->id = *answer.txn;
        t->state = transaction_state::active;
        report_declared(t);
      } else {
        finish_transaction(t, txn_end::declare_failed,
                           refusal(answer, "declare", "amqp:internal-error"), failed);
      }
      break;
    case transaction_state::committing:
      if (accepted)
        finish_transaction(t, txn_end::committed, std::nullopt, {});
      else
        finish_transaction(t, txn_end::commit_failed,
                           refusal(answer, "commit", transaction_errors::rollback), failed);
      break;
    case transaction_state::aborting:
      // Rolled back either way (a coordinator can always roll back, 4.3); a rejection (an id
      // it does not know) is told.
      if (accepted)
        finish_transaction(t, txn_end::aborted, std::nullopt, {});
      else
        finish_transaction(t, txn_end::aborted,
                           refusal(answer, "abort", transaction_errors::rollback), failed);
      break;
    default:
      break;
  }
}

void connection_context::coordinator_lost(std::uint32_t link,
                                          const std::optional<condition>& error) {
  const std::uint32_t session = links[link].session;
  if (sessions[session].coordinator.link != link) return;
  sessions[session].coordinator = {};  // the next declare attaches one again
  const condition why =
      error ? *error
            : make_condition("amqp:link:detach-forced",
                             "the transaction coordinator's link ended: the coordinator rolls "
                             "back what was not discharged");
  std::vector<std::shared_ptr<transaction_record>> ended;
  for (const auto& t : transactions)
    if (t->session == session) ended.push_back(t);
  const std::error_code failed = make_error_code(errc::transaction_failed);
  for (auto& t : ended) {
    switch (t->state) {
      case transaction_state::declaring:
        finish_transaction(std::move(t), txn_end::declare_failed, why, failed);
        break;
      case transaction_state::active:
        finish_transaction(std::move(t), txn_end::aborted, why, {});
        break;
      case transaction_state::committing:
        finish_transaction(std::move(t), txn_end::commit_failed, why, failed);
        break;
      default:  // aborting: rolled back, as asked
        finish_transaction(std::move(t), txn_end::aborted, std::nullopt, {});
        break;
    }
  }
}

void connection_context::transactions_lost() {
  for (session_record& s : sessions) {
    // A coordinator link still waiting for its session is not attached on the next transport.
    if (s.coordinator.link != no_link && !links[s.coordinator.link].engine.is_set())
      links[s.coordinator.link].flags.local_closed = links[s.coordinator.link].flags.remote_closed =
          true;
    s.coordinator = {};
  }
  if (transactions.empty()) return;
  auto ended = std::move(transactions);
  transactions.clear();
  coordinator_queue.clear();
  const std::string where = "the connection to " + address.host_port();
  const std::string cause = flags.error ? flags.error->name : "amqp:connection:forced";
  for (auto& t : ended) {
    switch (t->state) {
      case transaction_state::declaring:
        finish_transaction(std::move(t), txn_end::declare_failed,
                           make_condition(cause, where + " was lost before the coordinator "
                                                         "declared the transaction"),
                           make_error_code(errc::transaction_failed));
        break;
      case transaction_state::active:
        finish_transaction(std::move(t), txn_end::aborted,
                           make_condition(std::string(transaction_errors::rollback),
                                          where + " was lost: the coordinator rolls the "
                                                  "transaction back"),
                           {});
        break;
      case transaction_state::committing:
        if (t->queued) {  // the commit never went out: rolled back for sure
          finish_transaction(std::move(t), txn_end::commit_failed,
                             make_condition(std::string(transaction_errors::rollback),
                                            where + " was lost before the commit went out: the "
                                                    "coordinator rolls the transaction back"),
                             make_error_code(errc::transaction_failed));
        } else {
          finish_transaction(
              std::move(t), txn_end::commit_failed,
              make_condition(cause, where +
                                        " was lost before the coordinator answered the "
                                        "commit: " +
                                        make_error_code(errc::in_doubt).message()),
              make_error_code(errc::in_doubt));
        }
        break;
      default:  // aborting: the coordinator rolls back without being told
        finish_transaction(std::move(t), txn_end::aborted, std::nullopt, {});
        break;
    }
  }
}

// --- how transactions end -----------------------------------------------------------------------

const transaction_id* connection_context::active_transaction(
    const transaction_id& id) const noexcept {
  for (const auto& t : transactions)
    if (t->state == transaction_state::active && t->id && *t->id == id) return &*t->id;
  return nullptr;
}

bool connection_context::may_work_on(const transaction_record& t,
                                     std::uint32_t link) const noexcept {
  return links[link].session == t.session || sessions[t.session].coordinator.multi_ssns_per_txn;
}

void connection_context::report_declared(const std::shared_ptr<transaction_record>& t) {
  declare_callback done = std::move(t->declared);
  t->declared = nullptr;
  if (done) done({}, transaction_of(t));
  messaging_event e = make_event();
  set_session(e, t->session);
  e.transaction_ = t;
  t->handler->on_transaction_declared(e);
}

void connection_context::finish_transaction(std::shared_ptr<transaction_record> t, txn_end how,
                                            std::optional<condition> error, std::error_code ec) {
  switch (how) {
    case txn_end::committed:
      t->state = transaction_state::committed;
      break;
    case txn_end::aborted:
      t->state = transaction_state::aborted;
      break;
    default:
      t->state = transaction_state::failed;
      break;
  }
  t->error = std::move(error);
  t->queued = false;
  t->request = {};
  std::erase(transactions, t);
  std::erase(coordinator_queue, t);
  // The receivers that acquired in it acquire plainly again: a flow without the txn-id
  // (spec Part 4, 4.4.3), unless another transaction took the link over since.
  if (transport_up) {
    for (std::uint32_t id : t->acquiring) {
      const link_handle h = links[id].engine;
      const link_status* st = h.is_set() ? engine->link(h) : nullptr;
      if (st && st->flow_properties == t->acquire_properties && !links[id].flags.local_closed &&
          !engine->grant_credit(h, 0, value{}))
        touched();
    }
  }
  t->acquiring.clear();
  declare_callback declared = std::move(t->declared);
  transaction::discharge_callback discharged = std::move(t->discharged);
  t->declared = nullptr;
  t->discharged = nullptr;
  if (declared) declared(ec, transaction_of(t));
  if (discharged) discharged(ec);
  messaging_event e = make_event();
  set_session(e, t->session);
  e.error_ = t->error;
  e.transaction_ = t;
  messaging_handler& h = *t->handler;
  switch (how) {
    case txn_end::declare_failed:
      h.on_transaction_declare_failed(e);
      break;
    case txn_end::committed:
      h.on_transaction_committed(e);
      break;
    case txn_end::commit_failed:
      h.on_transaction_commit_failed(e);
      break;
    case txn_end::aborted:
      h.on_transaction_aborted(e);
      break;
  }
}

void connection_context::finish_transaction_later(std::shared_ptr<transaction_record> t,
                                                  txn_end how, condition error,
                                                  std::error_code ec) {
  auto self = shared_from_this();
  if (post([self, t, how, error, ec] { self->finish_transaction(t, how, error, ec); })) return;
  finish_transaction(std::move(t), how, std::move(error), ec);
}

}  // namespace amqp::detail
