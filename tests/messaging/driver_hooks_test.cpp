// What the messaging layer asks of a binding: the on_output signal for commands given outside
// a dispatch, connection::post, the container's timers, and stop().
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace amqp::test {
namespace {

using calls = std::vector<std::string>;

struct open_pair : messaging_pair {
  connection conn;
  sender snd;
  receiver rcv;
  open_pair() {
    listen();
    conn = connect();
    snd = conn.open_sender("queue");
    rcv = conn.open_receiver("queue", {.credit_window = 0});
    net.run();
  }
};

TEST(driver_hooks, commands_outside_a_dispatch_signal_the_output_once_until_it_is_written) {
  open_pair p;
  const std::size_t before = p.net.output_signals(p.conn);
  ASSERT_TRUE(p.snd.send(text_message("a")));
  EXPECT_EQ(p.net.output_signals(p.conn), before + 1);
  ASSERT_TRUE(p.snd.send(text_message("b")));
  ASSERT_FALSE(p.rcv.add_credit(1));
  p.conn.open_session();
  EXPECT_EQ(p.net.output_signals(p.conn), before + 1);
  p.net.pump();  // written, and flushed() said so
  EXPECT_EQ(p.server_h.count("on_message"), 2u);
  ASSERT_TRUE(p.snd.send(text_message("c")));
  EXPECT_EQ(p.net.output_signals(p.conn), before + 2);
  p.net.pump();
  EXPECT_EQ(p.server_h.count("on_message"), 3u);
}

TEST(driver_hooks, commands_inside_handler_calls_do_not_signal) {
  open_pair p;
  const std::size_t before = p.net.output_signals(p.conn);
  int accepted = 0;
  p.client_h.on("on_accepted", [&](messaging_event& e) {
    if (++accepted == 1) {
      EXPECT_TRUE(e.sender().send(text_message("again")));
    }
  });
  p.client_h.on("on_message", [](messaging_event& e) { (void)e.receiver().add_credit(1); });
  ASSERT_TRUE(p.snd.send(text_message("first")));
  p.net.pump();
  // One for the send above; the handlers' commands went out with their dispatches.
  EXPECT_EQ(p.net.output_signals(p.conn), before + 1);
  EXPECT_EQ(p.server_h.count("on_message"), 2u);
}

TEST(driver_hooks, post_runs_work_on_the_connection_in_order_and_writes_what_it_made) {
  open_pair p;
  std::vector<std::string> order;
  EXPECT_TRUE(p.conn.post([&] {
    order.push_back("first");
    ASSERT_TRUE(p.snd.send(text_message("posted")));
  }));
  EXPECT_TRUE(p.conn.post([&] { order.push_back("second"); }));
  EXPECT_TRUE(order.empty());  // not run inside post()
  p.net.pump();
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second"}));
  ASSERT_EQ(p.server_h.messages().size(), 1u);
  EXPECT_EQ(body_text(p.server_h.messages()[0]), "posted");

  // Another connection's handler acts on this one through post.
  connection server_conn = p.server_connection();
  p.server_h.on("on_message",
                [&](messaging_event&) { EXPECT_TRUE(p.conn.post([&] { p.snd.close(); })); });
  ASSERT_TRUE(p.snd.send(text_message("close me")));
  p.net.pump();
  EXPECT_EQ(p.snd.state(), endpoint_state::closed);

  p.conn.close();
  p.net.pump();
  EXPECT_FALSE(p.conn.post([] { ADD_FAILURE() << "ran on a finished connection"; }));
  EXPECT_FALSE(server_conn.post([] { ADD_FAILURE() << "ran on a finished connection"; }));
  p.net.pump();
}

TEST(driver_hooks, scheduled_work_runs_on_the_virtual_clock_and_its_commands_are_written) {
  open_pair p;
  std::vector<std::int64_t> ran_at;
  p.client.schedule(500ms, [&] {
    ran_at.push_back(p.net.elapsed().count());
    ASSERT_TRUE(p.snd.send(text_message("later")));
  });
  p.client.schedule(200ms, [&] { ran_at.push_back(p.net.elapsed().count()); });
  p.net.advance(199ms);
  EXPECT_TRUE(ran_at.empty());
  p.net.advance(400ms);
  EXPECT_EQ(ran_at, (std::vector<std::int64_t>{200, 500}));
  EXPECT_EQ(p.server_h.count("on_message"), 1u);
}

TEST(driver_hooks, stop_closes_every_connection_and_listener_and_drops_the_timers) {
  open_pair p;
  bool ran = false;
  p.client.schedule(1s, [&] { ran = true; });
  p.client.stop();
  EXPECT_TRUE(p.client.stopped());
  EXPECT_EQ(p.client_h.only({"on_connection_closed", "on_disconnected"}),
            (calls{"on_connection_closed", "on_disconnected"}));
  EXPECT_EQ(p.server_h.only({"on_connection_closed", "on_disconnected"}),
            (calls{"on_connection_closed", "on_disconnected"}));
  EXPECT_TRUE(p.net.finished(p.conn));
  p.net.advance(10s);
  EXPECT_FALSE(ran);
  EXPECT_EQ(p.net.attempts.size(), 1u);

  // The server stops: its listener goes, a new client is refused.
  p.server.stop();
  auto late = p.client.connect(broker_url, {.reconnect = false});
  p.net.pump();
  EXPECT_TRUE(p.net.finished(late));
  EXPECT_EQ(p.net.attempts.back(), "10000ms broker:5672 refused");
}

TEST(driver_hooks, stop_from_a_handler_ends_the_run) {
  messaging_pair p;
  p.listen();
  p.client_h.on("on_start", [&](messaging_event& e) {
    e.container().connect(broker_url, p.client_options()).open_sender("q");
  });
  p.client_h.on("on_sendable", [&](messaging_event& e) { e.container().stop(); });
  p.net.run();
  EXPECT_EQ(p.net.transports_up(), 0u);
  EXPECT_EQ(p.client_h.count("on_connection_closed"), 1u);
}

TEST(driver_hooks, one_container_can_listen_and_connect_to_itself) {
  recorder h;
  memory_container c(h, "both");
  ASSERT_TRUE(c.listen("amqp://self:0"));
  auto l = c.listen("amqp://self:0");
  ASSERT_TRUE(l);
  EXPECT_NE(l->port(), 0);
  EXPECT_FALSE(c.listen("amqp://self:" + std::to_string(l->port())));  // in use
  auto conn = c.connect("amqp://self:" + std::to_string(l->port()));
  auto s = conn.open_sender("loop");
  h.on("on_sendable", [](messaging_event& e) {
    if (e.sender().credit() == 10) (void)e.sender().send(text_message("to myself"));
  });
  c.run();
  EXPECT_EQ(h.count("on_start"), 1u);
  EXPECT_EQ(h.count("on_connection_opened"), 2u);  // one per side
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(body_text(h.messages()[0]), "to myself");
  EXPECT_EQ(conn.remote_container_id(), "both");
  EXPECT_EQ(c.network().accepted().size(), 1u);
}

TEST(driver_hooks, a_connection_may_have_a_handler_of_its_own) {
  messaging_pair p;
  recorder own;
  p.listen();
  auto c = p.client.connect(broker_url, {}, &own);
  c.open_sender("q");
  p.net.run();
  EXPECT_EQ(own.count("on_connection_opened"), 1u);
  EXPECT_EQ(p.client_h.count("on_connection_opened"), 0u);
  EXPECT_EQ(p.client_h.count("on_start"), 1u);  // the container's handler starts
}

TEST(driver_hooks, an_idle_timeout_keeps_a_quiet_connection_alive_with_heartbeats) {
  messaging_pair p;
  p.listen({.idle_timeout = 1000ms});
  auto c = p.connect({.idle_timeout = 1000ms});
  p.net.run();
  p.net.advance(10s);
  EXPECT_EQ(c.state(), endpoint_state::active);
  EXPECT_EQ(p.client_h.count("on_transport_error"), 0u);
  EXPECT_GE(p.client_trace.lines.size(), 20u);  // empty frames both ways
}

}  // namespace
}  // namespace amqp::test
