// The attempts of the container of every binding over loopback TCP: refused connections,
// reconnecting with backoff to a listener that went away and came back, links attached again,
// in-doubt messages sent again after a dropped connection, failover to a second URL, and reconnect
// turned off.
#include <gtest/gtest.h>

#include <set>
#include <unordered_map>

#include "binding.hpp"
#include "container_support.hpp"
#include "messaging/recorder.hpp"
#include "tcp_proxy.hpp"

namespace amqp::test {
namespace {

using calls = std::vector<std::string>;
using clock = std::chrono::steady_clock;

class container_reconnect : public binding_test {};

std::shared_ptr<reconnect_policy> quick_backoff(std::chrono::milliseconds first = 20ms) {
  return std::make_shared<exponential_backoff>(
      backoff_options{.initial = first, .multiplier = 2.0, .max_delay = std::max(first, 1000ms)});
}

TEST_P(container_reconnect, a_refused_connection_names_the_address_and_the_reason) {
  recorder h;
  auto c = make_container(h);
  watchdog dog(*c);
  const std::uint16_t port = closed_port();
  auto conn = c->connect(local_url(port), {.reconnect = false});
  c->run();
  EXPECT_EQ(h.only({"on_transport_error", "on_disconnected", "on_connection_opened"}),
            (calls{"on_transport_error amqp:connection:forced", "on_disconnected"}));
  const seen_event* err = h.last("on_transport_error");
  ASSERT_TRUE(err && err->error);
  EXPECT_TRUE(has(err->error->description, "127.0.0.1:" + std::to_string(port)))
      << err->error->description;
  EXPECT_TRUE(has(err->error->description, "refused")) << err->error->description;
  EXPECT_EQ(err->connection, conn);
  EXPECT_EQ(conn.state(), endpoint_state::closed);
}

TEST_P(container_reconnect, an_unresolvable_host_is_a_transport_error_naming_it) {
  recorder h;
  auto c = make_container(h);
  watchdog dog(*c);
  c->connect("amqp://no-such-host.invalid:5672", {.reconnect = false});
  c->run();
  const seen_event* err = h.last("on_transport_error");
  ASSERT_TRUE(err && err->error);
  EXPECT_TRUE(has(err->error->description, "no-such-host.invalid")) << err->error->description;
  EXPECT_EQ(h.count("on_disconnected"), 1u);
}

TEST_P(container_reconnect, a_bad_url_is_reported_without_an_attempt) {
  recorder h;
  auto c = make_container(h);
  watchdog dog(*c);
  c->connect("amqp://127.0.0.1:notaport");
  c->run();
  EXPECT_EQ(h.only({"on_transport_error", "on_disconnected"}),
            (calls{"on_transport_error amqp:invalid-field", "on_disconnected"}));
}

// The broker closes the first connection with connection:forced (a broker shutting down) and
// its listener goes away; the client's first attempt after that is refused, which is when the
// test listens again on the same port. The client comes back after its backoff, attaches its
// sender again and gets its message through.
TEST_P(container_reconnect, the_client_comes_back_with_backoff_once_the_listener_reopens) {
  recorder h;
  test_broker broker;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  const std::uint16_t port = l->port();
  listener reopened;
  broker.after_open = [&](messaging_event& e) {
    if (broker.opened != 1) return;
    e.connection().close(condition{"amqp:connection:forced", "shutting down", {}});
    l->close();
  };
  std::vector<clock::time_point> at;
  h.on("on_disconnected", [&](messaging_event&) { at.push_back(clock::now()); });
  h.on("on_transport_error", [&](messaging_event& e) {
    if (!has(error_text(e), "refused") || reopened.is_set()) return;
    auto again = c->listen("127.0.0.1:" + std::to_string(port), {}, &broker);
    ASSERT_TRUE(again) << again.error();
    reopened = *again;
  });
  h.on("on_reconnected", [&](messaging_event& e) {
    at.push_back(clock::now());
    EXPECT_TRUE(e.connection().reconnected());
  });
  h.on("on_link_opened", [&](messaging_event& e) {
    if (h.count("on_reconnected") == 1) (void)e.sender().send(text_message("back"));
  });
  h.on("on_accepted", [&](messaging_event& e) {
    e.connection().close();
    reopened.close();
  });
  auto conn = c->connect(local_url(port), {.reconnect_policy = quick_backoff()});
  auto s = conn.open_sender("q");
  c->run();

  EXPECT_EQ(
      h.only({"on_connection_opened", "on_reconnected", "on_disconnected", "on_transport_error",
              "on_accepted", "on_connection_closed"}),
      (calls{"on_connection_opened", "on_transport_error amqp:connection:forced", "on_disconnected",
             "on_transport_error amqp:connection:forced", "on_disconnected", "on_reconnected",
             "on_accepted", "on_connection_closed", "on_disconnected"}));
  // The sender was attached again on the new connection.
  ASSERT_GE(h.count("on_link_opened"), 1u);
  EXPECT_EQ(h.last("on_link_opened")->sender, s);
  EXPECT_EQ(broker.stored("q"), 1u);
  EXPECT_EQ(broker.opened, 2u);
  // Backoff: 20 ms before the refused attempt, 40 ms before the one that worked.
  ASSERT_EQ(at.size(), 4u);
  EXPECT_GE(at[1] - at[0], 20ms);
  EXPECT_GE(at[2] - at[1], 40ms);
}

// Sends `total` numbered messages at least once through a relay that the broker cuts after
// `cut_after` of them arrived. Messages reported in doubt are sent again, before new ones, once
// the connection is back; the test ends when every number was accepted.
struct resending_sender : messaging_handler {
  int total = 2000;
  std::unordered_map<tracker, std::int64_t> unsettled;
  std::deque<std::int64_t> resend;
  std::set<std::int64_t> accepted;
  std::int64_t next = 0;
  std::size_t in_doubt = 0;
  std::size_t disconnected = 0;
  std::size_t reconnected = 0;
  std::vector<std::string> transport_errors;
  std::function<void()> done;

