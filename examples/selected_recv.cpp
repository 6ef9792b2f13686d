// Receives only the messages a selector picks ("colour = 'green'" by default) and prints each
// body on its own line. The broker applies the selector (the apache.org:selector-filter:string
// filter); a broker that ignores selectors delivers everything, so the program checks the
// filter came back in the broker's attach and says so when it did not.
//
//   selected_recv [-a URL] [-m COUNT] [--selector EXPR]
#include <iostream>

#include "common/body.hpp"
#include "common/io.hpp"
#include "common/options.hpp"

namespace {

class selected_recv : public amqp::messaging_handler {
 public:
  selected_recv(const example::options& o, std::string selector)
      : options_(o), selector_(std::move(selector)) {}

  void on_start(amqp::messaging_event& e) override {
    auto address = amqp::parse_url(options_.address);
    amqp::connection c = e.container().connect(*address, options_.connection_options());
    c.open_receiver(address->address, {.selector = selector_});
  }

  void on_link_opened(amqp::messaging_event& e) override {
    const amqp::link_status* s = e.receiver().status();
    if (s && s->remote_source && s->remote_source->filter.is_null())
      std::cerr << "selected_recv: the peer did not take the selector: it may deliver every "
                   "message\n";
  }

  void on_message(amqp::messaging_event& e) override {
    if (options_.messages != 0 && received_ >= options_.messages) return;  // already closing
    std::cout << example::body_text(*e.view()) << std::endl;
    if (++received_ == options_.messages) e.connection().close();
  }

 private:
  const example::options& options_;
  std::string selector_;
  int received_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("selected_recv", "Receives the messages a selector picks.");
  opts.add_messages();
  std::string selector = "colour = 'green'";
  opts.add_value("selector", 's', "EXPR", "the selector (default: colour = 'green')", selector);
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "selected_recv: " << u.error().message << '\n';
    return 2;
  }
  selected_recv handler(opts, selector);
  example::make_container(opts, handler)->run();
  return 0;
}
