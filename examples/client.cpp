// The request/response client: sends each request to the server's address with a reply-to
// address the peer made for it (a dynamic receiver), and prints each answer.
//
//   client [-a URL]      (default 127.0.0.1:5672/examples)
#include <deque>
#include <iostream>
#include <string>

#include "common/body.hpp"
#include "common/io.hpp"
#include "common/options.hpp"

namespace {

class client : public amqp::messaging_handler {
 public:
  explicit client(const example::options& o) : options_(o) {
    requests_ = {"Twas brillig, and the slithy toves", "Did gire and gymble in the wabe.",
                 "All mimsy were the borogroves,", "And the mome raths outgrabe."};
  }

  void on_start(amqp::messaging_event& e) override {
    auto address = amqp::parse_url(options_.address);
    amqp::connection c = e.container().connect(*address, options_.connection_options());
    sender_ = c.open_sender(address->address);
    receiver_ = c.open_receiver("", {.dynamic = true});
  }

  // The reply-to address exists once the peer answered the dynamic receiver.
  void on_link_opened(amqp::messaging_event& e) override {
    if (e.receiver() == receiver_) send_request();
  }

  void on_sendable(amqp::messaging_event&) override { send_request(); }

  void on_message(amqp::messaging_event& e) override {
    if (requests_.empty()) return;
    std::cout << requests_.front() << " => " << example::body_text(*e.view()) << std::endl;
    requests_.pop_front();
    waiting_ = false;
    if (requests_.empty())
      e.connection().close();
    else
      send_request();
  }

 private:
  void send_request() {
    const std::string reply_to = receiver_.address();
    if (waiting_ || requests_.empty() || reply_to.empty() || sender_.credit() == 0) return;
    amqp::message m;
    m.properties.reply_to = amqp::value(reply_to);
    m.set_value(amqp::value(requests_.front()));
    if (auto t = sender_.send(m); !t) {
      std::cerr << "client: " << t.error().message() << '\n';
      return;
    }
    waiting_ = true;
  }

  const example::options& options_;
  std::deque<std::string> requests_;
  amqp::sender sender_;
  amqp::receiver receiver_;
  bool waiting_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("client", "Sends requests and prints the server's answers.");
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "client: " << u.error().message << '\n';
    return 2;
  }
  client handler(opts);
  example::make_container(opts, handler)->run();
  return 0;
}
