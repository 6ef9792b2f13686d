// The handler's calls for the life of a connection, its sessions, links and messages, in
// order, and what each event names.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "fixture.hpp"

namespace amqp::test {
namespace {

using calls = std::vector<std::string>;

// A client that sends `total` messages to "queue" as credit allows, through a server with
// default answers.
struct sending_pair : messaging_pair {
  int total = 3;
  int sent = 0;
  connection conn;
  sender snd;
  std::vector<tracker> trackers;

  void start(sender_options so = {}) {
    listen();
    client_h.on("on_start", [this, so](messaging_event& e) {
      conn = e.container().connect(broker_url, client_options());
      snd = conn.open_sender("queue", so);
    });
    client_h.on("on_sendable", [this](messaging_event& e) {
      while (e.sender().credit() > 0 && sent < total) {
        auto t = e.sender().send(text_message(numbered("m", sent++)));
        ASSERT_TRUE(t) << t.error().message();
        trackers.push_back(*t);
      }
    });
    net.run();
  }
};

TEST(handler_events, a_sender_and_a_receiver_see_the_whole_life_of_a_conversation) {
  sending_pair p;
  int settled = 0;
  p.client_h.on("on_settled", [&](messaging_event& e) {
    if (++settled == 3) e.connection().close();
  });
  p.start();
  EXPECT_EQ(p.client_h.calls,
            (calls{"on_start", "on_connection_opened", "on_session_opened", "on_link_opened",
                   "on_sendable", "on_accepted", "on_settled", "on_accepted", "on_settled",
                   "on_accepted", "on_settled", "on_connection_closed", "on_disconnected"}));
  EXPECT_EQ(p.server_h.calls, (calls{"on_start", "on_connection_opened", "on_session_opened",
                                     "on_link_opened", "on_message", "on_message", "on_message",
                                     "on_connection_closed", "on_disconnected"}));
  auto msgs = p.server_h.messages();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(body_text(msgs[0]), "m0");
  EXPECT_EQ(body_text(msgs[2]), "m2");
  EXPECT_TRUE(p.net.finished(p.conn));
  EXPECT_EQ(p.conn.state(), endpoint_state::closed);
}

// The same conversation with bytes crossing in pieces of every size: the handler cannot tell.
class handler_events_chunked : public testing::TestWithParam<std::size_t> {};

TEST_P(handler_events_chunked, the_calls_do_not_depend_on_how_bytes_are_cut) {
  sending_pair p;
  p.net.chunk = GetParam();
  p.total = 5;
  int settled = 0;
  p.client_h.on("on_settled", [&](messaging_event& e) {
    if (++settled == 5) e.connection().close();
  });
  p.start();
  EXPECT_EQ(
      p.client_h.only({"on_connection_opened", "on_link_opened", "on_accepted",
                       "on_connection_closed", "on_disconnected"}),
      (calls{"on_connection_opened", "on_link_opened", "on_accepted", "on_accepted", "on_accepted",
             "on_accepted", "on_accepted", "on_connection_closed", "on_disconnected"}));
  EXPECT_EQ(p.server_h.count("on_message"), 5u);
  EXPECT_EQ(p.client_h.count("on_transport_error"), 0u);
  EXPECT_EQ(p.server_h.count("on_transport_error"), 0u);
  EXPECT_TRUE(p.net.finished(p.conn));
}

INSTANTIATE_TEST_SUITE_P(chunks, handler_events_chunked, testing::Values(0, 1, 2, 7, 64, 512));

TEST(handler_events, each_event_names_the_container_connection_and_endpoints_it_concerns) {
  sending_pair p;
  p.total = 2;
  p.start();
  ASSERT_EQ(p.trackers.size(), 2u);

  for (const seen_event& s : p.client_h.events) EXPECT_EQ(s.container, &p.client) << s.what;
  for (const seen_event& s : p.server_h.events) EXPECT_EQ(s.container, &p.server) << s.what;

  const seen_event* opened = p.client_h.first("on_connection_opened");
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->connection, p.conn);
  EXPECT_FALSE(opened->session.is_set());
  EXPECT_FALSE(opened->sender.is_set());

