// The threads of the container of every binding: stop() from a scheduled task and from another
// thread, the order of scheduled tasks and tasks scheduled from other threads, and
// connection::post from other threads while one thread runs the loop, with each connection's
// handler calls checked to never overlap.
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "binding.hpp"
#include "container_support.hpp"
#include "messaging/recorder.hpp"
#include "threads_support.hpp"

namespace amqp::test {
namespace {

using clock = std::chrono::steady_clock;

class container_threads : public binding_test {};

// --- stop ---------------------------------------------------------------------------------------

TEST_P(container_threads, stop_from_a_scheduled_task_closes_every_connection) {
  recorder h;
  test_broker broker;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  bool late_task_ran = false;
  // Dropped by stop(): run() does not wait 10 minutes for it.
  c->schedule(std::chrono::minutes(10), [&] { late_task_ran = true; });
  std::vector<connection> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(c->connect(local_url(l->port())));
    clients.back().open_sender("q");
    clients.back().open_receiver("q");
  }
  h.on("on_link_opened", [&](messaging_event&) {
    if (h.count("on_link_opened") == 6) c->schedule(0ms, [&] { c->stop(); });
  });
  c->run();

  EXPECT_FALSE(late_task_ran);
  EXPECT_EQ(h.count("on_connection_closed"), 3u);
  EXPECT_EQ(h.count("on_transport_error"), 0u);
  EXPECT_EQ(broker.closed, 3u);
  EXPECT_TRUE(broker.errors.empty()) << broker.errors.front();
  for (const connection& conn : clients) EXPECT_EQ(conn.state(), endpoint_state::closed);
  // After stop, new work is refused: nothing is left to run.
  c->schedule(0ms, [&] { late_task_ran = true; });
  auto again = c->listen("127.0.0.1:0");
  EXPECT_FALSE(again);
}

TEST_P(container_threads, stop_while_waiting_to_reconnect_ends_the_run) {
  recorder h;
  auto c = make_container(h);
  watchdog dog(*c);
  h.on("on_disconnected", [&](messaging_event&) { c->stop(); });
  auto conn = c->connect(local_url(closed_port()),
                         {.reconnect_policy = std::make_shared<exponential_backoff>(
                              backoff_options{.initial = std::chrono::minutes(10)})});
  c->run();
  EXPECT_EQ(h.count("on_transport_error"), 1u);
  EXPECT_EQ(conn.state(), endpoint_state::closed);
}

TEST_P(container_threads, a_connection_made_after_stop_is_closed_without_an_attempt) {
  recorder h;
  auto c = make_container(h);
  watchdog dog(*c);
  connection conn;
  h.on("on_start", [&](messaging_event&) {
    c->stop();
    conn = c->connect(local_url(closed_port()));
  });
  c->run();
  EXPECT_EQ(h.calls, (std::vector<std::string>{"on_start"}));
  EXPECT_EQ(conn.state(), endpoint_state::closed);
}

TEST_P(container_threads, stop_from_another_thread_closes_busy_connections_and_ends_the_run) {
  overlap_check check;
  busy_sender h(check);
  h.connections = 4;
  checked_broker broker(check);
  broker.credit_window = 20;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  h.port = l->port();
  std::thread stopper([&] {
    auto ready = h.all_open.get_future();
    if (ready.wait_for(20s) != std::future_status::ready) return;
    // Let the messages flow a little while before stopping them.
    while (h.accepted < 2000) std::this_thread::yield();
    c->stop();
  });
  c->run();
  stopper.join();

  EXPECT_EQ(h.closed, h.connections);
  EXPECT_EQ(h.errors, 0);
  EXPECT_GE(h.accepted, 2000);
  EXPECT_EQ(broker.closed, static_cast<std::size_t>(h.connections));
  EXPECT_EQ(check.overlaps, 0);
  EXPECT_EQ(check.threads(), 1u);
}

// --- schedule -----------------------------------------------------------------------------------

TEST_P(container_threads, scheduled_tasks_run_in_the_order_they_are_due) {
  recorder h;
  auto c = make_container(h);
  watchdog dog(*c);
  std::vector<std::string> order;
  const auto start = clock::now();
  clock::duration late{};
  h.on("on_start", [&](messaging_event&) {
    c->schedule(30ms, [&] {
      order.push_back("c");
      late = clock::now() - start;
    });
    c->schedule(0ms, [&] {
      order.push_back("a");
      c->schedule(0ms, [&] { order.push_back("f"); });
    });
    c->schedule(0ms, [&] { order.push_back("b"); });
    c->schedule(10ms, [&] { order.push_back("d"); });
    c->schedule(10ms, [&] { order.push_back("e"); });
    for (int i = 0; i < 100; ++i)
      c->schedule(5ms, [&order, i] { order.push_back(std::to_string(i)); });
  });
  c->run();
  std::vector<std::string> expected{"a", "b", "f"};
  for (int i = 0; i < 100; ++i) expected.push_back(std::to_string(i));
  expected.insert(expected.end(), {"d", "e", "c"});
  EXPECT_EQ(order, expected);
  EXPECT_GE(late, 30ms);
}

// Four threads schedule 250 tasks each while a task of the loop's keeps it running; every task
// runs once, on the thread that runs the loop, and the last one ends the run.
TEST_P(container_threads, tasks_scheduled_from_other_threads_run_on_the_loops_thread) {
  recorder h;
  auto c = make_container(h);
  watchdog dog(*c);
  std::promise<void> running;
  std::thread::id loop_thread;
  h.on("on_start", [&](messaging_event&) { loop_thread = std::this_thread::get_id(); });
  constexpr int threads = 4;
  constexpr int each = 250;
  std::atomic<int> ran{0};
  std::atomic<int> elsewhere{0};
  std::set<int> seen;
  std::mutex seen_mutex;
  // Keeps the loop busy until every task ran; the last task stops the run.
  c->schedule(std::chrono::minutes(10), [] {});
  c->schedule(0ms, [&] { running.set_value(); });
  std::vector<std::thread> schedulers;
  auto started = running.get_future().share();
  for (int t = 0; t < threads; ++t) {
    schedulers.emplace_back([&, t, started] {
      started.wait();
      for (int i = 0; i < each; ++i) {
        c->schedule(std::chrono::milliseconds(i % 3), [&, n = t * each + i] {
          if (std::this_thread::get_id() != loop_thread) ++elsewhere;
          {
            std::lock_guard lock(seen_mutex);
            seen.insert(n);
          }
          if (++ran == threads * each) c->stop();
        });
      }
    });
  }
  c->run();
  for (std::thread& t : schedulers) t.join();
  EXPECT_EQ(ran, threads * each);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(threads * each));
  EXPECT_EQ(elsewhere, 0);
}

