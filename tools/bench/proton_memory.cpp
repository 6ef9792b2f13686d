// The memory benchmark on Qpid Proton C: two pn_connection_driver_t, a client that sends and a
// server that receives, each written the way a careful Proton application is: events handled
// as they come, one pn_message_t and one buffer reused for every message, the sender sending
// whenever it has credit, the receiver reading each delivery as its transfers arrive. In the
// tls_* modes both transports run Proton's SSL layer with domains built once.
#include <proton/codec.h>
#include <proton/connection.h>
#include <proton/connection_driver.h>
#include <proton/delivery.h>
#include <proton/disposition.h>
#include <proton/error.h>
#include <proton/event.h>
#include <proton/link.h>
#include <proton/message.h>
#include <proton/session.h>
#include <proton/terminus.h>
#include <proton/transport.h>

#include <string>
#include <vector>

#include "bench/proton_driver.hpp"

namespace amqp::bench {
namespace {

using namespace proton_impl;

class sender : public endpoint {
 public:
  sender(const workload& w, const tls_domains& tls)
      // The encoding adds the sections' descriptors and sizes to the body: a few dozen bytes.
      : endpoint(false, &tls),
        w_(w),
        message_(pn_message()),
        body_(w.body_size, 'x'),
        encoded_(w.body_size + 256) {
    if (!message_) fail("out of memory");
    // A binary body goes out as one data section rather than an amqp-value.
    pn_message_set_inferred(message_, true);
  }
  ~sender() { pn_message_free(message_); }

  // Sends, as credit allows, until `total` messages have gone out since the start.
  void send_up_to(std::uint64_t total) {
    limit_ = total;
    send_while_credit();
  }

  bool has_credit() const noexcept { return link_ && pn_link_credit(link_) > 0; }

  // The output drained: the sender may go on.
  void on_drained() { send_while_credit(); }

  // Sends while there is credit and less than workload::output_backlog bytes wait to be
  // written, counting what the session holds and the transport has framed: like an
  // application writing into a socket's buffer, it reads what waits once, then counts what
  // each message adds. (Reading it makes the transport frame what the session holds, and
  // with TLS encrypt it: read after every message, it would put each in a record of its own.)
  void send_while_credit() {
    std::size_t backlog =
        pn_session_outgoing_bytes(pn_link_session(link_)) + pn_transport_pending(driver_.transport);
    while (sent_ < limit_ && has_credit() && backlog < workload::output_backlog)
      backlog += send_one();
  }

  void on_event(pn_event_t* e) {
    switch (pn_event_type(e)) {
      case PN_CONNECTION_INIT:
        open(pn_event_connection(e));
        break;
      case PN_LINK_FLOW:
        send_while_credit();
        break;
      case PN_DELIVERY:
        on_outcome(pn_event_delivery(e));
        break;
      default:
        check_transport(e);
        break;
    }
  }

 private:
  void open(pn_connection_t* c) {
    pn_connection_set_container(c, workload::sender_container_id);
    pn_connection_open(c);
    pn_session_t* s = pn_session(c);
    pn_session_set_outgoing_window(s, workload::outgoing_window);
    pn_session_open(s);
    link_ = pn_sender(s, workload::link_name);
    pn_terminus_set_address(pn_link_target(link_), workload::target_address);
    pn_link_set_snd_settle_mode(link_, w_.presettled() ? PN_SND_SETTLED : PN_SND_UNSETTLED);
    pn_link_open(link_);
  }


  // Returns the size of the message sent.
  std::size_t send_one() {
    // A real application has a new payload each time: the body is set and encoded per message.
    pn_data_t* body = pn_message_body(message_);
    pn_data_clear(body);
    pn_data_put_binary(body, pn_bytes(body_.size(), body_.data()));
    std::size_t size = encoded_.size();
    if (pn_message_encode(message_, encoded_.data(), &size) != 0)
      fail(pn_error_text(pn_message_error(message_)));

    const std::uint64_t tag = sent_;
    static_assert(sizeof tag == workload::delivery_tag_size);
    pn_delivery_t* d = pn_delivery(link_, pn_dtag(reinterpret_cast<const char*>(&tag), sizeof tag));
    if (pn_link_send(link_, encoded_.data(), size) != static_cast<ssize_t>(size))
      fail("pn_link_send took less than the message");
    pn_link_advance(link_);
    ++sent_;
    if (w_.presettled()) pn_delivery_settle(d);
    return size;
  }

  // A sender's delivery event: the receiver's disposition arrived.
  void on_outcome(pn_delivery_t* d) {
    if (!pn_delivery_updated(d)) return;
    if (pn_delivery_remote_state(d) != PN_ACCEPTED) fail("a delivery was not accepted");
    pn_delivery_settle(d);
  }

