// The Asio container's threads: stop() from a scheduled task and from another thread, the
// order of scheduled tasks, and connection::post from another thread while run(2) runs the
// loop on two threads, with each connection's handler calls checked to never overlap.
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "container_support.hpp"
#include "messaging/recorder.hpp"

namespace amqp::test {
namespace {

using clock = std::chrono::steady_clock;

// Counts the handler calls in progress per connection: a second call entering while one is
// under way on the same connection is an overlap, which strands must prevent. Each call
// lingers a little so that an overlap, if possible, has time to happen.
class overlap_check {
 public:
  class scope {
   public:
    scope(overlap_check& check, const connection& c) : check_(check), busy_(check.flag(c)) {
      if (busy_->fetch_add(1) != 0) ++check_.overlaps;
      check_.note_thread();
      for (int i = 0; i < 20; ++i) std::this_thread::yield();
    }
    ~scope() { busy_->fetch_sub(1); }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    overlap_check& check_;
    std::shared_ptr<std::atomic<int>> busy_;
  };

  std::atomic<int> overlaps{0};
  std::size_t threads() {
    std::lock_guard lock(mutex_);
    return threads_.size();
  }

 private:
  std::shared_ptr<std::atomic<int>> flag(const connection& c) {
    std::lock_guard lock(mutex_);
    for (auto& [known, f] : flags_)
      if (known == c) return f;
    flags_.emplace_back(c, std::make_shared<std::atomic<int>>(0));
    return flags_.back().second;
  }
  void note_thread() {
    std::lock_guard lock(mutex_);
    threads_.insert(std::this_thread::get_id());
  }

  std::mutex mutex_;
  std::vector<std::pair<connection, std::shared_ptr<std::atomic<int>>>> flags_;
  std::set<std::thread::id> threads_;
};

// The test broker, every call checked.
struct checked_broker : test_broker {
  overlap_check& check;
  explicit checked_broker(overlap_check& c) : check(c) {}
  void on_connection_opened(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    test_broker::on_connection_opened(e);
  }
  void on_connection_closed(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    test_broker::on_connection_closed(e);
  }
  void on_link_opened(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    test_broker::on_link_opened(e);
  }
  void on_sendable(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    test_broker::on_sendable(e);
  }
  void on_message(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    test_broker::on_message(e);
  }
};

// --- stop ---------------------------------------------------------------------------------------

TEST(asio_container_threads, stop_from_a_scheduled_task_closes_every_connection) {
  recorder h;
  test_broker broker;
  asio::container c(h);
  watchdog dog(c);
  auto l = c.listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  bool late_task_ran = false;
  // Dropped by stop(): run() does not wait 10 minutes for it.
  c.schedule(std::chrono::minutes(10), [&] { late_task_ran = true; });
  std::vector<connection> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(c.connect(local_url(l->port())));
    clients.back().open_sender("q");
    clients.back().open_receiver("q");
  }
  h.on("on_link_opened", [&](messaging_event&) {
    if (h.count("on_link_opened") == 6) c.schedule(0ms, [&] { c.stop(); });
  });
  c.run();

