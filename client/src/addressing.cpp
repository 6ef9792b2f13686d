#include "amqp/client/addressing.hpp"

namespace amqp::client {

addressing addressing::rabbitmq() {
  addressing a;
  a.target = [](std::string_view exchange, std::string_view key) {
    if (exchange.empty()) return destination{"/queue/" + std::string(key), std::nullopt};
    // "/exchange/X" routes with the subject as the routing key.
    if (key.empty()) return destination{"/exchange/" + std::string(exchange), std::nullopt};
    return destination{"/exchange/" + std::string(exchange) + "/" + std::string(key), std::nullopt};
  };
  a.source = [](const queue& q) {
    if (q.exchange.empty()) return "/queue/" + q.name;
    return "/exchange/" + q.exchange + (q.routing_key.empty() ? "" : "/" + q.routing_key);
  };
  return a;
}

addressing addressing::plain() {
  addressing a;
  a.target = [](std::string_view exchange, std::string_view key) {
    if (exchange.empty()) return destination{std::string(key), std::nullopt};
    return destination{std::string(exchange),
                       key.empty() ? std::nullopt : std::optional<std::string>(std::string(key))};
  };
  a.source = [](const queue& q) { return q.exchange.empty() ? q.name : q.exchange; };
  return a;
}

}  // namespace amqp::client
