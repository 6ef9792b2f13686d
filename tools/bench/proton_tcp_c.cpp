// The tcp benchmark's two applications on Qpid Proton C and its proactor, written as a careful
// Proton C user writes them: raw events, the sender encoding its message once and sending the
// same bytes whenever it has credit, the receiver reading each delivery into one buffer,
// decoding it into one pn_message_t reused for every message to check its body, accepting and
// settling it, and topping its credit up to the window once half of it is used. No SASL layer
// on either side, as in Proton's own proactor examples.
#include <proton/codec.h>
#include <proton/condition.h>
#include <proton/connection.h>
#include <proton/delivery.h>
#include <proton/disposition.h>
#include <proton/event.h>
#include <proton/link.h>
#include <proton/listener.h>
#include <proton/message.h>
#include <proton/netaddr.h>
#include <proton/proactor.h>
#include <proton/session.h>
#include <proton/terminus.h>
#include <proton/transport.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/tcp_bench.hpp"

namespace amqp::bench {
namespace {

// A condition that is set becomes the run's error.
std::string describe(const char* where, pn_condition_t* c) {
  if (!c || !pn_condition_is_set(c)) return {};
  const char* name = pn_condition_get_name(c);
  const char* description = pn_condition_get_description(c);
  return std::string(where) + ": " + (name ? name : "") + ": " + (description ? description : "");
}

// The proactor's loop, common to both sides: runs until the proactor is inactive (no
// connection and no listener left), handing every event to `app.on_event`, then throws the
// first error an application noted.
template <class App>
void run(App& app, pn_proactor_t* proactor) {
  for (bool active = true; active;) {
    pn_event_batch_t* batch = pn_proactor_wait(proactor);
    while (pn_event_t* e = pn_event_batch_next(batch)) {
      if (pn_event_type(e) == PN_PROACTOR_INACTIVE) active = false;
      app.on_event(e);
    }
    pn_proactor_done(proactor, batch);
  }
}

// What both sides do with the events that are not about messages.
class endpoint {
 public:
  endpoint() : proactor_(pn_proactor()) {
    if (!proactor_) throw std::runtime_error("out of memory");
  }
  ~endpoint() { pn_proactor_free(proactor_); }
  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;

  void rethrow() const {
    if (!error_.empty()) throw std::runtime_error(error_);
  }

 protected:
  void note(const std::string& what) {
    if (error_.empty() && !what.empty()) error_ = what;
  }

  // Answers what the peer opens and closes; notes errors.
  void on_common(pn_event_t* e) {
    switch (pn_event_type(e)) {
      case PN_CONNECTION_REMOTE_OPEN:
        if (pn_connection_state(pn_event_connection(e)) & PN_LOCAL_UNINIT)
          pn_connection_open(pn_event_connection(e));
        break;
      case PN_SESSION_REMOTE_OPEN:
        if (pn_session_state(pn_event_session(e)) & PN_LOCAL_UNINIT)
          pn_session_open(pn_event_session(e));
        break;
      case PN_LINK_REMOTE_CLOSE:
      case PN_LINK_REMOTE_DETACH:
        note(describe("link", pn_link_remote_condition(pn_event_link(e))));
        pn_link_close(pn_event_link(e));
        break;
      case PN_SESSION_REMOTE_CLOSE:
        note(describe("session", pn_session_remote_condition(pn_event_session(e))));
        pn_session_close(pn_event_session(e));
        break;
      case PN_CONNECTION_REMOTE_CLOSE:
        note(describe("connection", pn_connection_remote_condition(pn_event_connection(e))));
        pn_connection_close(pn_event_connection(e));
        break;
      case PN_TRANSPORT_CLOSED:
        note(describe("transport", pn_transport_condition(pn_event_transport(e))));
        break;
      default:
        break;
    }
  }

  pn_proactor_t* proactor_;

 private:
  std::string error_;
};

class receiver_app : public endpoint {
 public:
  receiver_app(const tcp_options& o, listening_fn listening)
      : o_(o), listening_(listening), message_(pn_message()), listener_(pn_listener()) {
    if (!message_ || !listener_) throw std::runtime_error("out of memory");
    pn_proactor_listen(proactor_, listener_, "127.0.0.1:0", 16);
  }
  ~receiver_app() { pn_message_free(message_); }  // the proactor frees the listener

  void run() {
    amqp::bench::run(*this, proactor_);
    rethrow();
    if (wrong_ != 0) throw std::runtime_error(std::to_string(wrong_) + " messages were wrong");
    if (received_ != o_.messages)
      throw std::runtime_error("received " + std::to_string(received_) + " messages of " +
                               std::to_string(o_.messages));
  }

  void on_event(pn_event_t* e) {
    switch (pn_event_type(e)) {
      case PN_DELIVERY:
        on_delivery(pn_event_delivery(e));
        break;
      case PN_LISTENER_OPEN: {
        char port[16];
        if (pn_netaddr_host_port(pn_listener_addr(pn_event_listener(e)), nullptr, 0, port,
                                 sizeof port) != 0)
          throw std::runtime_error("the listener has no port");
        listening_(static_cast<std::uint16_t>(std::atoi(port)));
        break;
      }
      case PN_LISTENER_ACCEPT:
        pn_listener_accept2(pn_event_listener(e), nullptr, nullptr);
        break;
      case PN_LISTENER_CLOSE:
        note(describe("listener", pn_listener_condition(pn_event_listener(e))));
        break;
      case PN_LINK_REMOTE_OPEN: {
        pn_link_t* l = pn_event_link(e);
        pn_link_open(l);
        if (pn_link_is_receiver(l)) pn_link_flow(l, static_cast<int>(o_.window));
        break;
      }
      default:
        on_common(e);
        break;
    }
  }

