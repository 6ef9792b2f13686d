// consumer: one receiver per queue, all with this object as their handler; credit granted by
// qos against the messages and bytes unacknowledged; decoding through the registries.
#include "amqp/client/consumer.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "amqp/messaging/container.hpp"
#include "amqp/messaging/handler.hpp"
#include "amqp/random.hpp"
#include "support.hpp"

namespace amqp::client {

namespace {

// Credit per queue when qos sets no prefetch_count.
constexpr std::uint32_t default_window = 100;

// A queue as the application names it: its name, or the exchange of an exchange-bound one.
const std::string& name_of(const client::queue& q) { return q.name.empty() ? q.exchange : q.name; }

}  // namespace

struct consumer_impl : messaging_handler, std::enable_shared_from_this<consumer_impl> {
  struct queue_link {
    client::queue q;
    amqp::receiver link;
    std::uint32_t unacked = 0;
    // Credit granted and not used by a message handed over yet (the link's status has taken
    // every transfer of a read already while their events come one at a time).
    std::uint32_t outstanding = 0;
    bool cancelled = false;
    bool ended_by_peer = false;
    // on_link_opened came: the broker answered with a source (a refusal's answer has none and
    // may leave the link looking active until its detach is read).
    bool answered = false;
  };
  struct unacked_entry {
    amqp::delivery delivery;
    std::size_t bytes = 0;
    std::size_t link = 0;  // index in links
  };

  amqp::session session;
  std::vector<client::queue> queues;
  consumer_options o;
  std::vector<queue_link> links;
  std::map<std::uint64_t, unacked_entry> unacked;
  std::uint64_t next_id = 1;
  std::size_t unacked_bytes = 0;
  bool active = true;

  consumer_impl(amqp::session s, std::vector<client::queue> qs, consumer_options opts)
      : session(std::move(s)), queues(std::move(qs)), o(std::move(opts)) {}

  serializer_registry& serializer_set() const { return o.serializers ? *o.serializers : serializers(); }
  compression_registry& compression_set() const {
    return o.compressions ? *o.compressions : compressions();
  }

  std::size_t index_of(const amqp::receiver& r) const {
    for (std::size_t i = 0; i < links.size(); ++i)
      if (links[i].link == r) return i;
    return links.size();
  }

  bool consuming(const std::string& name) const {
    return std::any_of(links.begin(), links.end(), [&](const queue_link& l) {
      return !l.cancelled && name_of(l.q) == name;
    });
  }

  void consume() {
    for (const client::queue& q : queues) {
      const std::string& name = name_of(q);
      if (consuming(name)) continue;
      // A new link for a queue the broker ended: that refusal is over.
      for (queue_link& l : links)
        if (name_of(l.q) == name) l.ended_by_peer = false;
      receiver_options ro;
      ro.name = o.tag_prefix + random_uuid();
      ro.mode = o.no_ack ? delivery_mode::at_most_once : delivery_mode::at_least_once;
      ro.credit_window = 0;  // granted by qos
      ro.auto_accept = false;
      ro.auto_settle = true;
      ro.handler = this;
      links.push_back({q, session.open_receiver(o.addressing.source(q), ro)});
    }
  }

  void cancel_link(queue_link& l) {
    if (l.cancelled) return;
    l.cancelled = true;
    l.link.close();
  }

  // --- credit ---------------------------------------------------------------------------------

  std::uint32_t share() const {
    std::size_t live = 0;
    for (const queue_link& l : links) live += !l.cancelled;
    if (o.prefetch_count == 0) return default_window;
    return std::max<std::uint32_t>(1, o.prefetch_count / static_cast<std::uint32_t>(std::max<std::size_t>(live, 1)));
  }

  // Credit up to the share of each queue, less what is unacknowledged there, once half of it is
  // used (one flow per half share); none while inactive or over the byte budget.
  void top_up() {
    if (!active) return;
    if (o.prefetch_size != 0 && unacked_bytes >= o.prefetch_size) return;
    const std::uint32_t limit = share();
    for (queue_link& l : links) {
      if (l.cancelled || l.link.state() != endpoint_state::active) continue;
      const std::uint64_t held = std::uint64_t{l.outstanding} + l.unacked;
      if (held >= limit || (held > limit / 2 && l.outstanding > 0)) continue;
      const auto more = static_cast<std::uint32_t>(limit - held);
      if (!l.link.add_credit(more)) l.outstanding += more;
    }
  }

