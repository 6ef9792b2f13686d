// The container of every binding over loopback TCP: a client and the test broker in one
// process, many messages at least once under credit windows, clean closes, run() ending by
// itself, and the errors of listen.
#include <gtest/gtest.h>

#include <thread>

#include "binding.hpp"
#include "container_support.hpp"

namespace amqp::test {
namespace {

class container : public binding_test {};

constexpr int many = 10'000;

// Sends `total` numbered messages at least once to `address`, closes the connection once all
// are accepted, and then closes the listener, so that nothing is left for the loop.
struct bulk_sender : messaging_handler {
  std::string url;
  int total = many;
  listener* to_close = nullptr;
  int sent = 0;
  int accepted = 0;
  int other_outcomes = 0;
  int sendable = 0;
  bool opened = false;
  bool closed = false;
  std::vector<std::string> errors;

  void on_start(messaging_event& e) override {
    e.container().open_sender(url, {.mode = delivery_mode::at_least_once});
  }
  void on_connection_opened(messaging_event&) override { opened = true; }
  void on_sendable(messaging_event& e) override {
    ++sendable;
    amqp::sender s = e.sender();
    while (s.credit() > 0 && sent < total) {
      if (auto t = s.send(numbered_message(sent)); !t) {
        errors.push_back("send: " + t.error().message());
        return;
      }
      ++sent;
    }
  }
  void on_accepted(messaging_event& e) override {
    if (++accepted == total) e.connection().close();
  }
  void on_rejected(messaging_event&) override { ++other_outcomes; }
  void on_released(messaging_event&) override { ++other_outcomes; }
  void on_connection_closed(messaging_event&) override {
    closed = true;
    if (to_close) to_close->close();
  }
  void on_transport_error(messaging_event& e) override { errors.push_back(error_text(e)); }
  void on_connection_error(messaging_event& e) override { errors.push_back(error_text(e)); }
  void on_link_error(messaging_event& e) override { errors.push_back(error_text(e)); }
};

TEST_P(container, one_container_sends_10000_messages_to_its_own_listener_in_order) {
  test_broker broker;
  bulk_sender client;
  auto c = make_container(client, "both");
  watchdog dog(*c);
  auto l = c->listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  ASSERT_NE(l->port(), 0);
  client.url = local_url(l->port(), "q");
  client.to_close = &*l;
  c->run();

  EXPECT_TRUE(client.opened);
  EXPECT_TRUE(client.closed);
  EXPECT_EQ(client.sent, many);
  EXPECT_EQ(client.accepted, many);
  EXPECT_EQ(client.other_outcomes, 0);
  // The window of 100 is topped up once half of it was used: many grants, each a sendable.
  EXPECT_GT(client.sendable, many / 100);
  EXPECT_TRUE(client.errors.empty()) << client.errors.front();
  EXPECT_EQ(broker.received, static_cast<std::size_t>(many));
  EXPECT_EQ(broker.out_of_order, 0u);
  EXPECT_EQ(broker.stored("q"), static_cast<std::size_t>(many));
  EXPECT_EQ(broker.opened, 1u);
  EXPECT_EQ(broker.closed, 1u);
  EXPECT_TRUE(broker.errors.empty()) << broker.errors.front();
}

// Sends `total` messages to the queue, then reads them back through a receiver with a credit
// window, and closes.
struct send_then_receive : messaging_handler {
  std::string url;
  int total = many;
  listener* to_close = nullptr;
  int sent = 0;
  int accepted = 0;
  std::vector<std::int64_t> received;
  bool closed = false;
  std::vector<std::string> errors;
  std::thread::id thread;

