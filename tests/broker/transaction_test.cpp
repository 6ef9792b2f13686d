// The broker's transaction coordinator with real controllers (the messaging layer's
// transactions) on the memory network: sends held until commit and dropped on rollback,
// accepts applied on commit and undone on rollback, transactional acquisition, all-or-nothing
// commits, ids that are not the connection's, and the rollback of what a connection leaves.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp/transaction.hpp"
#include "broker_fixture.hpp"

namespace broker::test {
namespace {

class broker_transaction_test : public broker_test {
 protected:
  // A transaction declared on `c`'s connection, active once this returns.
  amqp::transaction declare(client& c) {
    amqp::transaction t = amqp::declare_transaction(c.conn);
    net_.run();
    EXPECT_EQ(t.state(), amqp::transaction_state::active);
    return t;
  }

  // The messages of `c` received so far, as deliveries, in order.
  static std::vector<amqp::delivery> deliveries(const client& c) {
    std::vector<amqp::delivery> out;
    for (const amqp::test::seen_event& e : c.h.events)
      if (e.message) out.push_back(e.delivery);
    return out;
  }
};

TEST_F(broker_transaction_test, committed_sends_reach_the_queue_and_rolled_back_ones_never) {
  client& p = connect();
  std::vector<amqp::delivery_state> answers;
  p.h.on("on_accepted", [&](amqp::messaging_event& e) {
    answers.push_back(e.tracker().remote_state());
  });
  amqp::sender s = p.conn.open_sender("q");
  amqp::transaction kept = declare(p);
  ASSERT_TRUE(kept.send(s, text("kept")));
  net_.pump();
  EXPECT_EQ(depth("q"), 0u);  // held by the transaction
  // The broker answers a transactional send at once, inside the transaction.
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_TRUE(answers[0].is_transactional());
  EXPECT_EQ(answers[0].kind, amqp::delivery_state::type::accepted);
  EXPECT_EQ(*answers[0].txn, *kept.id());
  ASSERT_FALSE(kept.commit());
  net_.run();
  EXPECT_EQ(kept.state(), amqp::transaction_state::committed);
  EXPECT_EQ(p.h.count("on_transaction_committed"), 1u);
  EXPECT_EQ(depth("q"), 1u);

  amqp::transaction dropped = declare(p);
  ASSERT_TRUE(dropped.send(s, text("dropped")));
  ASSERT_FALSE(dropped.abort());
  net_.run();
  EXPECT_EQ(p.h.count("on_transaction_aborted"), 1u);
  EXPECT_EQ(depth("q"), 1u);

  client& c = connect();
  c.conn.open_receiver("q");
  net_.run();
  EXPECT_EQ(c.bodies(), (std::vector<std::string>{"kept"}));
}

TEST_F(broker_transaction_test, an_accept_in_a_transaction_counts_only_if_it_commits) {
  client& p = connect();
  produce(p, "q", {"a", "b"});
  client& c = connect();
  c.conn.open_receiver("q", {.auto_accept = false});
  net_.run();
  ASSERT_EQ(c.bodies(), (std::vector<std::string>{"a", "b"}));
  const std::vector<amqp::delivery> got = deliveries(c);

  amqp::transaction undone = declare(c);
  ASSERT_FALSE(undone.accept(got[0]));
  net_.pump();
  EXPECT_EQ(depth("q"), 2u);  // held until the discharge
  ASSERT_FALSE(undone.abort());
  net_.run();
  // Rolled back: "a" is available again, and comes again.
  EXPECT_EQ(c.bodies(), (std::vector<std::string>{"a", "b", "a"}));

  amqp::transaction done = declare(c);
  ASSERT_FALSE(done.accept(got[1]));
  ASSERT_FALSE(done.accept(deliveries(c).at(2)));
  ASSERT_FALSE(done.commit());
  net_.run();
  EXPECT_EQ(done.state(), amqp::transaction_state::committed);
  EXPECT_EQ(depth("q"), 0u);
}

TEST_F(broker_transaction_test, what_a_receiver_acquires_in_a_rolled_back_transaction_comes_back) {
  client& p = connect();
  produce(p, "q", {"1", "2", "3"});
  client& c = connect();
  std::vector<amqp::delivery_state> arrived;
  c.h.on("on_message", [&](amqp::messaging_event& e) {
    arrived.push_back(e.delivery().remote_state());
  });
  amqp::receiver r = c.conn.open_receiver("q", {.credit_window = 0});
  net_.run();
  amqp::transaction t = declare(c);
  ASSERT_FALSE(t.acquire(r, 2));
  net_.run();
  ASSERT_EQ(c.bodies(), (std::vector<std::string>{"1", "2"}));
  // They came inside the transaction, and were accepted (auto_accept) plainly: the
  // transaction still decides.
  ASSERT_EQ(arrived.size(), 2u);
  for (const amqp::delivery_state& st : arrived) {
    EXPECT_TRUE(st.is_transactional());
    EXPECT_EQ(*st.txn, *t.id());
  }
  EXPECT_EQ(depth("q"), 3u);
  ASSERT_FALSE(t.abort());
  net_.run();
  EXPECT_EQ(depth("q"), 3u);
  client& other = connect();
  other.conn.open_receiver("q");
  net_.run();
  EXPECT_EQ(other.bodies(), (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(broker_transaction_test, a_commit_a_queue_cannot_take_rolls_back_and_says_why) {
  client& p = connect();
  produce(p, "q", {"1", "2", "3", "4"});  // the fixture's queue limit is 5
  amqp::sender s = p.conn.open_sender("q");
  amqp::transaction t = declare(p);
  ASSERT_TRUE(t.send(s, text("5")));
  ASSERT_TRUE(t.send(s, text("6")));
  ASSERT_FALSE(t.commit());
  net_.run();
  EXPECT_EQ(t.state(), amqp::transaction_state::failed);
  const amqp::test::seen_event* e = p.h.first("on_transaction_commit_failed");
  ASSERT_TRUE(e && e->error);
  EXPECT_EQ(e->error->name, "amqp:transaction:rollback");
  EXPECT_EQ(e->error->description,
            "cannot commit: queue 'q' cannot take 2 more messages (limit 5)");
  EXPECT_EQ(depth("q"), 4u);  // nothing of it
}

TEST_F(broker_transaction_test, a_transaction_is_only_its_own_connections) {
  client& a = connect();
  amqp::transaction t = declare(a);
  ASSERT_TRUE(t.id());
  client& b = connect();
  amqp::sender s = b.conn.open_sender("q");
  net_.run();
  amqp::writer w;
  ASSERT_FALSE(amqp::encode_message(w, text("forged")));
  ASSERT_TRUE(s.send_encoded(w.view(), t.id()));
  net_.pump();
  const amqp::test::seen_event* e = b.h.first("on_rejected");
  ASSERT_TRUE(e && e->error);
  EXPECT_EQ(e->error->name, "amqp:transaction:unknown-id");
  EXPECT_EQ(depth("q"), 0u);
}

TEST_F(broker_transaction_test, a_discharge_of_an_ended_transaction_is_unknown) {
  client& p = connect();
  amqp::transaction t = declare(p);
  const amqp::transaction_id id = *t.id();
  ASSERT_FALSE(t.commit());
  net_.run();
  // A coordinator link of the application's own, naming the ended transaction again.
  amqp::sender_options so;
  so.target = amqp::terminus::make_coordinator();
  amqp::sender coordinator = p.conn.open_sender("", so);
  net_.run();
  amqp::writer w;
  ASSERT_FALSE(amqp::encode_coordinator_request(w, amqp::discharge_request{id, false}));
  ASSERT_TRUE(coordinator.send_encoded(w.view()));
  net_.pump();
  const amqp::test::seen_event* e = p.h.first("on_rejected");
  ASSERT_TRUE(e && e->error);
  EXPECT_EQ(e->error->name, "amqp:transaction:unknown-id");
  EXPECT_EQ(e->error->description,
            "no open transaction " + amqp::to_hex(id) + " on this connection");
}

TEST_F(broker_transaction_test, a_connection_that_drops_rolls_back_what_it_left_open) {
  client& p = connect();
  produce(p, "q", {"held"});
  client& c = connect();
  c.conn.open_receiver("q", {.auto_accept = false});
  net_.run();
  amqp::sender s = c.conn.open_sender("q");
  amqp::transaction t = declare(c);
  ASSERT_FALSE(t.accept(deliveries(c).at(0)));
  ASSERT_TRUE(t.send(s, text("never")));
  net_.pump();
  net_.drop(c.conn);
  net_.pump();
  client& other = connect();
  other.conn.open_receiver("q");
  net_.run();
  EXPECT_EQ(other.bodies(), (std::vector<std::string>{"held"}));
}

}  // namespace
}  // namespace broker::test
