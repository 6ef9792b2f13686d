// message_receiver: one link, credit kept at `prefetch` minus what is buffered, messages handed
// to the callback or to receive() callers in arrival order.
#include "amqp/client/message_receiver.hpp"

#include <deque>
#include <utility>

#include "amqp/messaging/container.hpp"
#include "amqp/messaging/handler.hpp"
#include "link_core.hpp"
#include "support.hpp"

namespace amqp::client {

struct message_receiver::impl : detail::link_owner<amqp::receiver>,
                                std::enable_shared_from_this<impl> {
  struct waiter {
    std::uint64_t id;
    receive_callback callback;
    scheduled_task timeout;  // cancelled when a message or the end comes first
  };

  message_receiver_options o;
  message_callback on_message_cb;
  std::deque<received_message> buffer;
  std::uint32_t outstanding = 0;  // credit granted and not used by a message handed to us yet
  std::deque<waiter> waiters;
  std::uint64_t next_waiter = 1;

  impl(amqp::session s, std::string source, message_receiver_options opts, message_callback cb)
      : link_owner(std::move(s), std::move(source), opts.name, "receiver-", opts.on_state_changed),
        o(std::move(opts)), on_message_cb(std::move(cb)) {}

  void open() override {
    if (!opening()) return;
    receiver_options ro;
    ro.name = name;
    if (o.receive_settle_mode == receive_settle_mode::peek_lock) {
      ro.mode = delivery_mode::at_least_once;
      ro.rcv_settle_mode = receiver_settle_mode::second;
    } else {
      ro.mode = delivery_mode::at_most_once;
    }
    ro.credit_window = 0;  // granted here, against what is buffered
    ro.auto_accept = false;
    ro.auto_settle = true;
    if (!o.target.empty()) ro.target.address = o.target;
    ro.max_message_size = o.max_message_size;
    ro.desired_capabilities = o.desired_capabilities;
    ro.properties = o.properties;
    ro.handler = this;
    link = session.open_receiver(address, ro);
  }

  void destroy() override {
    if (!destroying()) return;
    set_state(link_state::closed);
    fail_waiters();
  }

  // Credit so that what is granted plus what is buffered reaches prefetch, once half of it is
  // used: one flow per half window, as the messaging layer's own credit_window does. The credit
  // still out is counted here, message by message: the link's status has taken every transfer
  // of a read already while their events are handed over one at a time.
  void top_up() {
    if (state != link_state::open || !link.is_set() || o.prefetch == 0) return;
    const std::uint64_t held = outstanding + buffer.size();
    if (held > o.prefetch / 2) return;
    const auto more = static_cast<std::uint32_t>(o.prefetch - held);
    if (!link.add_credit(more)) outstanding += more;
  }

  void receive(std::chrono::milliseconds timeout, receive_callback callback) {
    if (!buffer.empty() && waiters.empty()) {
      received_message m = std::move(buffer.front());
      buffer.pop_front();
      top_up();
      callback(std::move(m));
      return;
    }
    if (destroyed) {
      callback(std::nullopt);
      return;
    }
    const std::uint64_t id = next_waiter++;
    std::weak_ptr<impl> weak = weak_from_this();
    waiters.push_back({id, std::move(callback), detail::after(connection(), timeout, [weak, id] {
                         if (auto self = weak.lock()) self->give_up(id);
                       })});
  }

  // The first waiter's callback, out of the queue (a callback may receive again).
  receive_callback next_waiter_callback() {
    waiter w = std::move(waiters.front());
    waiters.pop_front();
    w.timeout.cancel();
    return std::move(w.callback);
  }

  void give_up(std::uint64_t id) {
    for (auto it = waiters.begin(); it != waiters.end(); ++it)
      if (it->id == id) {
        receive_callback cb = std::move(it->callback);
        waiters.erase(it);
        cb(std::nullopt);
        return;
      }
  }

  void fail_waiters() {
    while (!waiters.empty()) next_waiter_callback()(std::nullopt);
  }

  // --- the link's events -----------------------------------------------------------------------

  void on_link_opened(messaging_event&) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    if (destroyed || detaching) return;
    set_state(link_state::open);
    outstanding = 0;  // a new attach (after a reconnect) starts without credit
    top_up();
  }

  void on_message(messaging_event& e) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    if (outstanding > 0) --outstanding;
    received_message m(e.message(), e.delivery());
    if (on_message_cb) {
      on_message_cb(m);
    } else if (!waiters.empty()) {
      next_waiter_callback()(std::move(m));
    } else {
      buffer.push_back(std::move(m));
    }
    top_up();
  }

  void on_link_error(messaging_event&) override {}  // the link's end says it

  void on_link_closed(messaging_event&) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    link = {};
    set_state(destroyed || detaching ? link_state::closed : link_state::error);
    fail_waiters();
  }
};

message_receiver::message_receiver(amqp::session session, std::string source,
                                   message_receiver_options options, message_callback on_message)
    : exclusive_link(std::make_shared<impl>(std::move(session), std::move(source),
                                            std::move(options), std::move(on_message))) {}

message_receiver::message_receiver(amqp::connection connection, std::string source,
                                   message_receiver_options options, message_callback on_message)
    : message_receiver(connection.default_session(), std::move(source), std::move(options),
                       std::move(on_message)) {}

message_receiver::impl* message_receiver::self() const noexcept {
  return static_cast<impl*>(core_.get());
}

amqp::receiver message_receiver::link() const { return core_ ? self()->link : amqp::receiver(); }

std::size_t message_receiver::buffered() const noexcept {
  return core_ ? self()->buffer.size() : 0;
}

void message_receiver::receive(std::chrono::milliseconds timeout, receive_callback callback) {
  if (!core_) {
    callback(std::nullopt);
    return;
  }
  self()->receive(timeout, std::move(callback));
}

}  // namespace amqp::client