  void settled(std::uint64_t id) {
    auto it = unacked.find(id);
    if (it == unacked.end()) return;
    unacked_bytes -= it->second.bytes;
    if (it->second.link < links.size() && links[it->second.link].unacked > 0)
      --links[it->second.link].unacked;
    unacked.erase(it);
    top_up();
  }

  // --- messages -------------------------------------------------------------------------------

  // kombu's accept list names content-types or serializers ("application/json", "json").
  bool accepted(const std::string& type) const {
    if (o.accept.empty()) return true;
    const auto reader = serializer_set().for_content_type(type);
    return std::any_of(o.accept.begin(), o.accept.end(), [&](const std::string& a) {
      return (reader && reader->name == a) ||
             detail::same_name(detail::media_type(a), detail::media_type(type));
    });
  }

  result<payload, codec_failure> decode(const message& m) const {
    const std::string type = m.properties.content_type.value_or("");
    if (!accepted(type)) return codec_failure{"content-type '" + type + "' is not accepted"};
    serialized body;
    if (m.body_type == body_kind::amqp_value) {
      body = m.body.front();
    } else if (m.body_type == body_kind::data) {
      bytes all;
      for (const value& section : m.body)
        if (const auto* b = section.get_if<binary>()) all.insert(all.end(), b->bytes.begin(), b->bytes.end());
      body = std::move(all);
    } else if (m.body_type == body_kind::none) {
      body = bytes{};
    } else {
      return codec_failure{"an amqp-sequence body has no serializer"};
    }
    if (const std::string enc = m.properties.content_encoding.value_or("");
        !enc.empty() && !detail::names_no_compression(enc)) {
      const bytes* data = std::get_if<bytes>(&body);
      if (!data) return codec_failure{"content-encoding '" + enc + "' on an amqp-value body"};
      auto plain = compression_set().decompress(*data, enc, o.max_decompressed_size);
      if (!plain) return plain.error();
      body = std::move(*plain);
    }
    return serializer_set().loads(body, type);
  }

  void on_message(messaging_event& e) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    const std::size_t at = index_of(e.receiver());
    if (at < links.size() && links[at].outstanding > 0) --links[at].outstanding;
    consumed_message m;
    m.message_ = e.message();
    m.delivery_ = e.delivery();
    m.queue_ = at < links.size() ? name_of(links[at].q) : std::string();
    m.owner_ = weak_from_this();
    m.settled_ = e.delivery().remote_settled();  // sent settled: nothing to acknowledge
    if (!o.no_ack && at < links.size()) {
      m.id_ = next_id++;
      const std::size_t size = e.delivery().payload().size();
      unacked[m.id_] = {e.delivery(), size, at};
      unacked_bytes += size;
      ++links[at].unacked;
    }
    if (o.on_message) {
      o.on_message(m);
      top_up();
      return;
    }
    auto body = decode(m.message_);
    if (!body) {
      if (o.on_decode_error) {
        o.on_decode_error(m, body.error());
      } else {
        e.container().report_error("consumer: a message from '" + m.queue_ +
                                   "' does not decode: " + body.error().what);
        if (!m.acknowledged())
          (void)m.settle(delivery_state::rejected(condition{"amqp:decode-error", body.error().what, {}}));
      }
    } else if (o.callbacks.empty()) {
      e.container().report_error("consumer: a message from '" + m.queue_ +
                                 "' arrived with no callback registered; released");
      if (!m.acknowledged()) (void)m.requeue();
    } else {
      for (const consume_callback& cb : o.callbacks) cb(*body, m);
    }
    top_up();
  }

  void on_link_opened(messaging_event& e) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    // A new attach (after a reconnect too) starts without credit.
    const std::size_t at = index_of(e.receiver());
    if (at < links.size()) {
      links[at].outstanding = 0;
      links[at].answered = true;
    }
    top_up();
    if (at < links.size() && o.on_link_state) o.on_link_state(links[at].q, true, std::nullopt);
  }
  // The sender used or gave up all credit.
  void on_receiver_drained(messaging_event& e) override {
    if (const std::size_t at = index_of(e.receiver()); at < links.size()) links[at].outstanding = 0;
  }
  void on_link_error(messaging_event&) override {}  // the close says it
  void on_link_closed(messaging_event& e) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    const std::size_t at = index_of(e.receiver());
    if (at < links.size()) {
      if (!links[at].cancelled) {
        links[at].ended_by_peer = true;
        if (e.error())
          e.container().report_error("consumer: queue '" + links[at].q.name + "' ended: " +
                                     e.error()->to_string());
        if (o.on_link_state) o.on_link_state(links[at].q, false, e.error());
      }
      links[at].cancelled = true;
    }
    // Its unacknowledged messages cannot be settled any more.
    for (auto it = unacked.begin(); it != unacked.end();) {
      if (it->second.link == at) {
        unacked_bytes -= it->second.bytes;
        it = unacked.erase(it);
      } else {
        ++it;
      }
    }
    if (at < links.size()) links[at].unacked = 0;
  }

  // Its links are left to orphaned_links(): this may go away before their last events.
  ~consumer_impl() override {
    for (queue_link& l : links) detail::orphan(l.link, false);
  }
};

