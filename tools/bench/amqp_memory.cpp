// The memory benchmark on this project's engine: two connection_engines, a client that sends
// and a server that receives, each written the way an application of the engine is: events
// handled as they come, each message's sections encoded once with the body handed over where
// it lies (message_parts), the receiver reading the message in place from the delivery. In
// the tls_* modes both engines run the engine's own TLS stage with contexts built once.
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "amqp/codec/encoder.hpp"
#include "amqp/engine.hpp"
#include "amqp/message.hpp"
#include "bench/amqp_engines.hpp"

namespace amqp::bench {
namespace {

using namespace amqp_impl;

session_options windows() {
  return {.incoming_window = workload::incoming_window,
          .outgoing_window = workload::outgoing_window};
}

class sender {
 public:
  sender(const workload& w, const engine_config& c) : w_(w), engine_(c), body_(w.body_size, 'x') {
    expect(engine_.open({.container_id = workload::sender_container_id}), "open");
  }
  connection_engine& engine() noexcept { return engine_; }
  bool has_credit() const noexcept {
    const link_status* l = link_.is_set() ? engine_.link(link_) : nullptr;
    return l && l->credit > 0;
  }
  std::size_t unsettled() const noexcept {
    const link_status* l = link_.is_set() ? engine_.link(link_) : nullptr;
    return l ? l->unsettled : 0;
  }
  // The output drained: the sender may go on.
  void on_drained() { send_while_credit(); }
  void send_up_to(std::uint64_t total) {
    limit_ = total;
    send_while_credit();
  }
  // Sends while there is credit and less than workload::output_backlog bytes wait to be
  // written: like an application writing into a socket's buffer, it reads what waits once,
  // then counts what each message adds. output_backlog() counts the frames that TLS has not
  // encrypted yet too, which pending_output() does not show.
  void send_while_credit() {
    std::size_t backlog = engine_.output_backlog();
    while (sent_ < limit_ && has_credit() && backlog < workload::output_backlog)
      backlog += send_one();
  }
  void on_event(const event& e) {
    if (std::holds_alternative<peer_opened>(e)) {
      auto s = engine_.begin_session(windows());
      if (!s) fail("begin: " + s.error().message());
    } else if (const auto* b = std::get_if<peer_began_session>(&e)) {
      auto l = engine_.attach_sender(
          b->session, {.name = workload::link_name,
                       .target = terminus{.address = workload::target_address},
                       .snd_settle_mode = w_.presettled() ? sender_settle_mode::settled
                                                          : sender_settle_mode::unsettled});
      if (!l) fail("attach: " + l.error().message());
      link_ = *l;
    } else if (std::holds_alternative<credit_granted>(e)) {
      send_while_credit();
    } else if (const auto* d = std::get_if<disposition_received>(&e)) {
      if (engine_.delivery(d->delivery)->remote_state.kind != delivery_state::type::accepted)
        fail("a delivery was not accepted");
      expect(engine_.settle(d->delivery), "settle");
    } else {
      check(e);
    }
  }