  EXPECT_FALSE(late_task_ran);
  EXPECT_EQ(h.count("on_connection_closed"), 3u);
  EXPECT_EQ(h.count("on_transport_error"), 0u);
  EXPECT_EQ(broker.closed, 3u);
  EXPECT_TRUE(broker.errors.empty()) << broker.errors.front();
  for (const connection& conn : clients) EXPECT_EQ(conn.state(), endpoint_state::closed);
  // After stop, new work is refused: nothing is left to run.
  c.schedule(0ms, [&] { late_task_ran = true; });
  auto again = c.listen("127.0.0.1:0");
  EXPECT_FALSE(again);
}

TEST(asio_container_threads, stop_while_waiting_to_reconnect_ends_the_run) {
  recorder h;
  asio::container c(h);
  watchdog dog(c);
  h.on("on_disconnected", [&](messaging_event&) { c.stop(); });
  auto conn = c.connect(local_url(closed_port()),
                        {.reconnect_policy = std::make_shared<exponential_backoff>(
                             backoff_options{.initial = std::chrono::minutes(10)})});
  c.run();
  EXPECT_EQ(h.count("on_transport_error"), 1u);
  EXPECT_EQ(conn.state(), endpoint_state::closed);
}

TEST(asio_container_threads, a_connection_made_after_stop_is_closed_without_an_attempt) {
  recorder h;
  asio::container c(h);
  watchdog dog(c);
  connection conn;
  h.on("on_start", [&](messaging_event&) {
    c.stop();
    conn = c.connect(local_url(closed_port()));
  });
  c.run();
  EXPECT_EQ(h.calls, (std::vector<std::string>{"on_start"}));
  EXPECT_EQ(conn.state(), endpoint_state::closed);
}

// Senders that send until told to stop, one per connection; the handler's state is per
// connection or atomic, since run(2) may call it on two threads at once.
struct busy_sender : messaging_handler {
  overlap_check& check;
  std::atomic<int> opened{0};
  std::atomic<int> closed{0};
  std::atomic<int> accepted{0};
  std::atomic<int> errors{0};
  std::promise<void> all_open;
  int connections = 0;
  std::uint16_t port = 0;
  explicit busy_sender(overlap_check& c) : check(c) {}

  // The handles connect() returns are used at once: on_start runs before the loop's threads.
  void on_start(messaging_event& e) override {
    for (int i = 0; i < connections; ++i)
      e.container().open_sender(local_url(port, numbered("q", i)));
  }

  void on_link_opened(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    if (++opened == connections) all_open.set_value();
  }
  void on_sendable(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    amqp::sender snd = e.sender();
    while (snd.credit() > 0)
      if (!snd.send(numbered_message(1))) break;
  }
  void on_accepted(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    ++accepted;
  }
  void on_connection_closed(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    ++closed;
  }
  void on_transport_error(messaging_event&) override { ++errors; }
  void on_connection_error(messaging_event&) override { ++errors; }
};

TEST(asio_container_threads, stop_from_another_thread_while_two_threads_run_the_loop) {
  overlap_check check;
  busy_sender h(check);
  h.connections = 4;
  checked_broker broker(check);
  broker.credit_window = 20;
  asio::container c(h);
  watchdog dog(c);
  auto l = c.listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  h.port = l->port();
  std::thread stopper([&] {
    auto ready = h.all_open.get_future();
    if (ready.wait_for(20s) != std::future_status::ready) return;
    // Let the messages flow a little while before stopping them.
    while (h.accepted < 2000) std::this_thread::yield();
    c.stop();
  });
  c.run(2);
  stopper.join();

  EXPECT_EQ(h.closed, h.connections);
  EXPECT_EQ(h.errors, 0);
  EXPECT_GE(h.accepted, 2000);
  EXPECT_EQ(broker.closed, static_cast<std::size_t>(h.connections));
  EXPECT_EQ(check.overlaps, 0);
}

// --- schedule -----------------------------------------------------------------------------------

TEST(asio_container_threads, scheduled_tasks_run_in_the_order_they_are_due) {
  recorder h;
  asio::container c(h);
  watchdog dog(c);
  std::vector<std::string> order;
  const auto start = clock::now();
  clock::duration late{};
  h.on("on_start", [&](messaging_event&) {
    c.schedule(30ms, [&] {
      order.push_back("c");
      late = clock::now() - start;
    });
    c.schedule(0ms, [&] {
      order.push_back("a");
      c.schedule(0ms, [&] { order.push_back("f"); });
    });
    c.schedule(0ms, [&] { order.push_back("b"); });
    c.schedule(10ms, [&] { order.push_back("d"); });
    c.schedule(10ms, [&] { order.push_back("e"); });
    for (int i = 0; i < 100; ++i)
      c.schedule(5ms, [&order, i] { order.push_back(std::to_string(i)); });
  });
  c.run();
  std::vector<std::string> expected{"a", "b", "f"};
  for (int i = 0; i < 100; ++i) expected.push_back(std::to_string(i));
  expected.insert(expected.end(), {"d", "e", "c"});
  EXPECT_EQ(order, expected);
  EXPECT_GE(late, 30ms);
}

// --- connection::post from another thread -------------------------------------------------------

// Each connection's sender sends what other threads hand it through connection::post: a
// queue per connection, touched only on that connection's strand (posted work and on_sendable).
struct posted_sender : messaging_handler {
  struct link_state {
    amqp::sender sender;
    std::deque<std::int64_t> waiting;
    int accepted = 0;
  };
  overlap_check& check;
  int per_connection = 0;
  std::vector<std::unique_ptr<link_state>> links;
  std::atomic<int> closed{0};
  std::atomic<int> errors{0};
  std::function<void()> all_closed;
  explicit posted_sender(overlap_check& c) : check(c) {}

