// The queue on its own: round robin within credit, each outcome, redelivery with the delivery
// count, consumers that refuse or leave, browsing, at-most-once consumers, selectors and the
// limits on depth and memory.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp/text.hpp"
#include "messages.hpp"
#include "queue.hpp"

namespace broker::test {
namespace {

// What dispatch sent: the consumer, the delivery id, the body, the delivery count.
struct sent {
  consumer_id consumer;
  std::uint64_t id;
  std::string body;
  std::uint32_t delivery_count;
  bool settled;
};

std::string body_of(const stored_message& m) {
  return std::string(m.view().value().as_string());
}

class queue_test : public ::testing::Test {
 protected:
  void publish(std::string body, amqp::map properties = {}) {
    auto m = encode(with_body(std::move(body), std::move(properties)));
    ASSERT_EQ(q_.publish(m->data()), publish_result::ok);
  }
  void publish_n(int n) {
    for (int i = 0; i < n; ++i) {
      std::string body = "m";
      body += std::to_string(i);
      publish(std::move(body));
    }
  }
  // Dispatches and returns what went out.
  std::vector<sent> dispatch() {
    std::vector<sent> out;
    q_.dispatch([&](const queue::delivery& d) {
      out.push_back({d.consumer, d.id, body_of(d.message), d.message.delivery_count(), d.settled});
      return true;
    });
    return out;
  }
  static std::vector<std::string> bodies(const std::vector<sent>& s) {
    std::vector<std::string> out;
    for (const sent& x : s) out.push_back(x.body);
    return out;
  }

  memory_budget budget_;
  queue q_{"q", {.max_depth = 100, .budget = &budget_}};
};

TEST_F(queue_test, messages_wait_until_a_consumer_has_credit) {
  publish_n(3);
  EXPECT_EQ(q_.depth(), 3u);
  const consumer_id c = q_.subscribe({});
  EXPECT_TRUE(dispatch().empty());  // no credit yet
  q_.set_credit(c, 2);
  EXPECT_EQ(bodies(dispatch()), (std::vector<std::string>{"m0", "m1"}));
  EXPECT_EQ(q_.credit(c), 0u);
  EXPECT_EQ(q_.available(), 1u);
  EXPECT_EQ(q_.unsettled(), 2u);
  EXPECT_EQ(q_.depth(), 3u);
  q_.set_credit(c, 5);
  EXPECT_EQ(bodies(dispatch()), (std::vector<std::string>{"m2"}));
  EXPECT_EQ(q_.credit(c), 4u);
}

TEST_F(queue_test, consumers_take_turns_and_one_without_credit_is_passed_over) {
  const consumer_id a = q_.subscribe({}), b = q_.subscribe({}), c = q_.subscribe({});
  q_.set_credit(a, 10);
  q_.set_credit(b, 10);
  q_.set_credit(c, 1);
  publish_n(7);
  std::vector<consumer_id> order;
  for (const sent& s : dispatch()) order.push_back(s.consumer);
  EXPECT_EQ(order, (std::vector<consumer_id>{a, b, c, a, b, a, b}));
  // The turn goes on from where it stopped.
  publish_n(2);
  order.clear();
  for (const sent& s : dispatch()) order.push_back(s.consumer);
  EXPECT_EQ(order, (std::vector<consumer_id>{a, b}));
}

TEST_F(queue_test, accepted_and_rejected_messages_are_gone) {
  const consumer_id c = q_.subscribe({});
  q_.set_credit(c, 10);
  publish_n(2);
  auto s = dispatch();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_FALSE(q_.settle(c, s[0].id, {.kind = outcome_kind::accepted}));
  EXPECT_FALSE(q_.settle(c, s[1].id, {.kind = outcome_kind::rejected}));
  EXPECT_EQ(q_.depth(), 0u);
  EXPECT_EQ(budget_.used, 0u);
  // A second outcome for the same delivery is ignored.
  EXPECT_FALSE(q_.settle(c, s[0].id, {.kind = outcome_kind::released}));
  EXPECT_EQ(q_.depth(), 0u);
}

TEST_F(queue_test, a_released_message_goes_back_to_its_place_ahead_of_newer_ones) {
  const consumer_id c = q_.subscribe({});
  q_.set_credit(c, 2);
  publish_n(4);
  auto s = dispatch();
  ASSERT_EQ(bodies(s), (std::vector<std::string>{"m0", "m1"}));
  EXPECT_TRUE(q_.settle(c, s[1].id, {.kind = outcome_kind::released}));
  q_.set_credit(c, 10);
  auto again = dispatch();
  EXPECT_EQ(bodies(again), (std::vector<std::string>{"m1", "m2", "m3"}));
  EXPECT_EQ(again[0].delivery_count, 0u);  // released: not a failed attempt
}

TEST_F(queue_test, modified_with_delivery_failed_counts_the_attempt_in_the_header) {
  const consumer_id c = q_.subscribe({});
  q_.set_credit(c, 10);
  publish("x", {{"colour", "green"}});
  for (std::uint32_t attempt = 0; attempt < 3; ++attempt) {
    auto s = dispatch();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].delivery_count, attempt);
    EXPECT_EQ(s[0].body, "x");
    EXPECT_TRUE(q_.settle(c, s[0].id, {.kind = outcome_kind::modified, .delivery_failed = true}));
  }
  // Nothing else changed: the properties are still there.
  std::string seen;
  q_.dispatch([&](const queue::delivery& d) {
    seen = amqp::to_text(d.message.view().application_properties, {.multiline = false});
    return true;
  });
  EXPECT_NE(seen.find("green"), std::string::npos) << seen;
}

