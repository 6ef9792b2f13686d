// The libevent container on an application's event_base, which the application runs on its own
// thread with libevent's locking turned on (enable_threads() before the base is made), while
// other threads connect, schedule, stop and post to connections: their work reaches the
// loop's thread, and every handler call and task runs there.
#include <gtest/gtest.h>

#include <future>

#include "bindings/container_support.hpp"
#include "bindings/threads_support.hpp"
#include "peer.hpp"

namespace amqp::test {
namespace {

// Three threads each connect once the application's loop runs, open a sender through
// connection::post (the handles belong to the loop's thread), schedule a task, and hand the
// sender 2,000 numbers through connection::post.
TEST(libevent_container_threads, connect_schedule_and_post_from_other_threads_reach_the_loop) {
  overlap_check check;
  posted_sender h(check);
  h.per_connection = 2000;
  checked_broker broker(check);
  broker.credit_window = 10;
  base_ptr base = new_base();
  libevent::container c(h, *base);
  watchdog dog(c);
  auto l = c.listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  h.all_closed = [&] { l->close(); };
  constexpr int connections = 3;
  for (int i = 0; i < connections; ++i)
    h.links.push_back(std::make_unique<posted_sender::link_state>());

  const std::thread::id loop_thread = std::this_thread::get_id();
  std::promise<void> running;
  std::shared_future<void> started = running.get_future().share();
  c.schedule(0ms, [&] { running.set_value(); });
  std::atomic<int> tasks{0};
  std::atomic<int> elsewhere{0};
  std::vector<std::thread> feeders;
  for (int i = 0; i < connections; ++i) {
    posted_sender::link_state* link = h.links[static_cast<std::size_t>(i)].get();
    feeders.emplace_back([&, link, i, started] {
      started.wait();
      connection conn = c.connect(local_url(l->port()));
      if (!conn.post([link, conn, i]() mutable {
            link->sender =
                conn.open_sender(numbered("q", i), {.mode = delivery_mode::at_least_once});
          }))
        ++h.errors;
      c.schedule(std::chrono::milliseconds(i), [&] {
        if (std::this_thread::get_id() != loop_thread) ++elsewhere;
        ++tasks;
      });
      for (std::int64_t n = 0; n < h.per_connection; ++n)
        if (!conn.post([&h, link, n] { h.give(*link, n); })) ++h.errors;
    });
  }
  c.start();
  dispatch(*base);
  for (std::thread& t : feeders) t.join();

  EXPECT_EQ(h.errors, 0);
  EXPECT_EQ(h.closed, connections);
  for (auto& st : h.links) EXPECT_EQ(st->accepted, h.per_connection);
  EXPECT_EQ(broker.received, connections * static_cast<std::size_t>(h.per_connection));
  EXPECT_EQ(broker.out_of_order, 0u);
  EXPECT_EQ(broker.closed, static_cast<std::size_t>(connections));
  EXPECT_EQ(tasks, connections);
  EXPECT_EQ(elsewhere, 0);
  EXPECT_EQ(check.overlaps, 0);
  EXPECT_EQ(check.threads(), 1u);
}

TEST(libevent_container_threads, stop_from_another_thread_ends_the_applications_loop) {
  overlap_check check;
  busy_sender h(check);
  h.connections = 4;
  checked_broker broker(check);
  broker.credit_window = 20;
  base_ptr base = new_base();
  libevent::container c(h, *base);
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
  c.start();
  dispatch(*base);
  stopper.join();

  EXPECT_EQ(h.closed, h.connections);
  EXPECT_EQ(h.errors, 0);
  EXPECT_GE(h.accepted, 2000);
  EXPECT_EQ(broker.closed, static_cast<std::size_t>(h.connections));
  EXPECT_EQ(check.overlaps, 0);
  EXPECT_EQ(check.threads(), 1u);
}

}  // namespace
}  // namespace amqp::test