  const seen_event* session = p.client_h.first("on_session_opened");
  ASSERT_TRUE(session);
  EXPECT_EQ(session->session, p.snd.session());
  EXPECT_EQ(session->session, p.conn.default_session());

  const seen_event* link = p.client_h.first("on_link_opened");
  ASSERT_TRUE(link);
  EXPECT_EQ(link->sender, p.snd);
  EXPECT_FALSE(link->receiver.is_set());
  EXPECT_EQ(link->session, p.snd.session());

  const seen_event* sendable = p.client_h.first("on_sendable");
  ASSERT_TRUE(sendable);
  EXPECT_EQ(sendable->sender, p.snd);

  // The outcomes name the trackers send() returned, in order.
  std::vector<tracker> accepted;
  for (const seen_event& s : p.client_h.events)
    if (s.what == "on_accepted") {
      EXPECT_EQ(s.sender, p.snd);
      EXPECT_EQ(s.connection, p.conn);
      EXPECT_EQ(s.tracker.sender(), p.snd);
      accepted.push_back(s.tracker);
    }
  EXPECT_EQ(accepted, p.trackers);

  // The server's on_message: its own connection and receiver, the delivery on that receiver.
  const connection server_conn = p.server_connection();
  ASSERT_TRUE(server_conn.is_set());
  EXPECT_NE(server_conn, p.conn);
  const seen_event* server_link = p.server_h.first("on_link_opened");
  ASSERT_TRUE(server_link);
  EXPECT_TRUE(server_link->receiver.is_set());
  EXPECT_EQ(server_link->receiver.name(), p.snd.name());
  for (const seen_event& s : p.server_h.events) {
    if (s.what != "on_message") continue;
    EXPECT_EQ(s.connection, server_conn);
    EXPECT_EQ(s.receiver, server_link->receiver);
    EXPECT_EQ(s.delivery.receiver(), s.receiver);
    EXPECT_EQ(s.delivery.connection(), server_conn);
    EXPECT_EQ(s.session, server_link->session);
    EXPECT_TRUE(s.message);
  }
  EXPECT_EQ(p.conn.remote_container_id(), "server");
  EXPECT_EQ(server_conn.remote_container_id(), "client");
  EXPECT_EQ(p.conn.container_id(), "client");
  EXPECT_EQ(p.conn.state(), endpoint_state::active);
  EXPECT_EQ(p.snd.state(), endpoint_state::active);
}

// The event the handler gets borrows the connection's state for the call; a copy the
// application keeps holds it like a handle does, and still names what the fact concerned once
// the connection is over (its endpoints then answer as closed).
TEST(handler_events, an_event_copied_in_a_handler_call_outlives_the_call_and_the_connection) {
  sending_pair p;
  p.total = 2;
  std::vector<messaging_event> messages;
  std::optional<messaging_event> accepted;
  p.server_h.on("on_message", [&](messaging_event& e) { messages.push_back(e); });
  p.client_h.on("on_accepted", [&](messaging_event& e) {
    if (accepted) {
      *accepted = e;  // assigned over a copy
    } else {
      accepted.emplace(e);
    }
  });
  p.client_h.on("on_settled", [&](messaging_event& e) {
    if (e.tracker() == p.trackers.back()) e.connection().close();
  });
  p.start();
  ASSERT_TRUE(p.net.finished(p.conn));
  ASSERT_EQ(messages.size(), 2u);
  const seen_event* link = p.server_h.first("on_link_opened");
  ASSERT_TRUE(link);
  for (const messaging_event& e : messages) {
    EXPECT_TRUE(e.connection().is_set());
    EXPECT_EQ(e.receiver(), link->receiver);
    EXPECT_FALSE(e.sender().is_set());
    EXPECT_EQ(e.link(), link->receiver);
    EXPECT_EQ(e.session(), link->session);
    EXPECT_TRUE(e.delivery().is_set());
    EXPECT_TRUE(e.delivery().settled());
    EXPECT_FALSE(e.tracker().is_set());
    EXPECT_EQ(e.connection().state(), endpoint_state::closed);
  }
  EXPECT_NE(messages[0].delivery(), messages[1].delivery());
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->tracker(), p.trackers.back());
  EXPECT_EQ(accepted->sender(), p.snd);
  EXPECT_EQ(accepted->connection(), p.conn);
  EXPECT_FALSE(accepted->delivery().is_set());
  EXPECT_EQ(accepted->sender().state(), endpoint_state::closed);
}

