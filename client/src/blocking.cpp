// blocking_connection: a container on a thread of its own; calls post their work to the
// connection's thread and wait on a future or on the inboxes the consumers fill.
#include "amqp/client/blocking.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "amqp/asio/container.hpp"
#include "amqp/libevent/container.hpp"
#include "amqp/messaging/handler.hpp"

namespace amqp::client {

struct blocking_impl : messaging_handler, std::enable_shared_from_this<blocking_impl> {
  std::string url;
  blocking_options o;
  std::unique_ptr<amqp::container> container;
  std::thread thread;

  mutable std::mutex mutex;
  std::condition_variable changed;
  amqp::connection conn;  // set on the container's thread before `started`
  bool started = false;
  bool opened = false;
  bool ended = false;
  std::optional<condition> last_error;
  std::map<std::string, std::deque<blocking_message>> inbox;  // receive(), by source address
  std::deque<blocking_message> events;                        // consume()
  blocking_callback on_event;

  // The connection's thread only.
  producer prod;
  std::map<std::string, consumer> receivers;
  std::vector<consumer> consumers;

  blocking_impl(std::string_view u, blocking_options opts) : url(u), o(std::move(opts)) {}

  void start() {
    if (o.io == io_binding::libevent)
      container = std::make_unique<amqp::libevent::container>(*this);
    else
      container = std::make_unique<amqp::asio::container>(*this);
    thread = std::thread([this] {
      container->run();
      std::lock_guard lock(mutex);
      ended = true;
      opened = false;
      changed.notify_all();
    });
    std::unique_lock lock(mutex);
    changed.wait(lock, [this] { return started || ended; });
  }

  amqp::connection connection() const {
    std::lock_guard lock(mutex);
    return conn;
  }

  // Runs `work` on the connection's thread; false when the connection is over.
  bool post(std::function<void()> work) const {
    const amqp::connection c = connection();
    return c.is_set() && c.post(std::move(work));
  }

  // --- the connection's events ----------------------------------------------------------------

  void on_start(messaging_event& e) override {
    amqp::connection c = e.container().connect(url, o.connection);
    prod = producer(c, o.producer);
    std::lock_guard lock(mutex);
    conn = c;
    started = true;
    changed.notify_all();
  }
  void on_connection_opened(messaging_event&) override { set_open(true); }
  void on_reconnected(messaging_event&) override { set_open(true); }
  void on_disconnected(messaging_event&) override { set_open(false); }
  void on_transport_error(messaging_event& e) override { note(e); }
  void on_connection_error(messaging_event& e) override { note(e); }
  void on_session_error(messaging_event& e) override { note(e); }
  void on_connection_closed(messaging_event&) override {
    std::lock_guard lock(mutex);
    opened = false;
    ended = true;
    changed.notify_all();
  }

  void set_open(bool open) {
    std::lock_guard lock(mutex);
    opened = open;
    if (open) last_error.reset();
    changed.notify_all();
  }
  void note(messaging_event& e) {
    std::lock_guard lock(mutex);
    if (e.error()) last_error = *e.error();
    changed.notify_all();
  }

  // --- receiving ------------------------------------------------------------------------------

  blocking_message wrap(const payload& body, consumed_message& m) {
    blocking_message b;
    b.body_ = body;
    b.message_ = m;
    b.owner_ = weak_from_this();
    *b.acknowledged_ = m.acknowledged();
    return b;
  }

  consumer_options consumer_with(consume_callback cb) const {
    consumer_options co = o.consumer;
    co.callbacks = {std::move(cb)};
    return co;
  }
};

// --- blocking_message ---------------------------------------------------------------------------

std::error_code blocking_message::settle(int how) {
  auto owner = owner_.lock();
  if (!owner) return make_error_code(errc::invalid_handle);
  if (*acknowledged_) return make_error_code(errc::wrong_state);
  auto done = std::make_shared<std::promise<std::error_code>>();
  auto result = done->get_future();
  consumed_message m = message_;
  if (!owner->post([m, how, done]() mutable {
        done->set_value(how == 0 ? m.ack() : how == 1 ? m.reject(false) : m.requeue());
      }))
    return make_error_code(errc::invalid_handle);
  if (result.wait_for(owner->o.timeout) != std::future_status::ready)
    return make_error_code(errc::wrong_state);
  const std::error_code ec = result.get();
  if (!ec) *acknowledged_ = true;
  return ec;
}

std::error_code blocking_message::ack() { return settle(0); }
std::error_code blocking_message::reject(bool requeue) { return settle(requeue ? 2 : 1); }
std::error_code blocking_message::requeue() { return settle(2); }

// --- blocking_connection --------------------------------------------------------------------------

blocking_connection::blocking_connection(std::string_view url, blocking_options options)
    : impl_(std::make_shared<blocking_impl>(url, std::move(options))) {
  impl_->start();
}

blocking_connection::~blocking_connection() { close(); }

bool blocking_connection::wait_open(std::optional<std::chrono::milliseconds> timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout.value_or(impl_->o.timeout),
                                 [&] { return impl_->opened || impl_->ended; }) &&
         impl_->opened;
}

std::optional<condition> blocking_connection::error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_error;
}

