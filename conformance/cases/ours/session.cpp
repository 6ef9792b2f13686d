// Part 2.5, sessions: begin and end, the incoming window, many sessions on one connection.
#include <string>

#include "cases.hpp"

namespace conformance {

namespace {

amqp::session open_session(script& s, const amqp::connection& c,
                           const amqp::session_options& o = {}) {
  amqp::session ss = s.call(c, [&] { return amqp::connection(c).open_session(o); });
  s.wait(c, "the peer's begin", [&] {
    for (const happening& h : s.log())
      if (h.what == "on_session_opened" && h.session == ss) return true;
    return false;
  });
  return ss;
}

verdict begin_end(script& s) {
  amqp::connection c = s.open();
  amqp::session first = open_session(s, c);
  s.close_session(c, first);
  amqp::session second = open_session(s, c);
  amqp::receiver r = s.open_receiver(c, s.p.address, {}, second);
  amqp::sender snd = s.open_sender(c, s.p.address, {}, second);
  s.confirm(c, s.send(c, snd, {text_message("on a new session")}));
  if (body_text(*s.receive(c, r, 1).front().message) != "on a new session")
    return fail("the message came back changed");
  s.close(c);
  return pass("the peer ended the session without error; a new session carried a message");
}

verdict incoming_window(script& s) {
  const int count = s.p.get<int>("count", 20);
  amqp::connection_options o = s.options();
  o.limits.max_frame_size = 4096;
  amqp::connection c = s.open(o);
  std::vector<amqp::message> messages;
  for (int i = 0; i < count; ++i) {
    amqp::message m = binary_message(1000);
    m.properties.message_id = amqp::value("m-" + std::to_string(i));
    messages.push_back(std::move(m));
  }
  s.put(c, s.p.address, std::move(messages));
  // The engine refuses a transfer beyond the window it granted (amqp:session:window-violation):
  // that ends the case with the evidence.
  amqp::session narrow = open_session(s, c, {.incoming_window = 2});
  amqp::receiver r = s.open_receiver(c, s.p.address, {.credit_window = 0}, narrow);
  s.call(c, [&] { return r.add_credit(static_cast<std::uint32_t>(count)); });
  const std::vector<happening> got = s.receive(c, r, static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const amqp::value& id = got[i].message->properties.message_id;
    const std::string* text = id.get_if<std::string>();
    if (!text || *text != "m-" + std::to_string(i))
      return fail("message " + std::to_string(i) + " arrived out of order (" +
                  (text ? *text : std::string("no message-id")) + ")");
  }
  s.close(c);
  return pass(std::to_string(count) +
              " messages arrived in order through an incoming-window of 2 transfers");
}

verdict many(script& s) {
  const int count = s.p.get<int>("count", 16);
  amqp::connection c = s.open();
  std::vector<amqp::receiver> receivers;
  for (int i = 0; i < count; ++i) {
    const std::string address = s.p.address + "-" + std::to_string(i);
    amqp::session ss = open_session(s, c);
    receivers.push_back(s.open_receiver(c, address, {}, ss));
    amqp::sender snd = s.open_sender(c, address, {}, ss);
    s.confirm(c, s.send(c, snd, {text_message("for session " + std::to_string(i))}));
  }
  for (int i = 0; i < count; ++i) {
    const std::string text = body_text(*s.receive(c, receivers[i], 1).front().message);
    if (text != "for session " + std::to_string(i))
      return fail("the receiver of session " + std::to_string(i) + " got \"" + text + "\"");
  }
  s.close(c);
  return pass("each of " + std::to_string(count) + " sessions received its own message");
}

const case_entry cases[] = {
    {"session.begin_end", begin_end},
    {"session.incoming_window", incoming_window},
    {"session.many", many},
};

}  // namespace

std::span<const case_entry> session_cases() { return cases; }

}  // namespace conformance