TEST_F(queue_test, modified_without_delivery_failed_keeps_the_count) {
  const consumer_id c = q_.subscribe({});
  q_.set_credit(c, 10);
  publish("x");
  auto s = dispatch();
  EXPECT_TRUE(q_.settle(c, s[0].id, {.kind = outcome_kind::modified}));
  EXPECT_EQ(dispatch()[0].delivery_count, 0u);
}

TEST_F(queue_test, undeliverable_here_keeps_the_message_from_that_consumer_only) {
  const consumer_id a = q_.subscribe({});
  q_.set_credit(a, 10);
  publish("x");
  auto s = dispatch();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(
      q_.settle(a, s[0].id, {.kind = outcome_kind::modified, .undeliverable_here = true}));
  EXPECT_TRUE(dispatch().empty());  // a still has credit but refused it
  EXPECT_EQ(q_.available(), 1u);
  const consumer_id b = q_.subscribe({});
  q_.set_credit(b, 1);
  auto to_b = dispatch();
  ASSERT_EQ(to_b.size(), 1u);
  EXPECT_EQ(to_b[0].consumer, b);
}

TEST_F(queue_test, a_consumer_that_leaves_gives_back_its_unsettled_messages_in_order) {
  const consumer_id a = q_.subscribe({}), b = q_.subscribe({});
  q_.set_credit(a, 3);
  publish_n(4);
  auto s = dispatch();
  ASSERT_EQ(bodies(s), (std::vector<std::string>{"m0", "m1", "m2"}));
  q_.settle(a, s[1].id, {.kind = outcome_kind::accepted});
  q_.unsubscribe(a);
  EXPECT_EQ(q_.consumers(), 1u);
  EXPECT_EQ(q_.unsettled(), 0u);
  q_.set_credit(b, 10);
  EXPECT_EQ(bodies(dispatch()), (std::vector<std::string>{"m0", "m2", "m3"}));
  // Its outcomes arriving late are ignored.
  EXPECT_FALSE(q_.settle(a, s[0].id, {.kind = outcome_kind::accepted}));
  q_.unsubscribe(a);  // twice: nothing happens
}

TEST_F(queue_test, at_most_once_consumers_get_settled_deliveries_that_leave_at_once) {
  const consumer_id c = q_.subscribe({.pre_settled = true});
  q_.set_credit(c, 10);
  publish_n(2);
  auto s = dispatch();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(s[0].settled);
  EXPECT_EQ(s[0].id, 0u);
  EXPECT_EQ(q_.depth(), 0u);
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(queue_test, a_receipt_is_reported_once_when_the_message_is_consumed_and_not_before) {
  std::vector<std::pair<receipt, outcome_kind>> consumed;
  q_.on_consumed([&](receipt r, const outcome& o) { consumed.emplace_back(r, o.kind); });
  const consumer_id c = q_.subscribe({});
  q_.set_credit(c, 10);
  for (receipt r : {11, 12, 13, 0}) {
    std::string body = "r";  // not "r" + ...: GCC 12 warns wrongly (-Wrestrict) at -O3
    body += std::to_string(r);
    auto m = encode(with_body(std::move(body)));
    ASSERT_EQ(q_.publish(m->data(), r), publish_result::ok);
  }
  EXPECT_EQ(q_.receipts(), (std::vector<receipt>{11, 12, 13}));
  auto s = dispatch();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_TRUE(consumed.empty());  // sent, not yet consumed
  // Released and modified are not final: the receipt waits for the next consumer.
  EXPECT_TRUE(q_.settle(c, s[0].id, {.kind = outcome_kind::released}));
  EXPECT_TRUE(q_.settle(c, s[1].id, {.kind = outcome_kind::modified, .delivery_failed = true}));
  EXPECT_FALSE(q_.settle(c, s[2].id,
                         {.kind = outcome_kind::rejected,
                          .error = amqp::condition{.name = "app:bad", .description = "no"}}));
  EXPECT_FALSE(q_.settle(c, s[3].id, {.kind = outcome_kind::accepted}));  // no receipt
  ASSERT_EQ(consumed.size(), 1u);
  EXPECT_EQ(consumed[0], std::make_pair(receipt{13}, outcome_kind::rejected));
  EXPECT_EQ(q_.receipts(), (std::vector<receipt>{11, 12}));
  // A redelivered (re-encoded) message keeps its receipt.
  auto again = dispatch();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[1].delivery_count, 1u);
  q_.settle(c, again[1].id, {.kind = outcome_kind::accepted});
  q_.settle(c, again[0].id, {.kind = outcome_kind::accepted});
  EXPECT_EQ(consumed, (std::vector<std::pair<receipt, outcome_kind>>{
                          {13, outcome_kind::rejected},
                          {12, outcome_kind::accepted},
                          {11, outcome_kind::accepted}}));
  EXPECT_TRUE(q_.receipts().empty());
}

