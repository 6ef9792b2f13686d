// message_sender: a queue of encoded messages in front of one link. Each message is encoded
// once, when given; it goes out as credit (and link_credit) allows, lowest id first, so retries
// keep their place; its outcome, or its being in doubt, is judged by the error policy.
#include "amqp/client/message_sender.hpp"

#include <map>
#include <set>
#include <utility>

#include "amqp/codec/writer.hpp"
#include "amqp/messaging/container.hpp"
#include "amqp/messaging/handler.hpp"
#include "link_core.hpp"
#include "support.hpp"

namespace amqp::client {

const char* to_string(send_result r) noexcept {
  switch (r) {
    case send_result::ok: return "ok";
    case send_result::error: return "error";
    case send_result::timeout: return "timeout";
    case send_result::cancelled: return "cancelled";
  }
  return "?";
}

struct message_sender::impl : detail::link_owner<amqp::sender>, std::enable_shared_from_this<impl> {
  struct entry {
    message m;
    std::vector<std::uint8_t> encoded;
    send_callback callback;
    std::shared_ptr<const error_policy> policy;  // null: the options'
    std::uint32_t retries = 0;
    bool in_flight = false;
    scheduled_task timeout;  // cancelled when the message finishes first
  };

  message_sender_options o;
  std::uint32_t link_retries = 0;  // reopens since the link was last open
  bool reopening = false;          // a reopen after the link ended is scheduled
  std::optional<condition> link_error;

  std::uint64_t next_id = 1;
  std::map<std::uint64_t, entry> entries;  // every message not finished, by id
  std::set<std::uint64_t> ready;           // the ones to send, in order
  std::size_t in_flight = 0;
  writer scratch;

  impl(amqp::session s, std::string target, message_sender_options opts)
      : link_owner(std::move(s), std::move(target), opts.name, "sender-", opts.on_state_changed),
        o(std::move(opts)) {}

  void open() override {
    if (!opening()) return;
    sender_options so;
    so.name = name;
    so.mode = o.send_settle_mode == send_settle_mode::settled ? delivery_mode::at_most_once
                                                              : delivery_mode::at_least_once;
    so.rcv_settle_mode = o.receive_settle_mode == receive_settle_mode::peek_lock
                             ? receiver_settle_mode::second
                             : receiver_settle_mode::first;
    if (!o.source.empty()) so.source.address = o.source;
    so.max_message_size = o.max_message_size;
    so.desired_capabilities = o.desired_capabilities;
    so.properties = o.properties;
    so.handler = this;
    link_error.reset();
    link = session.open_sender(address, so);
  }

  void destroy() override {
    if (!destroying()) return;
    cancel_all("the sender was destroyed");
    set_state(link_state::closed);
  }

  void send(message m, send_callback callback, std::optional<std::chrono::milliseconds> timeout,
            std::shared_ptr<const error_policy> policy) {
    const std::uint64_t id = next_id++;
    entry& e = entries[id];
    e.callback = std::move(callback);
    e.policy = std::move(policy);
    scratch.clear();
    const std::error_code ec = encode_message(scratch, m);
    e.m = std::move(m);
    if (destroyed) return finish_later(id, send_result::cancelled, {"the sender was destroyed", {}});
    if (ec)
      return finish_later(id, send_result::error,
                          {"the message does not encode: " + ec.message(), {}});
    if (scratch.size() > o.max_message_size)
      return finish_later(id, send_result::error,
                          {"the message is " + std::to_string(scratch.size()) +
                               " bytes, above max_message_size " +
                               std::to_string(o.max_message_size),
                           {}});
    e.encoded.assign(scratch.view().begin(), scratch.view().end());
    if (state == link_state::error && !reopening) {
      // The link ended and will not come back (open() would try again).
      const send_failure f{.what = send_failure::kind::link_closed, .error = link_error};
      return finish_later(id, send_result::error, {f.to_string(), link_error, f});
    }
    const std::chrono::milliseconds t = timeout.value_or(o.timeout);
    if (t.count() > 0) {
      std::weak_ptr<impl> weak = weak_from_this();
      e.timeout = detail::after(connection(), t, [weak, id, t] {
        if (auto self = weak.lock()) self->expire(id, t);
      });
    }
    ready.insert(id);
    pump();
  }

  // --- sending ---------------------------------------------------------------------------------

