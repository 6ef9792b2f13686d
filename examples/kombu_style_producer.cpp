// Publishes JSON messages the way a kombu script does: a producer with an exchange, a routing
// key, a serializer and compression, publishing from a plain thread through a blocking
// connection, each publish waiting for the broker's outcome.
//
//   kombu_style_producer [-a URL] [-m COUNT] [--exchange X] [--routing-key KEY]
//                        [--compression zlib|gzip|zstd] [--rabbitmq] [--retry]
//
// --rabbitmq addresses RabbitMQ's way: exchange X and key KEY go to "/exchange/X/KEY", the
// default exchange ("") to "/queue/KEY". Otherwise the exchange is the address and the key
// its subject. Prints "published N of N to ADDRESS", and each failure with its reason.
#include <iostream>

#include "amqp/client/blocking.hpp"
#include "common/options.hpp"

int main(int argc, char** argv) {
  example::options opts("kombu_style_producer", "Publishes JSON messages as kombu's Producer does.");
  opts.address = "127.0.0.1:5672";
  opts.messages = 10;
  opts.add_messages();
  std::string exchange, routing_key = "examples", compression;
  bool rabbitmq = false, retry = false;
  opts.add_value("exchange", 'x', "X", "the exchange (default: the default exchange)", exchange);
  opts.add_value("routing-key", 'k', "KEY", "the routing key (default: examples)", routing_key);
  opts.add_value("compression", 'z', "NAME", "zlib, gzip or zstd", compression);
  opts.add_flag("rabbitmq", 'r', "address exchanges and queues as RabbitMQ does", rabbitmq);
  opts.add_flag("retry", 'R', "retry refused and in-doubt publishes (1 s, 2 s, 3 s)", retry);
  if (int status = opts.parse(argc, argv); status >= 0) return status;

  using namespace amqp::client;
  blocking_options bo;
  bo.connection = opts.connection_options();
  bo.io = opts.io == "libevent" ? io_binding::libevent : io_binding::asio;
  bo.producer = {.exchange = exchange,
                 .routing_key = routing_key,
                 .compression = compression,
                 .addressing = rabbitmq ? addressing::rabbitmq() : addressing::plain()};
  blocking_connection conn(opts.address, bo);
  if (!conn.wait_open()) {
    std::cerr << "kombu_style_producer: " << (conn.error() ? conn.error()->to_string() : "no connection")
              << '\n';
    return 1;
  }
  int published = 0;
  std::string address;
  for (int i = 1; i <= opts.messages; ++i) {
    publish_options po{.headers = {{"sequence", amqp::value(std::int32_t{i})}}};
    po.retry = retry;
    po.retry_policy = {.max_retries = 3,
                       .interval_start = std::chrono::seconds(1),
                       .interval_step = std::chrono::seconds(1),
                       .interval_max = std::chrono::seconds(3)};
    const publish_result r = conn.publish(nlohmann::json{{"n", i}, {"text", "order " + std::to_string(i)}}, po);
    address = r.address;
    if (r.result == send_result::ok) {
      ++published;
    } else {
      std::cerr << "message " << i << ": " << to_string(r.result) << ": " << r.error.what << '\n';
    }
  }
  std::cout << "published " << published << " of " << opts.messages << " to " << address << std::endl;
  return published == opts.messages ? 0 : 1;
}