TEST_F(queue_test, a_receipt_is_reported_as_accepted_when_sent_settled_and_never_for_a_copy) {
  std::vector<receipt> consumed;
  q_.on_consumed([&](receipt r, const outcome& o) {
    EXPECT_EQ(o.kind, outcome_kind::accepted);
    consumed.push_back(r);
  });
  auto m = encode(with_body("x"));
  ASSERT_EQ(q_.publish(m->data(), 7), publish_result::ok);
  const consumer_id browser = q_.subscribe({.browse = true});
  q_.set_credit(browser, 10);
  EXPECT_EQ(dispatch().size(), 1u);
  EXPECT_TRUE(consumed.empty());
  q_.unsubscribe(browser);
  const consumer_id c = q_.subscribe({.pre_settled = true});
  q_.set_credit(c, 10);
  EXPECT_EQ(dispatch().size(), 1u);
  EXPECT_EQ(consumed, (std::vector<receipt>{7}));
}

TEST_F(queue_test, a_browser_sees_each_message_once_and_takes_none) {
  publish_n(3);
  const consumer_id b = q_.subscribe({.browse = true});
  q_.set_credit(b, 2);
  auto s = dispatch();
  EXPECT_EQ(bodies(s), (std::vector<std::string>{"m0", "m1"}));
  EXPECT_EQ(s[0].id, 0u);
  EXPECT_EQ(q_.depth(), 3u);
  EXPECT_EQ(q_.available(), 3u);
  q_.set_credit(b, 10);
  EXPECT_EQ(bodies(dispatch()), (std::vector<std::string>{"m2"}));
  EXPECT_TRUE(dispatch().empty());
  publish("late");
  EXPECT_EQ(bodies(dispatch()), (std::vector<std::string>{"late"}));
  // A consumer still gets everything.
  const consumer_id c = q_.subscribe({});
  q_.set_credit(c, 10);
  q_.set_credit(b, 0);
  EXPECT_EQ(bodies(dispatch()), (std::vector<std::string>{"m0", "m1", "m2", "late"}));
}

