// Reconnect: at-least-once sending across a broker restart, nothing lost.
#include <deque>
#include <set>
#include <string>
#include <unordered_map>

#include "cases.hpp"

namespace conformance {

namespace {

amqp::message durable_message(int n) {
  amqp::message m = text_message("m-" + std::to_string(n));
  m.header = amqp::spec::header{.durable = true};
  m.properties.message_id = amqp::value("m-" + std::to_string(n));
  return m;
}

verdict broker_restart(script& s) {
  const int count = s.p.get<int>("count", 200);
  amqp::connection_options o = s.options();
  o.reconnect = true;
  o.reconnect_policy = std::make_shared<amqp::exponential_backoff>(
      amqp::backoff_options{.initial = 200ms, .multiplier = 1.5, .max_delay = 1s});

  // Kept by the handler on the connection's thread, read by the case under the script's lock;
  // shared with the hook, which may still be called while the case returns.
  struct progress {
    std::deque<int> to_send;
    std::unordered_map<amqp::tracker, int> in_flight;
    std::set<int> confirmed;
    int resent = 0;
    bool dropped = false;  // the connection went down (the restart began)
    amqp::sender sender;
  };
  auto st = std::make_shared<progress>();
  for (int i = 0; i < count; ++i) st->to_send.push_back(i);
  // Once restart_after messages are accepted, the rest waits for the restart to begin, so that
  // it comes in the middle of the send however fast the first ones went.
  const int restart_after = s.p.get<int>("restart_after", 0);

  auto send_more = [&s, st, restart_after](amqp::sender snd) {
    while (snd.credit() > 0) {
      int n;
      {
        auto hold = s.lock();
        if (st->to_send.empty()) return;
        if (!st->dropped && restart_after > 0 &&
            static_cast<int>(st->confirmed.size() + st->in_flight.size()) >= restart_after)
          return;
        n = st->to_send.front();
        st->to_send.pop_front();
      }
      auto t = snd.send(durable_message(n));
      auto hold = s.lock();
      if (!t) {  // the link went away meanwhile: sent again once it is back
        st->to_send.push_front(n);
        return;
      }
      st->in_flight[*t] = n;
    }
  };
  // Durable termini: a broker may keep only a queue declared durable across its restart.
  amqp::sender_options so{.mode = amqp::delivery_mode::at_least_once};
  so.target.durable = amqp::terminus_durability::configuration;
  s.hook = [&s, st, send_more, so](const std::string& what, amqp::messaging_event& e) {
    if (what == "on_disconnected" || what == "on_transport_error") {
      auto hold = s.lock();
      st->dropped = true;
    }
    if (what == "on_reconnected") {
      // A broker shutting down may end the session before it closes the connection (RabbitMQ
      // does, with amqp:internal-error "shutdown"): that sender is over, a new one goes on.
      amqp::sender old;
      {
        auto hold = s.lock();
        old = st->sender;
      }
      // Opened without the lock: the handler records what follows under it.
      if (old.is_set() && old.state() == amqp::endpoint_state::closed) {
        amqp::sender next = e.connection().open_session().open_sender(s.p.address, so);
        auto hold = s.lock();
        st->sender = next;
      }
    }
    if (what == "on_sendable") send_more(e.sender());
    if (what == "on_accepted") {
      std::size_t total;
      {
        auto hold = s.lock();
        auto it = st->in_flight.find(e.tracker());
        if (it == st->in_flight.end()) return;
        st->confirmed.insert(it->second);
        st->in_flight.erase(it);
        total = st->confirmed.size();
      }
      print_progress(static_cast<int>(total));
    }
    // An outcome other than accepted, or none because the connection went: sent again.
    if (what == "on_released" || what == "on_modified" || what == "on_rejected" ||
        what == "on_in_doubt") {
      {
        auto hold = s.lock();
        auto it = st->in_flight.find(e.tracker());
        if (it == st->in_flight.end()) return;
        st->to_send.push_front(it->second);
        st->in_flight.erase(it);
        ++st->resent;
      }
      if (e.sender().state() == amqp::endpoint_state::active) send_more(e.sender());
    }
  };

  amqp::connection c = s.open(o);
  {
    amqp::sender first = s.open_sender(c, s.p.address, so);
    auto hold = s.lock();
    st->sender = first;
  }
  if (!s.await(nullptr, s.deadline(),
               [&] { return static_cast<int>(st->confirmed.size()) == count; })) {
    auto hold = s.lock();
    return fail("timed out with " + std::to_string(st->confirmed.size()) + " of " +
                std::to_string(count) + " messages accepted");
  }

  // The restart is behind: its errors end the case no more, any later one does.
  s.forget_errors(c);
  // Credit for them all at once: no top-up races the transfers in flight.
  amqp::receiver_options ro{.credit_window = static_cast<std::uint32_t>(count)};
  ro.source.durable = amqp::terminus_durability::configuration;
  amqp::receiver r = s.open_receiver(c, s.p.address, ro);
  std::set<std::string> ids;
  std::size_t received = 0;
  auto all_back = [&] {
    ids.clear();
    received = 0;
    for (const happening& h : s.log())
      if (h.what == "on_message" && h.link == r) {
        ++received;
        if (const std::string* id = h.message->properties.message_id.get_if<std::string>())
          ids.insert(*id);
      }
    return static_cast<int>(ids.size()) == count;
  };
  if (!s.await(&c, s.deadline(), all_back)) {
    auto hold = s.lock();
    all_back();
    return fail(std::to_string(count - static_cast<int>(ids.size())) + " of " +
                std::to_string(count) + " messages lost (" + std::to_string(received) +
                " received)");
  }
  s.close(c);
  return pass("none of " + std::to_string(count) + " messages lost; " +
              std::to_string(received - ids.size()) + " duplicate(s), " +
              std::to_string(st->resent) + " resent");
}

const case_entry cases[] = {
    {"reconnect.broker_restart", broker_restart},
};

}  // namespace

std::span<const case_entry> reconnect_cases() { return cases; }

}  // namespace conformance
