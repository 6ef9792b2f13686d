// The broker's handler listening on the messaging tests' memory network, and clients to talk
// to it: what the broker suites share.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker.hpp"
#include "messaging/memory_container.hpp"
#include "messaging/recorder.hpp"

namespace broker::test {

using amqp::test::memory_container;
using amqp::test::memory_network;
using amqp::test::recorder;

constexpr const char* url = "amqp://broker:5672";

inline amqp::message text(const std::string& body, amqp::map properties = {}) {
  amqp::message m;
  m.set_value(amqp::value(body));
  m.application_properties = std::move(properties);
  return m;
}

inline std::string body_of(const amqp::message& m) {
  const std::string* s = m.body.size() == 1 ? m.body[0].get_if<std::string>() : nullptr;
  return s ? *s : std::string();
}

struct client {
  client(memory_network& net, const std::string& id) : c(net, h, id) {}
  recorder h;
  memory_container c;
  amqp::connection conn;

  std::vector<std::string> bodies() const {
    std::vector<std::string> out;
    for (const amqp::message& m : h.messages()) out.push_back(body_of(m));
    return out;
  }
};

class broker_test : public ::testing::Test {
 protected:
  explicit broker_test(broker_options o = {.queue_limit = 5}) : handler_(std::move(o)) {}

  void SetUp() override { listen(handler_.connection_options()); }

  void listen(amqp::connection_options o) {
    auto l = broker_c_.listen(url, o);
    ASSERT_TRUE(l) << l.error();
  }

  client& connect(amqp::connection_options o = {}) {
    clients_.push_back(
        std::make_unique<client>(net_, "client-" + std::to_string(clients_.size())));
    client& c = *clients_.back();
    c.conn = c.c.connect(url, o);
    return c;
  }

  // A sender on `address` that has sent `bodies` (each with `properties`).
  amqp::sender produce(client& c, const std::string& address,
                       const std::vector<std::string>& bodies, amqp::map properties = {}) {
    amqp::sender s = c.conn.open_sender(address);
    net_.run();
    for (const std::string& b : bodies) {
      auto t = s.send(text(b, properties));
      EXPECT_TRUE(t) << t.error().message();
    }
    net_.pump();
    return s;
  }

  std::size_t depth(const std::string& name) const {
    const queue* q = handler_.find_queue(name);
    return q ? q->depth() : 0;
  }

  memory_network net_;
  broker_handler handler_;
  memory_container broker_c_{net_, handler_, "broker"};
  std::vector<std::unique_ptr<client>> clients_;
};

}  // namespace broker::test
