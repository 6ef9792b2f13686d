// Part 2.6, links: attach and detach, credit, drain, echo, dynamic nodes, the anonymous relay,
// selectors and durable termini.
#include <string>

#include "cases.hpp"

namespace conformance {

namespace {

// The peer's terminus (a sender's target, a receiver's source) as its attach gave it.
std::optional<amqp::terminus> remote_node(script& s, const amqp::connection& c,
                                          const amqp::link& l) {
  return s.call(c, [&]() -> std::optional<amqp::terminus> {
    const amqp::link_status* st = l.status();
    if (!st) return std::nullopt;
    return l.role() == amqp::role::sender ? st->remote_target : st->remote_source;
  });
}

verdict attach_detach(script& s) {
  amqp::connection c = s.open();
  amqp::sender snd = s.open_sender(c, s.p.address);
  amqp::receiver r = s.open_receiver(c, s.p.address);
  for (const amqp::link& l : {amqp::link(snd), amqp::link(r)}) {
    const char* what = l == snd ? "target" : "source";
    auto node = remote_node(s, c, l);
    if (!node || !node->address)
      return fail(std::string("the peer's attach has no ") + what + " address");
    if (*node->address != s.p.address)
      return fail(std::string("the peer's attach names the ") + what + " \"" + *node->address +
                  "\"");
  }
  s.close_link(c, snd);
  s.close_link(c, r);
  s.close(c);
  return pass("the peer's attaches named the addresses; its detaches came without error");
}

verdict credit(script& s) {
  amqp::connection c = s.open();
  s.put(c, s.p.address, numbered(10));
  amqp::receiver r = s.open_receiver(c, s.p.address, {.credit_window = 0});
  s.call(c, [&] { return r.add_credit(4); });
  std::vector<happening> got = s.receive(c, r, 4);
  if (auto more = s.extras(c, r, 1s); !more.empty())
    return fail("received " + std::to_string(4 + more.size()) + " messages for a credit of 4");
  s.call(c, [&] { return r.add_credit(6); });
  for (happening& h : s.receive(c, r, 6)) got.push_back(std::move(h));
  for (int i = 0; i < 10; ++i)
    if (body_text(*got[i].message) != "m-" + std::to_string(i))
      return fail("the messages arrived out of order: " + bodies(got));
  s.close(c);
  return pass("exactly 4 messages for a credit of 4, then the other 6 in order");
}

verdict drain(script& s) {
  amqp::connection c = s.open();
  s.put(c, s.p.address, numbered(3));
  amqp::receiver r = s.open_receiver(c, s.p.address, {.credit_window = 0});
  // Credit and the drain request leave in the same write.
  const std::uint32_t before = s.call(c, [&] {
    const std::uint32_t count = r.status()->delivery_count;
    (void)r.add_credit(10);
    (void)r.drain();
    return count;
  });
  s.receive(c, r, 3);
  if (!s.await(&c, clock_type::now() + 5s,
               [&] { return s.find(c, "on_receiver_drained", r) != nullptr; }))
    return fail("the 3 messages arrived, but no flow of the peer ended the drain within 5 s");
  const auto [credit, count] = s.call(c, [&] {
    return std::pair(r.status()->credit, r.status()->delivery_count);
  });
  if (credit != 0) return fail("the drain ended with link-credit " + std::to_string(credit));
  if (count - before != 10)
    return fail("the drain advanced delivery-count by " + std::to_string(count - before) +
                ", expected 10");
  s.close(c);
  return pass("3 messages, then the peer's flow: link-credit 0, delivery-count advanced by 10");
}

verdict echo(script& s) {
  amqp::connection c = s.open();
  amqp::receiver r = s.open_receiver(c, s.p.address, {.credit_window = 5});
  const std::string name = s.call(c, [&] { return r.name(); });
  // The peer's answer is the first flow for the link after ours, on the wire.
  std::size_t asked = 0;
  if (std::error_code ec = s.call(c, [&] {
        auto hold = s.lock();
        asked = s.wire_of(c).frames().size();
        hold.unlock();
        return r.request_flow();
      }))
    return fail("request_flow failed: " + ec.message());
  const bool answered = s.await(&c, clock_type::now() + 5s, [&] {
    const std::vector<frame_seen>& frames = s.wire_of(c).frames();
    const frame_seen* attach = s.wire_of(c).peer_attach(name);
    for (std::size_t i = asked; attach && i < frames.size(); ++i)
      if (frames[i].incoming && frames[i].performative == "flow" &&
          frames[i].channel == attach->channel && frames[i].handle == attach->handle)
        return true;
    return false;
  });
  if (!answered) return fail("the peer sent no flow for the link within 5 s of the echo");
  s.close(c);
  return pass("the peer answered the echo with a flow for the link");
}

verdict dynamic_source(script& s) {
  amqp::connection c = s.open();
  amqp::receiver r = s.open_receiver(c, "", {.dynamic = true});
  auto node = remote_node(s, c, r);
  if (!node || !node->address || node->address->empty())
    return fail("the peer's attach gave the dynamic source no address");
  s.put(c, *node->address, {text_message("to the dynamic node")});
  if (body_text(*s.receive(c, r, 1).front().message) != "to the dynamic node")
    return fail("the message came back changed");
  s.close(c);
  return pass("the peer named the dynamic node, and a message sent to it came back");
}

verdict anonymous_relay(script& s) {
  amqp::connection c = s.open();
  if (!s.call(c, [&] { return c.peer_offers("ANONYMOUS-RELAY"); }))
    return fail("the peer's open does not offer ANONYMOUS-RELAY");
  amqp::sender relay = s.open_sender(c, "", {.mode = amqp::delivery_mode::at_least_once});
  amqp::message m = text_message("through the relay");
  m.properties.to = amqp::value(s.p.address);
  s.confirm(c, s.send(c, relay, {m}));
  amqp::receiver r = s.open_receiver(c, s.p.address);
  if (body_text(*s.receive(c, r, 1).front().message) != "through the relay")
    return fail("the message came back changed");
  s.close(c);
  return pass("a message sent through the anonymous relay arrived at its `to`");
}

verdict selector(script& s) {
  amqp::connection c = s.open();
  std::vector<amqp::message> messages;
  for (const char* colour : {"red", "blue", "red", "green"}) {
    amqp::message m = text_message(colour);
    m.application_properties.emplace_back(amqp::value("colour"), amqp::value(colour));
    messages.push_back(std::move(m));
  }
  s.put(c, s.p.address, std::move(messages));
  amqp::receiver r = s.open_receiver(c, s.p.address, {.selector = "colour = 'red'"});
  const bool echoed = s.call(c, [&] {
    const amqp::link_status* st = r.status();
    return st && st->remote_source && !st->remote_source->filter.is_null();
  });
  std::vector<happening> got = s.receive(c, r, 2);
  for (happening& h : s.extras(c, r, 1s)) got.push_back(std::move(h));
  const std::string no_echo = echoed ? "" : " (the peer's attach did not echo the filter)";
  if (got.size() != 2)
    return fail("received " + std::to_string(got.size()) + " messages through the selector (" +
                bodies(got) + "), expected 2" + no_echo);
  if (bodies(got) != "red, red") return fail("received " + bodies(got) + " through the selector");
  if (!echoed) return fail("the 2 red messages arrived but the peer's attach did not echo the filter");
  s.close(c);
  return pass("exactly the 2 red messages arrived; the peer's attach echoed the filter");
}

verdict durable_terminus(script& s) {
  amqp::connection c = s.open();
  const amqp::receiver_options durable{.name = s.p.address, .durable = true};
  amqp::receiver r = s.open_receiver(c, s.p.address, durable);
  auto node = remote_node(s, c, r);
  if (!node) return fail("the peer's attach has no source");
  if (node->durable != amqp::terminus_durability::unsettled_state) {
    const char* names[] = {"none", "configuration", "unsettled-state"};
    return fail(std::string("the peer's source has durability ") +
                names[static_cast<int>(node->durable)] + ", not unsettled-state");
  }
  s.close_link(c, r, true);
  // Through a target as durable as the source: a broker may refuse to see one queue both ways.
  amqp::sender_options so{.mode = amqp::delivery_mode::at_least_once};
  so.target.durable = amqp::terminus_durability::unsettled_state;
  so.target.expiry_policy = "never";
  amqp::sender snd = s.open_sender(c, s.p.address, so);
  s.confirm(c, s.send(c, snd, {text_message("while detached")}));
  s.close_link(c, snd);
  amqp::receiver again = s.open_receiver(c, s.p.address, durable);
  if (body_text(*s.receive(c, again, 1).front().message) != "while detached")
    return fail("the message came back changed");
  s.close(c);
  return pass("the peer echoed the durable source, and the re-attached link got the message");
}

const case_entry cases[] = {
    {"link.attach_detach", attach_detach},
    {"link.credit", credit},
    {"link.drain", drain},
    {"link.echo", echo},
    {"link.dynamic_source", dynamic_source},
    {"link.anonymous_relay", anonymous_relay},
    {"link.selector", selector},
    {"link.durable_terminus", durable_terminus},
};

}  // namespace

std::span<const case_entry> link_cases() { return cases; }

}  // namespace conformance
