// producer on the virtual clock: the message kombu's publish parameters make, the address
// exchange and routing key give, outcomes reported once and refusals to on_return, retries
// under retry_policy, and revive.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp/client/producer.hpp"
#include "fixture.hpp"

namespace amqp::client {
namespace {

using namespace std::chrono_literals;

struct producer_bench : test::messaging_pair {
  connection conn;
  // Before the producer: its destruction cancels what is left, which the callbacks record.
  std::vector<publish_result> results;
  std::vector<std::string> addresses;  // of the server's receivers, as opened
  producer prod;

  void start(producer_options o = {}, connection_options co = {}) {
    listen();
    server_h.on("on_link_opened", [this](messaging_event& e) {
      if (e.receiver().is_set()) addresses.push_back(e.receiver().address());
    });
    conn = connect(std::move(co));
    prod = producer(conn, std::move(o));
    net.run();
  }
  publish_callback record() {
    return [this](const publish_result& r) { results.push_back(r); };
  }
};

TEST(producer, publish_makes_the_message_kombu_would) {
  producer_bench b;
  b.start({.exchange = "orders", .routing_key = "eu"});
  b.prod.publish(nlohmann::json{{"id", 17}},
                 {.priority = 7,
                  .headers = {{"region", value("eu-west-1")}, {"attempt", value(std::int32_t{2})}},
                  .expiration = 60s,
                  .reply_to = "replies",
                  .correlation_id = "c-1",
                  .message_id = "m-1"},
                 b.record());
  b.net.pump();
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::ok) << b.results[0].error.what;
  EXPECT_EQ(b.results[0].address, "orders");
  EXPECT_EQ(b.addresses, (std::vector<std::string>{"orders"}));
  const auto got = b.server_h.messages();
  ASSERT_EQ(got.size(), 1u);
  const message& m = got[0];
  ASSERT_TRUE(m.header);
  EXPECT_TRUE(m.header->durable);
  EXPECT_EQ(m.header->priority, 7);
  EXPECT_EQ(m.header->ttl, 60000u);
  EXPECT_EQ(m.properties.content_type, "application/json");
  EXPECT_FALSE(m.properties.content_encoding);
  EXPECT_EQ(m.properties.subject, "eu");
  EXPECT_EQ(m.properties.message_id, value("m-1"));
  EXPECT_EQ(m.properties.correlation_id, value("c-1"));
  EXPECT_EQ(m.properties.reply_to, value("replies"));
  ASSERT_EQ(m.application_properties.size(), 2u);
  EXPECT_EQ(m.application_properties[0].first, value("region"));
  EXPECT_EQ(m.application_properties[1].second, value(std::int32_t{2}));
  ASSERT_EQ(m.body_type, body_kind::data);
  const auto& data = m.body[0].get_if<binary>()->bytes;
  EXPECT_EQ(std::string(data.begin(), data.end()), R"({"id":17})");
}

TEST(producer, transient_delivery_and_a_raw_body_with_its_own_content_type) {
  producer_bench b;
  b.start();
  b.prod.publish(bytes{1, 2, 3},
                 {.routing_key = "blobs",
                  .delivery_mode = persistence::transient,
                  .content_type = "application/x-thing",
                  .content_encoding = "binary"},
                 b.record());
  b.net.pump();
  const auto got = b.server_h.messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].header->durable);
  EXPECT_EQ(got[0].properties.content_type, "application/x-thing");
  EXPECT_EQ(got[0].properties.content_encoding, "binary");
  EXPECT_EQ(b.addresses, (std::vector<std::string>{"blobs"}));
}

TEST(producer, compression_sets_content_encoding_and_the_body_decompresses) {
  producer_bench b;
  b.start({.compression = "gzip"});
  const std::string text(10000, 'a');
  b.prod.publish(text, {.routing_key = "q", .serializer = "text"}, b.record());
  b.net.pump();
  const auto got = b.server_h.messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].properties.content_encoding, "gzip");
  EXPECT_EQ(got[0].properties.content_type, "text/plain");
  const auto& data = got[0].body[0].get_if<binary>()->bytes;
  EXPECT_LT(data.size(), 200u);
  auto back = compressions().decompress(data, "gzip", 1 << 20);
  ASSERT_TRUE(back);
  EXPECT_EQ(std::string(back->begin(), back->end()), text);
}

