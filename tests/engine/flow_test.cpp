// Link flow control: credit and delivery-count on both sides, drain and its completion, the
// sender's available count, and echo.
#include <gtest/gtest.h>

#include "links.hpp"

namespace amqp {
namespace {

using test::as_bytes;
using test::linked_pair;

struct attached : linked_pair {
  attached() { std::tie(sender, receiver) = attach_pair({.name = "l", .target = terminus{}}); }
  link_handle sender;
  link_handle receiver;
};

TEST(flow, credit_granted_reaches_the_sender_and_is_used_one_per_delivery) {
  attached p;
  EXPECT_EQ(p.client.link(p.sender)->credit, 0u);
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 2));
  p.pump();
  const credit_granted* c = p.client_side.find<credit_granted>();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->link, p.sender);
  EXPECT_EQ(p.client.link(p.sender)->credit, 2u);
  ASSERT_TRUE(p.client.send(p.sender, as_bytes("1")));
  ASSERT_TRUE(p.client.send(p.sender, as_bytes("2")));
  EXPECT_EQ(p.client.send(p.sender, as_bytes("3")).error(), make_error_code(errc::no_credit));
  p.pump();
  EXPECT_EQ(p.server.link(p.receiver)->credit, 0u);
  EXPECT_EQ(p.server.link(p.receiver)->delivery_count, 2u);
  // More credit adds to what is left, counted from the receiver's delivery-count.
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 3));
  p.pump();
  EXPECT_EQ(p.client.link(p.sender)->credit, 3u);
  EXPECT_NE(linked_pair::sent_with(p.server_side, "@flow")
                .back()
                .find("handle: uint 0, delivery-count: uint 2, link-credit: uint 3"),
            std::string::npos);
}

TEST(flow, credit_granted_while_transfers_are_in_flight_counts_from_the_receivers_view) {
  attached p;
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 2));
  p.pump();
  ASSERT_TRUE(p.client.send(p.sender, as_bytes("1")));  // not yet seen by the receiver
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 8));    // delivery-count 0, credit 10
  p.pump();
  EXPECT_EQ(p.client.link(p.sender)->credit, 9u);
}

TEST(flow, a_drain_is_completed_by_the_sender_giving_up_what_it_cannot_use) {
  attached p;
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 5));
  p.pump();
  ASSERT_FALSE(p.server.drain(p.receiver));
  p.pump();
  EXPECT_TRUE(p.client.link(p.sender)->drain);
  EXPECT_EQ(p.client_side.count<credit_granted>(), 2u);
  ASSERT_TRUE(p.client.send(p.sender, as_bytes("only one")));
  ASSERT_FALSE(p.client.complete_drain(p.sender));
  EXPECT_EQ(p.client.complete_drain(p.sender), make_error_code(errc::wrong_state));
  EXPECT_EQ(p.client.link(p.sender)->credit, 0u);
  EXPECT_EQ(p.client.link(p.sender)->delivery_count, 5u);
  p.pump();
  const link_drained* d = p.server_side.find<link_drained>();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->link, p.receiver);
  EXPECT_EQ(p.server.link(p.receiver)->credit, 0u);
  EXPECT_EQ(p.server.link(p.receiver)->delivery_count, 5u);
  EXPECT_FALSE(p.server.link(p.receiver)->drain);
  EXPECT_EQ(linked_pair::received(p.server_side).size(), 1u);
}

TEST(flow, a_drain_ends_when_the_sender_uses_all_its_credit) {
  attached p;
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 2));
  ASSERT_FALSE(p.server.drain(p.receiver));
  p.pump();
  ASSERT_TRUE(p.client.send(p.sender, as_bytes("1")));
  ASSERT_TRUE(p.client.send(p.sender, as_bytes("2")));
  EXPECT_FALSE(p.client.link(p.sender)->drain);
  p.pump();
  EXPECT_EQ(p.server_side.count<link_drained>(), 1u);
  EXPECT_TRUE(linked_pair::sent_with(p.client_side, "@flow").empty());
}

TEST(flow, a_drain_completed_while_transfers_wait_for_the_window_counts_only_what_was_sent) {
  // The receiver's session window is closed for a while: sent deliveries queue behind it.
  linked_pair p(test::client_config(), test::server_config(), {.incoming_window = 1});
  auto [sender, receiver] = p.attach_pair({.name = "l", .target = terminus{}});
  ASSERT_FALSE(p.server.grant_credit(receiver, 4));
  p.pump();
  ASSERT_FALSE(p.server.drain(receiver));
  p.pump();
  ASSERT_TRUE(p.client.send(sender, as_bytes("1")));
  ASSERT_TRUE(p.client.send(sender, as_bytes("2")));
  ASSERT_FALSE(p.client.complete_drain(sender));
  // The flow goes out before the second transfer: it must not count it as arrived, and counts
  // it as credit left instead, so that the delivery limit stays 4.
  EXPECT_NE(linked_pair::sent_with(p.client_side, "@flow")
                .back()
                .find("delivery-count: uint 3, link-credit: uint 1"),
            std::string::npos);
  p.pump();
  EXPECT_FALSE(p.server_side.find<protocol_violation>());
  EXPECT_EQ(linked_pair::received(p.server_side).size(), 2u);
  EXPECT_EQ(p.server_side.count<link_drained>(), 1u);
  EXPECT_EQ(p.server.link(receiver)->delivery_count, 4u);
  EXPECT_EQ(p.server.link(receiver)->credit, 0u);
}