TEST(handler_events, closing_a_link_and_a_session_is_reported_on_both_sides) {
  sending_pair p;
  p.total = 0;
  p.start();
  p.client_h.clear();
  p.server_h.clear();
  p.snd.close();
  EXPECT_EQ(p.snd.state(), endpoint_state::closing);
  p.net.pump();
  EXPECT_EQ(p.client_h.calls, (calls{"on_link_closed"}));
  EXPECT_EQ(p.server_h.calls, (calls{"on_link_closed"}));
  EXPECT_EQ(p.snd.state(), endpoint_state::closed);

  p.snd.session().close();
  p.net.pump();
  EXPECT_EQ(p.client_h.calls, (calls{"on_link_closed", "on_session_closed"}));
  EXPECT_EQ(p.server_h.calls, (calls{"on_link_closed", "on_session_closed"}));
  EXPECT_EQ(p.snd.session().state(), endpoint_state::closed);

  p.conn.close();
  p.net.pump();
  EXPECT_EQ(p.client_h.only({"on_connection_closed", "on_disconnected"}),
            (calls{"on_connection_closed", "on_disconnected"}));
  EXPECT_EQ(p.server_h.only({"on_connection_closed", "on_disconnected"}),
            (calls{"on_connection_closed", "on_disconnected"}));
}

TEST(handler_events, a_close_the_peer_never_answers_still_ends_with_on_connection_closed) {
  sending_pair p;
  p.total = 0;
  p.start();
  p.client_h.clear();
  p.conn.close();
  ASSERT_TRUE(p.net.drop(p.conn));  // before the close crossed
  EXPECT_EQ(p.client_h.calls, (calls{"on_transport_error amqp:connection:framing-error",
                                     "on_connection_closed", "on_disconnected"}));
  EXPECT_TRUE(p.net.finished(p.conn));
  EXPECT_EQ(p.conn.state(), endpoint_state::closed);
}

TEST(handler_events, a_close_during_sasl_ends_with_on_connection_closed) {
  messaging_pair p;
  p.listen();
  auto c = p.connect();
  // Runs right after the transport started, before a byte crossed.
  p.client.schedule(0ms, [&] { c.close(); });
  p.net.run();
  EXPECT_EQ(p.client_h.calls, (calls{"on_start", "on_connection_closed", "on_disconnected"}));
  EXPECT_TRUE(p.net.finished(c));
  EXPECT_EQ(c.state(), endpoint_state::closed);
  EXPECT_TRUE(sent_with(p.client_trace, "@open").empty());
}

TEST(handler_events, a_peer_closing_with_an_error_gives_the_error_hook_then_the_close) {
  sending_pair p;
  p.total = 0;
  p.server_h.on("on_link_opened", [](messaging_event& e) {
    e.link().close(condition{"amqp:not-found", "no queue here", {}});
  });
  p.start();
  EXPECT_EQ(p.client_h.only({"on_link_opened", "on_link_error", "on_link_closed"}),
            (calls{"on_link_error amqp:not-found", "on_link_closed amqp:not-found"}));
  const seen_event* err = p.client_h.last("on_link_error");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->sender, p.snd);
  EXPECT_EQ(err->error->description, "no queue here");
  EXPECT_EQ(p.snd.error()->name, "amqp:not-found");
  EXPECT_EQ(p.snd.state(), endpoint_state::closed);
  // The connection goes on: the recorder's error hook does not close it.
  EXPECT_EQ(p.conn.state(), endpoint_state::active);

  p.server_h.on("on_session_opened", [](messaging_event& e) {
    e.session().close(condition{"amqp:resource-limit-exceeded", "too many sessions", {}});
  });
  auto s = p.conn.open_session();
  p.net.pump();
  EXPECT_EQ(p.client_h.only({"on_session_error", "on_session_closed"}),
            (calls{"on_session_error amqp:resource-limit-exceeded",
                   "on_session_closed amqp:resource-limit-exceeded"}));
  EXPECT_EQ(p.client_h.last("on_session_closed")->session, s);
  EXPECT_EQ(s.state(), endpoint_state::closed);

  p.server_connection().close(condition{"amqp:internal-error", "shutting down", {}});
  p.net.pump();
  EXPECT_EQ(p.client_h.only({"on_connection_error", "on_connection_closed", "on_disconnected",
                             "on_transport_error"}),
            (calls{"on_connection_error amqp:internal-error",
                   "on_connection_closed amqp:internal-error", "on_disconnected"}));
  EXPECT_EQ(p.conn.error()->description, "shutting down");
  // Not forced: no reconnect.
  EXPECT_TRUE(p.net.finished(p.conn));
  p.net.advance(60s);
  EXPECT_EQ(p.net.attempts.size(), 1u);
}