  const workload& w_;
  pn_message_t* message_;
  std::vector<char> body_;
  std::vector<char> encoded_;
  std::uint64_t sent_ = 0;
  std::uint64_t limit_ = 0;
};

class receiver : public endpoint {
 public:
  receiver(const workload& w, const tls_domains& tls)
      : endpoint(true, &tls), w_(w), message_(pn_message()) {
    if (!message_) fail("out of memory");
  }
  ~receiver() { pn_message_free(message_); }

  std::uint64_t received() const noexcept { return received_; }

  void on_event(pn_event_t* e) {
    if (answer_connection(e)) return;
    switch (pn_event_type(e)) {
      case PN_SESSION_REMOTE_OPEN:
        pn_session_set_outgoing_window(pn_event_session(e), workload::outgoing_window);
        pn_session_open(pn_event_session(e));
        break;
      case PN_LINK_REMOTE_OPEN:
        open(pn_event_link(e));
        break;
      case PN_DELIVERY:
        on_delivery(pn_event_delivery(e));
        break;
      default:
        check_transport(e);
        break;
    }
  }

 private:
  void open(pn_link_t* l) {
    if (pn_link_is_sender(l)) fail("the peer attached a receiver");
    link_ = l;
    pn_terminus_copy(pn_link_target(l), pn_link_remote_target(l));
    pn_link_open(l);
    pn_link_flow(l, static_cast<int>(workload::credit_window));
  }

  void on_delivery(pn_delivery_t* d) {
    // Events of a delivery already read (more of its transfers were queued) find it no longer
    // current, hence not readable.
    if (!pn_delivery_readable(d)) return;
    pn_link_t* l = pn_delivery_link(d);
    // Take what has arrived so far: a large message is read transfer by transfer, so that
    // Proton need not hold all of it.
    for (std::size_t pending; (pending = pn_delivery_pending(d)) > 0;) {
      if (in_.size() < in_size_ + pending) in_.resize(in_size_ + pending);
      const ssize_t n = pn_link_recv(l, in_.data() + in_size_, pending);
      if (n < 0) fail("pn_link_recv failed");
      in_size_ += static_cast<std::size_t>(n);
    }
    if (pn_delivery_partial(d)) return;
    pn_link_advance(l);
    check_message();
    in_size_ = 0;
    if (!pn_delivery_settled(d)) pn_delivery_update(d, PN_ACCEPTED);
    pn_delivery_settle(d);
    ++received_;
    const int credit = pn_link_credit(l);
    if (credit <= static_cast<int>(workload::credit_low_water))
      pn_link_flow(l, static_cast<int>(workload::credit_window) - credit);
  }

  void check_message() {
    if (pn_message_decode(message_, in_.data(), in_size_) != 0)
      fail(pn_error_text(pn_message_error(message_)));
    pn_data_t* body = pn_message_body(message_);
    pn_data_rewind(body);
    if (!pn_data_next(body) || pn_data_type(body) != PN_BINARY ||
        pn_data_get_binary(body).size != w_.body_size)
      fail("a message arrived without its body");
  }

  const workload& w_;
  pn_message_t* message_;
  // The bytes of the delivery being read; grown to the largest message once, then reused.
  std::vector<char> in_;
  std::size_t in_size_ = 0;
  std::uint64_t received_ = 0;
};

class connection_pair {
 public:
  explicit connection_pair(const workload& w) : tls_(w), sender_(w, tls_), receiver_(w, tls_) {
    pump(sender_, receiver_, wire_, [&] { return sender_.has_credit(); });
  }

  const wire_bytes& wire() const noexcept { return wire_; }
  pn_transport_t* client_transport() noexcept { return sender_.driver().transport; }

  // Sends until `total` messages have gone out since the start, and returns once the receiver
  // has them all and both ends have settled every delivery.
  void exchange(std::uint64_t total) {
    sender_.send_up_to(total);
    pump(sender_, receiver_, wire_, [&] {
      return receiver_.received() == total && sender_.unsettled() == 0 &&
             receiver_.unsettled() == 0;
    });
  }

  // The sender closes the connection, the receiver answers, both transports finish.
  void close() {
    pn_connection_close(sender_.driver().connection);
    pump(sender_, receiver_, wire_, [&] {
      return pn_connection_driver_finished(&sender_.driver()) &&
             pn_connection_driver_finished(&receiver_.driver());
    });
  }

 private:
  tls_domains tls_;
  sender sender_;
  receiver receiver_;
  wire_bytes wire_;
};

}  // namespace

figures run_proton_memory(const workload& w) {
  connection_pair pair(w);
  pair.exchange(w.warmup_messages);
  const wire_bytes before = pair.wire();
  auto measured = [&] { pair.exchange(w.warmup_messages + w.messages); };
  figures f{measure(measured), pair.wire() - before, {}, {}};
  if (w.tls()) {
    f.tls_protocol = tls_protocol(pair.client_transport());
    f.tls_cipher = tls_cipher(pair.client_transport());
  }
  pair.close();
  return f;
}

}  // namespace amqp::bench
