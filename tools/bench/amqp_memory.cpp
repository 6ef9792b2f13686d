// The memory benchmark on this project's engine: two connection_engines, a client that sends
// and a server that receives, each written the way an application of the engine is: events
// handled as they come, each message's sections encoded once with the body handed over where
// it lies (message_parts), the receiver reading the message in place from the delivery.
#include <array>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "amqp/codec/encoder.hpp"
#include "amqp/engine.hpp"
#include "amqp/message.hpp"
#include "bench/memory_bench.hpp"

namespace amqp::bench {
namespace {

using namespace std::chrono_literals;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("amqp: " + what); }

engine_config config(engine_role r) {
  engine_config c{.role = r};
  c.limits.max_frame_size = workload::max_frame_size;
  return c;
}

session_options windows() {
  return {.incoming_window = workload::incoming_window,
          .outgoing_window = workload::outgoing_window};
}

void expect(std::error_code ec, const char* what) {
  if (ec) fail(std::string(what) + ": " + ec.message());
}

class sender {
 public:
  explicit sender(const workload& w) : w_(w), engine_(config(engine_role::client)), body_(w.body_size, 'x') {
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
  void send_up_to(std::uint64_t total) {
    limit_ = total;
    send_while_credit();
  }
  // Sends while there is credit and less than workload::output_backlog bytes wait to be
  // written: like an application writing to a socket, it does not produce faster than the
  // transport drains.
  void send_while_credit() {
    while (sent_ < limit_ && has_credit() &&
           engine_.pending_output().size() < workload::output_backlog)
      send_one();
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
  void send_one() {
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
  }
  static void check(const event& e) {
    if (const auto* v = std::get_if<protocol_violation>(&e)) fail(v->error.to_string());
    if (const auto* t = std::get_if<transport_closed>(&e); t && t->error) fail(t->error->to_string());
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
  explicit receiver(const workload& w) : w_(w), engine_(config(engine_role::server)) {}
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
    } else if (const auto* v = std::get_if<protocol_violation>(&e)) {
      fail(v->error.to_string());
    }
  }

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
  explicit connection_pair(const workload& w) : sender_(w), receiver_(w) {
    pump([&] { return sender_.has_credit(); });
  }
  const wire_bytes& wire() const noexcept { return wire_; }

  void exchange(std::uint64_t total) {
    sender_.send_up_to(total);
    pump([&] {
      return receiver_.received() == total && sender_.unsettled() == 0 &&
             receiver_.unsettled() == 0;
    });
  }
  void close() {
    expect(sender_.engine().close(), "close");
    pump([&] { return sender_.engine().is_finished() && receiver_.engine().is_finished(); });
  }

 private:
  // The engines read straight from each other's output: feed() takes the bytes where they lie,
  // as it would from a socket's read buffer.
  bool move(connection_engine& from, connection_engine& to, std::uint64_t& wire) {
    const bytes_view out = from.pending_output();
    if (out.empty()) return false;
    const std::size_t n = to.feed(out, now_);
    from.consume_output(n);
    wire += n;
    return n > 0;
  }
  template <class Done>
  void pump(Done done) {
    while (!done()) {
      bool moved = move(sender_.engine(), receiver_.engine(), wire_.to_receiver);
      sender_.send_while_credit();  // the output drained: the sender may go on
      while (auto e = receiver_.engine().poll_event()) moved = true, receiver_.on_event(*e);
      moved |= move(receiver_.engine(), sender_.engine(), wire_.to_sender);
      while (auto e = sender_.engine().poll_event()) moved = true, sender_.on_event(*e);
      if (!moved) fail("neither side can make progress");
    }
  }

  sender sender_;
  receiver receiver_;
  wire_bytes wire_;
  time_point now_{1h};
};

}  // namespace

figures run_amqp_memory(const workload& w) {
  connection_pair pair(w);
  pair.exchange(w.warmup_messages);
  const wire_bytes before = pair.wire();
  auto phase = [&] { pair.exchange(w.warmup_messages + w.messages); };
  figures f;
  f.measured = measure(phase);
  f.wire = pair.wire() - before;
  pair.close();
  return f;
}

}  // namespace amqp::bench