  void on_sendable(messaging_event& e) override {
    amqp::sender s = e.sender();
    while (s.credit() > 0 && (!resend.empty() || next < total)) {
      const std::int64_t n = resend.empty() ? next : resend.front();
      auto t = s.send(numbered_message(n));
      if (!t) return;
      unsettled[*t] = n;
      if (resend.empty())
        ++next;
      else
        resend.pop_front();
    }
  }
  void on_accepted(messaging_event& e) override {
    auto it = unsettled.find(e.tracker());
    ASSERT_NE(it, unsettled.end());
    accepted.insert(it->second);
    unsettled.erase(it);
    if (accepted.size() == static_cast<std::size_t>(total)) e.connection().close();
  }
  void on_connection_closed(messaging_event&) override {
    if (done) done();
  }
  void on_in_doubt(messaging_event& e) override {
    ++in_doubt;
    auto it = unsettled.find(e.tracker());
    ASSERT_NE(it, unsettled.end());
    resend.push_back(it->second);
    unsettled.erase(it);
  }
  void on_transport_error(messaging_event& e) override {
    transport_errors.push_back(error_text(e));
  }
  void on_disconnected(messaging_event&) override { ++disconnected; }
  void on_reconnected(messaging_event&) override { ++reconnected; }
};

TEST_P(container_reconnect,
       an_at_least_once_sender_resends_what_a_dropped_connection_left_in_doubt) {
  resending_sender h;
  test_broker broker;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  tcp_proxy relay(l->port());
  broker.after_message = [&](messaging_event&, std::size_t n) {
    if (n == 500) relay.cut();
  };
  h.done = [&] {
    relay.close();
    l->close();
  };
  auto conn = c->connect(local_url(relay.port()), {.reconnect_policy = quick_backoff(10ms)});
  conn.open_sender("q", {.mode = delivery_mode::at_least_once});
  c->run();

  EXPECT_EQ(relay.cuts(), 1u);
  EXPECT_EQ(relay.accepted(), 2u);
  EXPECT_EQ(h.disconnected, 2u);  // the cut, and the end
  EXPECT_EQ(h.reconnected, 1u);
  ASSERT_EQ(h.transport_errors.size(), 1u);
  EXPECT_TRUE(has(h.transport_errors[0], "127.0.0.1:" + std::to_string(relay.port())))
      << h.transport_errors[0];
  EXPECT_GE(h.in_doubt, 1u);
  EXPECT_EQ(h.accepted.size(), 2000u);
  EXPECT_TRUE(h.unsettled.empty());
  // Every number arrived at least once; what was in doubt may have arrived twice.
  std::set<std::int64_t> arrived;
  for (const message& m : broker.queues["q"]) arrived.insert(number_of(m));
  EXPECT_EQ(arrived.size(), 2000u);
  EXPECT_GE(broker.received, 2000u);
  EXPECT_LE(broker.received, 2000u + h.in_doubt);
}

TEST_P(container_reconnect, a_refused_first_url_fails_over_to_the_next) {
  recorder h;
  test_broker broker;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  const std::uint16_t dead = closed_port();
  auto second = parse_url(local_url(l->port()));
  ASSERT_TRUE(second);
  h.on("on_connection_opened", [&](messaging_event& e) {
    EXPECT_EQ(e.connection().address().port, l->port());
    e.connection().close();
    l->close();
  });
  c->connect(local_url(dead), {.reconnect_policy = quick_backoff(), .failover = {*second}});
  c->run();
  EXPECT_EQ(h.only({"on_transport_error", "on_disconnected", "on_connection_opened",
                    "on_reconnected", "on_connection_closed"}),
            (calls{"on_transport_error amqp:connection:forced", "on_disconnected",
                   "on_connection_opened", "on_connection_closed", "on_disconnected"}));
  EXPECT_TRUE(
      has(h.first("on_transport_error")->error->description, "127.0.0.1:" + std::to_string(dead)));
  EXPECT_EQ(broker.opened, 1u);
}

TEST_P(container_reconnect, with_reconnect_off_a_dropped_connection_ends) {
  recorder h;
  test_broker broker;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  tcp_proxy relay(l->port());
  broker.after_open = [&](messaging_event&) { relay.cut(); };
  h.on("on_disconnected", [&](messaging_event&) {
    relay.close();
    l->close();
  });
  auto conn = c->connect(local_url(relay.port()), {.reconnect = false});
  c->run();
  EXPECT_EQ(h.only({"on_transport_error", "on_disconnected", "on_reconnected"}),
            (calls{"on_transport_error amqp:connection:framing-error", "on_disconnected"}));
  EXPECT_EQ(relay.accepted(), 1u);
  EXPECT_EQ(conn.state(), endpoint_state::closed);
}

// The next attempt is 10 minutes away when a scheduled task closes the connection: run() ends
// at once instead of waiting for it (the watchdog would fail the test).
TEST_P(container_reconnect, closing_while_waiting_to_reconnect_ends_the_wait) {
  recorder h;
  auto c = make_container(h);
  watchdog dog(*c);
  connection conn;
  h.on("on_disconnected", [&](messaging_event&) { c->schedule(0ms, [&] { conn.close(); }); });
  conn = c->connect(local_url(closed_port()),
                    {.reconnect_policy = quick_backoff(std::chrono::minutes(10))});
  c->run();
  EXPECT_EQ(h.only({"on_transport_error", "on_disconnected"}),
            (calls{"on_transport_error amqp:connection:forced", "on_disconnected"}));
  EXPECT_EQ(conn.state(), endpoint_state::closed);
  EXPECT_FALSE(conn.post([] {}));
}

TEST_P(container_reconnect, with_reconnect_off_a_forced_close_is_final) {
  recorder h;
  test_broker broker;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  broker.after_open = [&](messaging_event& e) {
    e.connection().close(condition{"amqp:connection:forced", "shutting down", {}});
    l->close();
  };
  c->connect(local_url(l->port()), {.reconnect = false});
  c->run();
  EXPECT_EQ(
      h.only({"on_connection_error", "on_connection_closed", "on_disconnected", "on_reconnected"}),
      (calls{"on_connection_error amqp:connection:forced",
             "on_connection_closed amqp:connection:forced", "on_disconnected"}));
  EXPECT_EQ(broker.opened, 1u);
}

INSTANTIATE_TEST_SUITE_P(, container_reconnect, every_binding(), binding_name);

}  // namespace
}  // namespace amqp::test