// --- purge ----------------------------------------------------------------------------------------

// Takes every ready message from some queues: links of its own, sent settled, credit in batches
// until a batch comes back short after a drain (or, without drain, until a quiet period).
struct purger : messaging_handler, std::enable_shared_from_this<purger> {
  static constexpr std::uint32_t batch = 500;
  struct queue_run {
    amqp::receiver link;
    std::uint32_t round = 0;   // messages since the last grant
    std::uint64_t seen = 0;    // messages at the last quiet check
    bool done = false;
  };
  std::vector<queue_run> runs;
  std::size_t purged = 0;
  std::string error;
  bool drain = true;
  std::chrono::milliseconds idle{500};
  std::function<void(std::size_t, const std::string&)> finished;
  std::shared_ptr<purger> keep_alive;

  queue_run* run_of(const amqp::receiver& r) {
    for (queue_run& q : runs)
      if (q.link == r) return &q;
    return nullptr;
  }

  void grant(queue_run& q) {
    q.round = 0;
    (void)q.link.add_credit(batch);
    if (drain) (void)q.link.drain();
  }

  void on_link_opened(messaging_event& e) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    if (queue_run* q = run_of(e.receiver())) {
      grant(*q);
      if (!drain) watch(e.receiver());
    }
  }
  void on_message(messaging_event& e) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    ++purged;
    if (queue_run* q = run_of(e.receiver())) {
      ++q->seen;
      if (++q->round == batch && !drain) grant(*q);
    }
  }
  void on_receiver_drained(messaging_event& e) override {
    queue_run* q = run_of(e.receiver());
    if (!q) return;
    if (q->round == batch)
      grant(*q);  // maybe more
    else
      q->link.close();
  }
  // Without drain: done once a period passes without a message.
  void watch(amqp::receiver r) {
    std::weak_ptr<purger> weak = weak_from_this();
    const std::uint64_t before = run_of(r) ? run_of(r)->seen : 0;
    detail::after(r.connection(), idle, [weak, r, before] {
      auto self = weak.lock();
      queue_run* q = self ? self->run_of(r) : nullptr;
      if (!q || q->done) return;
      if (q->seen == before)
        q->link.close();
      else
        self->watch(r);
    });
  }
  void on_link_error(messaging_event& e) override {
    if (e.error() && error.empty()) error = e.error()->to_string();
  }
  void on_link_closed(messaging_event& e) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    if (queue_run* q = run_of(e.receiver())) q->done = true;
    if (std::all_of(runs.begin(), runs.end(), [](const queue_run& q) { return q.done; })) {
      keep_alive.reset();
      if (finished) finished(purged, error);
    }
  }
};

// --- consumed_message -----------------------------------------------------------------------------

std::error_code consumed_message::settle(const delivery_state& s) {
  if (acknowledged()) return make_error_code(errc::wrong_state);
  std::error_code ec;
  switch (s.kind) {
    case delivery_state::type::accepted: ec = delivery_.accept(); break;
    case delivery_state::type::released: ec = delivery_.release(); break;
    case delivery_state::type::rejected:
      ec = delivery_.reject(s.error ? std::optional<condition>(*s.error) : std::nullopt);
      break;
    default: ec = delivery_.modify(true, false); break;
  }
  if (ec) return ec;
  settled_ = true;
  if (auto owner = owner_.lock()) owner->settled(id_);
  return {};
}

std::error_code consumed_message::ack() { return settle(delivery_state::accepted()); }
std::error_code consumed_message::reject(bool requeue) {
  return settle(requeue ? delivery_state::released() : delivery_state::rejected());
}
std::error_code consumed_message::requeue() { return settle(delivery_state::released()); }

