// A messaging handler that writes down every call it gets, in order, with what the event
// carried, and lets a test act on any of them:
//
//   recorder h;
//   h.on("on_message", [&](amqp::messaging_event& e) { e.connection().close(); });
//   ...
//   EXPECT_EQ(h.only({"on_message", "on_connection_closed"}),
//             (std::vector<std::string>{"on_message", "on_connection_closed"}));
//
// A call is written as its name, followed by the condition's name when the event has one
// ("on_link_error amqp:not-found"). The error hooks do not fall back to on_error (nothing is
// closed, nothing printed) unless `defaults` is set.
#pragma once

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "amqp/messaging/container.hpp"
#include "amqp/messaging/handler.hpp"

namespace amqp::test {

// What one handler call carried.
struct seen_event {
  std::string what;  // as in recorder::calls
  amqp::container* container = nullptr;
  amqp::connection connection;
  amqp::session session;
  amqp::sender sender;
  amqp::receiver receiver;
  amqp::tracker tracker;
  amqp::delivery delivery;
  amqp::transaction transaction;  // on_transaction_*
  std::optional<condition> error;
  std::optional<amqp::message> message;  // on_message: the message, copied
};

class recorder : public messaging_handler {
 public:
  std::vector<std::string> calls;
  std::vector<seen_event> events;
  // Run the defaults of the error hooks (on_error: print and close the connection).
  bool defaults = false;

  // Runs `act` at every call named `name`, after writing it down.
  void on(const std::string& name, std::function<void(messaging_event&)> act) {
    acts_[name] = std::move(act);
  }

  std::size_t count(const std::string& name) const {
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [&](const seen_event& s) {
          return s.what.starts_with(name) &&
                 (s.what.size() == name.size() || s.what[name.size()] == ' ');
        }));
  }
  // The calls whose name is among `names`, in order.
  std::vector<std::string> only(std::initializer_list<std::string> names) const {
    std::vector<std::string> out;
    for (const std::string& c : calls) {
      const std::string name = c.substr(0, c.find(' '));
      if (std::find(names.begin(), names.end(), name) != names.end()) out.push_back(c);
    }
    return out;
  }
  // The last call named `name`; null when none.
  const seen_event* last(const std::string& name) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->what.substr(0, it->what.find(' ')) == name) return &*it;
    return nullptr;
  }
  const seen_event* first(const std::string& name) const {
    for (const seen_event& s : events)
      if (s.what.substr(0, s.what.find(' ')) == name) return &s;
    return nullptr;
  }
  // Every message on_message saw, in order.
  std::vector<amqp::message> messages() const {
    std::vector<amqp::message> out;
    for (const seen_event& s : events)
      if (s.message) out.push_back(*s.message);
    return out;
  }
  void clear() {
    calls.clear();
    events.clear();
  }

  void on_start(messaging_event& e) override { note("on_start", e); }
  void on_connection_opened(messaging_event& e) override { note("on_connection_opened", e); }
  void on_connection_closed(messaging_event& e) override { note("on_connection_closed", e); }
  void on_connection_error(messaging_event& e) override {
    note("on_connection_error", e);
    if (defaults) messaging_handler::on_connection_error(e);
  }
  void on_session_opened(messaging_event& e) override { note("on_session_opened", e); }
  void on_session_closed(messaging_event& e) override { note("on_session_closed", e); }
  void on_session_error(messaging_event& e) override {
    note("on_session_error", e);
    if (defaults) messaging_handler::on_session_error(e);
  }
  void on_link_opened(messaging_event& e) override { note("on_link_opened", e); }
  void on_link_closed(messaging_event& e) override { note("on_link_closed", e); }
  void on_link_error(messaging_event& e) override {
    note("on_link_error", e);
    if (defaults) messaging_handler::on_link_error(e);
  }
  void on_sendable(messaging_event& e) override { note("on_sendable", e); }
  void on_receiver_drained(messaging_event& e) override { note("on_receiver_drained", e); }
  void on_sender_drain_start(messaging_event& e) override { note("on_sender_drain_start", e); }
  void on_message(messaging_event& e) override {
    seen_event& s = record("on_message", e);
    s.message = e.message();
    act("on_message", e);
  }
  void on_accepted(messaging_event& e) override { note("on_accepted", e); }
  void on_rejected(messaging_event& e) override { note("on_rejected", e); }
  void on_released(messaging_event& e) override { note("on_released", e); }
  void on_modified(messaging_event& e) override { note("on_modified", e); }
  void on_settled(messaging_event& e) override { note("on_settled", e); }
  void on_in_doubt(messaging_event& e) override { note("on_in_doubt", e); }
  void on_transport_error(messaging_event& e) override {
    note("on_transport_error", e);
    if (defaults) messaging_handler::on_transport_error(e);
  }
  void on_disconnected(messaging_event& e) override { note("on_disconnected", e); }
  void on_reconnected(messaging_event& e) override { note("on_reconnected", e); }
  void on_error(messaging_event& e) override {
    note("on_error", e);
    if (defaults) messaging_handler::on_error(e);
  }
  void on_transaction_declared(messaging_event& e) override { note("on_transaction_declared", e); }
  void on_transaction_committed(messaging_event& e) override {
    note("on_transaction_committed", e);
  }
  void on_transaction_aborted(messaging_event& e) override { note("on_transaction_aborted", e); }
  void on_transaction_declare_failed(messaging_event& e) override {
    note("on_transaction_declare_failed", e);
    if (defaults) messaging_handler::on_transaction_declare_failed(e);
  }
  void on_transaction_commit_failed(messaging_event& e) override {
    note("on_transaction_commit_failed", e);
    if (defaults) messaging_handler::on_transaction_commit_failed(e);
  }

 private:
  seen_event& record(const std::string& name, messaging_event& e) {
    seen_event s;
    s.what = name;
    if (e.error()) s.what += " " + e.error()->name;
    s.container = &e.container();
    s.connection = e.connection();
    s.session = e.session();
    s.sender = e.sender();
    s.receiver = e.receiver();
    s.tracker = e.tracker();
    s.delivery = e.delivery();
    s.transaction = e.transaction();
    s.error = e.error();
    calls.push_back(s.what);
    events.push_back(std::move(s));
    return events.back();
  }
  void act(const std::string& name, messaging_event& e) {
    auto it = acts_.find(name);
    if (it != acts_.end()) it->second(e);
  }
  void note(const std::string& name, messaging_event& e) {
    record(name, e);
    act(name, e);
  }

  std::map<std::string, std::function<void(messaging_event&)>> acts_;
};

}  // namespace amqp::test
