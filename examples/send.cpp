// Sends messages reliably (at least once): each is sent unsettled and counted once the
// receiver accepts it. Messages whose outcome was lost with a connection are sent again after
// the reconnect, so every message arrives at least once; a receiver drops duplicates by id.
//
//   send [-a URL] [-m COUNT] [--at-most-once]
//
// Prints "all messages confirmed" once every message was accepted (or, at most once, sent).
#include <cstdint>
#include <deque>
#include <iostream>
#include <unordered_map>

#include "common/io.hpp"
#include "common/options.hpp"

namespace {

class reliable_send : public amqp::messaging_handler {
 public:
  explicit reliable_send(const example::options& o) : options_(o) {
    for (int i = 1; i <= o.messages; ++i) to_send_.push_back(std::uint64_t(i));
  }

  void on_start(amqp::messaging_event& e) override {
    auto address = amqp::parse_url(options_.address);
    amqp::connection c = e.container().connect(*address, options_.connection_options());
    amqp::sender_options so;
    so.mode = options_.at_most_once ? amqp::delivery_mode::at_most_once
                                    : amqp::delivery_mode::at_least_once;
    c.open_sender(address->address, so);
  }

  void on_sendable(amqp::messaging_event& e) override {
    amqp::sender s = e.sender();
    while (s.credit() > 0 && !to_send_.empty()) {
      const std::uint64_t n = to_send_.front();
      amqp::message m;
      m.properties.message_id = amqp::value(n);
      m.set_value(amqp::value::map_of({{amqp::value("sequence"), amqp::value(std::int64_t(n))}}));
      auto t = s.send(m);
      if (!t) {
        std::cerr << "send: " << t.error().message() << '\n';
        return;
      }
      to_send_.pop_front();
      if (options_.at_most_once) {
        confirm(e);
      } else {
        unconfirmed_[*t] = n;
      }
    }
  }

  void on_accepted(amqp::messaging_event& e) override {
    if (unconfirmed_.erase(e.tracker())) confirm(e);
  }

  void on_rejected(amqp::messaging_event& e) override {
    // The receiver will not take it: count it, and say why.
    std::cerr << "message " << unconfirmed_[e.tracker()] << " rejected"
              << (e.error() ? ": " + e.error()->to_string() : std::string()) << '\n';
    if (unconfirmed_.erase(e.tracker())) confirm(e);
  }

  void on_released(amqp::messaging_event& e) override { resend(e.tracker()); }
  void on_modified(amqp::messaging_event& e) override { resend(e.tracker()); }

  // The connection went away before the receiver settled it: it may or may not have arrived.
  void on_in_doubt(amqp::messaging_event& e) override { resend(e.tracker()); }

  void on_transport_error(amqp::messaging_event& e) override {
    std::cerr << "send: " << (e.error() ? e.error()->to_string() : "transport failed")
              << (e.connection().is_set() ? ", reconnecting" : "") << '\n';
  }

 private:
  void resend(const amqp::tracker& t) {
    auto it = unconfirmed_.find(t);
    if (it == unconfirmed_.end()) return;
    to_send_.push_front(it->second);
    unconfirmed_.erase(it);
  }

  void confirm(amqp::messaging_event& e) {
    if (++confirmed_ == options_.messages) {
      std::cout << "all messages confirmed" << std::endl;
      e.connection().close();
    }
  }

  const example::options& options_;
  std::deque<std::uint64_t> to_send_;
  std::unordered_map<amqp::tracker, std::uint64_t> unconfirmed_;
  int confirmed_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("send", "Sends messages and waits until every one is confirmed.");
  opts.add_messages();
  opts.add_at_most_once();
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "send: " << u.error().message << '\n';
    return 2;
  }
  reliable_send handler(opts);
  example::make_container(opts, handler)->run();
  return 0;
}
