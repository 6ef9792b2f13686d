// Part 3.4 and 2.6.12, delivery states and settlement: each outcome, pre-settled messages both
// ways, rcv-settle-mode second, and what the peer does with deliveries left unsettled.
#include <string>

#include "cases.hpp"

namespace conformance {

namespace {

// A receiver that grants exactly `credit` and leaves every outcome to the case.
amqp::receiver manual_receiver(script& s, const amqp::connection& c, std::uint32_t credit) {
  amqp::receiver r = s.open_receiver(
      c, s.p.address, {.credit_window = 0, .auto_accept = false, .auto_settle = false});
  s.call(c, [&] { return r.add_credit(credit); });
  return r;
}

// Settles `d` as `settle` does, on its connection's thread; a refusal ends the case.
template <class Settle>
void settle(script& s, const amqp::connection& c, const happening& got, Settle how) {
  if (std::error_code ec = s.call(c, [&] {
        amqp::delivery d = got.delivery;
        return how(d);
      }))
    fail_now("settling failed: " + ec.message());
}

// A new receiver on `address` gets nothing within 1 s, or the case fails saying what came.
void expect_nothing(script& s, const amqp::connection& c, const std::string& after) {
  amqp::receiver r = s.open_receiver(c, s.p.address);
  if (auto got = s.extras(c, r, 1s); !got.empty())
    fail_now("a new receiver got " + bodies(got) + " " + after);
}

verdict accepted(script& s) {
  amqp::connection c = s.open();
  amqp::sender snd = s.open_sender(c, s.p.address, {.mode = amqp::delivery_mode::at_least_once});
  s.confirm(c, s.send(c, snd, numbered(5)));
  s.close(c);
  return pass("each of 5 messages was accepted and settled");
}

verdict rejected(script& s) {
  amqp::connection c = s.open();
  s.put(c, s.p.address, {text_message("A"), text_message("B")});
  amqp::receiver r = manual_receiver(s, c, 2);
  const std::vector<happening> got = s.receive(c, r, 2);
  if (bodies(got) != "A, B") return fail("received " + bodies(got) + ", expected A, B");
  settle(s, c, got[0], [](amqp::delivery& d) {
    return d.reject(amqp::condition{"amqp:internal-error", "conformance reject", {}});
  });
  settle(s, c, got[1], [](amqp::delivery& d) { return d.accept(); });
  s.close_link(c, r);
  expect_nothing(s, c, "after A was rejected and B accepted");
  s.close(c);
  return pass("A rejected and B accepted: a new receiver got nothing");
}

verdict released(script& s) {
  amqp::connection c = s.open();
  s.put(c, s.p.address, {text_message("A")});
  amqp::receiver r = manual_receiver(s, c, 1);
  settle(s, c, s.receive(c, r, 1).front(), [](amqp::delivery& d) { return d.release(); });
  amqp::receiver again = s.open_receiver(c, s.p.address);
  const std::string body =
      body_text(*s.receive(c, again, 1, "A again after it was released").front().message);
  if (body != "A") return fail("a new receiver got \"" + body + "\", expected A");
  s.close(c);
  return pass("a new receiver got A again after it was released");
}

verdict modified(script& s) {
  amqp::connection c = s.open();
  s.put(c, s.p.address, {text_message("A")});
  amqp::receiver r = manual_receiver(s, c, 1);
  settle(s, c, s.receive(c, r, 1).front(), [](amqp::delivery& d) { return d.modify(true); });
  amqp::receiver again = s.open_receiver(c, s.p.address);
  const amqp::message m = *s.receive(c, again, 1, "A again after it was modified").front().message;
  if (body_text(m) != "A") return fail("a new receiver got \"" + body_text(m) + "\", expected A");
  const std::uint32_t count = m.header ? m.header->delivery_count : 0;
  if (count != 1)
    return fail("A came back with header delivery-count " + std::to_string(count) +
                ", expected 1");
  s.close(c);
  return pass("A came back with header delivery-count 1");
}

verdict presettled_send(script& s) {
  amqp::connection c = s.open();
  amqp::sender snd = s.open_sender(c, s.p.address, {.mode = amqp::delivery_mode::at_most_once});
  const auto mode = s.call(c, [&] { return snd.status()->snd_settle_mode; });
  if (mode != amqp::sender_settle_mode::settled)
    return fail("the sender's snd-settle-mode is not settled after the attach");
  s.send(c, snd, numbered(5));
  amqp::receiver r = s.open_receiver(c, s.p.address);
  const std::vector<happening> got = s.receive(c, r, 5);
  if (bodies(got) != "m-0, m-1, m-2, m-3, m-4") return fail("received " + bodies(got));
  s.close(c);
  return pass("a receiver got all 5 messages sent settled");
}

verdict presettled_receive(script& s) {
  amqp::connection c = s.open();
  s.put(c, s.p.address, numbered(5));
  amqp::receiver r = s.open_receiver(c, s.p.address, {.mode = amqp::delivery_mode::at_most_once});
  const auto mode = s.call(c, [&] { return r.status()->snd_settle_mode; });
  if (mode != amqp::sender_settle_mode::settled) {
    const char* names[] = {"unsettled", "settled", "mixed"};
    return fail(std::string("the peer's attach answered snd-settle-mode ") +
                names[static_cast<int>(mode)] + ", asked settled");
  }
  const std::vector<happening> got = s.receive(c, r, 5);
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!got[i].settled_on_arrival)
      return fail("message " + std::to_string(i) + " arrived unsettled");
  s.close(c);
  return pass("the peer confirmed snd-settle-mode settled and all 5 arrived settled");
}

verdict rcv_settle_second(script& s) {
  amqp::connection c = s.open();
  s.put(c, s.p.address, {text_message("A")});
  amqp::receiver r = s.open_receiver(
      c, s.p.address,
      {.rcv_settle_mode = amqp::receiver_settle_mode::second, .auto_accept = false});
  // What the peer's attach confirmed: second, or first (then first is in force).
  const bool second =
      s.call(c, [&] { return r.status()->rcv_settle_mode == amqp::receiver_settle_mode::second; });
  const happening got = s.receive(c, r, 1).front();
  // Accepted and looked at in one turn on the connection's thread: on loopback the peer's
  // settlement may follow within microseconds, and must not be taken for ours.
  bool settled = false;
  settle(s, c, got, [&settled](amqp::delivery& d) {
    const std::error_code ec = d.accept();
    settled = d.settled();
    return ec;
  });
  if (!second) {
    if (!settled)
      return fail("the peer confirmed rcv-settle-mode first, but accepting did not settle");
    s.close(c);
    return pass("the peer confirmed rcv-settle-mode first: accepted and settled at once");
  }
  if (settled) return fail("accepting settled the delivery at once under rcv-settle-mode second");
  s.wait(c, "the peer's settlement after our accepted disposition", [&] {
    for (const happening& h : s.log())
      if (h.what == "on_settled" && h.delivery == got.delivery) return true;
    return false;
  });
  if (!s.call(c, [&] { return got.delivery.settled(); }))
    return fail("the delivery was not settled after the peer's settlement");
  s.close(c);
  return pass("the peer confirmed rcv-settle-mode second, settled after our accepted, and we last");
}

verdict unsettled_returned_on_close(script& s) {
  amqp::connection c = s.open();
  s.put(c, s.p.address, {text_message("A")});
  amqp::connection holder = s.open();
  amqp::receiver r = s.open_receiver(
      holder, s.p.address, {.credit_window = 0, .auto_accept = false, .auto_settle = false});
  s.call(holder, [&] { return r.add_credit(1); });
  s.receive(holder, r, 1);
  s.close(holder);
  amqp::connection fresh = s.open();
  amqp::receiver again = s.open_receiver(fresh, s.p.address);
  const std::string body =
      body_text(*s.receive(fresh, again, 1, "A again on a new connection").front().message);
  if (body != "A") return fail("a receiver on a new connection got \"" + body + "\"");
  s.close(fresh);
  s.close(c);
  return pass("a receiver on a new connection got A again");
}

const case_entry cases[] = {
    {"delivery.accepted", accepted},
    {"delivery.rejected", rejected},
    {"delivery.released", released},
    {"delivery.modified", modified},
    {"delivery.presettled_send", presettled_send},
    {"delivery.presettled_receive", presettled_receive},
    {"delivery.rcv_settle_second", rcv_settle_second},
    {"delivery.unsettled_returned_on_close", unsettled_returned_on_close},
};

}  // namespace

std::span<const case_entry> delivery_cases() { return cases; }

}  // namespace conformance