TEST(flow, draining_without_credit_is_done_at_once) {
  attached p;
  ASSERT_FALSE(p.server.drain(p.receiver));
  EXPECT_EQ(p.server.drain(p.receiver), std::error_code());
  p.server_side.drain_events();
  EXPECT_EQ(p.server_side.count<link_drained>(), 2u);
  p.pump();
  EXPECT_TRUE(linked_pair::sent_with(p.server_side, "@flow").empty());
}

TEST(flow, the_senders_available_count_reaches_the_receiver) {
  attached p;
  ASSERT_FALSE(p.client.set_available(p.sender, 42));
  p.pump();
  EXPECT_EQ(p.server.link(p.receiver)->available, 42u);
  EXPECT_EQ(p.server.set_available(p.receiver, 1), make_error_code(errc::wrong_state));
}

TEST(flow, echo_asks_the_peer_for_its_flow_state_and_is_answered) {
  attached p;
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 7));
  p.pump();
  ASSERT_FALSE(p.server.request_flow(p.receiver));
  p.pump();
  EXPECT_NE(linked_pair::sent_with(p.server_side, "@flow").back().find("echo: true"),
            std::string::npos);
  const std::vector<std::string> answers = linked_pair::sent_with(p.client_side, "@flow");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_NE(answers[0].find("delivery-count: uint 0, link-credit: uint 7"), std::string::npos)
      << answers[0];
  EXPECT_EQ(answers[0].find("echo"), std::string::npos);  // an answer asks for none
}

TEST(flow, an_echo_for_a_link_not_yet_answered_waits_for_the_attach) {
  linked_pair p;
  auto first = p.attach_pair({.name = "first", .target = terminus{}});
  auto r = p.client.attach_receiver(p.client_session, {.name = "second", .source = terminus{}});
  ASSERT_TRUE(r);
  ASSERT_FALSE(p.client.grant_credit(*r, 3));
  ASSERT_FALSE(p.client.request_flow(*r));
  p.pump();
  // The server has no handle of its own for "second" yet: a flow now would name "first"'s.
  EXPECT_TRUE(linked_pair::sent_with(p.server_side, "@flow").empty());
  EXPECT_EQ(p.client.link(first.first)->credit, 0u);
}

TEST(flow, a_flow_without_delivery_count_counts_from_the_senders_initial_count) {
  linked_pair p;
  auto r = p.client.attach_receiver(p.client_session, {.name = "l", .source = terminus{}});
  ASSERT_TRUE(r);
  ASSERT_FALSE(p.client.grant_credit(*r, 5));  // before the sender's attach: no delivery-count
  p.pump();
  const link_handle s = linked_pair::attached_by_peer(p.server_side).at(0);
  ASSERT_FALSE(p.server.attach(s, {.source = terminus{}}));
  ASSERT_TRUE(p.server.send(s, as_bytes("1")));
  ASSERT_TRUE(p.server.send(s, as_bytes("2")));
  // The receiver grants one more before it has seen the attach or the transfers: its flow says
  // link-credit 6 from the initial count 0, so 4 are left after the 2 sent.
  ASSERT_FALSE(p.client.grant_credit(*r, 1));
  const bytes_view flow = p.client.pending_output();
  p.client.consume_output(p.server.feed(flow, p.now));
  EXPECT_EQ(p.server.link(s)->credit, 4u);
  p.pump();
  EXPECT_FALSE(p.client_side.find<protocol_violation>());
}

TEST(flow, a_receiver_can_grant_credit_before_the_senders_attach_arrives) {
  linked_pair p;
  auto r = p.client.attach_receiver(p.client_session, {.name = "early", .source = terminus{}});
  ASSERT_TRUE(r);
  ASSERT_FALSE(p.client.grant_credit(*r, 4));
  p.pump();
  EXPECT_EQ(linked_pair::sent_with(p.client_side, "@flow").at(0).find("delivery-count"),
            std::string::npos);  // not known yet (spec Part 2, 2.7.4)
  const link_handle s = linked_pair::attached_by_peer(p.server_side).at(0);
  ASSERT_FALSE(p.server.attach(s, {.source = terminus{}, .initial_delivery_count = 100}));
  p.pump();
  EXPECT_EQ(p.client.link(*r)->delivery_count, 100u);
  EXPECT_EQ(p.server.link(s)->credit, 4u);
  ASSERT_TRUE(p.server.send(s, as_bytes("x")));
  p.pump();
  EXPECT_EQ(p.client.link(*r)->delivery_count, 101u);
  EXPECT_EQ(p.client.link(*r)->credit, 3u);
}

}  // namespace
}  // namespace amqp
