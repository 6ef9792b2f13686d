// Sends messages with a "colour" application property, alternating red and green, for
// selected_recv to pick from.
//
//   colour_send [-a URL] [-m COUNT]
#include <cstdint>
#include <iostream>

#include "common/io.hpp"
#include "common/options.hpp"

namespace {

class colour_send : public amqp::messaging_handler {
 public:
  explicit colour_send(const example::options& o) : options_(o) {}

  void on_start(amqp::messaging_event& e) override {
    auto address = amqp::parse_url(options_.address);
    e.container().connect(*address, options_.connection_options()).open_sender(address->address);
  }

  void on_sendable(amqp::messaging_event& e) override {
    amqp::sender s = e.sender();
    while (s.credit() > 0 && sent_ < options_.messages) {
      const char* colour = sent_ % 2 == 0 ? "red" : "green";
      amqp::message m;
      m.properties.message_id = amqp::value(std::uint64_t(sent_ + 1));
      m.application_properties.emplace_back(amqp::value("colour"), amqp::value(colour));
      m.set_value(amqp::value(std::string(colour) + " " + std::to_string(sent_ + 1)));
      if (auto t = s.send(m); !t) {
        std::cerr << "colour_send: " << t.error().message() << '\n';
        return;
      }
      ++sent_;
    }
  }

  void on_accepted(amqp::messaging_event& e) override {
    if (++confirmed_ == options_.messages) {
      std::cout << "all messages confirmed" << std::endl;
      e.connection().close();
    }
  }

 private:
  const example::options& options_;
  int sent_ = 0;
  int confirmed_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("colour_send", "Sends messages coloured red and green in turn.");
  opts.add_messages();
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "colour_send: " << u.error().message << '\n';
    return 2;
  }
  colour_send handler(opts);
  example::make_container(opts, handler)->run();
  return 0;
}
