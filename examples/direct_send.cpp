// Sends messages without a broker: listens, and sends to a receiver that connects to it,
// until every message is accepted.
//
//   direct_send [-a URL] [-m COUNT]      (default 127.0.0.1:5672/examples: listens there)
#include <cstdint>
#include <iostream>

#include "common/io.hpp"
#include "common/options.hpp"

namespace {

class direct_send : public amqp::messaging_handler {
 public:
  explicit direct_send(const example::options& o) : options_(o) {}

  void on_start(amqp::messaging_event& e) override {
    auto address = amqp::parse_url(options_.address);
    auto l = e.container().listen(*address, options_.server_options());
    if (!l) {
      std::cerr << "direct_send: " << l.error() << '\n';
      e.container().stop();
      return;
    }
    listener_ = *l;
    std::cout << "direct_send listening on " << address->host << ':' << listener_.port()
              << std::endl;
  }

  void on_sendable(amqp::messaging_event& e) override {
    amqp::sender s = e.sender();
    while (s.credit() > 0 && sent_ < options_.messages) {
      amqp::message m;
      m.properties.message_id = amqp::value(std::uint64_t(sent_ + 1));
      m.set_value(
          amqp::value::map_of({{amqp::value("sequence"), amqp::value(std::int64_t(sent_ + 1))}}));
      if (auto t = s.send(m); !t) {
        std::cerr << "direct_send: " << t.error().message() << '\n';
        return;
      }
      ++sent_;
    }
  }

  void on_accepted(amqp::messaging_event& e) override {
    if (++confirmed_ == options_.messages) {
      std::cout << "all messages confirmed" << std::endl;
      e.connection().close();
      listener_.close();
    }
  }

 private:
  const example::options& options_;
  amqp::listener listener_;
  int sent_ = 0;
  int confirmed_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("direct_send", "Listens and sends messages to the receiver that connects.");
  opts.add_messages();
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "direct_send: " << u.error().message << '\n';
    return 2;
  }
  direct_send handler(opts);
  example::make_container(opts, handler)->run();
  return 0;
}
