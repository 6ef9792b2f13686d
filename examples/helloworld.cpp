// Sends "Hello World!" to an address and receives it back on the same connection.
//
//   helloworld [-a URL]      (default 127.0.0.1:5672/examples)
#include <iostream>

#include "common/body.hpp"
#include "common/io.hpp"
#include "common/options.hpp"

namespace {

class hello_world : public amqp::messaging_handler {
 public:
  hello_world(const example::options& o) : options_(o) {}

  void on_start(amqp::messaging_event& e) override {
    auto address = amqp::parse_url(options_.address);
    if (!address) return;  // main checked it
    amqp::connection c = e.container().connect(*address, options_.connection_options());
    c.open_receiver(address->address);
    c.open_sender(address->address);
  }

  void on_sendable(amqp::messaging_event& e) override {
    amqp::message m;
    m.set_value(amqp::value("Hello World!"));
    if (auto t = e.sender().send(m); !t) std::cerr << "send: " << t.error().message() << '\n';
    e.sender().close();
  }

  void on_message(amqp::messaging_event& e) override {
    std::cout << example::body_text(*e.view()) << std::endl;
    e.connection().close();
  }

 private:
  const example::options& options_;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("helloworld", "Sends Hello World! to an address and receives it back.");
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "helloworld: " << u.error().message << '\n';
    return 2;
  }
  hello_world handler(opts);
  example::make_container(opts, handler)->run();
  return 0;
}