  link_state& state_of(const amqp::sender& s) {
    for (auto& l : links)
      if (l->sender == s) return *l;
    std::abort();  // every sender is made before run
  }
  // On the connection's strand.
  void give(link_state& l, std::int64_t n) {
    overlap_check::scope s(check, l.sender.connection());
    l.waiting.push_back(n);
    drain(l);
  }
  void drain(link_state& l) {
    while (!l.waiting.empty() && l.sender.credit() > 0) {
      if (!l.sender.send(numbered_message(l.waiting.front()))) {
        ++errors;
        return;
      }
      l.waiting.pop_front();
    }
  }
  void on_sendable(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    drain(state_of(e.sender()));
  }
  void on_accepted(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    if (++state_of(e.sender()).accepted == per_connection) e.connection().close();
  }
  void on_connection_closed(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    if (++closed == static_cast<int>(links.size()) && all_closed) all_closed();
  }
  void on_transport_error(messaging_event&) override { ++errors; }
  void on_connection_error(messaging_event&) override { ++errors; }
  void on_link_error(messaging_event&) override { ++errors; }
};

TEST(asio_container_threads, post_from_other_threads_while_run_2_keeps_each_connection_serial) {
  overlap_check check;
  posted_sender h(check);
  h.per_connection = 3000;
  checked_broker broker(check);
  broker.credit_window = 10;
  asio::container c(h);
  watchdog dog(c);
  auto l = c.listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  h.all_closed = [&] { l->close(); };
  for (int i = 0; i < 3; ++i) {
    auto conn = c.connect(local_url(l->port()));
    auto st = std::make_unique<posted_sender::link_state>();
    st->sender = conn.open_sender(numbered("q", i), {.mode = delivery_mode::at_least_once});
    h.links.push_back(std::move(st));
  }
  // One thread per connection hands it numbers while the loop runs on two others.
  std::vector<std::thread> feeders;
  for (auto& st : h.links) {
    posted_sender::link_state* link = st.get();
    const connection conn = link->sender.connection();
    feeders.emplace_back([&h, link, conn] {
      for (std::int64_t n = 0; n < h.per_connection; ++n)
        if (!conn.post([&h, link, n] { h.give(*link, n); })) ++h.errors;
    });
  }
  c.run(2);
  for (std::thread& t : feeders) t.join();

  EXPECT_EQ(h.errors, 0);
  EXPECT_EQ(h.closed, 3);
  for (auto& st : h.links) EXPECT_EQ(st->accepted, h.per_connection);
  EXPECT_EQ(broker.received, 3u * static_cast<std::size_t>(h.per_connection));
  EXPECT_EQ(broker.out_of_order, 0u);
  EXPECT_EQ(broker.closed, 3u);
  EXPECT_EQ(check.overlaps, 0);
  // After the end, post refuses: the connection is over.
  EXPECT_FALSE(h.links[0]->sender.connection().post([] {}));
}

}  // namespace
}  // namespace amqp::test
