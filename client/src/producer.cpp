// producer: kombu's publish as a message, a destination and an error policy, handed to the
// message_sender of that destination's address.
#include "amqp/client/producer.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "amqp/messaging/container.hpp"

namespace amqp::client {

std::chrono::milliseconds retry_policy::interval(std::uint32_t attempt) const {
  const auto wait = interval_start + interval_step * static_cast<std::int64_t>(attempt);
  return std::min(wait, interval_max);
}

namespace {

// The error policy of a publish: kombu retries what may succeed another time, as often and as
// late as its retry_policy says; without `retry`, nothing is tried again.
std::shared_ptr<const error_policy> policy_of(const publish_options& o) {
  auto p = std::make_shared<error_policy>();
  if (!o.retry) {
    p->max_retries = 0;
    return p;
  }
  p->max_retries = o.retry_policy.max_retries;
  const retry_policy rp = o.retry_policy;
  const error_policy rules{.max_retries = rp.max_retries};
  p->decide = [rp, rules](const send_failure& f, std::uint32_t retries) {
    error_action a = rules.action(f, retries);
    if (a.retry) a.backoff = rp.interval(retries);
    return a;
  };
  return p;
}

bool refused(const send_error& e) {
  if (!e.failure) return false;
  using k = send_failure::kind;
  return e.failure->what == k::rejected || e.failure->what == k::released ||
         e.failure->what == k::modified;
}

}  // namespace

struct producer::impl : std::enable_shared_from_this<impl> {
  amqp::session session;
  producer_options o;
  std::map<std::string, message_sender> senders;  // by address

  impl(amqp::session s, producer_options opts) : session(std::move(s)), o(std::move(opts)) {}

  serializer_registry& serializer_set() const { return o.serializers ? *o.serializers : serializers(); }
  compression_registry& compression_set() const {
    return o.compressions ? *o.compressions : compressions();
  }

  // The message of a publish, or why there is none.
  result<message, codec_failure> make_message(payload body, const publish_options& p,
                                              const destination& dest) const {
    message m;
    std::optional<serialized> out;
    if (!p.content_type.empty() && p.serializer.empty()) {
      // kombu: a content_type given means the body is serialized already.
      if (const auto* b = std::get_if<bytes>(&body))
        out = serialized(*b);
      else if (const auto* t = std::get_if<std::string>(&body))
        out = serialized(bytes(t->begin(), t->end()));
      else
        return codec_failure{"a body published with content_type '" + p.content_type +
                             "' and no serializer must be bytes or text"};
      m.properties.content_type = p.content_type;
      if (!p.content_encoding.empty()) m.properties.content_encoding = p.content_encoding;
    } else {
      const std::string& name = p.serializer.empty() ? o.serializer : p.serializer;
      auto d = serializer_set().dumps(body, name);
      if (!d) return d.error();
      out = std::move(d->body);
      if (!d->content_type.empty()) m.properties.content_type = d->content_type;
    }
    const std::string& compression = p.compression.empty() ? o.compression : p.compression;
    if (!compression.empty()) {
      const bytes* data = std::get_if<bytes>(&*out);
      if (!data)
        return codec_failure{"compression '" + compression +
                             "' applies to data bodies, and this body is an amqp-value"};
      auto c = compression_set().compress(*data, compression);
      if (!c) return c.error();
      m.properties.content_encoding = c->content_encoding;
      out = serialized(std::move(c->body));
    }
    if (const bytes* data = std::get_if<bytes>(&*out))
      m.set_data(*data);
    else
      m.set_value(std::get<amqp::value>(std::move(*out)));

    spec::header h;
    h.durable = p.delivery_mode == persistence::persistent;
    if (p.priority) h.priority = std::min<std::uint8_t>(*p.priority, 9);
    if (p.expiration) h.ttl = static_cast<std::uint32_t>(p.expiration->count());
    m.header = h;
    if (p.message_id) m.properties.message_id = *p.message_id;
    if (p.correlation_id) m.properties.correlation_id = *p.correlation_id;
    if (p.reply_to) m.properties.reply_to = *p.reply_to;
    if (dest.subject) m.properties.subject = *dest.subject;
    for (const auto& [k, v] : p.headers) m.application_properties.emplace_back(k, v);
    return m;
  }

  message_sender& sender_for(const std::string& address) {
    auto it = senders.find(address);
    if (it == senders.end()) {
      it = senders.emplace(address, message_sender(session, address, o.sender)).first;
      it->second.open();
    }
    return it->second;
  }

  void publish(payload body, const publish_options& p, publish_callback callback) {
    publish_result r;
    r.exchange = p.exchange.value_or(o.exchange);
    r.routing_key = p.routing_key.value_or(o.routing_key);
    const destination dest = o.addressing.target(r.exchange, r.routing_key);
    r.address = dest.address;
    auto m = make_message(std::move(body), p, dest);
    if (!m) {
      r.result = send_result::error;
      r.error.what = m.error().what;
      report_later(std::move(r), std::move(callback));
      return;
    }
    const bool mandatory = p.mandatory;
    std::weak_ptr<impl> weak = weak_from_this();
    auto done = [weak, r, mandatory, callback = std::move(callback)](
                    const message& sent, send_result result, const send_error& error) mutable {
      r.result = result;
      r.error = error;
      auto self = weak.lock();
      if (self && mandatory && result == send_result::error && refused(error) && self->o.on_return)
        self->o.on_return(returned_message{sent, error, r.exchange, r.routing_key});
      if (callback) callback(r);
    };
    sender_for(dest.address)
        .send(std::move(*m), std::move(done), p.timeout.value_or(o.timeout), policy_of(p));
  }

  void report_later(publish_result r, publish_callback callback) {
    if (!callback) return;
    auto box = std::make_shared<std::pair<publish_result, publish_callback>>(std::move(r),
                                                                             std::move(callback));
    const amqp::connection c = session.connection();
    if (!c.is_set() || !c.post([box] { box->second(box->first); })) box->second(box->first);
  }
};

producer::producer(amqp::connection connection, producer_options options)
    : producer(connection.default_session(), std::move(options)) {}

producer::producer(amqp::session session, producer_options options)
    : impl_(std::make_shared<impl>(std::move(session), std::move(options))) {}

producer::~producer() { close(); }

producer::producer(producer&&) noexcept = default;

producer& producer::operator=(producer&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

void producer::publish(payload body, publish_options options, publish_callback callback) {
  if (!impl_) {
    if (callback)
      callback({.result = send_result::cancelled, .error = {"the producer is empty", {}, {}}});
    return;
  }
  impl_->publish(std::move(body), options, std::move(callback));
}

void producer::revive(amqp::connection connection) {
  if (!impl_) return;
  impl_->senders.clear();  // each destroyed: what it held ends cancelled
  impl_->session = connection.default_session();
}

std::size_t producer::pending() const noexcept {
  if (!impl_) return 0;
  std::size_t n = 0;
  for (const auto& [address, s] : impl_->senders) n += s.pending();
  return n;
}

void producer::close() {
  if (impl_) impl_->senders.clear();
}

}  // namespace amqp::client
