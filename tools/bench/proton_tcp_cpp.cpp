// The tcp benchmark's two applications on Qpid Proton C++ (proton::container), written as a
// careful Proton C++ user writes them: the sender builds its message once and sends it
// whenever it has credit (Proton C++ has no way to send bytes already encoded: sender::send
// encodes each time), the receiver checks the body of the message Proton decoded for it and
// leaves accepting and settling to auto_accept, and the sender's trackers settle themselves
// when accepted (auto_settle).
#include <proton/binary.hpp>
#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/delivery_mode.hpp>
#include <proton/error_condition.hpp>
#include <proton/listen_handler.hpp>
#include <proton/listener.hpp>
#include <proton/message.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/receiver_options.hpp>
#include <proton/sender.hpp>
#include <proton/sender_options.hpp>
#include <proton/tracker.hpp>
#include <proton/transport.hpp>
#include <proton/value.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

#include "bench/tcp_bench.hpp"

namespace amqp::bench {
namespace {

// Both sides: the first error is kept and thrown once run() returns.
class failing_handler : public proton::messaging_handler {
 public:
  void on_error(const proton::error_condition& c) override { note(c.what()); }
  void on_transport_error(proton::transport& t) override { note(t.error().what()); }
  void rethrow() const {
    if (!error_.empty()) throw std::runtime_error(error_);
  }

 protected:
  void note(const std::string& what) {
    if (error_.empty()) error_ = what;
  }

 private:
  std::string error_;
};

class receiver_app : public failing_handler, public proton::listen_handler {
 public:
  receiver_app(const tcp_options& o, listening_fn listening) : o_(o), listening_(listening) {}

  void on_container_start(proton::container& c) override {
    listener_ = c.listen("127.0.0.1:0", static_cast<proton::listen_handler&>(*this));
  }
  // proton::listen_handler
  void on_open(proton::listener& l) override { listening_(static_cast<std::uint16_t>(l.port())); }
  void on_error(proton::listener&, const std::string& what) override {
    throw std::runtime_error("cannot listen: " + what);
  }
  using failing_handler::on_error;

  void on_receiver_open(proton::receiver& r) override {
    r.open(proton::receiver_options().credit_window(static_cast<int>(o_.window)));
  }

  void on_message(proton::delivery&, proton::message& m) override {
    const proton::value& body = m.body();
    if (body.type() != proton::BINARY) {
      ++wrong_;
    } else {
      proton::get(body, body_);  // into the same vector every time
      if (body_.size() != o_.body_size) ++wrong_;
    }
    if (++received_ == o_.messages) listener_.stop();
  }

  void check() const {
    rethrow();
    if (wrong_ != 0) throw std::runtime_error(std::to_string(wrong_) + " messages were wrong");
    if (received_ != o_.messages)
      throw std::runtime_error("received " + std::to_string(received_) + " messages of " +
                               std::to_string(o_.messages));
  }

 private:
  const tcp_options& o_;
  listening_fn listening_;
  proton::listener listener_;
  proton::binary body_;
  std::uint64_t received_ = 0;
  std::uint64_t wrong_ = 0;
};

class sender_app : public failing_handler {
 public:
  explicit sender_app(const tcp_options& o) : o_(o) {
    message_.body(proton::binary(std::string(o.body_size, 'x')));
    message_.inferred(true);  // a binary body as a data section, not an amqp-value
  }

  void on_container_start(proton::container& c) override {
    c.open_sender("127.0.0.1:" + std::to_string(o_.port) + "/bench",
                  proton::sender_options().delivery_mode(proton::delivery_mode::AT_LEAST_ONCE));
  }

  void on_sendable(proton::sender& s) override {
    if (sent_ == 0) start_ = std::chrono::steady_clock::now();
    while (sent_ < o_.messages && s.credit() > 0) {
      s.send(message_);
      ++sent_;
    }
  }

  void on_tracker_accept(proton::tracker& t) override {
    if (++accepted_ != o_.messages) return;
    end_ = std::chrono::steady_clock::now();
    t.connection().close();
  }
  void on_tracker_reject(proton::tracker& t) override { refused(t); }
  void on_tracker_release(proton::tracker& t) override { refused(t); }

  double seconds() const {
    rethrow();
    if (accepted_ != o_.messages)
      throw std::runtime_error("accepted " + std::to_string(accepted_) + " messages of " +
                               std::to_string(o_.messages));
    return std::chrono::duration<double>(end_ - start_).count();
  }

 private:
  void refused(proton::tracker& t) {
    note("a message was not accepted");
    t.connection().close();
  }

  const tcp_options& o_;
  proton::message message_;
  std::uint64_t sent_ = 0;
  std::uint64_t accepted_ = 0;
  std::chrono::steady_clock::time_point start_, end_;
};

}  // namespace

void proton_cpp_tcp_receive(const tcp_options& o, listening_fn listening) {
  receiver_app app(o, listening);
  proton::container(app, "bench-receiver").run();
  app.check();
}

double proton_cpp_tcp_send(const tcp_options& o) {
  sender_app app(o);
  proton::container(app, "bench-sender").run();
  return app.seconds();
}

}  // namespace amqp::bench
