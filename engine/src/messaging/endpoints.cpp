// The handles' queries and commands: each looks its record up in the connection's context and
// acts on the current transport's engine, or answers as for something closed when it is gone.

#include "messaging/context.hpp"

namespace amqp {

namespace {

using detail::connection_context;

connection_engine* engine_of(const std::shared_ptr<connection_context>& ctx) {
  return ctx && ctx->transport_up ? ctx->engine.get() : nullptr;
}

// Whether the connection is over: closed both ways, or nothing more will happen on it (a
// failed or abandoned one). Its sessions and links are then closed too, whatever their own
// records say.
bool over(const connection_context& c) {
  return c.finished || (c.flags.local_closed && c.flags.remote_closed);
}

}  // namespace

// --- connection ---------------------------------------------------------------------------------

amqp::container& connection::container() const noexcept { return *ctx_->owner; }

endpoint_state connection::state() const noexcept {
  if (!ctx_ || over(*ctx_)) return endpoint_state::closed;
  return ctx_->flags.state();
}

const std::string& connection::container_id() const noexcept {
  static const std::string none;
  return ctx_ ? ctx_->container_id : none;
}

std::string connection::remote_container_id() const {
  const open_fields* o = remote_open();
  return o ? o->container_id : std::string();
}

const open_fields* connection::remote_open() const noexcept {
  connection_engine* e = engine_of(ctx_);
  return e ? e->remote_open() : nullptr;
}

bool connection::peer_offers(std::string_view capability) const noexcept {
  const open_fields* o = remote_open();
  if (!o) return false;
  for (const std::string& c : o->offered_capabilities)
    if (c == capability) return true;
  return false;
}

const url& connection::address() const noexcept {
  static const url none;
  return ctx_ ? ctx_->address : none;
}

const sasl_authenticated* connection::authentication() const noexcept {
  connection_engine* e = engine_of(ctx_);
  return e ? e->authentication() : nullptr;
}

const tls_info* connection::tls() const noexcept {
  connection_engine* e = engine_of(ctx_);
  return e ? e->tls() : nullptr;
}

bool connection::reconnected() const noexcept { return ctx_ && ctx_->epoch > 1; }

std::optional<condition> connection::error() const {
  return ctx_ ? ctx_->flags.error : std::nullopt;
}

void connection::open() {
  if (!ctx_ || ctx_->flags.local_open || ctx_->flags.local_closed) return;
  ctx_->send_open();
  ctx_->touched();
}

void connection::close(std::optional<condition> error) {
  if (ctx_) ctx_->close_connection(std::move(error));
}

session connection::default_session() {
  if (!ctx_) return {};
  return ctx_->session_handle_of(ctx_->ensure_default_session());
}

session connection::open_session(const session_options& options) {
  if (!ctx_) return {};
  const std::uint32_t id = ctx_->add_session(options, false);
  ctx_->begin(id);
  return ctx_->session_handle_of(id);
}

amqp::sender connection::open_sender(std::string_view address, const sender_options& options) {
  return default_session().open_sender(address, options);
}

amqp::receiver connection::open_receiver(std::string_view address,
                                         const receiver_options& options) {
  return default_session().open_receiver(address, options);
}

bool connection::post(std::function<void()> work) const {
  if (!ctx_ || ctx_->finished) return false;
  return ctx_->post(std::move(work));
}

// --- session ------------------------------------------------------------------------------------

amqp::connection session::connection() const { return amqp::connection(ctx_); }

endpoint_state session::state() const noexcept {
  if (!ctx_ || over(*ctx_)) return endpoint_state::closed;
  return ctx_->sessions[id_].flags.state();
}

const session_status* session::status() const noexcept {
  connection_engine* e = engine_of(ctx_);
  return e ? e->session(ctx_->sessions[id_].engine) : nullptr;
}

amqp::sender session::open_sender(std::string_view address, const sender_options& options) {
  if (!ctx_) return {};
  const std::uint32_t id = ctx_->add_link(id_, role::sender, address, &options, nullptr);
  ctx_->attach(id);
  return ctx_->sender_of(id);
}

amqp::receiver session::open_receiver(std::string_view address, const receiver_options& options) {
  if (!ctx_) return {};
  const std::uint32_t id = ctx_->add_link(id_, role::receiver, address, nullptr, &options);
  ctx_->attach(id);
  return ctx_->receiver_of(id);
}

void session::open(const session_options& options) {
  if (!ctx_) return;
  detail::session_record& s = ctx_->sessions[id_];
  if (s.flags.local_open || s.flags.local_closed) return;
  s.options = options;
  ctx_->begin(id_);
}

void session::close(std::optional<condition> error) {
  if (ctx_) ctx_->close_session(id_, std::move(error));
}

std::optional<condition> session::error() const {
  return ctx_ ? ctx_->sessions[id_].flags.error : std::nullopt;
}

// --- link ---------------------------------------------------------------------------------------

amqp::connection link::connection() const { return amqp::connection(ctx_); }

amqp::session link::session() const {
  if (!ctx_) return {};
  return ctx_->session_handle_of(ctx_->links[id_].session);
}

endpoint_state link::state() const noexcept {
  if (!ctx_ || over(*ctx_)) return endpoint_state::closed;
  return ctx_->links[id_].flags.state();
}

amqp::role link::role() const noexcept { return ctx_ ? ctx_->links[id_].role : role::sender; }

const std::string& link::name() const noexcept {
  static const std::string none;
  return ctx_ ? ctx_->links[id_].name : none;
}

std::string link::address() const {
  if (!ctx_) return {};
  const detail::link_record& l = ctx_->links[id_];
  // A link this side attached: the node is at the peer, as its attach names it (a dynamic
  // node's name). One the peer attached: the node is here, as the record has it.
  const link_status* s = l.peer_attached ? nullptr : status();
  if (s) {
    const auto& remote = l.role == role::sender ? s->remote_target : s->remote_source;
    if (remote && remote->address) return *remote->address;
  }
  return l.address;
}

const link_status* link::status() const noexcept {
  connection_engine* e = engine_of(ctx_);
  return e ? e->link(ctx_->links[id_].engine) : nullptr;
}

std::optional<condition> link::error() const {
  return ctx_ ? ctx_->links[id_].flags.error : std::nullopt;
}

void link::close(std::optional<condition> error) {
  if (ctx_) ctx_->close_link(id_, std::move(error), false);
}

void link::detach(std::optional<condition> error) {
  if (ctx_) ctx_->close_link(id_, std::move(error), true);
}

std::error_code link::request_flow() {
  connection_engine* e = engine_of(ctx_);
  if (!e || !ctx_->links[id_].engine.is_set()) return make_error_code(errc::wrong_state);
  std::error_code ec = e->request_flow(ctx_->links[id_].engine);
  if (!ec) ctx_->touched();
  return ec;
}

void link::set_handler(messaging_handler* handler) {
  if (!ctx_) return;
  detail::link_record& l = ctx_->links[id_];
  (l.role == role::sender ? l.sender.handler : l.receiver.handler) = handler;
}

// --- sender -------------------------------------------------------------------------------------

std::uint32_t sender::credit() const noexcept {
  const link_status* s = status();
  return s ? s->credit : 0;
}

result<tracker, std::error_code> sender::send(const message& m) {
  if (!ctx_) return make_error_code(errc::invalid_handle);
  writer& w = ctx_->scratch;
  w.clear();
  if (std::error_code ec = encode_message(w, m)) return make_error_code(errc::invalid_argument);
  return send_encoded(w.view());
}

result<tracker, std::error_code> sender::send_encoded(bytes_view encoded,
                                                      const transaction_id* txn) {
  return send_with(encoded, {.txn = txn});
}

result<tracker, std::error_code> sender::send_partial(bytes_view first_part) {
  return send_with(first_part, {.more = true});
}

result<tracker, std::error_code> sender::send_with(bytes_view encoded, send_options options) {
  connection_engine* e = engine_of(ctx_);
  if (!e) return make_error_code(errc::wrong_state);
  const detail::link_record& l = ctx_->links[id_];
  if (!l.engine.is_set()) return make_error_code(errc::wrong_state);
  options.settled = l.sender.mode == delivery_mode::at_most_once;
  auto d = e->send(l.engine, encoded, options);
  if (!d) return d.error();
  ctx_->touched();
  // The tracker shares this handle's reference (cheaper than shared_from_this()).
  return amqp::tracker(ctx_, ctx_->epoch, id_, *d);
}

result<tracker, std::error_code> sender::send(const message& m, outcome_callback on_outcome) {
  if (!ctx_) return make_error_code(errc::invalid_handle);
  writer& w = ctx_->scratch;
  w.clear();
  if (std::error_code ec = encode_message(w, m)) return make_error_code(errc::invalid_argument);
  return send_encoded(w.view(), std::move(on_outcome));
}

result<tracker, std::error_code> sender::send_encoded(bytes_view encoded,
                                                      outcome_callback on_outcome) {
  auto t = send_encoded(encoded);
  if (!t) return t;
  connection_engine* e = engine_of(ctx_);
  const delivery_status* st = e ? e->delivery(t->delivery_) : nullptr;
  if (!st || st->settled) {
    on_outcome({}, delivery_state{});  // sent settled: no outcome will come
  } else {
    ctx_->outcome_waiters[t->delivery_] = std::move(on_outcome);
  }
  return t;
}

std::error_code sender::complete_drain() {
  connection_engine* e = engine_of(ctx_);
  if (!e) return make_error_code(errc::wrong_state);
  std::error_code ec = e->complete_drain(ctx_->links[id_].engine);
  if (!ec) ctx_->touched();
  return ec;
}

void sender::open(const sender_options& options) {
  if (!ctx_) return;
  detail::link_record& l = ctx_->links[id_];
  if (l.answered || l.flags.local_closed) return;
  l.sender = options;
  if (options.source.address) l.address = *options.source.address;
  ctx_->answer_link(id_);
}

// --- receiver -----------------------------------------------------------------------------------

std::error_code receiver::add_credit(std::uint32_t n) {
  connection_engine* e = engine_of(ctx_);
  if (!e) return make_error_code(errc::wrong_state);
  std::error_code ec = e->grant_credit(ctx_->links[id_].engine, n);
  if (!ec) ctx_->touched();
  return ec;
}

std::error_code receiver::drain() {
  connection_engine* e = engine_of(ctx_);
  if (!e) return make_error_code(errc::wrong_state);
  std::error_code ec = e->drain(ctx_->links[id_].engine);
  if (!ec) ctx_->touched();
  return ec;
}

void receiver::open(const receiver_options& options) {
  if (!ctx_) return;
  detail::link_record& l = ctx_->links[id_];
  if (l.answered || l.flags.local_closed) return;
  l.receiver = options;
  if (options.target.address) l.address = *options.target.address;
  ctx_->answer_link(id_);
}

// --- tracker and delivery -----------------------------------------------------------------------

namespace {

// The engine holding a delivery, when the handle still names one on the current transport.
connection_engine* live_engine(const std::shared_ptr<connection_context>& ctx,
                               std::uint32_t epoch) {
  return ctx && ctx->epoch == epoch ? engine_of(ctx) : nullptr;
}

std::error_code settle_with(const std::shared_ptr<connection_context>& ctx, std::uint32_t epoch,
                            delivery_handle d, const delivery_state& state) {
  if (!ctx) return make_error_code(errc::invalid_handle);
  return ctx->settle_delivery(epoch, d, state);
}

}  // namespace

amqp::sender tracker::sender() const { return ctx_ ? ctx_->sender_of(link_) : amqp::sender(); }
amqp::connection tracker::connection() const { return amqp::connection(ctx_); }

bytes_view tracker::tag() const noexcept {
  connection_engine* e = live_engine(ctx_, epoch_);
  return e ? e->delivery_tag(delivery_) : bytes_view();
}

delivery_state tracker::remote_state() const {
  connection_engine* e = live_engine(ctx_, epoch_);
  const delivery_status* s = e ? e->delivery(delivery_) : nullptr;
  return s ? s->remote_state : delivery_state{};
}

bool tracker::remote_settled() const noexcept {
  connection_engine* e = live_engine(ctx_, epoch_);
  const delivery_status* s = e ? e->delivery(delivery_) : nullptr;
  return s && s->remote_settled;
}

bool tracker::settled() const noexcept {
  connection_engine* e = live_engine(ctx_, epoch_);
  return !e || !e->delivery(delivery_);
}

std::error_code tracker::settle() {
  // An async_send waiting on it completes now: with the outcome if one came, else in doubt.
  if (connection_engine* e = live_engine(ctx_, epoch_))
    if (const delivery_status* s = e->delivery(delivery_))
      ctx_->complete_outcome(delivery_, s->remote_state.is_outcome()
                                            ? std::error_code()
                                            : make_error_code(errc::in_doubt),
                             s->remote_state);
  return settle_with(ctx_, epoch_, delivery_, {});
}

std::error_code tracker::send_more(bytes_view part, bool more) {
  connection_engine* e = live_engine(ctx_, epoch_);
  if (!e) return make_error_code(errc::wrong_state);
  std::error_code ec = e->send_more(delivery_, part, more);
  if (!ec) ctx_->touched();
  return ec;
}

std::error_code tracker::abort() {
  connection_engine* e = live_engine(ctx_, epoch_);
  if (!e) return make_error_code(errc::wrong_state);
  std::error_code ec = e->abort_delivery(delivery_);
  if (!ec) ctx_->touched();
  return ec;
}

amqp::receiver delivery::receiver() const {
  return ctx_ ? ctx_->receiver_of(link_) : amqp::receiver();
}
amqp::connection delivery::connection() const { return amqp::connection(ctx_); }

bytes_view delivery::tag() const noexcept {
  connection_engine* e = live_engine(ctx_, epoch_);
  return e ? e->delivery_tag(delivery_) : bytes_view();
}

bytes_view delivery::payload() const noexcept {
  connection_engine* e = live_engine(ctx_, epoch_);
  return e ? e->payload(delivery_) : bytes_view();
}

delivery_state delivery::remote_state() const {
  connection_engine* e = live_engine(ctx_, epoch_);
  const delivery_status* s = e ? e->delivery(delivery_) : nullptr;
  return s ? s->remote_state : delivery_state{};
}

bool delivery::remote_settled() const noexcept {
  connection_engine* e = live_engine(ctx_, epoch_);
  const delivery_status* s = e ? e->delivery(delivery_) : nullptr;
  return s && s->remote_settled;
}

bool delivery::settled() const noexcept {
  connection_engine* e = live_engine(ctx_, epoch_);
  const delivery_status* s = e ? e->delivery(delivery_) : nullptr;
  return !s || s->settled;
}

std::error_code delivery::accept() {
  return settle_with(ctx_, epoch_, delivery_, delivery_state::accepted());
}
std::error_code delivery::reject(std::optional<condition> error) {
  return settle_with(ctx_, epoch_, delivery_, delivery_state::rejected(std::move(error)));
}
std::error_code delivery::release() {
  return settle_with(ctx_, epoch_, delivery_, delivery_state::released());
}
std::error_code delivery::modify(bool delivery_failed, bool undeliverable_here,
                                 value message_annotations) {
  return settle_with(ctx_, epoch_, delivery_,
                     delivery_state::modified(delivery_failed, undeliverable_here,
                                              std::move(message_annotations)));
}
std::error_code delivery::settle() { return settle_with(ctx_, epoch_, delivery_, {}); }
std::error_code delivery::settle(const delivery_state& state) {
  return settle_with(ctx_, epoch_, delivery_, state);
}

std::error_code delivery::update(const delivery_state& state) {
  connection_engine* e = live_engine(ctx_, epoch_);
  if (!e) return make_error_code(errc::invalid_handle);
  std::error_code ec = e->update_state(delivery_, state);
  if (!ec) ctx_->touched();
  return ec;
}

// --- the event and the handler's defaults -------------------------------------------------------

// The event made by the connection borrows its state for the handler call; a copy may outlive
// the call, and keeps the state alive as a handle does.
messaging_event::messaging_event(const messaging_event& other)
    : container_(other.container_),
      ctx_(other.ctx_),
      owner_(other.owner_ ? other.owner_
                          : (other.ctx_ ? other.ctx_->shared_from_this() : nullptr)),
      session_(other.session_),
      link_(other.link_),
      sender_link_(other.sender_link_),
      transfer_(other.transfer_),
      epoch_(other.epoch_),
      delivery_(other.delivery_),
      view_(other.view_),
      message_(other.message_),
      error_(other.error_),
      transaction_(other.transaction_) {}

messaging_event& messaging_event::operator=(const messaging_event& other) {
  if (this != &other) {
    messaging_event copy(other);
    container_ = copy.container_;
    ctx_ = copy.ctx_;
    owner_ = std::move(copy.owner_);
    session_ = copy.session_;
    link_ = copy.link_;
    sender_link_ = copy.sender_link_;
    transfer_ = copy.transfer_;
    epoch_ = copy.epoch_;
    delivery_ = copy.delivery_;
    view_ = copy.view_;
    message_ = std::move(copy.message_);
    error_ = std::move(copy.error_);
    transaction_ = std::move(copy.transaction_);
  }
  return *this;
}

messaging_event::~messaging_event() = default;

amqp::connection messaging_event::connection() const {
  return ctx_ ? ctx_->connection_handle() : amqp::connection();
}

amqp::session messaging_event::session() const {
  return session_ != none ? ctx_->session_handle_of(session_) : amqp::session();
}

amqp::sender messaging_event::sender() const {
  return link_ != none && sender_link_ ? ctx_->sender_of(link_) : amqp::sender();
}

amqp::receiver messaging_event::receiver() const {
  return link_ != none && !sender_link_ ? ctx_->receiver_of(link_) : amqp::receiver();
}

amqp::link messaging_event::link() const {
  if (link_ == none) return {};
  if (sender_link_) return sender();
  return receiver();
}

amqp::tracker messaging_event::tracker() const {
  return transfer_ == transfer::tracker ? ctx_->tracker_of(epoch_, link_, delivery_)
                                        : amqp::tracker();
}

amqp::delivery messaging_event::delivery() const {
  return transfer_ == transfer::delivery ? ctx_->delivery_of(epoch_, link_, delivery_)
                                         : amqp::delivery();
}

const amqp::message& messaging_event::message() const {
  if (!message_) message_ = view_ ? amqp::message::from_view(*view_) : amqp::message{};
  return *message_;
}

const message_view* messaging_event::view() const noexcept { return view_; }

namespace {

// What an error event concerns, for the default report: "link 'orders-1' to 'orders'".
std::string subject_of(const messaging_event& e) {
  if (e.link().is_set())
    return std::string(e.link().role() == role::sender ? "sender" : "receiver") + " '" +
           e.link().name() + "' (" + e.link().address() + ")";
  if (e.session().is_set()) return "session";
  if (e.connection().is_set()) return "connection to " + e.connection().address().host_port();
  return "container";
}

// "error: <what failed>: <condition>", to wherever the container reports errors.
void report(messaging_event& e, const char* fallback) {
  e.container().report_error("error: " + subject_of(e) + ": " +
                             (e.error() ? e.error()->to_string() : std::string(fallback)));
}

}  // namespace

void messaging_handler::on_error(messaging_event& e) {
  report(e, "unknown error");
  if (e.connection().is_set() && e.connection().state() != endpoint_state::closed)
    e.connection().close();
}

void messaging_handler::on_transport_error(messaging_event& e) { report(e, "transport failed"); }
void messaging_handler::on_transaction_declare_failed(messaging_event& e) {
  report(e, "transaction declare failed");
}
void messaging_handler::on_transaction_commit_failed(messaging_event& e) {
  report(e, "transaction commit failed");
}

namespace detail {

std::error_code connection_context::settle_delivery(std::uint32_t at_epoch, delivery_handle d,
                                                    const delivery_state& state) {
  connection_engine* e = at_epoch == epoch && transport_up ? engine.get() : nullptr;
  if (!e) return make_error_code(errc::invalid_handle);
  const delivery_status* s = e->delivery(d);
  if (!s) return make_error_code(errc::invalid_handle);
  // Acquired inside a transaction (its transfer said so): the outcome goes in it too.
  if (!state.txn && state.is_outcome() && state.kind != delivery_state::type::declared)
    if (const transaction_id* txn = acquired_in(*s)) [[unlikely]]
      return settle_delivery(at_epoch, d, delivery_state::transactional(*txn, state));
  const link_status* l = e->link(s->link);
  std::error_code ec;
  // Under rcv-settle-mode second a receiver states its outcome and settles once the sender
  // has (spec Part 2, 2.6.12); the driver settles it when the sender's settlement arrives.
  if (l && l->role == role::receiver && l->rcv_settle_mode == receiver_settle_mode::second &&
      !s->remote_settled && !state.empty()) {
    ec = e->update_state(d, state);
  } else {
    before_settle(d);
    ec = e->settle(d, state);
  }
  if (!ec) touched();
  return ec;
}

}  // namespace detail

}  // namespace amqp
