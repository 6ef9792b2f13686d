// blocking_connection over loopback TCP, on each binding, against the example broker's handler
// running in an Asio container on a thread of its own: publish waits for the outcome,
// receive(timeout), consume + drain_events on the calling thread, a refused queue, several
// threads at once, and a refused connection named in error().
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "amqp/asio/container.hpp"
#include "amqp/client/blocking.hpp"
#include "broker.hpp"

namespace amqp::client {
namespace {

using namespace std::chrono_literals;

// The example broker on 127.0.0.1, a free port, until destroyed.
class loopback_broker {
 public:
  loopback_broker() : container_(handler_) {
    auto l = container_.listen("127.0.0.1:0", handler_.connection_options());
    EXPECT_TRUE(l) << (l ? "" : l.error());
    if (l) listener_ = *l;
    thread_ = std::thread([this] { container_.run(); });
  }
  ~loopback_broker() {
    container_.stop();
    thread_.join();
  }
  std::string url() const { return "amqp://127.0.0.1:" + std::to_string(listener_.port()); }

 private:
  broker::broker_handler handler_;
  amqp::asio::container container_;
  listener listener_;
  std::thread thread_;
};

class blocking : public testing::TestWithParam<io_binding> {
 protected:
  blocking_options options() const {
    blocking_options o;
    o.io = GetParam();
    o.timeout = 10s;
    return o;
  }
  loopback_broker broker_;
};

TEST_P(blocking, publish_waits_for_the_outcome_and_receive_gets_it_back) {
  blocking_connection c(broker_.url(), options());
  ASSERT_TRUE(c.wait_open()) << (c.error() ? c.error()->to_string() : "");
  const publish_result r = c.publish(nlohmann::json{{"id", 17}}, {.routing_key = "orders"});
  EXPECT_EQ(r.result, send_result::ok) << r.error.what;
  EXPECT_EQ(r.address, "orders");
  auto m = c.receive({.name = "orders"}, 5s);
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<nlohmann::json>(m->body()), (nlohmann::json{{"id", 17}}));
  EXPECT_EQ(m->message().properties.content_type, "application/json");
  EXPECT_FALSE(m->acknowledged());
  EXPECT_FALSE(m->ack());
  EXPECT_TRUE(m->acknowledged());
  EXPECT_EQ(m->ack(), make_error_code(errc::wrong_state));
  // Nothing more: receive gives up after its timeout.
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(c.receive({.name = "orders"}, 200ms));
  EXPECT_GE(std::chrono::steady_clock::now() - before, 200ms);
}

TEST_P(blocking, consume_callbacks_run_in_drain_events_on_the_calling_thread) {
  blocking_connection c(broker_.url(), options());
  ASSERT_TRUE(c.wait_open());
  std::vector<int> got;
  const auto me = std::this_thread::get_id();
  bool same_thread = true;
  ASSERT_TRUE(c.consume({{.name = "events"}}, [&](const payload& body, blocking_message& m) {
    same_thread = same_thread && std::this_thread::get_id() == me;
    got.push_back(std::get<nlohmann::json>(body)["n"].get<int>());
    EXPECT_FALSE(m.ack());
  }));
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(c.publish(nlohmann::json{{"n", i}}, {.routing_key = "events"}).result,
              send_result::ok);
  while (got.size() < 5 && c.drain_events(5s) > 0) {
  }
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(same_thread);
  EXPECT_EQ(c.drain_events(100ms), 0u);
}

TEST_P(blocking, consume_of_a_queue_the_broker_refuses_returns_false_at_its_answer) {
  blocking_connection c(broker_.url(), options());
  ASSERT_TRUE(c.wait_open());
  // The example broker refuses a dynamic node's name it did not give.
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(c.consume({{.name = "events"}, {.name = "dynamic-none"}},
                         [](const payload&, blocking_message&) {}));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);  // the answer, not the 10 s timeout
  EXPECT_FALSE(c.consume({}, [](const payload&, blocking_message&) {}));
}

TEST_P(blocking, several_threads_publish_at_once) {
  blocking_connection c(broker_.url(), options());
  ASSERT_TRUE(c.wait_open());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        // Appended, not operator+: g++ 12 warns about that wrongly (-Wrestrict).
        std::string body = "t";
        body += std::to_string(t);
        body += '-';
        body += std::to_string(i);
        if (c.publish(body, {.routing_key = "many", .serializer = "text"}).result ==
            send_result::ok)
          ++ok;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
  std::set<std::string> bodies;
  while (auto m = c.receive({.name = "many"}, 2s)) {
    bodies.insert(std::get<std::string>(m->body()));
    ASSERT_FALSE(m->ack());
  }
  EXPECT_EQ(bodies.size(), 100u);
}

TEST_P(blocking, a_refused_connection_says_so_and_publish_does_not_hang) {
  blocking_options o = options();
  o.connection.reconnect = false;
  o.timeout = 2s;
  blocking_connection c("amqp://127.0.0.1:1", o);
  EXPECT_FALSE(c.wait_open());
  ASSERT_TRUE(c.error());
  EXPECT_NE(c.error()->description.find("127.0.0.1:1"), std::string::npos)
      << c.error()->to_string();
  const publish_result r = c.publish(std::string("x"), {.routing_key = "q", .serializer = "text"});
  EXPECT_NE(r.result, send_result::ok);
}

INSTANTIATE_TEST_SUITE_P(io, blocking, testing::Values(io_binding::asio, io_binding::libevent),
                         [](const testing::TestParamInfo<io_binding>& p) {
                           return std::string(p.param == io_binding::asio ? "asio" : "libevent");
                         });

}  // namespace
}  // namespace amqp::client