 private:
  void on_delivery(pn_delivery_t* d) {
    if (!pn_delivery_readable(d) || pn_delivery_partial(d)) return;
    pn_link_t* l = pn_delivery_link(d);
    buffer_.resize(pn_delivery_pending(d));
    const ssize_t n = pn_link_recv(l, buffer_.data(), buffer_.size());
    if (n < 0 || static_cast<std::size_t>(n) != buffer_.size()) {
      ++wrong_;
    } else if (pn_message_decode(message_, buffer_.data(), buffer_.size()) != 0) {
      ++wrong_;
    } else {
      pn_data_t* body = pn_message_body(message_);
      pn_data_rewind(body);
      if (!pn_data_next(body) || pn_data_type(body) != PN_BINARY ||
          pn_data_get_binary(body).size != o_.body_size)
        ++wrong_;
    }
    pn_delivery_update(d, PN_ACCEPTED);
    pn_delivery_settle(d);
    const int credit = pn_link_credit(l);
    const int window = static_cast<int>(o_.window);
    if (credit <= window / 2) pn_link_flow(l, window - credit);
    if (++received_ == o_.messages) pn_listener_close(listener_);
  }

  const tcp_options& o_;
  listening_fn listening_;
  pn_message_t* message_;
  pn_listener_t* listener_;
  std::vector<char> buffer_;
  std::uint64_t received_ = 0;
  std::uint64_t wrong_ = 0;
};

class sender_app : public endpoint {
 public:
  explicit sender_app(const tcp_options& o) : o_(o), encoded_(o.body_size + 256) {
    pn_message_t* m = pn_message();
    if (!m) throw std::runtime_error("out of memory");
    const std::string body(o.body_size, 'x');
    pn_message_set_inferred(m, true);  // a binary body as a data section
    pn_data_put_binary(pn_message_body(m), pn_bytes(body.size(), body.data()));
    std::size_t size = encoded_.size();
    const int rc = pn_message_encode(m, encoded_.data(), &size);
    pn_message_free(m);
    if (rc != 0) throw std::runtime_error("the message does not encode");
    encoded_.resize(size);
    const std::string address = "127.0.0.1:" + std::to_string(o.port);
    pn_proactor_connect2(proactor_, nullptr, nullptr, address.c_str());
  }

  double run() {
    amqp::bench::run(*this, proactor_);
    rethrow();
    if (accepted_ != o_.messages)
      throw std::runtime_error("accepted " + std::to_string(accepted_) + " messages of " +
                               std::to_string(o_.messages));
    return std::chrono::duration<double>(end_ - start_).count();
  }

  void on_event(pn_event_t* e) {
    switch (pn_event_type(e)) {
      case PN_LINK_FLOW:
        send(pn_event_link(e));
        break;
      case PN_DELIVERY:
        on_outcome(pn_event_delivery(e));
        break;
      case PN_CONNECTION_INIT: {
        pn_connection_t* c = pn_event_connection(e);
        pn_connection_set_container(c, "bench-sender");
        pn_connection_open(c);
        pn_session_t* s = pn_session(c);
        pn_session_open(s);
        pn_link_t* l = pn_sender(s, "bench");
        pn_terminus_set_address(pn_link_target(l), "bench");
        pn_link_set_snd_settle_mode(l, PN_SND_UNSETTLED);
        pn_link_set_rcv_settle_mode(l, PN_RCV_FIRST);
        pn_link_open(l);
        break;
      }
      default:
        on_common(e);
        break;
    }
  }

 private:
  void send(pn_link_t* l) {
    if (sent_ == 0) start_ = std::chrono::steady_clock::now();
    while (sent_ < o_.messages && pn_link_credit(l) > 0) {
      const std::uint64_t tag = sent_++;
      pn_delivery(l, pn_dtag(reinterpret_cast<const char*>(&tag), sizeof tag));
      if (pn_link_send(l, encoded_.data(), encoded_.size()) !=
          static_cast<ssize_t>(encoded_.size()))
        throw std::runtime_error("pn_link_send took less than the message");
      pn_link_advance(l);
    }
  }

  void on_outcome(pn_delivery_t* d) {
    if (!pn_delivery_updated(d)) return;
    if (pn_delivery_remote_state(d) != PN_ACCEPTED) {
      note("a message was not accepted");
      pn_connection_close(pn_session_connection(pn_link_session(pn_delivery_link(d))));
      return;
    }
    pn_delivery_settle(d);
    if (++accepted_ != o_.messages) return;
    end_ = std::chrono::steady_clock::now();
    pn_connection_close(pn_session_connection(pn_link_session(pn_delivery_link(d))));
  }

  const tcp_options& o_;
  std::vector<char> encoded_;
  std::uint64_t sent_ = 0;
  std::uint64_t accepted_ = 0;
  std::chrono::steady_clock::time_point start_, end_;
};

}  // namespace

void proton_c_tcp_receive(const tcp_options& o, listening_fn listening) {
  receiver_app app(o, listening);
  app.run();
}

double proton_c_tcp_send(const tcp_options& o) {
  sender_app app(o);
  return app.run();
}

}  // namespace amqp::bench