  void pump() {
    // Not while the link is away (a reconnect attaches it again, on_link_opened resumes).
    if (state != link_state::open || !link.is_set() || link.state() != endpoint_state::active)
      return;
    while (!ready.empty() && link.credit() > 0 && (o.link_credit == 0 || in_flight < o.link_credit)) {
      const std::uint64_t id = *ready.begin();
      ready.erase(ready.begin());
      entry& e = entries.at(id);
      e.in_flight = true;
      ++in_flight;
      std::weak_ptr<impl> weak = weak_from_this();
      // A settled send calls back at once, which may finish (and erase) the entry.
      auto t = link.send_encoded(e.encoded, [weak, id](std::error_code ec, const delivery_state& s) {
        if (auto self = weak.lock()) self->on_outcome(id, ec, s);
      });
      if (!t) {
        auto it = entries.find(id);
        if (it != entries.end() && it->second.in_flight) {
          it->second.in_flight = false;
          --in_flight;
        }
        if (t.error() == errc::wrong_state) {
          // The transport went under this send: it waits for the link to come back.
          ready.insert(id);
          return;
        }
        // The peer's max-message-size, or a message the link cannot take.
        finish(id, send_result::error, {"not sent: " + t.error().message(), {}});
      }
    }
  }

  void on_outcome(std::uint64_t id, std::error_code ec, const delivery_state& s) {
    auto it = entries.find(id);
    if (it == entries.end() || !it->second.in_flight) return;  // timed out or cancelled before
    it->second.in_flight = false;
    --in_flight;
    if (ec) {
      failed(id, {.what = send_failure::kind::in_doubt, .error = link_error});
    } else {
      switch (s.kind) {
        case delivery_state::type::rejected:
          failed(id, {.what = send_failure::kind::rejected,
                      .error = s.error ? std::optional<condition>(*s.error) : std::nullopt});
          break;
        case delivery_state::type::released:
          failed(id, {.what = send_failure::kind::released});
          break;
        case delivery_state::type::modified:
          failed(id, {.what = send_failure::kind::modified,
                      .undeliverable_here = s.undeliverable_here});
          break;
        default:  // accepted, or sent settled
          finish(id, send_result::ok, {});
          break;
      }
    }
    pump();
  }

  void failed(std::uint64_t id, const send_failure& f) {
    entry& e = entries.at(id);
    const error_action a = (e.policy ? *e.policy : o.error_policy).action(f, e.retries);
    if (!a.retry || destroyed) {
      finish(id, send_result::error, {f.to_string(), f.error, f});
      return;
    }
    if (a.increment_retries) ++e.retries;
    if (a.backoff.count() <= 0) {
      ready.insert(id);
      return;
    }
    std::weak_ptr<impl> weak = weak_from_this();
    detail::after(connection(), a.backoff, [weak, id] {
      auto self = weak.lock();
      if (!self || !self->entries.contains(id) || self->destroyed) return;
      self->ready.insert(id);
      self->pump();
    });
  }

  void expire(std::uint64_t id, std::chrono::milliseconds t) {
    auto it = entries.find(id);
    if (it == entries.end()) return;
    const bool was_sent = it->second.in_flight;
    if (was_sent) {
      it->second.in_flight = false;
      --in_flight;
    }
    ready.erase(id);
    finish(id, send_result::timeout,
           {(was_sent ? "no outcome within " : "not sent within ") + std::to_string(t.count()) +
                " ms",
            {}});
    pump();
  }

  // Takes the entry out, then calls back: the callback may send or destroy.
  void finish(std::uint64_t id, send_result r, const send_error& error) {
    auto it = entries.find(id);
    if (it == entries.end()) return;
    entry e = std::move(it->second);
    entries.erase(it);
    ready.erase(id);
    e.timeout.cancel();
    if (e.callback) e.callback(e.m, r, error);
  }

  // For failures found inside send(): reported after it returned, on the connection's thread.
  void finish_later(std::uint64_t id, send_result r, send_error error) {
    std::weak_ptr<impl> weak = weak_from_this();
    const bool posted = connection().post([weak, id, r, error] {
      if (auto self = weak.lock()) self->finish(id, r, error);
    });
    if (!posted) finish(id, r, error);  // the connection is over: nothing runs later
  }