TEST(handler_events, the_default_error_hook_closes_the_connection) {
  sending_pair p;
  p.total = 0;
  p.client_h.defaults = true;
  p.server_h.on("on_link_opened", [](messaging_event& e) {
    e.link().close(condition{"amqp:unauthorized-access", "not yours", {}});
  });
  p.start();
  // The default hook reports through the container (the Asio one writes to stderr).
  std::string printed;
  for (const std::string& line : p.client.errors) printed += line + '\n';
  EXPECT_NE(printed.find("amqp:unauthorized-access: not yours"), std::string::npos) << printed;
  EXPECT_NE(printed.find("sender '" + p.snd.name() + "' (queue)"), std::string::npos) << printed;
  EXPECT_EQ(p.client_h.only({"on_link_error", "on_error", "on_link_closed", "on_connection_closed",
                             "on_disconnected"}),
            (calls{"on_link_error amqp:unauthorized-access", "on_error amqp:unauthorized-access",
                   "on_link_closed amqp:unauthorized-access", "on_connection_closed",
                   "on_disconnected"}));
  EXPECT_TRUE(p.net.finished(p.conn));
}

// The server answers each message with the outcome its body names.
TEST(handler_events, every_outcome_reaches_the_sender_then_its_settlement) {
  sending_pair p;
  p.total = 0;
  p.server_h.on("on_message", [](messaging_event& e) {
    const std::string body = body_text(e.message());
    std::error_code ec;
    if (body == "reject")
      ec = e.delivery().reject(condition{"amqp:precondition-failed", "bad order", {}});
    else if (body == "release")
      ec = e.delivery().release();
    else if (body == "modify")
      ec = e.delivery().modify(true, true);
    EXPECT_FALSE(ec) << ec.message();
  });
  p.start();
  for (const char* body : {"accept", "reject", "release", "modify"})
    ASSERT_TRUE(p.snd.send(text_message(body)));
  p.net.pump();
  EXPECT_EQ(
      p.client_h.only({"on_accepted", "on_rejected", "on_released", "on_modified", "on_settled"}),
      (calls{"on_accepted", "on_settled", "on_rejected amqp:precondition-failed",
             "on_settled amqp:precondition-failed", "on_released", "on_settled", "on_modified",
             "on_settled"}));
  const seen_event* rejected = p.client_h.last("on_rejected");
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->error->description, "bad order");
  const seen_event* modified = p.client_h.last("on_modified");
  ASSERT_TRUE(modified);
  // Settled by the sender too (auto_settle): the tracker is gone.
  EXPECT_TRUE(modified->tracker.settled());
}

TEST(handler_events, a_drain_is_started_at_the_sender_and_reported_drained_at_the_receiver) {
  messaging_pair p;
  p.listen();
  int available = 2;
  p.server_h.on("on_sendable", [&](messaging_event& e) {
    while (available > 0 && e.sender().credit() > 0) {
      ASSERT_TRUE(e.sender().send(text_message("x")));
      --available;
    }
  });
  auto c = p.connect();
  auto r = c.open_receiver("queue", {.credit_window = 0});
  p.net.run();
  EXPECT_EQ(p.server_h.count("on_sendable"), 0u);  // no credit yet
  ASSERT_FALSE(r.add_credit(5));
  ASSERT_FALSE(r.drain());
  p.net.pump();
  EXPECT_EQ(p.server_h.only({"on_sendable", "on_sender_drain_start"}),
            (calls{"on_sendable", "on_sender_drain_start"}));
  EXPECT_EQ(p.client_h.only({"on_message", "on_receiver_drained"}),
            (calls{"on_message", "on_message", "on_receiver_drained"}));
  EXPECT_EQ(p.client_h.last("on_receiver_drained")->receiver, r);
  ASSERT_TRUE(r.status());
  EXPECT_EQ(r.status()->credit, 0u);
  EXPECT_EQ(p.server_h.last("on_sender_drain_start")->sender.credit(), 0u);
}

