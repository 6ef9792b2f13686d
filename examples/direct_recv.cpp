// Receives messages without a broker: listens, and takes what a sender connecting to it sends
// (to any address), printing each body on its own line.
//
//   direct_recv [-a URL] [-m COUNT]      (default 127.0.0.1:5672/examples: listens there)
#include <iostream>
#include <unordered_set>

#include "common/body.hpp"
#include "common/io.hpp"
#include "common/options.hpp"

namespace {

class direct_recv : public amqp::messaging_handler {
 public:
  explicit direct_recv(const example::options& o) : options_(o) {}

  void on_start(amqp::messaging_event& e) override {
    auto address = amqp::parse_url(options_.address);
    auto l = e.container().listen(*address, options_.server_options());
    if (!l) {
      std::cerr << "direct_recv: " << l.error() << '\n';
      e.container().stop();
      return;
    }
    listener_ = *l;
    std::cout << "direct_recv listening on " << address->host << ':' << listener_.port()
              << std::endl;
  }

  void on_message(amqp::messaging_event& e) override {
    const amqp::message_view& m = *e.view();
    if (m.properties && !m.properties->message_id.is_null() &&
        !seen_.insert(amqp::to_text(m.properties->message_id.view(), {.multiline = false})).second)
      return;  // resent after a reconnect: seen already
    if (options_.messages != 0 && received_ >= options_.messages) return;
    std::cout << example::body_text(m) << std::endl;
    if (++received_ == options_.messages) {
      e.receiver().close();
      e.connection().close();
      listener_.close();
    }
  }

 private:
  const example::options& options_;
  amqp::listener listener_;
  std::unordered_set<std::string> seen_;
  int received_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("direct_recv", "Listens and receives messages, no broker needed.");
  opts.add_messages();
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "direct_recv: " << u.error().message << '\n';
    return 2;
  }
  direct_recv handler(opts);
  example::make_container(opts, handler)->run();
  return 0;
}