// --- connection::post from other threads --------------------------------------------------------

TEST_P(container_threads, post_from_other_threads_reaches_each_connection_in_order) {
  overlap_check check;
  posted_sender h(check);
  h.per_connection = 3000;
  checked_broker broker(check);
  broker.credit_window = 10;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  h.all_closed = [&] { l->close(); };
  for (int i = 0; i < 3; ++i) {
    auto conn = c->connect(local_url(l->port()));
    auto st = std::make_unique<posted_sender::link_state>();
    st->sender = conn.open_sender(numbered("q", i), {.mode = delivery_mode::at_least_once});
    h.links.push_back(std::move(st));
  }
  // One thread per connection hands it numbers while the loop runs on this one.
  std::vector<std::thread> feeders;
  for (auto& st : h.links) {
    posted_sender::link_state* link = st.get();
    const connection conn = link->sender.connection();
    feeders.emplace_back([&h, link, conn] {
      for (std::int64_t n = 0; n < h.per_connection; ++n)
        if (!conn.post([&h, link, n] { h.give(*link, n); })) ++h.errors;
    });
  }
  c->run();
  for (std::thread& t : feeders) t.join();

  EXPECT_EQ(h.errors, 0);
  EXPECT_EQ(h.closed, 3);
  for (auto& st : h.links) EXPECT_EQ(st->accepted, h.per_connection);
  EXPECT_EQ(broker.received, 3u * static_cast<std::size_t>(h.per_connection));
  EXPECT_EQ(broker.out_of_order, 0u);
  EXPECT_EQ(broker.closed, 3u);
  EXPECT_EQ(check.overlaps, 0);
  EXPECT_EQ(check.threads(), 1u);
  // After the end, post refuses: the connection is over.
  EXPECT_FALSE(h.links[0]->sender.connection().post([] {}));
}

INSTANTIATE_TEST_SUITE_P(, container_threads, every_binding(), binding_name);

}  // namespace
}  // namespace amqp::test
