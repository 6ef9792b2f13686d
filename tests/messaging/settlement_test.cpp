// Settlement: auto_accept and auto_settle on receivers, outcomes given later by the
// application, at-most-once and at-least-once senders, and senders that settle themselves.
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace amqp::test {
namespace {

using calls = std::vector<std::string>;

// A client sender to "queue"; the server answers its link with `ro`, keeping every delivery.
struct settling_pair : messaging_pair {
  connection conn;
  sender snd;
  std::vector<delivery> deliveries;
  std::vector<tracker> trackers;

  void start(receiver_options ro, sender_options so = {}) {
    listen();
    server_h.on("on_link_opened", [ro](messaging_event& e) {
      if (e.receiver().is_set()) e.receiver().open(ro);
    });
    server_h.on("on_message", [this](messaging_event& e) { deliveries.push_back(e.delivery()); });
    conn = connect();
    snd = conn.open_sender("queue", so);
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
};

TEST(settlement, auto_accept_accepts_and_settles_each_message_when_on_message_returns) {
  settling_pair p;
  p.start({});
  p.send(2);
  const auto dispositions = sent_with(p.server_trace, "@disposition");
  ASSERT_EQ(dispositions.size(), 1u);  // both in one range
  EXPECT_NE(dispositions[0].find("settled: true"), std::string::npos) << dispositions[0];
  EXPECT_NE(dispositions[0].find("@accepted"), std::string::npos) << dispositions[0];
  EXPECT_EQ(p.client_h.only({"on_accepted", "on_settled"}),
            (calls{"on_accepted", "on_settled", "on_accepted", "on_settled"}));
  for (const delivery& d : p.deliveries) EXPECT_TRUE(d.settled());
}

TEST(settlement, without_auto_accept_the_application_decides_later_and_the_output_is_signalled) {
  settling_pair p;
  p.start({.auto_accept = false});
  p.send(4);
  ASSERT_EQ(p.deliveries.size(), 4u);
  EXPECT_TRUE(sent_with(p.server_trace, "@disposition").empty());
  EXPECT_EQ(p.client_h.count("on_accepted"), 0u);
  for (const delivery& d : p.deliveries) EXPECT_FALSE(d.settled());

  // Outside any handler call: the binding hears of the output once, until it writes it.
  const connection server_conn = p.server_connection();
  const std::size_t signals = p.net.output_signals(server_conn);
  ASSERT_FALSE(p.deliveries[0].accept());
  EXPECT_EQ(p.net.output_signals(server_conn), signals + 1);
  ASSERT_FALSE(p.deliveries[1].reject(condition{"amqp:precondition-failed", "no", {}}));
  ASSERT_FALSE(p.deliveries[2].release());
  ASSERT_FALSE(
      p.deliveries[3].modify(true, false, value::map_of({{value::sym("x-why"), "retry"}})));
  EXPECT_EQ(p.net.output_signals(server_conn), signals + 1);
  for (const delivery& d : p.deliveries) EXPECT_TRUE(d.settled());
  p.net.pump();
  EXPECT_EQ(
      p.client_h.only({"on_accepted", "on_rejected", "on_released", "on_modified"}),
      (calls{"on_accepted", "on_rejected amqp:precondition-failed", "on_released", "on_modified"}));
  EXPECT_EQ(p.client_h.last("on_modified")->tracker, p.trackers[3]);
  // Written: the next command signals again.
  p.send(1);
  ASSERT_EQ(p.deliveries.size(), 5u);
  ASSERT_FALSE(p.deliveries[4].accept());
  EXPECT_EQ(p.net.output_signals(server_conn), signals + 2);
  // A settled delivery is stale.
  EXPECT_EQ(p.deliveries[0].accept(), make_error_code(errc::invalid_handle));
}

TEST(settlement, auto_accept_without_auto_settle_leaves_the_settling_to_the_application) {
  settling_pair p;
  p.start({.auto_settle = false});
  p.send(1);
  ASSERT_EQ(p.deliveries.size(), 1u);
  EXPECT_FALSE(p.deliveries[0].settled());
  EXPECT_EQ(p.deliveries[0].remote_state().kind, delivery_state::type::none);
  EXPECT_EQ(p.client_h.only({"on_accepted", "on_settled"}), (calls{"on_accepted"}));
  ASSERT_FALSE(p.deliveries[0].settle());
  p.net.pump();
  EXPECT_EQ(p.client_h.only({"on_accepted", "on_settled"}), (calls{"on_accepted", "on_settled"}));
}

TEST(settlement, at_most_once_sends_settled_and_hears_no_outcome) {
  settling_pair p;
  p.start({}, {.mode = delivery_mode::at_most_once});
  p.send(3);
  EXPECT_EQ(p.server_h.count("on_message"), 3u);
  const auto attach = sent_with(p.client_trace, "@attach");
  ASSERT_EQ(attach.size(), 1u);
  EXPECT_NE(attach[0].find("snd-settle-mode: settled"), std::string::npos) << attach[0];
  for (const std::string& t : sent_with(p.client_trace, "@transfer"))
    EXPECT_NE(t.find("settled: true"), std::string::npos) << t;
  EXPECT_TRUE(sent_with(p.server_trace, "@disposition").empty());
  EXPECT_EQ(p.client_h.only({"on_accepted", "on_settled", "on_in_doubt"}), calls{});
  for (const tracker& t : p.trackers) EXPECT_TRUE(t.settled());
  for (const delivery& d : p.deliveries) EXPECT_TRUE(d.settled());
}

TEST(settlement, at_least_once_asks_for_unsettled_sends_and_hears_every_outcome) {
  settling_pair p;
  p.start({}, {.mode = delivery_mode::at_least_once});
  p.send(3);
  const auto attach = sent_with(p.client_trace, "@attach");
  ASSERT_EQ(attach.size(), 1u);
  EXPECT_NE(attach[0].find("snd-settle-mode: unsettled"), std::string::npos) << attach[0];
  // The server's answer mirrors it.
  const auto answer = sent_with(p.server_trace, "@attach");
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_NE(answer[0].find("snd-settle-mode: unsettled"), std::string::npos) << answer[0];
  for (const std::string& t : sent_with(p.client_trace, "@transfer"))
    EXPECT_EQ(t.find("settled: true"), std::string::npos) << t;
  EXPECT_EQ(p.client_h.count("on_accepted"), 3u);
  EXPECT_EQ(p.client_h.count("on_settled"), 3u);
}

TEST(settlement, a_sender_without_auto_settle_settles_when_it_wants) {
  settling_pair p;
  p.start({}, {.auto_settle = false});
  p.send(1);
  ASSERT_EQ(p.trackers.size(), 1u);
  tracker t = p.trackers[0];
  EXPECT_EQ(p.client_h.only({"on_accepted", "on_settled"}), (calls{"on_accepted", "on_settled"}));
  EXPECT_FALSE(t.settled());
  EXPECT_TRUE(t.remote_settled());
  EXPECT_EQ(t.remote_state().kind, delivery_state::type::accepted);
  EXPECT_FALSE(t.tag().empty());
  EXPECT_EQ(p.snd.status()->unsettled, 1u);
  ASSERT_FALSE(t.settle());
  EXPECT_TRUE(t.settled());
  EXPECT_EQ(p.snd.status()->unsettled, 0u);
  EXPECT_EQ(t.settle(), make_error_code(errc::invalid_handle));
}

TEST(settlement, a_sender_settling_first_is_reported_to_the_receiver) {
  settling_pair p;
  p.start({.auto_accept = false});
  p.send(1);
  ASSERT_EQ(p.deliveries.size(), 1u);
  ASSERT_FALSE(p.trackers[0].settle());
  p.net.pump();
  EXPECT_EQ(p.server_h.only({"on_settled"}), (calls{"on_settled"}));
  EXPECT_EQ(p.server_h.last("on_settled")->delivery, p.deliveries[0]);
  EXPECT_TRUE(p.deliveries[0].remote_settled());
  // Still the application's to settle (it gave no outcome).
  EXPECT_FALSE(p.deliveries[0].settled());
  EXPECT_FALSE(p.deliveries[0].settle());
}

// Reads the message only after settling it, with nothing read before.
struct late_reader : messaging_handler {
  std::vector<message> seen;
  bool had_view_after = true;
  void on_message(messaging_event& e) override {
    EXPECT_FALSE(e.delivery().accept());
    seen.push_back(e.message());
    had_view_after = e.view() != nullptr;
  }
};

TEST(settlement, the_message_can_still_be_read_after_settling_it_in_on_message) {
  messaging_pair p;
  late_reader reader;
  auto l = p.server.listen(broker_url, {}, &reader);
  ASSERT_TRUE(l);
  auto c = p.connect();
  auto s = c.open_sender("queue");
  p.net.run();
  message m = text_message("read me late");
  m.application_properties.emplace_back("k", "v");
  ASSERT_TRUE(s.send(m));
  p.net.pump();
  ASSERT_EQ(reader.seen.size(), 1u);
  EXPECT_EQ(reader.seen[0], m);
  // The views went with the payload.
  EXPECT_FALSE(reader.had_view_after);
}

}  // namespace
}  // namespace amqp::test