TEST(producer, rabbitmq_addressing_puts_exchange_and_key_in_the_address) {
  producer_bench b;
  b.start({.addressing = addressing::rabbitmq()});
  b.prod.publish(std::string("a"), {.exchange = "amq.direct", .routing_key = "k1"});
  b.prod.publish(std::string("b"), {.exchange = "amq.direct", .routing_key = "k2"});
  b.prod.publish(std::string("c"), {.exchange = "amq.direct", .routing_key = "k1"});
  b.prod.publish(std::string("d"), {.exchange = "", .routing_key = "orders"});
  b.net.pump();
  EXPECT_EQ(b.addresses, (std::vector<std::string>{"/exchange/amq.direct/k1",
                                                   "/exchange/amq.direct/k2", "/queue/orders"}));
  EXPECT_EQ(b.server_h.count("on_message"), 4u);
  EXPECT_FALSE(b.server_h.messages()[0].properties.subject);
}

TEST(producer, a_body_that_does_not_serialize_fails_through_the_callback_naming_why) {
  producer_bench b;
  b.start();
  b.prod.publish(bytes{1}, {.routing_key = "q"}, b.record());
  EXPECT_TRUE(b.results.empty());
  b.net.pump();
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::error);
  EXPECT_EQ(b.results[0].error.what,
            "json: a bytes payload cannot be written as JSON (give nlohmann::json or text)");
  b.prod.publish(amqp::value(std::int32_t{1}), {.routing_key = "q", .serializer = "amqp",
                                                .compression = "zlib"},
                 b.record());
  b.net.pump();
  ASSERT_EQ(b.results.size(), 2u);
  EXPECT_EQ(b.results[1].error.what,
            "compression 'zlib' applies to data bodies, and this body is an amqp-value");
  EXPECT_EQ(b.server_h.count("on_message"), 0u);
}

TEST(producer, a_mandatory_message_the_broker_refuses_goes_to_on_return) {
  producer_bench b;
  b.server_h.on("on_message", [](messaging_event& e) {
    (void)e.delivery().reject(condition{"amqp:not-found", "no route", {}});
  });
  std::vector<std::string> returned;
  b.start({.on_return = [&](const returned_message& r) {
    returned.push_back(r.exchange + "/" + r.routing_key + ": " + r.error.what);
  }});
  b.prod.publish(std::string("x"), {.exchange = "ex", .routing_key = "nowhere", .mandatory = true},
                 b.record());
  b.prod.publish(std::string("y"), {.exchange = "ex", .routing_key = "nowhere"}, b.record());
  b.net.pump();
  EXPECT_EQ(returned, (std::vector<std::string>{"ex/nowhere: rejected: amqp:not-found: no route"}));
  ASSERT_EQ(b.results.size(), 2u);
  EXPECT_EQ(b.results[1].result, send_result::error);
}

TEST(producer, retry_policy_waits_its_intervals_between_attempts) {
  producer_bench b;
  std::vector<std::chrono::milliseconds> attempts;
  b.server_h.on("on_message", [&](messaging_event& e) {
    attempts.push_back(b.net.elapsed());
    if (attempts.size() < 4) (void)e.delivery().release();
  });
  b.start();
  b.prod.publish(std::string("again"),
                 {.routing_key = "q",
                  .retry = true,
                  .retry_policy = {.max_retries = 5,
                                   .interval_start = 100ms,
                                   .interval_step = 200ms,
                                   .interval_max = 400ms}},
                 b.record());
  b.net.advance(10s);
  EXPECT_EQ(attempts, (std::vector<std::chrono::milliseconds>{0ms, 100ms, 400ms, 800ms}));
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::ok);
}

TEST(producer, without_retry_a_release_is_an_error_at_once) {
  producer_bench b;
  b.server_h.on("on_message", [](messaging_event& e) { (void)e.delivery().release(); });
  b.start();
  b.prod.publish(std::string("once"), {.routing_key = "q"}, b.record());
  b.net.advance(10s);
  EXPECT_EQ(b.server_h.count("on_message"), 1u);
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].error.what, "released");
}

TEST(producer, revive_moves_the_next_publishes_to_a_new_connection) {
  producer_bench b;
  connection_options co;
  co.reconnect = false;
  b.start({}, co);
  b.prod.publish(std::string("first"), {.routing_key = "q"}, b.record());
  b.net.pump();
  ASSERT_TRUE(b.net.drop(b.conn));
  b.net.pump();
  connection again = b.connect(co);
  b.net.pump();
  b.prod.revive(again);
  b.prod.publish(std::string("second"), {.routing_key = "q"}, b.record());
  b.net.pump();
  ASSERT_EQ(b.results.size(), 2u);
  EXPECT_EQ(b.results[1].result, send_result::ok);
  EXPECT_EQ(b.server_h.count("on_message"), 2u);
}

}  // namespace
}  // namespace amqp::client
