// Reconnecting messaging connections: what is reported when a transport is lost, when the
// attempts go out on the virtual clock, failover, what a new transport attaches again, and
// when the connection gives up.
#include <gtest/gtest.h>

#include <set>
#include <unordered_map>

#include "fixture.hpp"

namespace amqp::test {
namespace {

using calls = std::vector<std::string>;

// A client sending to "queue" through a server that keeps every delivery unsettled unless
// `server_accepts`.
struct reconnect_pair : messaging_pair {
  connection conn;
  sender snd;
  receiver rcv;
  std::vector<tracker> trackers;

  void start(connection_options co = {}, bool server_accepts = false) {
    listen();
    if (!server_accepts)
      server_h.on("on_link_opened", [](messaging_event& e) {
        if (e.receiver().is_set()) e.receiver().open({.auto_accept = false});
      });
    conn = connect(std::move(co));
    snd = conn.open_sender("queue", {.name = "the-sender"});
    rcv = conn.open_receiver("replies", {.name = "the-receiver", .credit_window = 5});
    net.run();
  }
  void send(int n) {
    for (int i = 0; i < n; ++i) {
      auto t = snd.send(text_message(numbered("m", i)));
      ASSERT_TRUE(t) << t.error().message();
      trackers.push_back(*t);
    }
    net.pump();
  }
  // The calls since the mark, for one recorder.
  static calls since(const recorder& h, std::size_t mark) {
    return calls(h.calls.begin() + static_cast<std::ptrdiff_t>(mark), h.calls.end());
  }
};

TEST(reconnect_messaging,
     a_lost_connection_reports_in_doubt_messages_then_the_error_then_disconnected) {
  reconnect_pair p;
  p.start();
  p.send(3);
  ASSERT_EQ(p.server_h.count("on_message"), 3u);
  const std::size_t mark = p.client_h.calls.size();
  ASSERT_TRUE(p.net.drop(p.conn));
  EXPECT_EQ(reconnect_pair::since(p.client_h, mark),
            (calls{"on_in_doubt", "on_in_doubt", "on_in_doubt",
                   "on_transport_error amqp:connection:framing-error", "on_disconnected"}));
  // Each in-doubt event names a tracker send() returned, in order, and its sender.
  std::vector<tracker> in_doubt;
  for (const seen_event& s : p.client_h.events)
    if (s.what == "on_in_doubt") {
      EXPECT_EQ(s.sender, p.snd);
      in_doubt.push_back(s.tracker);
    }
  EXPECT_EQ(in_doubt, p.trackers);
  const seen_event* err = p.client_h.last("on_transport_error");
  EXPECT_NE(err->error->description.find("broker:5672"), std::string::npos)
      << err->error->description;
  EXPECT_NE(err->error->description.find("connection reset by peer"), std::string::npos)
      << err->error->description;
  EXPECT_EQ(err->connection, p.conn);
  // The server lost it too; its connection is over.
  EXPECT_EQ(p.server_h.only({"on_transport_error", "on_disconnected"}),
            (calls{"on_transport_error amqp:connection:framing-error", "on_disconnected"}));
  EXPECT_TRUE(p.net.finished(p.server_connection()));
  // The client waits to reconnect; its endpoints are neither open nor closed meanwhile.
  EXPECT_FALSE(p.net.finished(p.conn));
  EXPECT_EQ(p.conn.state(), endpoint_state::opening);
  EXPECT_EQ(p.snd.state(), endpoint_state::opening);
  EXPECT_EQ(p.snd.credit(), 0u);
  EXPECT_EQ(p.snd.send(text_message("x")).error(), make_error_code(errc::wrong_state));
  for (const tracker& t : p.trackers) EXPECT_TRUE(t.settled());
}

TEST(reconnect_messaging, the_next_transport_attaches_the_same_links_again_and_sending_resumes) {
  reconnect_pair p;
  p.start({}, true);
  p.send(2);
  const std::string first_server_link = p.server_h.first("on_link_opened")->receiver.name();
  ASSERT_TRUE(p.net.drop(p.conn));
  const std::size_t mark = p.client_h.calls.size();
  const std::size_t server_mark = p.server_h.calls.size();
  p.net.advance(99ms);
  EXPECT_EQ(p.net.attempts, (std::vector<std::string>{"0ms broker:5672 connected"}));
  p.net.advance(1ms);
  EXPECT_EQ(p.net.attempts,
            (std::vector<std::string>{"0ms broker:5672 connected", "100ms broker:5672 connected"}));
  EXPECT_EQ(reconnect_pair::since(p.client_h, mark),
            (calls{"on_reconnected", "on_session_opened", "on_link_opened", "on_sendable",
                   "on_link_opened"}));
  EXPECT_TRUE(p.conn.reconnected());
  EXPECT_EQ(p.conn.state(), endpoint_state::active);
  EXPECT_EQ(p.snd.state(), endpoint_state::active);
  EXPECT_EQ(p.rcv.state(), endpoint_state::active);
  EXPECT_EQ(p.client_h.last("on_link_opened")->receiver, p.rcv);
  // The server sees a new connection with links of the same names.
  EXPECT_EQ(reconnect_pair::since(p.server_h, server_mark),
            (calls{"on_connection_opened", "on_session_opened", "on_link_opened", "on_link_opened",
                   "on_sendable"}));
  ASSERT_EQ(p.net.accepted().size(), 2u);
  std::set<std::string> names;
  for (std::size_t i = server_mark; i < p.server_h.events.size(); ++i) {
    const seen_event& s = p.server_h.events[i];
    if (s.what == "on_link_opened") {
      names.insert(s.receiver.is_set() ? s.receiver.name() : s.sender.name());
      EXPECT_EQ(s.connection, p.net.accepted()[1]);
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"the-sender", "the-receiver"}));
  EXPECT_EQ(first_server_link, "the-sender");
  // The receiver's window is granted again.
  EXPECT_EQ(p.rcv.status()->credit, 5u);
  p.send(1);
  EXPECT_EQ(p.server_h.count("on_message"), 3u);
  EXPECT_EQ(p.client_h.count("on_accepted"), 3u);
}

TEST(reconnect_messaging, attempts_back_off_100_200_400_ms_on_the_virtual_clock) {
  reconnect_pair p;
  p.start({}, true);
  p.server_listener.close();
  ASSERT_TRUE(p.net.drop(p.conn));
  p.net.advance(1600ms);
  EXPECT_EQ(p.net.attempts,
            (std::vector<std::string>{"0ms broker:5672 connected", "100ms broker:5672 refused",
                                      "300ms broker:5672 refused", "700ms broker:5672 refused",
                                      "1500ms broker:5672 refused"}));
  // Each refusal is a transport error and a disconnection.
  EXPECT_EQ(p.client_h.count("on_transport_error"), 5u);
  EXPECT_EQ(p.client_h.count("on_disconnected"), 5u);
  EXPECT_NE(p.client_h.last("on_transport_error")->error->description.find("connection refused"),
            std::string::npos);
  // The listener is back: the next attempt, 1600 ms after the last, gets through.
  p.listen();
  p.net.advance(1499ms);
  EXPECT_EQ(p.net.attempts.size(), 5u);
  p.net.advance(1ms);
  EXPECT_EQ(p.net.attempts.back(), "3100ms broker:5672 connected");
  EXPECT_EQ(p.client_h.count("on_reconnected"), 1u);
  EXPECT_EQ(p.client_h.count("on_connection_opened"), 1u);
  EXPECT_EQ(p.snd.state(), endpoint_state::active);
  // Connected: the delays start over.
  ASSERT_TRUE(p.net.drop(p.conn));
  p.net.advance(100ms);
  EXPECT_EQ(p.net.attempts.back(), "3200ms broker:5672 connected");
}

TEST(reconnect_messaging, a_lost_connection_fails_over_to_the_next_url) {
  reconnect_pair p;
  auto backup = p.server.listen("amqp://backup:5672", p.server_options());
  ASSERT_TRUE(backup);
  connection_options co;
  co.failover = {*parse_url("amqp://backup:5672")};
  p.start(co, true);
  EXPECT_EQ(p.conn.address().host, "broker");
  p.server_listener.close();
  ASSERT_TRUE(p.net.drop(p.conn));
  p.net.advance(100ms);
  EXPECT_EQ(p.net.attempts,
            (std::vector<std::string>{"0ms broker:5672 connected", "100ms backup:5672 connected"}));
  EXPECT_EQ(p.conn.address().host, "backup");
  EXPECT_EQ(p.client_h.count("on_reconnected"), 1u);
  p.send(1);
  EXPECT_EQ(p.client_h.count("on_accepted"), 1u);
}

TEST(reconnect_messaging, the_first_connection_tries_every_url_without_waiting) {
  messaging_pair p;
  auto backup = p.server.listen("amqp://backup:5672", p.server_options());
  ASSERT_TRUE(backup);
  connection_options co;
  co.failover = {*parse_url("amqp://backup:5672")};
  auto c = p.connect(co);
  p.net.run();
  EXPECT_EQ(p.net.attempts,
            (std::vector<std::string>{"0ms broker:5672 refused", "0ms backup:5672 connected"}));
  EXPECT_EQ(p.client_h.only({"on_transport_error", "on_disconnected", "on_connection_opened",
                             "on_reconnected"}),
            (calls{"on_transport_error amqp:connection:forced", "on_disconnected",
                   "on_connection_opened"}));
  EXPECT_FALSE(c.reconnected());
}

// An at-least-once sender that resends what was in doubt gets every message through.
TEST(reconnect_messaging, an_at_least_once_sender_resending_in_doubt_messages_loses_nothing) {
  messaging_pair p;
  p.listen();
  const int total = 40;
  int next = 0;
  std::vector<int> resend;
  std::unordered_map<tracker, int> body_of;
  std::set<int> confirmed;
  const auto send_what_we_can = [&](sender s) {
    while (s.credit() > 0 && (!resend.empty() || next < total)) {
      int n;
      if (!resend.empty()) {
        n = resend.front();
        resend.erase(resend.begin());
      } else {
        n = next++;
      }
      auto t = s.send(text_message(numbered("m", n)));
      ASSERT_TRUE(t) << t.error().message();
      body_of[*t] = n;
    }
  };
  p.client_h.on("on_sendable", [&](messaging_event& e) { send_what_we_can(e.sender()); });
  p.client_h.on("on_in_doubt", [&](messaging_event& e) {
    auto it = body_of.find(e.tracker());
    ASSERT_NE(it, body_of.end());
    resend.push_back(it->second);
    body_of.erase(it);
  });
  p.client_h.on("on_accepted", [&](messaging_event& e) {
    auto it = body_of.find(e.tracker());
    ASSERT_NE(it, body_of.end());
    confirmed.insert(it->second);
    body_of.erase(it);
  });
  // The connection drops after the 7th, the 23rd and the 31st message arrive.
  int arrived = 0;
  p.server_h.on("on_message", [&](messaging_event& e) {
    ++arrived;
    if (arrived == 7 || arrived == 23 || arrived == 31) p.net.drop(e.connection());
  });
  auto c = p.connect();
  c.open_sender("queue", {.mode = delivery_mode::at_least_once});
  p.net.run();
  p.net.advance(10s);
  EXPECT_EQ(p.client_h.count("on_reconnected"), 3u);
  std::set<int> received;
  for (const message& m : p.server_h.messages()) received.insert(std::stoi(body_text(m).substr(1)));
  EXPECT_EQ(received.size(), static_cast<std::size_t>(total));
  EXPECT_EQ(confirmed.size(), static_cast<std::size_t>(total));
  EXPECT_GE(p.server_h.messages().size(), static_cast<std::size_t>(total));
  EXPECT_TRUE(resend.empty());
}

TEST(reconnect_messaging, with_reconnect_off_the_connection_ends_with_the_first_loss) {
  reconnect_pair p;
  p.start({.reconnect = false}, true);
  ASSERT_TRUE(p.net.drop(p.conn));
  EXPECT_TRUE(p.net.finished(p.conn));
  p.net.advance(60s);
  EXPECT_EQ(p.net.attempts.size(), 1u);
  EXPECT_EQ(p.client_h.only({"on_transport_error", "on_disconnected", "on_reconnected"}),
            (calls{"on_transport_error amqp:connection:framing-error", "on_disconnected"}));
  EXPECT_EQ(p.conn.state(), endpoint_state::closed);
  EXPECT_EQ(p.snd.state(), endpoint_state::closed);
  EXPECT_FALSE(p.conn.post([] {}));
}

TEST(reconnect_messaging, closing_the_connection_while_waiting_stops_the_attempts) {
  reconnect_pair p;
  p.start({}, true);
  p.server_listener.close();
  ASSERT_TRUE(p.net.drop(p.conn));
  p.net.advance(150ms);
  EXPECT_EQ(p.net.attempts.size(), 2u);
  p.conn.close();
  EXPECT_TRUE(p.net.finished(p.conn));
  p.listen();
  p.net.advance(60s);
  EXPECT_EQ(p.net.attempts.size(), 2u);
  EXPECT_EQ(p.conn.state(), endpoint_state::closed);
  EXPECT_EQ(p.client_h.count("on_reconnected"), 0u);
}

TEST(reconnect_messaging, closing_from_a_disconnected_handler_stops_the_attempts) {
  reconnect_pair p;
  p.client_h.on("on_disconnected", [](messaging_event& e) { e.connection().close(); });
  p.start({}, true);
  ASSERT_TRUE(p.net.drop(p.conn));
  EXPECT_TRUE(p.net.finished(p.conn));
  p.net.advance(10s);
  EXPECT_EQ(p.net.attempts.size(), 1u);
}

TEST(reconnect_messaging, a_peer_closing_with_connection_forced_is_reconnected_to) {
  reconnect_pair p;
  p.start({}, true);
  p.server_connection().close(condition{"amqp:connection:forced", "broker restarting", {}});
  p.net.pump();
  EXPECT_EQ(p.client_h.only({"on_connection_error", "on_connection_closed", "on_transport_error",
                             "on_disconnected"}),
            (calls{"on_transport_error amqp:connection:forced", "on_disconnected"}));
  EXPECT_FALSE(p.net.finished(p.conn));
  p.net.advance(100ms);
  EXPECT_EQ(p.client_h.count("on_reconnected"), 1u);
  EXPECT_EQ(p.snd.state(), endpoint_state::active);
}

TEST(reconnect_messaging, a_peer_closing_with_another_error_is_final) {
  reconnect_pair p;
  p.start({}, true);
  p.server_connection().close(condition{"amqp:unauthorized-access", "go away", {}});
  p.net.advance(10s);
  EXPECT_EQ(p.client_h.only({"on_connection_error", "on_connection_closed", "on_transport_error",
                             "on_disconnected"}),
            (calls{"on_connection_error amqp:unauthorized-access",
                   "on_connection_closed amqp:unauthorized-access", "on_disconnected"}));
  EXPECT_TRUE(p.net.finished(p.conn));
  EXPECT_EQ(p.net.attempts.size(), 1u);
}

TEST(reconnect_messaging, links_closed_before_the_loss_stay_closed) {
  reconnect_pair p;
  p.start({}, true);
  p.rcv.close();
  p.net.pump();
  ASSERT_EQ(p.rcv.state(), endpoint_state::closed);
  ASSERT_TRUE(p.net.drop(p.conn));
  p.net.advance(100ms);
  EXPECT_EQ(p.snd.state(), endpoint_state::active);
  EXPECT_EQ(p.rcv.state(), endpoint_state::closed);
  EXPECT_EQ(sent_with(p.client_trace, "@attach").size(), 3u);  // two, then the sender again
}

TEST(reconnect_messaging, a_session_the_peer_ended_with_unsettled_messages_reports_them_in_doubt) {
  reconnect_pair p;
  p.start();
  p.send(2);
  session server_session = p.server_h.last("on_message")->session;
  server_session.close(condition{"amqp:internal-error", "oops", {}});
  p.net.pump();
  EXPECT_EQ(p.client_h.only({"on_in_doubt", "on_session_error", "on_session_closed"}),
            (calls{"on_session_error amqp:internal-error", "on_session_closed amqp:internal-error",
                   "on_in_doubt", "on_in_doubt"}));
}

TEST(reconnect_messaging, bytes_crossing_one_at_a_time_change_nothing) {
  reconnect_pair p;
  p.net.chunk = 1;
  p.start({}, true);
  p.send(3);
  ASSERT_TRUE(p.net.drop(p.conn));
  p.net.advance(100ms);
  p.send(3);
  EXPECT_EQ(p.server_h.count("on_message"), 6u);
  EXPECT_EQ(p.client_h.count("on_accepted"), 6u);
  EXPECT_EQ(p.client_h.count("on_reconnected"), 1u);
}

}  // namespace
}  // namespace amqp::test
