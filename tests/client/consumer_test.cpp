// consumer on the virtual clock: bodies decoded for the callbacks in order, ack / reject /
// requeue as outcomes, decode errors, qos as credit (count and bytes, never taken back),
// flow, recover, cancel, purge, and the links' attach and refusal reported.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp/client/consumer.hpp"
#include "fixture.hpp"

namespace amqp::client {
namespace {

using namespace std::chrono_literals;

message json_message(const nlohmann::json& j) {
  message m;
  const std::string text = j.dump();
  m.set_data(bytes(text.begin(), text.end()));
  m.properties.content_type = "application/json";
  return m;
}

// A server that sends what `outbox` holds on every link a client receives from, as credit
// allows, and records the flows it gets.
struct consumer_bench : test::messaging_pair {
  std::vector<message> outbox;
  std::size_t next = 0;
  connection conn;
  consumer cons;
  std::vector<std::string> seen;  // "<queue>:<body>" as the callbacks got them
  std::vector<consumed_message> held;

  void serve() {
    server_h.on("on_sendable", [this](messaging_event& e) { send_some(e.sender()); });
  }
  void send_some(sender s) {
    while (s.credit() > 0 && next < outbox.size()) ASSERT_TRUE(s.send(outbox[next++]));
  }
  void more(std::vector<message> ms) {
    for (auto& m : ms) outbox.push_back(std::move(m));
    for (const test::seen_event& ev : server_h.events)
      if (ev.what == "on_link_opened" && ev.sender.is_set()) send_some(ev.sender);
    net.pump();
  }
  consume_callback keep() {
    return [this](const payload& body, consumed_message& m) {
      seen.push_back(m.queue() + ":" + std::get<nlohmann::json>(body).dump());
      held.push_back(m);
    };
  }
  void start(std::vector<queue> queues, consumer_options o) {
    listen();
    serve();
    conn = connect();
    cons = consumer(conn, std::move(queues), std::move(o));
    cons.consume();
    net.run();
  }
  // The link-credit of the client's flows, in order.
  std::vector<std::string> credits() const {
    std::vector<std::string> out;
    for (const std::string& l : test::sent_with(client_trace, "@flow")) {
      const auto at = l.find("link-credit: ");
      if (at != std::string::npos)
        out.push_back(l.substr(at + 18, l.find_first_of(",}", at) - at - 18));  // "uint N"
    }
    return out;
  }
};

TEST(consumer, callbacks_get_decoded_bodies_in_order_and_ack_accepts) {
  consumer_bench b;
  for (int i = 0; i < 3; ++i) b.outbox.push_back(json_message({{"n", i}}));
  std::vector<int> order;
  consumer_options o;
  o.callbacks = {b.keep(), [&](const payload&, consumed_message&) { order.push_back(2); }};
  b.start({{.name = "orders"}}, std::move(o));
  EXPECT_EQ(b.seen, (std::vector<std::string>{"orders:{\"n\":0}", "orders:{\"n\":1}",
                                              "orders:{\"n\":2}"}));
  EXPECT_EQ(order.size(), 3u);
  EXPECT_EQ(b.cons.unacknowledged(), 3u);
  ASSERT_FALSE(b.held[0].ack());
  ASSERT_FALSE(b.held[1].reject());
  ASSERT_FALSE(b.held[2].requeue());
  EXPECT_EQ(b.held[0].ack(), make_error_code(errc::wrong_state));
  b.net.pump();
  EXPECT_EQ(b.server_h.only({"on_accepted", "on_rejected", "on_released"}),
            (std::vector<std::string>{"on_accepted", "on_rejected", "on_released"}));
  EXPECT_EQ(b.cons.unacknowledged(), 0u);
}

TEST(consumer, a_compressed_body_is_decompressed_by_its_content_encoding) {
  consumer_bench b;
  message m = json_message({{"big", std::string(5000, 'z')}});
  const bytes plain = m.body[0].get_if<binary>()->bytes;
  m.set_data(compressions().compress(plain, "zstd")->body);
  m.properties.content_encoding = "zstd";
  b.outbox.push_back(m);
  consumer_options o;
  o.callbacks = {b.keep()};
  b.start({{.name = "q"}}, std::move(o));
  ASSERT_EQ(b.seen.size(), 1u);
  EXPECT_EQ(b.seen[0].size(), std::string("q:{\"big\":\"\"}").size() + 5000);
}

TEST(consumer, a_body_that_does_not_decode_goes_to_on_decode_error_or_is_rejected_by_default) {
  consumer_bench b;
  message bad = json_message({});
  bad.set_data(bytes{'{', 'x'});
  message unaccepted = json_message({});
  unaccepted.properties.content_type = "application/x-yaml";
  b.outbox = {bad, unaccepted};
  std::vector<std::string> errors;
  consumer_options o;
  o.callbacks = {b.keep()};
  o.on_decode_error = [&](consumed_message& m, const codec_failure& f) {
    errors.push_back(f.what);
    (void)m.reject();
  };
  o.accept = {"application/json"};
  b.start({{.name = "q"}}, std::move(o));
  EXPECT_TRUE(b.seen.empty());
  EXPECT_EQ(errors, (std::vector<std::string>{"json: the body is not valid JSON",
                                              "content-type 'application/x-yaml' is not accepted"}));

  // Without on_decode_error: rejected with amqp:decode-error, and reported.
  consumer_bench d;
  d.outbox = {bad};
  consumer_options od;
  od.callbacks = {d.keep()};
  d.start({{.name = "q"}}, std::move(od));
  EXPECT_EQ(d.server_h.only({"on_rejected"}),
            (std::vector<std::string>{"on_rejected amqp:decode-error"}));
  ASSERT_FALSE(d.client.errors.empty());
  EXPECT_EQ(d.client.errors.back(),
            "consumer: a message from 'q' does not decode: json: the body is not valid JSON");
}

TEST(consumer, qos_prefetch_count_bounds_unacknowledged_plus_credit) {
  consumer_bench b;
  for (int i = 0; i < 20; ++i) b.outbox.push_back(json_message({{"n", i}}));
  consumer_options o;
  o.callbacks = {b.keep()};
  o.prefetch_count = 4;
  b.start({{.name = "q"}}, std::move(o));
  EXPECT_EQ(b.seen.size(), 4u);
  EXPECT_EQ(b.credits(), (std::vector<std::string>{"4"}));
  // Each ack lets one more come, as a broker with basic.qos does.
  ASSERT_FALSE(b.held[0].ack());
  b.net.pump();
  EXPECT_EQ(b.seen.size(), 5u);
  ASSERT_FALSE(b.held[1].ack());
  b.net.pump();
  EXPECT_EQ(b.seen.size(), 6u);
  // Lowering the count takes nothing back and grants nothing more until below it.
  b.cons.qos(0, 1);
  for (std::size_t i = 2; i < 5; ++i) ASSERT_FALSE(b.held[i].ack());
  b.net.pump();
  EXPECT_EQ(b.seen.size(), 6u);
  ASSERT_FALSE(b.held[5].ack());
  b.net.pump();
  EXPECT_EQ(b.seen.size(), 7u);
  EXPECT_EQ(b.credits(), (std::vector<std::string>{"4", "1", "1", "1"}));
}

TEST(consumer, qos_prefetch_size_stops_granting_while_the_bytes_unacknowledged_reach_it) {
  consumer_bench b;
  for (int i = 0; i < 10; ++i) b.outbox.push_back(json_message({{"pad", std::string(100, 'p')}}));
  consumer_options o;
  o.callbacks = {b.keep()};
  o.prefetch_count = 2;
  o.prefetch_size = 300;  // about two messages
  b.start({{.name = "q"}}, std::move(o));
  EXPECT_EQ(b.seen.size(), 2u);
  ASSERT_FALSE(b.held[0].ack());
  b.net.pump();
  EXPECT_EQ(b.seen.size(), 3u);  // one more fits the count; the bytes are then over the budget
  ASSERT_FALSE(b.held[1].ack());
  b.net.pump();
  EXPECT_EQ(b.seen.size(), 4u);
}

TEST(consumer, flow_off_drains_and_grants_nothing_flow_on_grants_again) {
  consumer_bench b;
  consumer_options o;
  o.callbacks = {[&](const payload&, consumed_message& m) { (void)m.ack(); }};
  o.prefetch_count = 5;
  b.start({{.name = "q"}}, std::move(o));
  b.cons.flow(false);
  b.net.pump();
  const auto flows = test::sent_with(b.client_trace, "@flow");
  EXPECT_NE(flows.back().find("drain: true"), std::string::npos) << flows.back();
  b.more({json_message({{"n", 1}})});
  EXPECT_EQ(b.next, 0u);  // no credit: nothing was sent
  b.cons.flow(true);
  b.net.pump();
  EXPECT_EQ(b.next, 1u);
}

TEST(consumer, recover_releases_or_modifies_every_unacknowledged_message) {
  consumer_bench b;
  for (int i = 0; i < 3; ++i) b.outbox.push_back(json_message({{"n", i}}));
  consumer_options o;
  o.callbacks = {b.keep()};
  b.start({{.name = "q"}}, std::move(o));
  ASSERT_FALSE(b.held[0].ack());
  b.cons.recover(true);
  b.net.pump();
  EXPECT_EQ(b.server_h.only({"on_accepted", "on_released", "on_modified"}),
            (std::vector<std::string>{"on_accepted", "on_released", "on_released"}));
  EXPECT_EQ(b.cons.unacknowledged(), 0u);
  EXPECT_EQ(b.held[1].ack(), make_error_code(errc::invalid_handle));
}

TEST(consumer, several_queues_share_the_count_and_cancel_by_queue_closes_one) {
  consumer_bench b;
  consumer_options o;
  o.callbacks = {b.keep()};
  o.prefetch_count = 10;
  b.start({{.name = "a"}, {.name = "b"}}, std::move(o));
  EXPECT_EQ(b.credits(), (std::vector<std::string>{"5", "5"}));
  EXPECT_TRUE(b.cons.consuming_from("a"));
  b.cons.cancel_by_queue("a");
  b.net.pump();
  EXPECT_FALSE(b.cons.consuming_from("a"));
  EXPECT_TRUE(b.cons.consuming_from("b"));
  EXPECT_EQ(test::sent_with(b.client_trace, "@detach").size(), 1u);
}

TEST(consumer, on_link_state_reports_each_attach_and_each_refusal_with_its_condition) {
  consumer_bench b;
  b.server_h.on("on_link_opened", [](messaging_event& e) {
    if (e.sender().address() == "missing")
      e.sender().close(condition{"amqp:not-found", "no queue 'missing'", {}});
  });
  std::vector<std::string> states;
  consumer_options o;
  o.callbacks = {b.keep()};
  o.on_link_state = [&](const queue& q, bool attached, const std::optional<condition>& error) {
    std::string s = q.name;
    s += attached ? " attached" : " ended";
    if (error) s += ": " + error->to_string();
    states.push_back(s);
  };
  b.start({{.name = "orders"}, {.name = "missing"}}, std::move(o));
  EXPECT_EQ(states, (std::vector<std::string>{
                        "orders attached", "missing ended: amqp:not-found: no queue 'missing'"}));
  EXPECT_TRUE(b.cons.refused());
  EXPECT_FALSE(b.cons.attached());
  // Cancelled by the application: no report.
  b.cons.cancel();
  b.net.pump();
  EXPECT_EQ(states.size(), 2u);
}

TEST(consumer, no_ack_takes_messages_sent_settled) {
  consumer_bench b;
  b.outbox = {json_message({{"n", 1}})};
  consumer_options o;
  o.callbacks = {b.keep()};
  o.no_ack = true;
  b.start({{.name = "q"}}, std::move(o));
  ASSERT_EQ(b.seen.size(), 1u);
  EXPECT_TRUE(b.held[0].acknowledged());
  EXPECT_EQ(b.cons.unacknowledged(), 0u);
  const auto attach = test::sent_with(b.client_trace, "@attach");
  EXPECT_NE(attach[0].find("snd-settle-mode: settled"), std::string::npos);
}

TEST(consumer, purge_takes_every_ready_message_and_counts_them) {
  consumer_bench b;
  for (int i = 0; i < 1234; ++i) b.outbox.push_back(json_message({{"n", i}}));
  consumer_options o;
  o.callbacks = {b.keep()};
  b.listen();
  b.serve();
  b.conn = b.connect();
  b.cons = consumer(b.conn, {{.name = "q"}}, std::move(o));
  std::optional<std::size_t> purged;
  std::string error = "not called";
  b.cons.purge([&](std::size_t n, const std::string& e) {
    purged = n;
    error = e;
  });
  b.net.run();
  EXPECT_EQ(purged, 1234u);
  EXPECT_EQ(error, "");
  EXPECT_TRUE(b.seen.empty());
}

TEST(consumer, purge_without_drain_stops_after_a_quiet_period) {
  consumer_bench b;
  for (int i = 0; i < 700; ++i) b.outbox.push_back(json_message({{"n", i}}));
  consumer_options o;
  o.callbacks = {b.keep()};
  o.drain = false;  // as for RabbitMQ 3.10
  o.purge_idle = 300ms;
  b.listen();
  b.serve();
  b.conn = b.connect();
  b.cons = consumer(b.conn, {{.name = "q"}}, std::move(o));
  std::optional<std::size_t> purged;
  b.cons.purge([&](std::size_t n, const std::string&) { purged = n; });
  b.net.run();
  EXPECT_FALSE(purged);  // still waiting for the quiet period
  EXPECT_EQ(b.next, 700u);
  EXPECT_TRUE(test::sent_with(b.client_trace, "drain: true").empty());
  b.net.advance(300ms);
  b.net.advance(300ms);
  EXPECT_EQ(purged, 700u);
}

TEST(consumer, a_charset_in_content_encoding_is_no_compression_and_accept_takes_names) {
  consumer_bench b;
  message raw;
  raw.set_data(bytes{1, 2, 3});
  raw.properties.content_type = "application/data";
  raw.properties.content_encoding = "binary";  // as kombu senders write it
  message j = json_message({{"n", 1}});
  j.properties.content_type = "application/json; charset=utf-8";
  j.properties.content_encoding = "utf-8";
  b.outbox = {raw, j};
  std::vector<std::string> kinds;
  consumer_options o;
  o.accept = {"json", "application/data"};
  o.callbacks = {[&](const payload& body, consumed_message&) {
    kinds.push_back(std::holds_alternative<bytes>(body) ? "bytes"
                                                        : std::get<nlohmann::json>(body).dump());
  }};
  b.start({{.name = "q"}}, std::move(o));
  EXPECT_EQ(kinds, (std::vector<std::string>{"bytes", "{\"n\":1}"}));
}

}  // namespace
}  // namespace amqp::client
