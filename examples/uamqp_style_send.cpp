// Sends the way a uAMQP program does: a message_sender on the connection, each message queued
// with a callback and a timeout, the error policy retrying what may succeed another time.
// Event-driven: the container runs on this thread, on the binding --io names.
//
//   uamqp_style_send [-a URL/ADDRESS] [-m COUNT] [--timeout MS]
//
// Prints "sent N: ok=A error=E timeout=T cancelled=C" once every callback was called.
#include <iostream>
#include <map>

#include "amqp/client/message_sender.hpp"
#include "common/io.hpp"
#include "common/options.hpp"

namespace {

using namespace amqp::client;

class uamqp_style : public amqp::messaging_handler {
 public:
  uamqp_style(const example::options& o, std::chrono::milliseconds timeout)
      : options_(o), timeout_(timeout) {}

  void on_start(amqp::messaging_event& e) override {
    auto url = amqp::parse_url(options_.address);
    amqp::connection c = e.container().connect(*url, options_.connection_options());
    message_sender_options so;
    so.error_policy.max_retries = 3;
    so.error_policy.on_error.backoff = std::chrono::milliseconds(500);
    sender_ = message_sender(c, url->address, std::move(so));
    sender_.open();
    for (int i = 1; i <= options_.messages; ++i) {
      amqp::message m;
      m.properties.message_id = "uamqp-style-" + std::to_string(i);
      m.set_value(amqp::value("message " + std::to_string(i)));
      auto done = [this, c](const amqp::message&, send_result r, const send_error& err) mutable {
        ++results_[r];
        if (r != send_result::ok) std::cerr << to_string(r) << ": " << err.what << '\n';
        // Every callback was called (and each message's timeout cancelled with it): once the
        // connection is closed, run() has nothing left to do.
        if (++done_ == options_.messages) {
          sender_.destroy();
          c.close();
        }
      };
      sender_.send(std::move(m), std::move(done), timeout_);
    }
  }

  void on_transport_error(amqp::messaging_event& e) override {
    std::cerr << "uamqp_style_send: " << (e.error() ? e.error()->to_string() : "transport failed") << '\n';
  }

  int report() const {
    std::cout << "sent " << options_.messages << ": ok=" << count(send_result::ok)
              << " error=" << count(send_result::error) << " timeout=" << count(send_result::timeout)
              << " cancelled=" << count(send_result::cancelled) << std::endl;
    return count(send_result::ok) == options_.messages ? 0 : 1;
  }

 private:
  int count(send_result r) const {
    auto it = results_.find(r);
    return it == results_.end() ? 0 : it->second;
  }
  const example::options& options_;
  std::chrono::milliseconds timeout_;
  message_sender sender_;
  std::map<send_result, int> results_;
  int done_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("uamqp_style_send", "Sends with a uAMQP-style message_sender.");
  opts.address = "127.0.0.1:5672/examples";
  opts.messages = 10;
  opts.add_messages();
  std::string timeout = "5000";
  opts.add_value("timeout", 't', "MS", "each message's timeout (default 5000)", timeout);
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "uamqp_style_send: " << u.error().message << '\n';
    return 2;
  }
  uamqp_style handler(opts, std::chrono::milliseconds(std::stoi(timeout)));
  example::make_container(opts, handler)->run();
  return handler.report();
}
