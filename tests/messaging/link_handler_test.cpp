// A link's own handler (sender_options::handler, receiver_options::handler): every event of
// that link goes to it and none to the connection's handler, which keeps the connection's and
// sessions' events; it hears on_link_closed when its session or connection ends.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fixture.hpp"

namespace amqp::test {
namespace {

using calls = std::vector<std::string>;

TEST(link_handler, a_senders_events_go_to_its_own_handler_only) {
  messaging_pair p;
  recorder link_h;
  p.listen();
  connection conn;
  p.client_h.on("on_start", [&](messaging_event& e) {
    conn = e.container().connect(broker_url, p.client_options());
    conn.open_sender("queue", {.mode = delivery_mode::at_least_once, .handler = &link_h});
  });
  int sent = 0;
  link_h.on("on_sendable", [&](messaging_event& e) {
    while (e.sender().credit() > 0 && sent < 2)
      ASSERT_TRUE(e.sender().send(text_message(numbered("m", sent++))));
  });
  int settled = 0;
  link_h.on("on_settled", [&](messaging_event& e) {
    if (++settled == 2) e.sender().close();
  });
  link_h.on("on_link_closed", [&](messaging_event& e) { e.connection().close(); });
  p.net.run();
  EXPECT_EQ(link_h.calls, (calls{"on_link_opened", "on_sendable", "on_accepted", "on_settled",
                                 "on_accepted", "on_settled", "on_link_closed"}));
  EXPECT_EQ(p.client_h.calls, (calls{"on_start", "on_connection_opened", "on_session_opened",
                                     "on_connection_closed", "on_disconnected"}));
  EXPECT_EQ(p.server_h.count("on_message"), 2u);
}

TEST(link_handler, a_receivers_messages_and_drain_go_to_its_own_handler) {
  messaging_pair p;
  recorder link_h;
  p.listen();
  p.server_h.on("on_sendable", [&](messaging_event& e) {
    if (e.sender().credit() > 0 && p.server_h.count("on_sendable") == 1) {
      ASSERT_TRUE(e.sender().send(text_message("hello")));
    }
  });
  p.client_h.on("on_start", [&](messaging_event& e) {
    e.container()
        .connect(broker_url, p.client_options())
        .open_receiver("queue", {.credit_window = 0, .handler = &link_h});
  });
  link_h.on("on_link_opened", [&](messaging_event& e) { (void)e.receiver().add_credit(5); });
  link_h.on("on_message", [&](messaging_event& e) { (void)e.receiver().drain(); });
  link_h.on("on_receiver_drained", [&](messaging_event& e) { e.connection().close(); });
  p.net.run();
  EXPECT_EQ(link_h.calls, (calls{"on_link_opened", "on_message", "on_receiver_drained",
                                 "on_link_closed"}));
  EXPECT_EQ(body_text(*link_h.events[1].message), "hello");
  EXPECT_EQ(p.client_h.count("on_message"), 0u);
  EXPECT_EQ(p.client_h.count("on_link_closed"), 0u);
}

TEST(link_handler, hears_its_session_ended_by_the_peer_with_the_error) {
  messaging_pair p;
  recorder link_h;
  p.listen();
  p.server_h.on("on_link_opened", [&](messaging_event& e) {
    e.session().close(condition{"amqp:resource-limit-exceeded", "too many links", {}});
  });
  p.client_h.on("on_start", [&](messaging_event& e) {
    e.container().connect(broker_url, p.client_options()).open_sender("queue", {.handler = &link_h});
  });
  p.net.run();
  EXPECT_EQ(link_h.only({"on_link_error", "on_link_closed"}),
            (calls{"on_link_error amqp:resource-limit-exceeded",
                   "on_link_closed amqp:resource-limit-exceeded"}));
  EXPECT_EQ(p.client_h.only({"on_session_error", "on_session_closed", "on_link_closed"}),
            (calls{"on_session_error amqp:resource-limit-exceeded",
                   "on_session_closed amqp:resource-limit-exceeded"}));
}

TEST(link_handler, hears_its_connection_end_for_good_without_a_reconnect) {
  messaging_pair p;
  recorder link_h;
  p.listen();
  connection conn;
  p.client_h.on("on_start", [&](messaging_event& e) {
    connection_options o = p.client_options();
    o.reconnect = false;
    conn = e.container().connect(broker_url, o);
    conn.open_receiver("queue", {.handler = &link_h});
  });
  p.net.run();
  ASSERT_EQ(link_h.count("on_link_opened"), 1u);
  p.net.drop(conn);
  p.net.pump();
  // With the transport's error, which the connection's handler heard as on_transport_error.
  EXPECT_EQ(link_h.calls.back(), "on_link_closed amqp:connection:framing-error");
  EXPECT_EQ(link_h.count("on_link_closed"), 1u);
  EXPECT_EQ(p.client_h.count("on_link_closed"), 0u);
}

TEST(link_handler, with_a_reconnect_the_link_comes_back_and_its_in_doubt_tracker_is_its_own) {
  messaging_pair p;
  recorder link_h;
  p.listen();
  // The server never settles: the message is still unsettled when the transport goes.
  p.server_h.on("on_link_opened", [](messaging_event& e) {
    if (e.receiver().is_set()) e.receiver().open({.auto_accept = false});
  });
  connection conn;
  p.client_h.on("on_start", [&](messaging_event& e) {
    conn = e.container().connect(broker_url, p.client_options());
    conn.open_sender("queue", {.mode = delivery_mode::at_least_once, .handler = &link_h});
  });
  bool sent = false;
  link_h.on("on_sendable", [&](messaging_event& e) {
    if (!sent) sent = static_cast<bool>(e.sender().send(text_message("m")));
  });
  p.net.run();
  ASSERT_EQ(p.server_h.count("on_message"), 1u);
  ASSERT_TRUE(p.net.drop(conn));
  p.net.advance(1s);
  EXPECT_EQ(link_h.count("on_in_doubt"), 1u);
  EXPECT_EQ(link_h.count("on_link_opened"), 2u);
  EXPECT_EQ(link_h.count("on_link_closed"), 0u);
  EXPECT_EQ(p.client_h.count("on_in_doubt"), 0u);
  EXPECT_EQ(p.client_h.count("on_reconnected"), 1u);
}

}  // namespace
}  // namespace amqp::test
