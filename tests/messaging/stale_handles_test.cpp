// Handles kept after what they name is gone: queries answer as for something closed, commands
// return errors, nothing crashes (the asan build checks the lifetimes).
#include <gtest/gtest.h>

#include <memory>

#include "fixture.hpp"

namespace amqp::test {
namespace {

// Every query and command of each handle, checked to answer as closed or fail.
void expect_all_closed(connection c, session s, sender snd, receiver rcv, tracker t, delivery d) {
  EXPECT_EQ(c.state(), endpoint_state::closed);
  EXPECT_FALSE(c.remote_open());
  EXPECT_FALSE(c.peer_offers("ANONYMOUS-RELAY"));
  EXPECT_EQ(c.remote_container_id(), "");
  EXPECT_FALSE(c.authentication());
  EXPECT_FALSE(c.tls());
  EXPECT_FALSE(c.post([] { ADD_FAILURE() << "ran on a closed connection"; }));
  c.open();
  c.close();
  EXPECT_EQ(c.state(), endpoint_state::closed);

  EXPECT_EQ(s.state(), endpoint_state::closed);
  EXPECT_FALSE(s.status());
  s.open();
  s.close();
  EXPECT_EQ(s.open_sender("q").state(), endpoint_state::closed);
  EXPECT_EQ(c.open_session().state(), endpoint_state::closed);
  EXPECT_EQ(c.open_receiver("q").state(), endpoint_state::closed);

  EXPECT_EQ(snd.state(), endpoint_state::closed);
  EXPECT_FALSE(snd.status());
  EXPECT_EQ(snd.credit(), 0u);
  EXPECT_FALSE(snd.send(text_message("late")));
  writer w;
  ASSERT_FALSE(encode_message(w, text_message("late")));
  EXPECT_FALSE(snd.send_encoded(w.view()));
  EXPECT_TRUE(snd.complete_drain());
  snd.open();
  snd.close();
  snd.detach();
  EXPECT_FALSE(snd.name().empty());

  EXPECT_EQ(rcv.state(), endpoint_state::closed);
  EXPECT_TRUE(rcv.add_credit(1));
  EXPECT_TRUE(rcv.drain());
  rcv.open();
  rcv.close();

  EXPECT_TRUE(t.settled());
  EXPECT_FALSE(t.remote_settled());
  EXPECT_TRUE(t.tag().empty());
  EXPECT_EQ(t.remote_state().kind, delivery_state::type::none);
  EXPECT_EQ(t.settle(), make_error_code(errc::invalid_handle));
  EXPECT_EQ(t.sender(), snd);

  EXPECT_TRUE(d.settled());
  EXPECT_TRUE(d.payload().empty());
  EXPECT_TRUE(d.tag().empty());
  EXPECT_EQ(d.accept(), make_error_code(errc::invalid_handle));
  EXPECT_EQ(d.reject(), make_error_code(errc::invalid_handle));
  EXPECT_EQ(d.release(), make_error_code(errc::invalid_handle));
  EXPECT_EQ(d.modify(true), make_error_code(errc::invalid_handle));
  EXPECT_EQ(d.update(delivery_state::received(0, 0)), make_error_code(errc::invalid_handle));
  EXPECT_EQ(d.settle(), make_error_code(errc::invalid_handle));
}

struct kept {
  connection conn;
  session sess;
  sender snd;
  receiver rcv;
  tracker trk;
  delivery dlv;
};

// Opens a sender and a receiver, sends a message each way, leaves the server's delivery and
// the client's tracker unsettled, and keeps every handle.
kept open_and_keep(messaging_pair& p) {
  kept k;
  p.listen();
  p.server_h.on("on_link_opened", [](messaging_event& e) {
    if (e.receiver().is_set()) e.receiver().open({.auto_accept = false});
  });
  p.server_h.on("on_sendable", [](messaging_event& e) {
    if (e.sender().status()->delivery_count == 0) {
      EXPECT_TRUE(e.sender().send(text_message("to client")));
    }
  });
  p.client_h.on("on_message", [&k](messaging_event& e) { k.dlv = e.delivery(); });
  k.conn = p.connect({.reconnect = false});
  k.sess = k.conn.default_session();
  k.snd = k.conn.open_sender("in");
  k.rcv = k.conn.open_receiver("out", {.auto_accept = false});
  p.net.run();
  auto t = k.snd.send(text_message("to server"));
  EXPECT_TRUE(t);
  if (t) k.trk = *t;
  p.net.pump();
  EXPECT_TRUE(k.dlv.is_set());
  EXPECT_FALSE(k.trk.settled());
  EXPECT_FALSE(k.dlv.settled());
  return k;
}

TEST(stale_handles, after_a_clean_close_every_handle_answers_as_closed) {
  messaging_pair p;
  kept k = open_and_keep(p);
  k.conn.close();
  p.net.pump();
  ASSERT_TRUE(p.net.finished(k.conn));
  expect_all_closed(k.conn, k.sess, k.snd, k.rcv, k.trk, k.dlv);
}

TEST(stale_handles, after_a_lost_transport_without_reconnect_every_handle_answers_as_closed) {
  messaging_pair p;
  kept k = open_and_keep(p);
  ASSERT_TRUE(p.net.drop(k.conn));
  ASSERT_TRUE(p.net.finished(k.conn));
  expect_all_closed(k.conn, k.sess, k.snd, k.rcv, k.trk, k.dlv);
  // The server's handles too.
  const seen_event* m = p.server_h.last("on_message");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->connection.state(), endpoint_state::closed);
  EXPECT_EQ(m->receiver.state(), endpoint_state::closed);
  delivery d = m->delivery;
  EXPECT_EQ(d.accept(), make_error_code(errc::invalid_handle));
}

TEST(stale_handles, handles_outlive_the_containers_and_the_network) {
  kept k;
  {
    auto p = std::make_unique<messaging_pair>();
    k = open_and_keep(*p);
  }
  // The drivers are gone: the connection is over for the application.
  EXPECT_EQ(k.conn.state(), endpoint_state::closed);
  EXPECT_FALSE(k.snd.send(text_message("nobody listens")));
  EXPECT_EQ(k.trk.settle(), make_error_code(errc::invalid_handle));
  EXPECT_EQ(k.dlv.accept(), make_error_code(errc::invalid_handle));
  EXPECT_FALSE(k.conn.post([] {}));
  EXPECT_TRUE(k.rcv.add_credit(1));
  k.conn.close();
  k.snd.close();
}

TEST(stale_handles, handles_of_an_earlier_transport_do_not_reach_the_new_one) {
  messaging_pair p;
  kept k;
  p.listen();
  p.server_h.on("on_link_opened", [](messaging_event& e) {
    if (e.receiver().is_set()) e.receiver().open({.auto_accept = false});
  });
  k.conn = p.connect();
  k.snd = k.conn.open_sender("in");
  p.net.run();
  auto t = k.snd.send(text_message("one"));
  ASSERT_TRUE(t);
  p.net.pump();
  delivery old = p.server_h.last("on_message")->delivery;
  ASSERT_TRUE(p.net.drop(k.conn));
  p.net.advance(100ms);
  ASSERT_EQ(k.snd.state(), endpoint_state::active);
  auto t2 = k.snd.send(text_message("two"));
  ASSERT_TRUE(t2);
  p.net.pump();
  // Same delivery slots on the new engines, other transports: the old handles are stale.
  EXPECT_NE(*t, *t2);
  EXPECT_TRUE(t->settled());
  EXPECT_EQ(t->settle(), make_error_code(errc::invalid_handle));
  EXPECT_FALSE(t2->settled());
  EXPECT_EQ(old.accept(), make_error_code(errc::invalid_handle));
  EXPECT_EQ(p.client_h.count("on_accepted"), 0u);
}

TEST(stale_handles, default_handles_are_harmless) {
  session s;
  sender snd;
  receiver rcv;
  tracker t;
  delivery d;
  link l;
  EXPECT_FALSE(s.is_set());
  EXPECT_EQ(s.state(), endpoint_state::closed);
  EXPECT_FALSE(s.open_sender("q").is_set());
  EXPECT_EQ(snd.state(), endpoint_state::closed);
  EXPECT_EQ(snd.send(text_message("x")).error(), make_error_code(errc::invalid_handle));
  EXPECT_EQ(snd.credit(), 0u);
  EXPECT_TRUE(snd.name().empty());
  EXPECT_TRUE(snd.address().empty());
  EXPECT_FALSE(snd.error());
  EXPECT_TRUE(rcv.add_credit(1));
  EXPECT_EQ(t.settle(), make_error_code(errc::invalid_handle));
  EXPECT_TRUE(t.settled());
  EXPECT_EQ(d.accept(), make_error_code(errc::invalid_handle));
  EXPECT_FALSE(l.connection().is_set());
  EXPECT_FALSE(l.session().is_set());
  l.close();
  snd.open();
  rcv.open();
  s.close();
  connection c;
  EXPECT_EQ(c.state(), endpoint_state::closed);
  EXPECT_FALSE(c.post([] {}));
  c.close();
  c.open();
  EXPECT_FALSE(c.open_sender("q").is_set());
  EXPECT_FALSE(c.default_session().is_set());
}

}  // namespace
}  // namespace amqp::test