TEST(handler_events, a_sender_may_complete_a_drain_itself) {
  messaging_pair p;
  p.listen();
  p.server_h.on("on_sender_drain_start", [](messaging_event& e) {
    EXPECT_TRUE(e.sender().status()->drain);
    EXPECT_FALSE(e.sender().complete_drain());
    EXPECT_EQ(e.sender().credit(), 0u);
  });
  auto c = p.connect();
  auto r = c.open_receiver("queue", {.credit_window = 0});
  p.net.run();
  ASSERT_FALSE(r.add_credit(3));
  ASSERT_FALSE(r.drain());
  p.net.pump();
  EXPECT_EQ(p.client_h.only({"on_receiver_drained"}), (calls{"on_receiver_drained"}));
  EXPECT_EQ(sent_with(p.server_trace, "@flow").size(), 1u);
}

TEST(handler_events, a_refused_connection_is_a_transport_error_then_disconnected) {
  messaging_pair p;  // nothing listens
  auto c = p.connect({.reconnect = false});
  p.net.run();
  EXPECT_EQ(p.client_h.calls,
            (calls{"on_start", "on_transport_error amqp:connection:forced", "on_disconnected"}));
  const seen_event* err = p.client_h.last("on_transport_error");
  EXPECT_EQ(err->connection, c);
  EXPECT_NE(err->error->description.find("broker:5672"), std::string::npos);
  EXPECT_NE(err->error->description.find("connection refused"), std::string::npos);
  EXPECT_TRUE(p.net.finished(c));
  EXPECT_EQ(p.net.attempts, (std::vector<std::string>{"0ms broker:5672 refused"}));
}

TEST(handler_events, a_bad_url_is_a_transport_error_naming_it_and_no_attempt) {
  messaging_pair p;
  p.listen();
  connection c;
  p.client_h.on("on_start", [&](messaging_event& e) { c = e.container().connect("amqp://:bad"); });
  p.net.run();
  EXPECT_EQ(p.client_h.calls,
            (calls{"on_start", "on_transport_error amqp:invalid-field", "on_disconnected"}));
  const seen_event* err = p.client_h.last("on_transport_error");
  ASSERT_TRUE(err->error);
  EXPECT_NE(err->error->description.find("amqp://:bad"), std::string::npos)
      << err->error->description;
  EXPECT_EQ(err->connection, c);
  EXPECT_TRUE(p.net.attempts.empty());
  EXPECT_TRUE(p.net.finished(c));
  EXPECT_EQ(c.state(), endpoint_state::closed);
  // Its handles answer as closed ones.
  auto s = c.open_sender("q");
  EXPECT_EQ(s.state(), endpoint_state::closed);
  EXPECT_FALSE(s.send(text_message("x")));
  EXPECT_FALSE(c.post([] {}));
}

TEST(handler_events, the_container_level_open_calls_connect_to_the_urls_host_and_address) {
  messaging_pair p;
  p.listen();
  receiver r;
  p.client_h.on("on_start", [&](messaging_event& e) {
    r = e.container().open_receiver("amqp://broker:5672/orders");
  });
  p.net.run();
  EXPECT_EQ(r.address(), "orders");
  EXPECT_EQ(r.state(), endpoint_state::active);
  EXPECT_EQ(r.connection().address().host, "broker");
  const seen_event* server_link = p.server_h.first("on_link_opened");
  ASSERT_TRUE(server_link);
  EXPECT_EQ(server_link->sender.address(), "orders");
}

}  // namespace
}  // namespace amqp::test
