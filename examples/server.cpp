// The request/response server: receives requests from an address and answers each with its
// body in upper case, sent to the request's reply-to address. When the peer offers the
// anonymous relay one sender carries every reply (each message names its destination);
// otherwise there is one sender per reply-to address.
//
//   server [-a URL]      (default 127.0.0.1:5672/examples)
#include <cctype>
#include <deque>
#include <iostream>
#include <map>

#include "common/body.hpp"
#include "common/io.hpp"
#include "common/options.hpp"

namespace {

class server : public amqp::messaging_handler {
 public:
  explicit server(const example::options& o) : options_(o) {}

  void on_start(amqp::messaging_event& e) override {
    auto address = amqp::parse_url(options_.address);
    connection_ = e.container().connect(*address, options_.connection_options());
    connection_.open_receiver(address->address);
    std::cout << "server connected to " << address->host_port() << std::endl;
  }

  void on_connection_opened(amqp::messaging_event& e) override {
    if (e.connection().peer_offers("ANONYMOUS-RELAY")) relay_ = connection_.open_sender("");
  }

  void on_message(amqp::messaging_event& e) override {
    const amqp::message_view& request = *e.view();
    const std::string body = example::body_text(request);
    std::cout << "received " << body << std::endl;
    if (!request.properties || request.properties->reply_to.is_null()) {
      std::cerr << "server: a request without reply-to: dropped\n";
      return;
    }
    const std::string reply_to(request.properties->reply_to.view().as_string());
    amqp::message reply;
    reply.properties.to = amqp::value(reply_to);
    reply.properties.correlation_id = amqp::value::from_view(request.properties->correlation_id.view());
    std::string upper = body;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    reply.set_value(amqp::value(upper));

    amqp::sender s = relay_.is_set() ? relay_ : sender_for(reply_to);
    pending_[s.name()].push_back(std::move(reply));
    flush(s);
  }

  void on_sendable(amqp::messaging_event& e) override { flush(e.sender()); }

 private:
  amqp::sender sender_for(const std::string& address) {
    auto it = senders_.find(address);
    if (it == senders_.end()) it = senders_.emplace(address, connection_.open_sender(address)).first;
    return it->second;
  }

  // Replies wait for credit: a sender just opened has none until the peer grants it.
  void flush(amqp::sender s) {
    auto& queue = pending_[s.name()];
    while (!queue.empty() && s.credit() > 0) {
      if (auto t = s.send(queue.front()); !t) {
        std::cerr << "server: reply: " << t.error().message() << '\n';
        return;
      }
      queue.pop_front();
    }
  }

  const example::options& options_;
  amqp::connection connection_;
  amqp::sender relay_;
  std::map<std::string, amqp::sender> senders_;
  std::map<std::string, std::deque<amqp::message>> pending_;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("server", "Answers requests with their body in upper case.");
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "server: " << u.error().message << '\n';
    return 2;
  }
  server handler(opts);
  example::make_container(opts, handler)->run();
  return 0;
}
