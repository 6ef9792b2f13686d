// message_receiver on the virtual clock: peek_lock settled by the application's outcome,
// receive_and_delete, prefetch bounding what is buffered, receive(timeout) in order.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp/client/message_receiver.hpp"
#include "fixture.hpp"

namespace amqp::client {
namespace {

using namespace std::chrono_literals;
using test::body_text;
using test::text_message;

// A server that sends `total` messages on every link a client receives from.
struct receiver_bench : test::messaging_pair {
  int total = 3;
  int sent = 0;
  connection conn;
  message_receiver rcv;

  void serve() {
    server_h.on("on_sendable", [this](messaging_event& e) {
      while (e.sender().credit() > 0 && sent < total)
        ASSERT_TRUE(e.sender().send(text_message(test::numbered("m", sent++))));
    });
  }
  void start(message_receiver_options o = {}, message_callback cb = {}) {
    listen();
    serve();
    conn = connect();
    rcv = message_receiver(conn, "queue", std::move(o), std::move(cb));
    rcv.open();
    net.run();
  }
};

TEST(message_receiver, peek_lock_asks_for_second_and_the_applications_outcome_settles) {
  receiver_bench b;
  std::vector<received_message> got;
  b.start({}, [&](received_message& m) { got.push_back(m); });
  const auto attach = test::sent_with(b.client_trace, "@attach");
  ASSERT_EQ(attach.size(), 1u);
  EXPECT_NE(attach[0].find("rcv-settle-mode: second"), std::string::npos) << attach[0];
  EXPECT_NE(attach[0].find("snd-settle-mode: unsettled"), std::string::npos) << attach[0];
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(body_text(got[0].message()), "m0");
  EXPECT_FALSE(got[0].settled());
  EXPECT_EQ(b.server_h.count("on_accepted"), 0u);
  ASSERT_FALSE(got[0].accept());
  ASSERT_FALSE(got[1].reject(condition{"app:invalid-order", "no customer", {}}));
  ASSERT_FALSE(got[2].release());
  b.net.pump();
  EXPECT_EQ(b.server_h.only({"on_accepted", "on_rejected", "on_released"}),
            (std::vector<std::string>{"on_accepted", "on_rejected app:invalid-order",
                                      "on_released"}));
  // Settled once the sender settled: no second outcome.
  EXPECT_EQ(got[0].accept(), make_error_code(errc::wrong_state));
}

TEST(message_receiver, receive_and_delete_takes_messages_sent_settled) {
  receiver_bench b;
  std::vector<received_message> got;
  b.start({.receive_settle_mode = receive_settle_mode::receive_and_delete},
          [&](received_message& m) {
            EXPECT_EQ(m.accept(), make_error_code(errc::wrong_state));
            got.push_back(m);
          });
  const auto attach = test::sent_with(b.client_trace, "@attach");
  EXPECT_NE(attach[0].find("snd-settle-mode: settled"), std::string::npos) << attach[0];
  EXPECT_EQ(got.size(), 3u);
}

TEST(message_receiver, receive_hands_over_in_order_and_times_out_with_nothing) {
  receiver_bench b;
  b.total = 2;
  b.start({.receive_settle_mode = receive_settle_mode::receive_and_delete});
  EXPECT_EQ(b.rcv.buffered(), 2u);
  std::vector<std::string> got;
  auto take = [&](std::optional<received_message> m) {
    got.push_back(m ? body_text(m->message()) : std::string("nothing"));
  };
  b.rcv.receive(1s, take);
  b.rcv.receive(1s, take);
  b.rcv.receive(1s, take);
  EXPECT_EQ(got, (std::vector<std::string>{"m0", "m1"}));
  b.net.advance(999ms);
  EXPECT_EQ(got.size(), 2u);
  b.net.advance(1ms);
  EXPECT_EQ(got, (std::vector<std::string>{"m0", "m1", "nothing"}));
}

TEST(message_receiver, a_waiting_receive_gets_the_next_message_to_arrive) {
  receiver_bench b;
  b.total = 0;
  b.start();
  std::optional<std::string> got;
  b.rcv.receive(10s, [&](std::optional<received_message> m) {
    got = m ? body_text(m->message()) : "nothing";
    if (m) (void)m->accept();
  });
  b.net.advance(1s);
  EXPECT_FALSE(got);
  b.total = 1;
  for (const test::seen_event& s : b.server_h.events)
    if (s.what == "on_link_opened") {
      sender snd = s.sender;
      ASSERT_TRUE(snd.send(text_message("late")));
    }
  b.net.pump();
  EXPECT_EQ(got, "late");
  // The receive's timeout went with it: nothing is left to wait for.
  EXPECT_FALSE(b.net.next_due());
}

TEST(message_receiver, prefetch_bounds_what_is_buffered_and_credit_follows_what_is_taken) {
  receiver_bench b;
  b.total = 100;
  b.start({.receive_settle_mode = receive_settle_mode::receive_and_delete, .prefetch = 10});
  EXPECT_EQ(b.rcv.buffered(), 10u);
  EXPECT_EQ(b.sent, 10);
  int taken = 0;
  for (int i = 0; i < 4; ++i) b.rcv.receive(1s, [&](auto) { ++taken; });
  b.net.pump();
  EXPECT_EQ(taken, 4);
  EXPECT_EQ(b.sent, 10);  // 6 buffered: above half the window, no credit yet
  b.rcv.receive(1s, [&](auto) { ++taken; });
  b.net.pump();
  EXPECT_EQ(b.sent, 15);  // 5 buffered: topped up to 10 again
  EXPECT_EQ(b.rcv.buffered(), 10u);
}

TEST(message_receiver, destroy_closes_the_link_and_waiting_receives_get_nothing) {
  receiver_bench b;
  b.total = 0;
  b.start();
  int nothing = 0;
  b.rcv.receive(10s, [&](std::optional<received_message> m) { nothing += !m; });
  b.rcv.destroy();
  EXPECT_EQ(nothing, 1);
  b.net.pump();
  const auto detach = test::sent_with(b.client_trace, "@detach");
  ASSERT_EQ(detach.size(), 1u);
  EXPECT_NE(detach[0].find("closed: true"), std::string::npos);
  EXPECT_EQ(b.rcv.state(), link_state::closed);
}

}  // namespace
}  // namespace amqp::client