 private:
  // Returns the size of the message sent.
  std::size_t send_one() {
    // The sections are encoded per message: here the data section's descriptor and binary
    // header; the body, a new payload each time in a real application, follows as it lies.
    section_.clear();
    encoder e(section_);
    e.descriptor(0x75);  // data (spec Part 3, 3.2.6)
    std::uint8_t* p = section_.extend(5);
    p[0] = 0xb0;  // vbin32
    const auto n = static_cast<std::uint32_t>(body_.size());
    for (int i = 0; i < 4; ++i) p[1 + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
    std::array<std::uint8_t, workload::delivery_tag_size> tag{};
    std::memcpy(tag.data(), &sent_, tag.size());
    const bytes_view parts[] = {section_.view(),
                                {reinterpret_cast<const std::uint8_t*>(body_.data()), body_.size()}};
    auto d = engine_.send(link_, message_parts(parts), {.tag = tag, .settled = w_.presettled()});
    if (!d) fail("send: " + d.error().message());
    ++sent_;
    return section_.size() + body_.size();
  }
  const workload& w_;
  connection_engine engine_;
  std::string body_;
  writer section_;
  link_handle link_;
  std::uint64_t sent_ = 0;
  std::uint64_t limit_ = 0;
};

class receiver {
 public:
  receiver(const workload& w, const engine_config& c) : w_(w), engine_(c) {}
  connection_engine& engine() noexcept { return engine_; }
  std::uint64_t received() const noexcept { return received_; }
  std::size_t unsettled() const noexcept {
    const link_status* l = link_.is_set() ? engine_.link(link_) : nullptr;
    return l ? l->unsettled : 0;
  }
  void on_event(const event& e) {
    if (std::holds_alternative<peer_opened>(e)) {
      expect(engine_.open({.container_id = workload::receiver_container_id}), "open");
    } else if (const auto* b = std::get_if<peer_began_session>(&e)) {
      expect(engine_.begin_session(b->session, windows()), "begin");
    } else if (const auto* a = std::get_if<peer_attached>(&e)) {
      link_ = a->link;
      expect(engine_.attach(a->link, {.target = engine_.link(a->link)->remote_target}), "attach");
      expect(engine_.grant_credit(a->link, workload::credit_window), "credit");
    } else if (const auto* t = std::get_if<transfer_received>(&e)) {
      on_transfer(t->delivery);
    } else if (std::holds_alternative<peer_closed>(e)) {
      expect(engine_.close(), "close");
    } else {
      check(e);
    }
  }
  void on_drained() noexcept {}

 private:
  void on_transfer(delivery_handle d) {
    // The message is read where the engine reassembled it: no copy.
    auto m = decode_message(engine_.payload(d));
    if (!m || m->data().size() != w_.body_size) fail("a message arrived without its body");
    if (w_.presettled())
      expect(engine_.settle(d), "settle");
    else
      expect(engine_.settle(d, delivery_state::accepted()), "settle");
    ++received_;
    const std::uint32_t credit = engine_.link(link_)->credit;
    if (credit <= workload::credit_low_water)
      expect(engine_.grant_credit(link_, workload::credit_window - credit), "credit");
  }

  const workload& w_;
  connection_engine engine_;
  link_handle link_;
  std::uint64_t received_ = 0;
};

class connection_pair {
 public:
  connection_pair(const workload& w, const tls_contexts& tls)
      : sender_(w, config(engine_role::client, tls)),
        receiver_(w, config(engine_role::server, tls)) {
    pump(sender_, receiver_, wire_, [&] { return sender_.has_credit(); });
  }
  const wire_bytes& wire() const noexcept { return wire_; }
  const tls_info* tls() { return sender_.engine().tls(); }

  void exchange(std::uint64_t total) {
    sender_.send_up_to(total);
    pump(sender_, receiver_, wire_, [&] {
      return receiver_.received() == total && sender_.unsettled() == 0 &&
             receiver_.unsettled() == 0;
    });
  }
  void close() {
    expect(sender_.engine().close(), "close");
    pump(sender_, receiver_, wire_,
         [&] { return sender_.engine().is_finished() && receiver_.engine().is_finished(); });
  }

 private:
  sender sender_;
  receiver receiver_;
  wire_bytes wire_;
};

}  // namespace

figures run_amqp_memory(const workload& w) {
  connection_pair pair(w, make_tls_contexts(w));
  pair.exchange(w.warmup_messages);
  const wire_bytes before = pair.wire();
  auto phase = [&] { pair.exchange(w.warmup_messages + w.messages); };
  figures f;
  f.measured = measure(phase);
  f.wire = pair.wire() - before;
  if (const tls_info* t = pair.tls()) f.tls_protocol = t->protocol, f.tls_cipher = t->cipher;
  pair.close();
  return f;
}

}  // namespace amqp::bench
