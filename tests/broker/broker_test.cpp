// The broker's messaging handler with real clients, on the messaging tests' memory network
// (no I/O, a virtual clock): queues made on demand, round robin across connections, every
// outcome, consumers that leave or lose their connection, selectors (and a bad one refused),
// browsing, at-most-once, dynamic nodes, the anonymous relay, the queue limit and SASL with
// the user file.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "broker_fixture.hpp"
#include "users.hpp"

namespace broker::test {
namespace {

TEST_F(broker_test, a_queue_is_made_on_demand_and_messages_flow_through_it) {
  client& p = connect();
  produce(p, "orders", {"a", "b", "c"});
  EXPECT_EQ(p.h.count("on_accepted"), 3u);
  EXPECT_EQ(depth("orders"), 3u);
  client& c = connect();
  c.conn.open_receiver("orders");
  net_.run();
  EXPECT_EQ(c.bodies(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(depth("orders"), 0u);
  // ANONYMOUS-RELAY is offered.
  EXPECT_TRUE(p.conn.peer_offers("ANONYMOUS-RELAY"));
}

TEST_F(broker_test, consumers_on_different_connections_take_turns) {
  client& a = connect();
  client& b = connect();
  a.conn.open_receiver("work");
  b.conn.open_receiver("work");
  net_.run();
  client& p = connect();
  produce(p, "work", {"1", "2", "3", "4"});
  EXPECT_EQ(a.bodies(), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(b.bodies(), (std::vector<std::string>{"2", "4"}));
}

TEST_F(broker_test, credit_is_honoured) {
  client& p = connect();
  produce(p, "q", {"1", "2", "3"});
  client& c = connect();
  amqp::receiver r = c.conn.open_receiver("q", {.credit_window = 0});
  net_.run();
  EXPECT_TRUE(c.bodies().empty());
  ASSERT_FALSE(r.add_credit(2));
  net_.pump();
  EXPECT_EQ(c.bodies(), (std::vector<std::string>{"1", "2"}));
  ASSERT_FALSE(r.add_credit(5));
  net_.pump();
  EXPECT_EQ(c.bodies(), (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(broker_test, released_and_modified_messages_come_back_rejected_ones_do_not) {
  client& p = connect();
  produce(p, "q", {"release", "modify", "reject"});
  client& c = connect();
  int seen = 0;
  c.h.on("on_message", [&](amqp::messaging_event& e) {
    const std::string b = body_of(e.message());
    if (++seen > 3) return;  // the second time round: accepted
    if (b == "release") (void)e.delivery().release();
    if (b == "modify") (void)e.delivery().modify(true);
    if (b == "reject") (void)e.delivery().reject();
  });
  c.conn.open_receiver("q", {.auto_accept = false});
  net_.run();
  net_.pump();
  const std::vector<amqp::message> got = c.h.messages();
  ASSERT_EQ(c.bodies(), (std::vector<std::string>{"release", "modify", "reject", "release",
                                                  "modify"}));
  // Released: no delivery attempt counted; modified with delivery-failed: one.
  EXPECT_FALSE(got[3].header && got[3].header->delivery_count != 0);
  ASSERT_TRUE(got[4].header);
  EXPECT_EQ(got[4].header->delivery_count, 1u);
}

TEST_F(broker_test, undeliverable_here_sends_the_message_to_another_consumer) {
  client& a = connect();
  a.h.on("on_message", [](amqp::messaging_event& e) { (void)e.delivery().modify(false, true); });
  a.conn.open_receiver("q", {.auto_accept = false});
  net_.run();
  client& p = connect();
  produce(p, "q", {"x"});
  EXPECT_EQ(a.bodies(), (std::vector<std::string>{"x"}));
  EXPECT_EQ(depth("q"), 1u);  // waiting for someone else
  client& b = connect();
  b.conn.open_receiver("q");
  net_.run();
  EXPECT_EQ(b.bodies(), (std::vector<std::string>{"x"}));
  EXPECT_EQ(a.bodies().size(), 1u);
  EXPECT_EQ(depth("q"), 0u);
}

TEST_F(broker_test, a_consumer_that_closes_its_link_gives_back_what_it_had_not_settled) {
  client& p = connect();
  produce(p, "q", {"1", "2", "3"});
  client& a = connect();
  amqp::receiver r = a.conn.open_receiver("q", {.auto_accept = false});
  net_.run();
  ASSERT_EQ(a.bodies().size(), 3u);
  for (const amqp::test::seen_event& e : a.h.events)
    if (e.message && body_of(*e.message) == "2") (void)amqp::delivery(e.delivery).accept();
  net_.pump();
  EXPECT_EQ(depth("q"), 2u);
  r.close();
  net_.pump();
  client& b = connect();
  b.conn.open_receiver("q");
  net_.run();
  EXPECT_EQ(b.bodies(), (std::vector<std::string>{"1", "3"}));
}

TEST_F(broker_test, a_consumer_whose_connection_drops_gives_back_what_it_held_in_order) {
  client& p = connect();
  produce(p, "q", {"1", "2", "3"});
  client& a = connect();
  a.conn.open_receiver("q", {.auto_accept = false});
  net_.run();
  ASSERT_EQ(a.bodies().size(), 3u);
  produce(p, "q", {"4"});
  net_.drop(a.conn);
  net_.pump();
  client& b = connect();
  b.conn.open_receiver("q");
  net_.run();
  EXPECT_EQ(b.bodies(), (std::vector<std::string>{"1", "2", "3", "4"}));
}

TEST_F(broker_test, a_selector_picks_by_property_and_its_filter_is_echoed) {
  client& p = connect();
  produce(p, "colours", {"r1"}, {{"colour", "red"}});
  produce(p, "colours", {"g1"}, {{"colour", "green"}});
  client& c = connect();
  amqp::receiver r = c.conn.open_receiver("colours", {.selector = "colour = 'green'"});
  net_.run();
  EXPECT_EQ(c.bodies(), (std::vector<std::string>{"g1"}));
  EXPECT_EQ(depth("colours"), 1u);
  ASSERT_TRUE(r.status() && r.status()->remote_source);
  EXPECT_EQ(selector_filter(r.status()->remote_source->filter), "colour = 'green'");
}

TEST_F(broker_test, a_selector_that_does_not_parse_refuses_the_link_naming_the_position) {
  client& c = connect();
  c.conn.open_receiver("q", {.selector = "colour = = 'green'"});
  net_.run();
  const amqp::test::seen_event* e = c.h.first("on_link_error");
  ASSERT_TRUE(e);
  ASSERT_TRUE(e->error);
  EXPECT_EQ(e->error->name, "amqp:invalid-field");
  EXPECT_EQ(e->error->description, "invalid selector: unexpected '=' at position 9");
  EXPECT_EQ(c.h.count("on_link_closed"), 1u);
  EXPECT_EQ(handler_.find_queue("q"), nullptr);  // nothing made for it
}

TEST_F(broker_test, a_browser_sees_the_messages_and_leaves_them) {
  client& p = connect();
  produce(p, "q", {"1", "2"});
  client& b = connect();
  b.conn.open_receiver("q", {.distribution_mode = "copy"});
  net_.run();
  EXPECT_EQ(b.bodies(), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(depth("q"), 2u);
}

TEST_F(broker_test, an_at_most_once_consumer_takes_messages_for_good) {
  client& p = connect();
  produce(p, "q", {"1", "2"});
  client& c = connect();
  c.conn.open_receiver("q", {.mode = amqp::delivery_mode::at_most_once});
  net_.run();
  EXPECT_EQ(c.bodies(), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(depth("q"), 0u);
}

TEST_F(broker_test, a_dynamic_source_gets_a_fresh_queue_that_goes_with_its_link) {
  client& c = connect();
  amqp::receiver r = c.conn.open_receiver("", {.dynamic = true});
  net_.run();
  const std::string name = r.address();
  EXPECT_TRUE(name.starts_with("dynamic-")) << name;
  ASSERT_NE(handler_.find_queue(name), nullptr);
  ASSERT_TRUE(r.status() && r.status()->remote_source);
  EXPECT_TRUE(r.status()->remote_source->dynamic);
  client& p = connect();
  produce(p, name, {"reply"});
  EXPECT_EQ(c.bodies(), (std::vector<std::string>{"reply"}));
  r.close();
  net_.pump();
  EXPECT_EQ(handler_.find_queue(name), nullptr);
  // Its name is not made again on demand.
  (void)p.conn.open_sender(name);
  net_.run();
  const amqp::test::seen_event* e = p.h.first("on_link_error");
  ASSERT_TRUE(e && e->error);
  EXPECT_EQ(e->error->name, "amqp:not-found");
}

TEST_F(broker_test, the_anonymous_relay_routes_by_to_and_refuses_messages_without_it) {
  client& p = connect();
  amqp::sender s = p.conn.open_sender("");
  net_.run();
  amqp::message m = text("routed");
  m.properties.to = "elsewhere";
  ASSERT_TRUE(s.send(m));
  ASSERT_TRUE(s.send(text("nowhere")));
  net_.pump();
  EXPECT_EQ(depth("elsewhere"), 1u);
  EXPECT_EQ(p.h.count("on_accepted"), 1u);
  const amqp::test::seen_event* e = p.h.first("on_rejected");
  ASSERT_TRUE(e && e->error);
  EXPECT_EQ(e->error->name, "amqp:not-found");
}

TEST_F(broker_test, a_full_queue_rejects_more_with_resource_limit_exceeded) {
  client& p = connect();
  produce(p, "q", {"1", "2", "3", "4", "5", "6"});
  EXPECT_EQ(p.h.count("on_accepted"), 5u);
  const amqp::test::seen_event* e = p.h.first("on_rejected");
  ASSERT_TRUE(e && e->error);
  EXPECT_EQ(e->error->name, "amqp:resource-limit-exceeded");
  EXPECT_EQ(e->error->description, "queue 'q' is full (5 messages)");
  EXPECT_EQ(depth("q"), 5u);
}

TEST_F(broker_test, a_session_that_ends_takes_its_consumers_with_it) {
  client& p = connect();
  produce(p, "q", {"1"});
  client& a = connect();
  amqp::session s = a.conn.open_session();
  s.open_receiver("q", {.auto_accept = false});
  net_.run();
  ASSERT_EQ(a.bodies().size(), 1u);
  s.close();
  net_.pump();
  client& b = connect();
  b.conn.open_receiver("q");
  net_.run();
  EXPECT_EQ(b.bodies(), (std::vector<std::string>{"1"}));
}

// --- confirm on consume --------------------------------------------------------------------------

class broker_confirm_test : public broker_test {
 protected:
  broker_confirm_test() : broker_test({.queue_limit = 5, .confirm_on_consume = true}) {}

  // The producer's outcomes so far, one word each, in order.
  static std::vector<std::string> outcomes(const client& p) {
    std::vector<std::string> out;
    for (const amqp::test::seen_event& e : p.h.events) {
      const std::string name = e.what.substr(0, e.what.find(' '));  // without the condition
      if (name == "on_accepted" || name == "on_rejected" || name == "on_released" ||
          name == "on_modified")
        out.push_back(name.substr(3));
    }
    return out;
  }
};

TEST_F(broker_confirm_test, a_producer_hears_the_outcome_its_consumer_gave_and_not_before) {
  client& p = connect();
  produce(p, "q", {"take", "refuse", "pass"});
  EXPECT_TRUE(outcomes(p).empty());  // queued, not consumed
  EXPECT_EQ(depth("q"), 3u);
  client& c = connect();
  c.h.on("on_message", [&](amqp::messaging_event& e) {
    const std::string b = body_of(e.message());
    if (b == "take") (void)e.delivery().accept();
    if (b == "refuse")
      (void)e.delivery().reject(amqp::condition{.name = "app:refused", .description = "no"});
    if (b == "pass") (void)e.delivery().release();
  });
  // Credit for three, so that the released one waits for the next consumer.
  amqp::receiver r = c.conn.open_receiver("q", {.credit_window = 0, .auto_accept = false});
  net_.run();
  ASSERT_FALSE(r.add_credit(3));
  net_.pump();
  // Released is not final: the message waits in the queue and its producer goes on waiting.
  EXPECT_EQ(outcomes(p), (std::vector<std::string>{"accepted", "rejected"}));
  const amqp::test::seen_event* rejected = p.h.first("on_rejected");
  ASSERT_TRUE(rejected && rejected->error);
  EXPECT_EQ(rejected->error->name, "app:refused");
  EXPECT_EQ(rejected->error->description, "no");
  client& other = connect();
  other.conn.open_receiver("q", {.mode = amqp::delivery_mode::at_most_once});
  net_.run();
  EXPECT_EQ(other.bodies(), (std::vector<std::string>{"pass"}));
  EXPECT_EQ(outcomes(p), (std::vector<std::string>{"accepted", "rejected", "accepted"}));
  EXPECT_EQ(depth("q"), 0u);
}

TEST_F(broker_confirm_test, a_consumer_that_drops_leaves_the_producer_waiting_for_the_next) {
  client& p = connect();
  produce(p, "q", {"1"});
  client& a = connect();
  a.conn.open_receiver("q", {.auto_accept = false});
  net_.run();
  ASSERT_EQ(a.bodies().size(), 1u);
  net_.drop(a.conn);
  net_.pump();
  EXPECT_TRUE(outcomes(p).empty());
  client& b = connect();
  b.conn.open_receiver("q");
  net_.run();
  EXPECT_EQ(b.bodies(), (std::vector<std::string>{"1"}));
  EXPECT_EQ(outcomes(p), (std::vector<std::string>{"accepted"}));
}

TEST_F(broker_confirm_test, a_deleted_dynamic_node_rejects_what_its_producers_wait_for) {
  client& c = connect();
  amqp::receiver r = c.conn.open_receiver("", {.credit_window = 0, .dynamic = true});
  net_.run();
  client& p = connect();
  produce(p, r.address(), {"never read"});
  EXPECT_TRUE(outcomes(p).empty());
  r.close();
  net_.pump();
  EXPECT_EQ(outcomes(p), (std::vector<std::string>{"rejected"}));
  const amqp::test::seen_event* e = p.h.first("on_rejected");
  ASSERT_TRUE(e && e->error);
  EXPECT_EQ(e->error->name, "amqp:resource-deleted");
}

TEST_F(broker_confirm_test, settled_sends_and_gone_producers_still_deliver) {
  client& p = connect();
  amqp::sender fire = p.conn.open_sender("q", {.mode = amqp::delivery_mode::at_most_once});
  net_.run();
  ASSERT_TRUE(fire.send(text("settled")));
  net_.pump();
  client& gone = connect();
  produce(gone, "q", {"orphan"});
  net_.drop(gone.conn);
  net_.pump();
  client& c = connect();
  c.conn.open_receiver("q");
  net_.run();
  EXPECT_EQ(c.bodies(), (std::vector<std::string>{"settled", "orphan"}));
  EXPECT_EQ(depth("q"), 0u);
  // The producer that left was told the message was in doubt when it left.
  EXPECT_EQ(gone.h.count("on_in_doubt"), 1u);
}

class broker_sasl_test : public broker_test {
 protected:
  void SetUp() override {
    struct fixed final : amqp::random_source {
      void fill(std::span<std::uint8_t> out) override {
        for (auto& b : out) b = 7;
      }
    } random;
    auto store = user_store::parse("alice:pencil-42\n", random);
    ASSERT_TRUE(store);
    users_ = std::move(*store);
    amqp::connection_options o = handler_.connection_options();
    o.allowed_mechs = users_.mechanisms();
    o.authenticate = [this](const amqp::sasl_auth_requested& r) {
      return users_.authenticate(r);
    };
    listen(o);
  }
  user_store users_;
};

TEST_F(broker_sasl_test, scram_with_the_right_password_opens_a_wrong_one_does_not) {
  client& good = connect({.user = "alice", .password = "pencil-42", .reconnect = false});
  client& bad = connect({.user = "alice", .password = "pencil-43", .reconnect = false});
  client& anonymous = connect({.reconnect = false});
  net_.run();
  EXPECT_EQ(good.h.count("on_connection_opened"), 1u);
  ASSERT_TRUE(good.conn.authentication());
  EXPECT_EQ(good.conn.authentication()->mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(bad.h.count("on_connection_opened"), 0u);
  EXPECT_GE(bad.h.count("on_transport_error"), 1u);
  EXPECT_EQ(anonymous.h.count("on_connection_opened"), 0u);
}

}  // namespace
}  // namespace broker::test
