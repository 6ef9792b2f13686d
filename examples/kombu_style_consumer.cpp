// Consumes the way a kombu script does: a consumer on a queue (or on what an exchange routes
// with a key) whose callback gets each decoded body and acknowledges it, run by
// drain_events() on the main thread of a blocking connection, with qos(prefetch_count).
//
//   kombu_style_consumer [-a URL] [-m COUNT] [--queue Q | --exchange X --routing-key KEY]
//                        [--prefetch N] [--idle SECONDS] [--rabbitmq]
//
// Prints "consuming from ADDRESS" once the broker attached the link, each body on its own
// line, then "received N"; ends after COUNT messages or SECONDS without one.
#include <iostream>

#include "amqp/client/blocking.hpp"
#include "common/options.hpp"

int main(int argc, char** argv) {
  example::options opts("kombu_style_consumer", "Consumes and acknowledges as kombu's Consumer does.");
  opts.address = "127.0.0.1:5672";
  opts.messages = 10;
  opts.add_messages();
  std::string queue_name = "examples", exchange, routing_key, prefetch = "10", idle = "5";
  bool rabbitmq = false;
  opts.add_value("queue", 'q', "Q", "the queue (default: examples)", queue_name);
  opts.add_value("exchange", 'x', "X", "consume what this exchange routes with --routing-key",
                 exchange);
  opts.add_value("routing-key", 'k', "KEY", "the binding key with --exchange", routing_key);
  opts.add_value("prefetch", 'p', "N", "qos prefetch_count (default 10)", prefetch);
  opts.add_value("idle", 'i', "SECONDS", "stop after this long without a message (default 5)", idle);
  opts.add_flag("rabbitmq", 'r', "address exchanges and queues as RabbitMQ does", rabbitmq);
  if (int status = opts.parse(argc, argv); status >= 0) return status;

  using namespace amqp::client;
  blocking_options bo;
  bo.connection = opts.connection_options();
  bo.io = opts.io == "libevent" ? io_binding::libevent : io_binding::asio;
  bo.consumer.addressing = rabbitmq ? addressing::rabbitmq() : addressing::plain();
  bo.consumer.prefetch_count = static_cast<std::uint16_t>(std::stoi(prefetch));
  blocking_connection conn(opts.address, bo);
  if (!conn.wait_open()) {
    std::cerr << "kombu_style_consumer: " << (conn.error() ? conn.error()->to_string() : "no connection")
              << '\n';
    return 1;
  }
  const queue q = exchange.empty() ? queue{.name = queue_name}
                                   : queue{.exchange = exchange, .routing_key = routing_key};
  int received = 0;
  if (!conn.consume({q}, [&](const payload& body, blocking_message& m) {
        if (const auto* j = std::get_if<nlohmann::json>(&body))
          std::cout << j->dump() << '\n';
        else
          std::cout << "(a body that is not JSON)\n";
        if (std::error_code ec = m.ack()) std::cerr << "ack: " << ec.message() << '\n';
        ++received;
      })) {
    std::cerr << "kombu_style_consumer: could not consume from "
              << bo.consumer.addressing.source(q)
              << (conn.error() ? ": " + conn.error()->to_string() : std::string()) << '\n';
    return 1;
  }
  std::cout << "consuming from " << bo.consumer.addressing.source(q) << std::endl;
  const auto quiet = std::chrono::seconds(std::stoi(idle));
  while (received < opts.messages && conn.drain_events(quiet) > 0) {
  }
  std::cout << "received " << received << std::endl;
  return received >= opts.messages ? 0 : 1;
}
