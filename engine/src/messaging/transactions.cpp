// The transaction handle's queries and commands (amqp/messaging/transaction.hpp), and the
// declares: each checks what the transaction's state and the coordinator's capabilities allow,
// then acts through the connection's controller (controller.cpp) or on the application's link.
#include <algorithm>

#include "messaging/context.hpp"

namespace amqp {

namespace {

using detail::connection_context;
using detail::transaction_record;

// errc::invalid_handle for an unset handle; errc::wrong_state unless the transaction is
// active (a transaction is never active without its transport).
std::error_code active(const std::shared_ptr<connection_context>& ctx,
                       const std::shared_ptr<transaction_record>& t) {
  if (!ctx || !t) return make_error_code(errc::invalid_handle);
  if (t->state != transaction_state::active || !ctx->transport_up)
    return make_error_code(errc::wrong_state);
  return {};
}

}  // namespace

amqp::connection transaction::connection() const {
  return ctx_ ? ctx_->connection_handle() : amqp::connection();
}

amqp::session transaction::session() const {
  return ctx_ ? ctx_->session_handle_of(rec_->session) : amqp::session();
}

transaction_state transaction::state() const noexcept {
  return rec_ ? rec_->state : transaction_state::failed;
}

const transaction_id* transaction::id() const noexcept {
  return rec_ && rec_->id ? &*rec_->id : nullptr;
}

std::optional<condition> transaction::error() const {
  return rec_ ? rec_->error : std::nullopt;
}

result<tracker, std::error_code> transaction::send(const sender& s, const message& m) {
  if (std::error_code ec = active(ctx_, rec_)) return ec;
  if (s.ctx_ != ctx_ || !ctx_->may_work_on(*rec_, s.id_))
    return make_error_code(errc::invalid_argument);
  writer& w = ctx_->scratch;
  w.clear();
  if (encode_message(w, m)) return make_error_code(errc::invalid_argument);
  sender to = s;
  return to.send_encoded(w.view(), &*rec_->id);
}

std::error_code transaction::accept(const delivery& d) {
  return settle(d, delivery_state::accepted());
}

std::error_code transaction::settle(const delivery& d, const delivery_state& outcome) {
  if (std::error_code ec = active(ctx_, rec_)) return ec;
  if (d.ctx_ != ctx_ || !ctx_->may_work_on(*rec_, d.link_))
    return make_error_code(errc::invalid_argument);
  if (!outcome.is_outcome() || outcome.kind == delivery_state::type::declared || outcome.txn)
    return make_error_code(errc::invalid_argument);
  return ctx_->settle_delivery(d.epoch_, d.delivery_,
                               delivery_state::transactional(*rec_->id, outcome));
}

std::error_code transaction::acquire(const receiver& r, std::uint32_t credit) {
  if (std::error_code ec = active(ctx_, rec_)) return ec;
  if (r.ctx_ != ctx_ || !ctx_->may_work_on(*rec_, r.id_))
    return make_error_code(errc::invalid_argument);
  const detail::link_record& l = ctx_->links[r.id_];
  if (l.role != role::receiver) return make_error_code(errc::invalid_argument);
  if (!l.engine.is_set() || l.flags.local_closed) return make_error_code(errc::wrong_state);
  // One transaction at a time on a link: its txn-id is the link's state (4.4.3).
  for (const auto& other : ctx_->transactions)
    if (other != rec_ && std::find(other->acquiring.begin(), other->acquiring.end(), r.id_) !=
                             other->acquiring.end())
      return make_error_code(errc::wrong_state);
  if (rec_->acquire_properties.is_null())
    rec_->acquire_properties =
        value::map_of({{value::sym("txn-id"), value::bin(rec_->id->bytes())}});
  if (std::error_code ec = ctx_->engine->grant_credit(l.engine, credit, rec_->acquire_properties))
    return ec;
  if (std::find(rec_->acquiring.begin(), rec_->acquiring.end(), r.id_) == rec_->acquiring.end())
    rec_->acquiring.push_back(r.id_);
  ctx_->touched();
  return {};
}

std::error_code transaction::commit() {
  return commit(discharge_callback{});
}
std::error_code transaction::abort() {
  return abort(discharge_callback{});
}

std::error_code transaction::commit(discharge_callback done) {
  if (std::error_code ec = active(ctx_, rec_)) return ec;
  return ctx_->discharge(rec_, false, std::move(done));
}

std::error_code transaction::abort(discharge_callback done) {
  if (std::error_code ec = active(ctx_, rec_)) return ec;
  return ctx_->discharge(rec_, true, std::move(done));
}

// --- declares -----------------------------------------------------------------------------------

namespace {

// The default session of a connection that is not closed (nor closing); unset otherwise.
session usable_default_session(const connection& c) {
  const endpoint_state st = c.state();
  if (st == endpoint_state::closed || st == endpoint_state::closing) return {};
  return amqp::connection(c).default_session();
}

}  // namespace

transaction declare_transaction(const session& s, messaging_handler* handler) {
  if (!s.ctx_) return {};
  auto t = s.ctx_->declare(s.id_, handler, nullptr);
  return t ? s.ctx_->transaction_of(std::move(t)) : transaction();
}

transaction declare_transaction(const session& s, declare_callback done) {
  if (!s.ctx_) return {};
  auto t = s.ctx_->declare(s.id_, nullptr, std::move(done));
  return t ? s.ctx_->transaction_of(std::move(t)) : transaction();
}

transaction declare_transaction(const connection& c, messaging_handler* handler) {
  return declare_transaction(usable_default_session(c), handler);
}

transaction declare_transaction(const connection& c, declare_callback done) {
  return declare_transaction(usable_default_session(c), std::move(done));
}

amqp::transaction messaging_event::transaction() const {
  return transaction_ ? ctx_->transaction_of(transaction_) : amqp::transaction();
}

}  // namespace amqp
