// What only the Asio container does (the rest of its tests run on every binding, in
// tests/bindings): an application's io_context running it, and run(2) with the loop on two
// threads, where each connection's strand keeps its handler calls from overlapping while stop()
// and connection::post come from other threads.
#include <gtest/gtest.h>

#include <future>

#include "amqp/asio/container.hpp"
#include "bindings/container_support.hpp"
#include "bindings/threads_support.hpp"

namespace amqp::test {
namespace {

struct starter : messaging_handler {
  int started = 0;
  void on_start(messaging_event&) override { ++started; }
};

TEST(asio_container, an_applications_io_context_runs_the_container) {
  starter h;
  test_broker broker;
  ::asio::io_context io;
  asio::container c(h, io);
  watchdog dog(c);
  EXPECT_EQ(&c.io_context(), &io);
  auto l = c.listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  broker.after_open = [&](messaging_event& e) {
    e.connection().close();
    l->close();
  };
  c.connect(local_url(l->port()));
  c.start();
  c.start();  // once only
  io.run();
  EXPECT_EQ(h.started, 1);
  EXPECT_EQ(broker.opened, 1u);
  EXPECT_EQ(broker.closed, 1u);
}

TEST(asio_container, stop_from_another_thread_while_two_threads_run_the_loop) {
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

TEST(asio_container, post_from_other_threads_while_run_2_keeps_each_connection_serial) {
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