TEST_F(queue_test, a_selector_takes_only_what_matches_and_leaves_the_rest_for_others) {
  auto green = selector::parse("colour = 'green'");
  ASSERT_TRUE(green);
  const consumer_id g = q_.subscribe({.filter = std::make_shared<selector>(std::move(*green))});
  q_.set_credit(g, 10);
  publish("r1", {{"colour", "red"}});
  publish("g1", {{"colour", "green"}});
  publish("r2", {{"colour", "red"}});
  publish("g2", {{"colour", "green"}});
  EXPECT_EQ(bodies(dispatch()), (std::vector<std::string>{"g1", "g2"}));
  EXPECT_EQ(q_.available(), 2u);
  const consumer_id any = q_.subscribe({});
  q_.set_credit(any, 10);
  auto rest = dispatch();
  EXPECT_EQ(bodies(rest), (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(rest[0].consumer, any);
}

TEST_F(queue_test, a_consumer_whose_send_fails_is_passed_over_and_the_message_stays) {
  const consumer_id a = q_.subscribe({}), b = q_.subscribe({});
  q_.set_credit(a, 10);
  q_.set_credit(b, 10);
  publish_n(3);
  std::vector<consumer_id> order;
  q_.dispatch([&](const queue::delivery& d) {
    if (d.consumer == a) return false;
    order.push_back(d.consumer);
    return true;
  });
  EXPECT_EQ(order, (std::vector<consumer_id>{b, b, b}));
  EXPECT_EQ(q_.credit(a), 10u);
}

TEST_F(queue_test, the_depth_limit_refuses_more_until_room_is_made) {
  queue small("small", {.max_depth = 2});
  auto m = encode(with_body("x"));
  EXPECT_EQ(small.publish(m->data()), publish_result::ok);
  EXPECT_EQ(small.publish(m->data()), publish_result::ok);
  EXPECT_EQ(small.publish(m->data()), publish_result::full);
  const consumer_id c = small.subscribe({});
  small.set_credit(c, 1);
  std::uint64_t id = 0;
  small.dispatch([&](const queue::delivery& d) {
    id = d.id;
    return true;
  });
  // Unsettled messages still count.
  EXPECT_EQ(small.publish(m->data()), publish_result::full);
  small.settle(c, id, {.kind = outcome_kind::accepted});
  EXPECT_EQ(small.publish(m->data()), publish_result::ok);
}

TEST_F(queue_test, the_memory_budget_is_shared_and_returned) {
  auto m = encode(with_body(std::string(100, 'x')));
  memory_budget budget{.used = 0, .limit = 2 * m->bytes.size() + 10};
  {
    queue a("a", {.budget = &budget}), b("b", {.budget = &budget});
    EXPECT_EQ(a.publish(m->data()), publish_result::ok);
    EXPECT_EQ(b.publish(m->data()), publish_result::ok);
    EXPECT_EQ(a.publish(m->data()), publish_result::out_of_memory);
    EXPECT_EQ(budget.used, 2 * m->bytes.size());
  }
  EXPECT_EQ(budget.used, 0u);
}

TEST_F(queue_test, bytes_that_are_not_a_message_are_refused) {
  const std::uint8_t junk[] = {0x00, 0x53, 0x77, 0xff};
  EXPECT_EQ(q_.publish(amqp::bytes_view(junk, sizeof junk)), publish_result::malformed);
  EXPECT_EQ(q_.depth(), 0u);
}

TEST(redelivered, merges_annotations_and_keeps_every_other_section) {
  amqp::message m = with_body("x", {{"k", "v"}});
  m.header = amqp::spec::header{.durable = true, .priority = 9, .delivery_count = 4};
  m.delivery_annotations.emplace_back(amqp::value::sym("da"), 1);
  m.message_annotations.emplace_back(amqp::value::sym("keep"), "old");
  m.message_annotations.emplace_back(amqp::value::sym("change"), "old");
  m.properties.message_id = "id";
  m.footer.emplace_back(amqp::value::sym("f"), 2);
  auto e = encode(m);
  auto stored = stored_message::make(e->data());
  ASSERT_TRUE(stored);
  const amqp::value extra = amqp::value::map_of(
      {{amqp::value::sym("change"), "new"}, {amqp::value::sym("added"), 3}});
  auto again = redelivered(**stored, true, extra);
  ASSERT_TRUE(again);
  amqp::message want = m;
  want.header->delivery_count = 5;
  want.message_annotations[1].second = "new";
  want.message_annotations.emplace_back(amqp::value::sym("added"), 3);
  EXPECT_EQ(amqp::message::from_view((*again)->view()), want);

  // Without annotations, only the header changes: the rest is byte for byte the same.
  auto count_only = redelivered(**stored, true, {});
  ASSERT_TRUE(count_only);
  const amqp::bytes_view before = (*stored)->bytes(), after = (*count_only)->bytes();
  const amqp::bytes_view bare_before = (*stored)->view().bare;
  const auto tail = static_cast<std::size_t>(before.data() + before.size() - bare_before.data());
  ASSERT_GE(after.size(), tail);
  EXPECT_TRUE(std::equal(before.end() - static_cast<std::ptrdiff_t>(tail), before.end(),
                         after.end() - static_cast<std::ptrdiff_t>(tail)));
  EXPECT_EQ((*count_only)->delivery_count(), 5u);
}

TEST(redelivered, a_message_without_a_header_gets_one) {
  auto e = encode(with_body("x"));
  auto stored = stored_message::make(e->data());
  ASSERT_TRUE(stored);
  EXPECT_FALSE((*stored)->view().header);
  auto again = redelivered(**stored, true, {});
  ASSERT_TRUE(again);
  ASSERT_TRUE((*again)->view().header);
  EXPECT_EQ((*again)->delivery_count(), 1u);
  EXPECT_EQ(body_of(**again), "x");
}

}  // namespace
}  // namespace broker::test