bool blocking_connection::is_open() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->opened;
}

publish_result blocking_connection::publish(payload body, publish_options options) {
  auto done = std::make_shared<std::promise<publish_result>>();
  auto result = done->get_future();
  const std::chrono::milliseconds wait = options.timeout.value_or(impl_->o.timeout);
  if (!options.timeout) options.timeout = wait;
  std::shared_ptr<blocking_impl> self = impl_;
  if (!impl_->post([self, body = std::move(body), options, done]() mutable {
        self->prod.publish(std::move(body), std::move(options),
                           [done](const publish_result& r) { done->set_value(r); });
      }))
    return {.result = send_result::cancelled, .error = {"the connection is over", {}, {}}};
  // The producer reports a timeout itself; the margin covers the hop between threads.
  if (result.wait_for(wait + std::chrono::seconds(5)) != std::future_status::ready)
    return {.result = send_result::timeout,
            .error = {"no answer from the connection's thread within " +
                          std::to_string(wait.count()) + " ms",
                      {}, {}}};
  return result.get();
}

std::optional<blocking_message> blocking_connection::receive(const queue& q,
                                                             std::chrono::milliseconds timeout) {
  const std::string key = impl_->o.consumer.addressing.source(q);
  std::weak_ptr<blocking_impl> weak = impl_;
  (void)impl_->post([weak, q, key] {
    auto self = weak.lock();
    if (!self || self->receivers.contains(key)) return;
    consumer c(self->connection(), {q},
               self->consumer_with([weak, key](const payload& body, consumed_message& m) {
                 auto s = weak.lock();
                 if (!s) return;
                 blocking_message b = s->wrap(body, m);
                 std::lock_guard lock(s->mutex);
                 s->inbox[key].push_back(std::move(b));
                 s->changed.notify_all();
               }));
    c.qos(0, 1);
    c.consume();
    self->receivers.emplace(key, std::move(c));
  });
  std::unique_lock lock(impl_->mutex);
  auto& box = impl_->inbox[key];
  if (!impl_->changed.wait_for(lock, timeout, [&] { return !box.empty() || impl_->ended; }) ||
      box.empty())
    return std::nullopt;
  blocking_message m = std::move(box.front());
  box.pop_front();
  return m;
}

bool blocking_connection::consume(std::vector<queue> queues, blocking_callback callback) {
  if (queues.empty()) return false;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->on_event = std::move(callback);
  }
  // How the broker answered this call's attaches: set on the connection's thread (under the
  // mutex) each time one of the consumer's links is attached or refused.
  enum class answer : std::uint8_t { pending, attached, refused };
  auto result = std::make_shared<answer>(answer::pending);
  std::weak_ptr<blocking_impl> weak = impl_;
  const bool posted = impl_->post([weak, result, queues = std::move(queues)] {
    auto self = weak.lock();
    if (!self) return;
    consumer_options co = self->consumer_with([weak](const payload& body, consumed_message& m) {
      auto s = weak.lock();
      if (!s) return;
      blocking_message b = s->wrap(body, m);
      std::lock_guard lock(s->mutex);
      s->events.push_back(std::move(b));
      s->changed.notify_all();
    });
    const std::size_t index = self->consumers.size();
    co.on_link_state = [weak, result, index, user = std::move(co.on_link_state)](
                           const queue& q, bool attached, const std::optional<condition>& error) {
      if (user) user(q, attached, error);
      auto s = weak.lock();
      if (!s || index >= s->consumers.size()) return;
      const consumer& c = s->consumers[index];
      std::lock_guard lock(s->mutex);
      if (*result != answer::pending) return;
      *result = c.refused() ? answer::refused : c.attached() ? answer::attached : answer::pending;
      s->changed.notify_all();
    };
    consumer c(self->connection(), queues, std::move(co));
    c.consume();
    self->consumers.push_back(std::move(c));
  });
  if (!posted) return false;
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait_for(lock, impl_->o.timeout,
                          [&] { return *result != answer::pending || impl_->ended; });
  return *result == answer::attached;
}

std::size_t blocking_connection::drain_events(std::chrono::milliseconds timeout) {
  std::deque<blocking_message> ready;
  blocking_callback cb;
  {
    std::unique_lock lock(impl_->mutex);
    impl_->changed.wait_for(lock, timeout,
                            [&] { return !impl_->events.empty() || impl_->ended; });
    ready.swap(impl_->events);
    cb = impl_->on_event;
  }
  for (blocking_message& m : ready)
    if (cb) cb(m.body(), m);
  return ready.size();
}

void blocking_connection::close() {
  if (!impl_ || !impl_->thread.joinable()) return;
  std::shared_ptr<blocking_impl> self = impl_;
  const bool posted = impl_->post([self] {
    self->receivers.clear();
    self->consumers.clear();
    self->prod.close();
    self->connection().close();
  });
  {
    std::unique_lock lock(impl_->mutex);
    if (posted) impl_->changed.wait_for(lock, impl_->o.timeout, [&] { return impl_->ended; });
  }
  // The connection ended (or would not): nothing is left for the loop to do.
  impl_->container->stop();
  impl_->thread.join();
}

}  // namespace amqp::client
