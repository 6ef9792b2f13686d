// What only the libevent container does (the rest of its tests run on every binding, in
// tests/bindings): an application's own event_base running it beside the application's own
// events, and what it leaves in that base once it is gone.
#include <gtest/gtest.h>

#include "bindings/container_support.hpp"
#include "peer.hpp"

namespace amqp::test {
namespace {

struct starter : messaging_handler {
  int started = 0;
  void on_start(messaging_event&) override { ++started; }
};

TEST(libevent_container, an_applications_event_base_runs_the_container) {
  starter h;
  test_broker broker;
  base_ptr base = new_base();
  libevent::container c(h, *base);
  watchdog dog(c);
  EXPECT_EQ(&c.base(), base.get());
  auto l = c.listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  broker.after_open = [&](messaging_event& e) {
    e.connection().close();
    l->close();
  };
  c.connect(local_url(l->port()));
  c.start();
  c.start();  // once only
  dispatch(*base);
  EXPECT_EQ(h.started, 1);
  EXPECT_EQ(broker.opened, 1u);
  EXPECT_EQ(broker.closed, 1u);
}

// Sends `total` numbered messages at least once and closes 50 ms after the last was accepted,
// as the application's own timer ticks every millisecond on the same loop; once closed, it
// stops the ticks so that the loop can end.
struct ticking_sender : messaging_handler {
  int total = 2000;
  int sent = 0;
  int accepted = 0;
  int ticks_while_open = 0;
  ::event* ticker = nullptr;
  listener to_close;
  bool open = false;

  void on_connection_opened(messaging_event&) override { open = true; }
  void on_sendable(messaging_event& e) override {
    amqp::sender s = e.sender();
    while (s.credit() > 0 && sent < total)
      if (s.send(numbered_message(sent))) ++sent;
  }
  void on_accepted(messaging_event& e) override {
    if (++accepted < total) return;
    e.container().schedule(50ms, [c = e.connection()]() mutable { c.close(); });
  }
  void on_connection_closed(messaging_event&) override {
    open = false;
    event_del(ticker);
    to_close.close();
  }
  static void tick(evutil_socket_t, short, void* self) {
    auto& s = *static_cast<ticking_sender*>(self);
    if (s.open) ++s.ticks_while_open;
  }
};

TEST(libevent_container, the_applications_own_events_run_beside_the_containers) {
  ticking_sender h;
  test_broker broker;
  base_ptr base = new_base();
  libevent::container c(h, *base);
  watchdog dog(c);
  auto l = c.listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  h.to_close = *l;
  h.ticker = event_new(base.get(), -1, EV_PERSIST, &ticking_sender::tick, &h);
  const timeval every_millisecond{0, 1000};
  event_add(h.ticker, &every_millisecond);
  c.open_sender(local_url(l->port(), "q"), {.mode = delivery_mode::at_least_once});
  c.start();
  dispatch(*base);
  event_free(h.ticker);

  EXPECT_EQ(h.accepted, h.total);
  EXPECT_EQ(broker.stored("q"), static_cast<std::size_t>(h.total));
  EXPECT_GT(h.ticks_while_open, 0);
}

// Once the container is gone, none of its events is left in the application's base: the
// application's loop ends by itself, and the base serves the application alone.
TEST(libevent_container, a_destroyed_container_leaves_nothing_in_the_applications_base) {
  base_ptr base = new_base();
  {
    starter h;
    test_broker broker;
    libevent::container c(h, *base);
    watchdog dog(c);
    auto l = c.listen("127.0.0.1:0", {}, &broker);
    ASSERT_TRUE(l) << l.error();
    c.connect(local_url(l->port()));
    c.schedule(std::chrono::minutes(10), [] {});
    broker.after_open = [&](messaging_event&) { c.stop(); };
    c.start();
    dispatch(*base);
    EXPECT_EQ(broker.opened, 1u);
  }
  EXPECT_EQ(event_base_get_num_events(base.get(), EVENT_BASE_COUNT_ADDED), 0);
  EXPECT_EQ(event_base_get_num_events(base.get(), EVENT_BASE_COUNT_ACTIVE), 0);
  bool ran = false;
  auto mark = [&] { ran = true; };
  run_later(*base, 0ms, mark);
  dispatch(*base);
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace amqp::test