// --- consumer -------------------------------------------------------------------------------------

consumer::consumer(amqp::connection connection, std::vector<queue> queues, consumer_options options)
    : consumer(connection.default_session(), std::move(queues), std::move(options)) {}

consumer::consumer(amqp::session session, std::vector<queue> queues, consumer_options options)
    : impl_(std::make_shared<consumer_impl>(std::move(session), std::move(queues),
                                            std::move(options))) {}

consumer::~consumer() { cancel(); }  // the impl's destructor orphans the links
consumer::consumer(consumer&&) noexcept = default;
consumer& consumer::operator=(consumer&& other) noexcept {
  if (this != &other) {
    cancel();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

void consumer::consume() {
  if (impl_) impl_->consume();
}

void consumer::cancel() {
  if (!impl_) return;
  for (auto& l : impl_->links) impl_->cancel_link(l);
}

void consumer::cancel_by_queue(const std::string& name) {
  if (!impl_) return;
  for (auto& l : impl_->links)
    if (name_of(l.q) == name) impl_->cancel_link(l);
}

bool consumer::consuming_from(const std::string& name) const {
  return impl_ && impl_->consuming(name);
}

bool consumer::attached() const {
  if (!impl_) return false;
  bool any = false;
  for (const auto& l : impl_->links) {
    if (l.ended_by_peer ||
        (!l.cancelled && (!l.answered || l.link.state() != endpoint_state::active)))
      return false;
    any = any || !l.cancelled;
  }
  return any;
}

bool consumer::refused() const {
  return impl_ && std::any_of(impl_->links.begin(), impl_->links.end(),
                              [](const auto& l) { return l.ended_by_peer; });
}

void consumer::add_queue(queue q) {
  if (impl_) impl_->queues.push_back(std::move(q));
}

void consumer::register_callback(consume_callback cb) {
  if (impl_) impl_->o.callbacks.push_back(std::move(cb));
}

void consumer::qos(std::uint32_t prefetch_size, std::uint16_t prefetch_count, bool) {
  if (!impl_) return;
  impl_->o.prefetch_size = prefetch_size;
  impl_->o.prefetch_count = prefetch_count;
  impl_->top_up();
}

void consumer::flow(bool active) {
  if (!impl_ || impl_->active == active) return;
  impl_->active = active;
  if (!active) {
    if (!impl_->o.drain) return;  // no more grants; what was granted may still come
    for (auto& l : impl_->links) {
      const link_status* st = l.cancelled ? nullptr : l.link.status();
      if (st && st->credit > 0) (void)l.link.drain();
    }
    return;
  }
  impl_->top_up();
}

void consumer::recover(bool requeue) {
  if (!impl_) return;
  // Taken out first: settling updates the map.
  std::vector<std::pair<std::uint64_t, amqp::delivery>> all;
  for (auto& [id, u] : impl_->unacked) all.emplace_back(id, u.delivery);
  for (auto& [id, d] : all) {
    const std::error_code ec = requeue ? d.release() : d.modify(true, false);
    (void)ec;
    impl_->settled(id);
  }
}

void consumer::purge(std::function<void(std::size_t, const std::string&)> done) {
  if (!impl_ || impl_->queues.empty()) {
    if (done) done(0, impl_ ? "" : "the consumer is empty");
    return;
  }
  auto p = std::make_shared<purger>();
  p->drain = impl_->o.drain;
  p->idle = impl_->o.purge_idle;
  p->finished = std::move(done);
  p->keep_alive = p;
  for (const queue& q : impl_->queues) {
    receiver_options ro;
    ro.name = "purge-" + random_uuid();
    ro.mode = delivery_mode::at_most_once;
    ro.credit_window = 0;
    ro.handler = p.get();
    p->runs.push_back({impl_->session.open_receiver(impl_->o.addressing.source(q), ro)});
  }
}

void consumer::revive(amqp::connection connection) {
  if (!impl_) return;
  std::vector<std::string> names;
  for (auto& l : impl_->links)
    if (!l.cancelled) {
      impl_->cancel_link(l);
      names.push_back(name_of(l.q));
    }
  impl_->links.clear();
  impl_->unacked.clear();
  impl_->unacked_bytes = 0;
  impl_->session = connection.default_session();
  if (!names.empty()) impl_->consume();
}

std::size_t consumer::unacknowledged() const noexcept { return impl_ ? impl_->unacked.size() : 0; }

}  // namespace amqp::client
