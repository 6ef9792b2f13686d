// Receives messages and prints each body on its own line, ignoring duplicates (a message whose
// id was seen already, as a reliable sender resends after a reconnect).
//
//   recv [-a URL] [-m COUNT] [--at-most-once]      (-m 0: receive until stopped)
#include <cstdint>
#include <iostream>
#include <unordered_set>

#include "common/body.hpp"
#include "common/io.hpp"
#include "common/options.hpp"

namespace {

class simple_recv : public amqp::messaging_handler {
 public:
  explicit simple_recv(const example::options& o) : options_(o) {}

  void on_start(amqp::messaging_event& e) override {
    auto address = amqp::parse_url(options_.address);
    amqp::connection c = e.container().connect(*address, options_.connection_options());
    amqp::receiver_options ro;
    ro.mode = options_.at_most_once ? amqp::delivery_mode::at_most_once
                                    : amqp::delivery_mode::at_least_once;
    c.open_receiver(address->address, ro);
  }

  void on_message(amqp::messaging_event& e) override {
    const amqp::message_view& m = *e.view();
    if (m.properties && !m.properties->message_id.is_null()) {
      const std::string id = amqp::to_text(m.properties->message_id.view(), {.multiline = false});
      if (!seen_.insert(id).second) return;  // a duplicate: accepted again, not printed
    }
    if (options_.messages != 0 && received_ >= options_.messages) return;
    std::cout << example::body_text(m) << std::endl;
    if (++received_ == options_.messages) {
      e.receiver().close();
      e.connection().close();
    }
  }

  void on_transport_error(amqp::messaging_event& e) override {
    std::cerr << "recv: " << (e.error() ? e.error()->to_string() : "transport failed")
              << ", reconnecting\n";
  }

 private:
  const example::options& options_;
  std::unordered_set<std::string> seen_;
  int received_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("recv", "Receives messages and prints each body on its own line.");
  opts.add_messages();
  opts.add_at_most_once();
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "recv: " << u.error().message << '\n';
    return 2;
  }
  simple_recv handler(opts);
  example::make_container(opts, handler)->run();
  return 0;
}
