// The tcp benchmark's two applications on this project's messaging API, written as a careful
// user writes them: the sender encodes its message once and sends the same bytes whenever it
// has credit (send_encoded), the receiver reads each message in place (messaging_event::view)
// and leaves accepting and settling to auto_accept. The handlers see only amqp::container, so
// the same ones run on each binding's container: what differs between the runs is the I/O.
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "amqp/asio/container.hpp"
#include "amqp/codec/writer.hpp"
#include "amqp/libevent/container.hpp"
#include "amqp/message.hpp"
#include "bench/tcp_bench.hpp"

namespace amqp::bench {
namespace {

// Session windows as Qpid Proton's defaults (as in the memory benchmark): no incoming capacity
// set, so the largest windows, and session flow control never holds a transfer back. Ours
// default to 2048 transfers, which a credit window of 10000 would run into: the link's credit
// is what the benchmark varies.
constexpr session_options proton_like_windows() {
  return {.incoming_window = 0x7fffffffu, .outgoing_window = 0x7fffffffu};
}

// Both sides: a failure anywhere ends the run. The first error is kept and thrown once
// run() returns.
class failing_handler : public messaging_handler {
 public:
  void on_error(messaging_event& e) override {
    note(e.error() ? e.error()->to_string() : std::string("an endpoint failed"));
    if (e.connection().is_set()) e.connection().close();
  }
  void on_transport_error(messaging_event& e) override {
    note(e.error() ? e.error()->to_string() : std::string("the transport failed"));
  }
  void rethrow() const {
    if (!error_.empty()) throw std::runtime_error(error_);
  }

 protected:
  void note(std::string what) {
    if (error_.empty()) error_ = std::move(what);
  }

 private:
  std::string error_;
};

class receiver_app : public failing_handler {
 public:
  receiver_app(const tcp_options& o, listening_fn listening) : o_(o), listening_(listening) {}

  void on_start(messaging_event& e) override {
    auto l = e.container().listen("127.0.0.1:0");
    if (!l) throw std::runtime_error(l.error());
    listener_ = *l;
    listening_(listener_.port());
  }

  void on_session_opened(messaging_event& e) override { e.session().open(proton_like_windows()); }

  void on_link_opened(messaging_event& e) override {
    if (e.receiver().is_set()) e.receiver().open({.credit_window = o_.window});
  }

  void on_message(messaging_event& e) override {
    const message_view* m = e.view();
    if (!m || m->body != body_kind::data || m->data().size() != o_.body_size) ++wrong_;
    if (++received_ == o_.messages) listener_.close();
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
  listener listener_;
  std::uint64_t received_ = 0;
  std::uint64_t wrong_ = 0;
};

class sender_app : public failing_handler {
 public:
  explicit sender_app(const tcp_options& o) : o_(o) {
    message m;
    const std::vector<std::uint8_t> body(o.body_size, 'x');
    m.set_data(bytes_view(body.data(), body.size()));
    writer w;
    if (encode_message(w, m)) throw std::runtime_error("the message does not encode");
    encoded_.assign(w.view().begin(), w.view().end());
  }

  void on_start(messaging_event& e) override {
    connection_options co;
    co.reconnect = false;  // a receiver gone is a failed run
    connection c = e.container().connect("127.0.0.1:" + std::to_string(o_.port), co);
    c.open_session(proton_like_windows())
        .open_sender("bench", {.mode = delivery_mode::at_least_once});
  }

  void on_sendable(messaging_event& e) override {
    if (sent_ == 0) start_ = std::chrono::steady_clock::now();
    sender s = e.sender();
    const bytes_view bytes(encoded_.data(), encoded_.size());
    while (sent_ < o_.messages && s.credit() > 0) {
      if (auto t = s.send_encoded(bytes); !t) {
        note("send: " + t.error().message());
        e.connection().close();
        return;
      }
      ++sent_;
    }
  }

  void on_accepted(messaging_event& e) override {
    if (++accepted_ != o_.messages) return;
    end_ = std::chrono::steady_clock::now();
    e.connection().close();
  }

  void on_rejected(messaging_event& e) override { refused(e); }
  void on_released(messaging_event& e) override { refused(e); }
  void on_modified(messaging_event& e) override { refused(e); }

  double seconds() const {
    rethrow();
    if (accepted_ != o_.messages)
      throw std::runtime_error("accepted " + std::to_string(accepted_) + " messages of " +
                               std::to_string(o_.messages));
    return std::chrono::duration<double>(end_ - start_).count();
  }

 private:
  void refused(messaging_event& e) {
    note("a message was not accepted");
    e.connection().close();
  }

  const tcp_options& o_;
  std::vector<std::uint8_t> encoded_;
  std::uint64_t sent_ = 0;
  std::uint64_t accepted_ = 0;
  std::chrono::steady_clock::time_point start_, end_;
};

template <class Container>
void receive_on(const tcp_options& o, listening_fn listening) {
  receiver_app app(o, listening);
  Container(app, "bench-receiver").run();
  app.check();
}

template <class Container>
double send_on(const tcp_options& o) {
  sender_app app(o);
  Container(app, "bench-sender").run();
  return app.seconds();
}

}  // namespace

void amqp_asio_tcp_receive(const tcp_options& o, listening_fn listening) {
  receive_on<asio::container>(o, listening);
}

double amqp_asio_tcp_send(const tcp_options& o) {
  return send_on<asio::container>(o);
}

void amqp_libevent_tcp_receive(const tcp_options& o, listening_fn listening) {
  receive_on<libevent::container>(o, listening);
}

double amqp_libevent_tcp_send(const tcp_options& o) {
  return send_on<libevent::container>(o);
}

}  // namespace amqp::bench
