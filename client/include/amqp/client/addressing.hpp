// How kombu's exchanges, routing keys and queues become AMQP 1.0 addresses. AMQP 1.0 has
// nodes with addresses and leaves routing to the broker; each broker names its exchanges and
// queues in addresses its own way.
//
//   rabbitmq():  exchange "orders", key "eu"  ->  target "/exchange/orders/eu"
//                exchange "" (the default exchange), key "q"  ->  "/queue/q"
//                queue "q"  ->  source "/queue/q" (declared on attach)
//                queue bound to exchange "orders" with key "eu"  ->  source "/exchange/orders/eu"
//                (RabbitMQ 3.x's AMQP 1.0 plugin: a private queue, bound while the link lasts)
//   plain():     exchange "orders", key "eu"  ->  target "orders", subject "eu"
//                exchange "", key "q"  ->  target "q";  queue "q"  ->  source "q"
//                (brokers whose nodes are plain addresses: Qpid, Artemis, this library's broker)
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace amqp::client {

// A kombu Queue: a named queue, or (with `exchange`) the messages an exchange routes with
// `routing_key`.
struct queue {
  std::string name;
  std::string exchange;
  std::string routing_key;
};

// Where a publish goes: the target address, and the subject to carry the routing key when the
// address does not.
struct destination {
  std::string address;
  std::optional<std::string> subject;
  friend bool operator==(const destination&, const destination&) = default;
};

struct addressing {
  std::function<destination(std::string_view exchange, std::string_view routing_key)> target;
  std::function<std::string(const queue&)> source;

  static addressing rabbitmq();
  static addressing plain();
};

}  // namespace amqp::client