  void on_start(messaging_event& e) override {
    thread = std::this_thread::get_id();
    auto c = e.container().connect(url);
    c.open_sender("q", {.mode = delivery_mode::at_least_once});
  }
  void on_sendable(messaging_event& e) override {
    check_thread();
    amqp::sender s = e.sender();
    while (s.credit() > 0 && sent < total) {
      if (!s.send(numbered_message(sent))) return;
      ++sent;
    }
  }
  void on_accepted(messaging_event& e) override {
    if (++accepted < total) return;
    e.sender().close();
    e.connection().open_receiver("q", {.credit_window = 50});
  }
  void on_message(messaging_event& e) override {
    check_thread();
    received.push_back(number_of(e.message()));
    if (received.size() == static_cast<std::size_t>(total)) e.connection().close();
  }
  void on_connection_closed(messaging_event&) override {
    closed = true;
    if (to_close) to_close->close();  // the other container's listener: from any thread
  }
  void on_transport_error(messaging_event& e) override { errors.push_back(error_text(e)); }
  void on_connection_error(messaging_event& e) override { errors.push_back(error_text(e)); }
  void on_link_error(messaging_event& e) override { errors.push_back(error_text(e)); }
  void check_thread() {
    if (std::this_thread::get_id() != thread) errors.push_back("a call on another thread");
  }
};

TEST_P(container, two_containers_on_two_threads_send_and_receive_10000_messages) {
  test_broker broker;
  broker.credit_window = 10;  // the default window: many small grants
  auto server = make_container(broker, "server");
  send_then_receive client;
  auto c = make_container(client, "client");
  watchdog dog({server.get(), c.get()});
  auto l = server->listen("127.0.0.1:0");
  ASSERT_TRUE(l) << l.error();
  client.url = local_url(l->port());
  client.to_close = &*l;
  std::thread server_thread([&] { server->run(); });
  c->run();
  server_thread.join();

  EXPECT_TRUE(client.closed);
  EXPECT_EQ(client.accepted, many);
  ASSERT_EQ(client.received.size(), static_cast<std::size_t>(many));
  for (int i = 0; i < many; ++i) {
    ASSERT_EQ(client.received[static_cast<std::size_t>(i)], i) << "message " << i;
  }
  EXPECT_TRUE(client.errors.empty()) << client.errors.front();
  EXPECT_EQ(broker.received, static_cast<std::size_t>(many));
  EXPECT_EQ(broker.out_of_order, 0u);
  EXPECT_EQ(broker.stored("q"), 0u);
  EXPECT_EQ(broker.closed, 1u);
  EXPECT_TRUE(broker.errors.empty()) << broker.errors.front();
}

struct starter : messaging_handler {
  int started = 0;
  void on_start(messaging_event&) override { ++started; }
};

TEST_P(container, run_with_nothing_to_do_returns_after_on_start) {
  starter h;
  auto c = make_container(h);
  watchdog dog(*c);
  c->run();
  EXPECT_EQ(h.started, 1);
}

// A scheduled task is work too: run() waits for it, then ends by itself.
TEST_P(container, run_waits_for_a_scheduled_task_and_then_returns) {
  starter h;
  auto c = make_container(h);
  watchdog dog(*c);
  bool ran = false;
  c->schedule(20ms, [&] { ran = true; });
  c->run();
  EXPECT_TRUE(ran);
  EXPECT_EQ(h.started, 1);
}

// A cancelled task never runs and is no work: run() ends without waiting for its time.
TEST_P(container, a_cancelled_task_does_not_run_nor_keep_run_going) {
  starter h;
  auto c = make_container(h);
  watchdog dog(*c);
  bool late_ran = false;
  bool soon_ran = false;
  bool ran = false;
  const scheduled_task late = c->schedule(std::chrono::hours(1), [&] { late_ran = true; });
  const scheduled_task soon = c->schedule(1ms, [&] { soon_ran = true; });
  soon.cancel();
  // Cancelled from the loop's thread, by another task.
  c->schedule(10ms, [&] {
    ran = true;
    late.cancel();
    late.cancel();  // twice: nothing more happens
  });
  c->run();
  EXPECT_TRUE(ran);
  EXPECT_FALSE(soon_ran);
  EXPECT_FALSE(late_ran);
  EXPECT_TRUE(late.cancelled());
}

// --- listen errors ------------------------------------------------------------------------------

TEST_P(container, listening_on_a_port_in_use_names_the_address) {
  starter h;
  auto c = make_container(h);
  auto first = c->listen("127.0.0.1:0");
  ASSERT_TRUE(first) << first.error();
  const std::string where = "127.0.0.1:" + std::to_string(first->port());
  auto second = c->listen("amqp://" + where);
  ASSERT_FALSE(second);
  EXPECT_TRUE(has(second.error(), where)) << second.error();
  EXPECT_TRUE(has(second.error(), "in use")) << second.error();
  first->close();
  watchdog dog(*c);
  c->run();
}

TEST_P(container, listening_with_amqps_needs_a_tls_context) {
  starter h;
  auto c = make_container(h);
  auto l = c->listen("amqps://127.0.0.1:0");
  ASSERT_FALSE(l);
  EXPECT_TRUE(has(l.error(), "amqps")) << l.error();
  EXPECT_TRUE(has(l.error(), "TLS")) << l.error();
}

TEST_P(container, a_bad_listen_address_is_refused) {
  starter h;
  auto c = make_container(h);
  auto l = c->listen("127.0.0.1:notaport");
  ASSERT_FALSE(l);
  EXPECT_FALSE(l.error().empty());
  auto m = c->listen("no-such-host.invalid:0");
  ASSERT_FALSE(m);
  EXPECT_TRUE(has(m.error(), "no-such-host.invalid")) << m.error();
}

INSTANTIATE_TEST_SUITE_P(, container, every_binding(), binding_name);

}  // namespace
}  // namespace amqp::test