  void cancel_all(const std::string& why) {
    while (!entries.empty()) {
      const std::uint64_t id = entries.begin()->first;
      if (entries.begin()->second.in_flight) --in_flight;
      entries.begin()->second.in_flight = false;
      finish(id, send_result::cancelled, {why, link_error});
    }
  }

  // --- the link's events -----------------------------------------------------------------------

  void on_link_opened(messaging_event&) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    if (destroyed || detaching) return;
    set_state(link_state::open);
    link_retries = 0;
    pump();
  }

  void on_sendable(messaging_event&) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    pump();
  }

  void on_link_error(messaging_event& e) override {
    if (e.error()) link_error = *e.error();
  }

  void on_link_closed(messaging_event&) override {
    const auto keep = shared_from_this();  // a callback may drop the owner
    link = {};
    // Messages on the wire when the link ended are in doubt: the policy decides each.
    std::vector<std::uint64_t> unsettled;
    for (auto& [id, e] : entries)
      if (e.in_flight) {
        e.in_flight = false;
        unsettled.push_back(id);
      }
    in_flight = 0;
    for (std::uint64_t id : unsettled)
      if (entries.contains(id)) failed(id, {.what = send_failure::kind::in_doubt, .error = link_error});
    if (destroyed || detaching) {
      set_state(link_state::closed);
      return;
    }
    set_state(link_state::error);
    link_ended();
  }

  // The peer ended the link, or its session or connection ended: open again when the policy
  // retries such a failure and the connection goes on, else every queued message fails.
  void link_ended() {
    const send_failure f{.what = send_failure::kind::link_closed, .error = link_error};
    const amqp::connection c = connection();
    const bool connection_over = !c.is_set() || c.state() == endpoint_state::closed;
    const error_action a = o.error_policy.action(f, link_retries);
    if (entries.empty() || connection_over || !a.retry) {
      const std::string why = connection_over && !link_error
                                  ? std::string("the connection ended")
                                  : f.to_string();
      while (!entries.empty())
        finish(entries.begin()->first, send_result::error, {why, link_error, f});
      return;
    }
    if (a.increment_retries) ++link_retries;
    reopening = true;
    std::weak_ptr<impl> weak = weak_from_this();
    detail::after(c, a.backoff, [weak] {
      auto self = weak.lock();
      if (!self) return;
      self->reopening = false;
      if (!self->destroyed && self->state == link_state::error) self->open();
    });
  }
};

message_sender::message_sender(amqp::session session, std::string target,
                               message_sender_options options)
    : exclusive_link(
          std::make_shared<impl>(std::move(session), std::move(target), std::move(options))) {}

message_sender::message_sender(amqp::connection connection, std::string target,
                               message_sender_options options)
    : message_sender(connection.default_session(), std::move(target), std::move(options)) {}

message_sender::impl* message_sender::self() const noexcept {
  return static_cast<impl*>(core_.get());
}

amqp::sender message_sender::link() const { return core_ ? self()->link : amqp::sender(); }

std::size_t message_sender::pending() const noexcept { return core_ ? self()->entries.size() : 0; }

void message_sender::send(message m, send_callback callback,
                          std::optional<std::chrono::milliseconds> timeout) {
  send(std::move(m), std::move(callback), timeout, nullptr);
}

void message_sender::send(message m, send_callback callback,
                          std::optional<std::chrono::milliseconds> timeout,
                          std::shared_ptr<const error_policy> policy) {
  if (!core_) {
    if (callback) callback(m, send_result::cancelled, {"the message_sender is empty", {}, {}});
    return;
  }
  self()->send(std::move(m), std::move(callback), timeout, std::move(policy));
}

void message_sender::post_send(message m, send_callback callback,
                               std::optional<std::chrono::milliseconds> timeout) {
  if (!core_) {
    if (callback) callback(m, send_result::cancelled, {"the message_sender is empty", {}});
    return;
  }
  const std::shared_ptr<impl> owner = std::static_pointer_cast<impl>(core_);
  // Shared: the posted work is copied, the message is not.
  auto box = std::make_shared<std::pair<message, send_callback>>(std::move(m), std::move(callback));
  const bool posted = owner->connection().post([owner, box, timeout] {
    owner->send(std::move(box->first), std::move(box->second), timeout, nullptr);
  });
  if (!posted && box->second)
    box->second(box->first, send_result::cancelled, {"the connection is over", {}});
}

}  // namespace amqp::client
