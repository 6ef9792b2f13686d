// Part 2.6.12 and 2.7.5, transfers: messages over many frames, an aborted delivery, and a
// receiver's max-message-size.
#include <string>

#include "amqp/codec/writer.hpp"
#include "cases.hpp"

namespace conformance {

namespace {

amqp::connection_options frames_of_4096(script& s) {
  amqp::connection_options o = s.options();
  o.limits.max_frame_size = 4096;
  return o;
}

verdict multi_frame(script& s) {
  amqp::connection c = s.open(frames_of_4096(s));
  amqp::receiver r = s.open_receiver(c, s.p.address);
  std::string sizes;
  for (std::size_t size : s.p.get<std::vector<std::size_t>>("sizes", {1048576})) {
    s.put(c, s.p.address, {binary_message(size)});
    if (!has_pattern_body(*s.receive(c, r, 1).front().message, size))
      return fail("the " + std::to_string(size) + "-byte body came back changed");
    sizes += (sizes.empty() ? "" : ", ") + std::to_string(size);
  }
  s.close(c);
  return pass("bodies of " + sizes + " bytes came back equal through 4096-byte frames");
}

// How many transfers this side wrote on the link whose attach of ours is `attach`.
std::size_t transfers_sent(script& s, const amqp::connection& c, const frame_seen& attach) {
  std::size_t n = 0;
  for (const frame_seen& f : s.wire_of(c).frames())
    n += !f.incoming && f.performative == "transfer" && f.channel == attach.channel &&
         f.handle == attach.handle;
  return n;
}

verdict aborted(script& s) {
  amqp::connection c = s.open(frames_of_4096(s));
  amqp::sender snd = s.open_sender(c, s.p.address, {.mode = amqp::delivery_mode::at_least_once});
  const std::string name = s.call(c, [&] { return snd.name(); });
  amqp::writer big;
  if (amqp::encode_message(big, binary_message(1u << 20))) return fail("cannot encode 1 MiB");
  amqp::tracker partial = s.call(c, [&] {
    auto t = amqp::sender(snd).send_partial(big.view().first(4 * 4096));
    if (!t) fail_now("send_partial failed: " + t.error().message());
    return *t;
  });
  // Three frames of it on the wire first (the peer's session window may hold some back).
  s.wait(c, "3 frames of the partial message on the wire", [&] {
    const frame_seen* attach = nullptr;
    for (const frame_seen& f : s.wire_of(c).frames())
      if (!f.incoming && f.performative == "attach" && f.name == name) attach = &f;
    return attach && transfers_sent(s, c, *attach) >= 3;
  });
  if (auto ec = s.call(c, [&] { return amqp::tracker(partial).abort(); }))
    return fail("abort failed: " + ec.message());
  s.confirm(c, s.send(c, snd, {text_message("after abort")}));
  amqp::receiver r = s.open_receiver(c, s.p.address);
  std::vector<happening> got = s.receive(c, r, 1);
  for (happening& h : s.extras(c, r, 1s)) got.push_back(std::move(h));
  if (got.size() != 1 || body_text(*got.front().message) != "after abort")
    return fail("the receiver got " + bodies(got) + ", expected only \"after abort\"");
  s.close(c);
  return pass("the receiver got only \"after abort\"");
}

verdict max_message_size(script& s) {
  amqp::connection c = s.open();
  amqp::message big = binary_message(4096);
  amqp::message small = binary_message(100);
  s.put(c, s.p.address, {big, small});
  amqp::receiver r =
      s.open_receiver(c, s.p.address, {.credit_window = 0, .max_message_size = 1024});
  s.call(c, [&] { return r.add_credit(2); });
  // Whatever the peer does within 2 s: hold the big one, detach, or (against 2.7.3) send it,
  // which the engine refuses by closing the link with amqp:link:message-size-exceeded.
  s.pause(2s);
  auto hold = s.lock();
  std::size_t arrived = 0;
  for (const happening& h : s.log()) {
    if (!(h.connection == c)) continue;
    if (h.what == "on_message" && h.link == r) {
      if (h.message && h.message->body.size() == 1 && has_pattern_body(*h.message, 4096))
        return fail("a 4096-byte message arrived over max-message-size 1024");
      ++arrived;
    }
    if (h.what == "on_link_error" && !h.by_peer)
      return fail("the peer sent a message over max-message-size 1024: " + describe(h));
    if (h.what == "on_link_error" || h.what == "on_session_error" ||
        h.what == "on_connection_error" || h.what == "on_transport_error")
      return pass("no message over 1024 bytes arrived; " + describe(h));
  }
  return pass("no message over 1024 bytes arrived within 2 s; the peer held it" +
              std::string(arrived ? " and sent the 100-byte one" : " and sent nothing"));
}

const case_entry cases[] = {
    {"transfer.multi_frame", multi_frame},
    {"transfer.aborted", aborted},
    {"transfer.max_message_size", max_message_size},
};

}  // namespace

std::span<const case_entry> transfer_cases() { return cases; }

}  // namespace conformance
