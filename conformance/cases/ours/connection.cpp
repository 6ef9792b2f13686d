// Part 2.4, connections: open and close, the peer's open, frame size, heartbeats both ways.
#include <string>

#include "cases.hpp"

namespace conformance {

namespace {

// Sends one message to `address` on `c` and receives it back there.
void round_trip(script& s, const amqp::connection& c, const std::string& address,
                const std::string& text) {
  amqp::receiver r = s.open_receiver(c, address);
  s.put(c, address, {text_message(text)});
  const happening got = s.receive(c, r, 1).front();
  if (body_text(*got.message) != text) fail_now("the message came back changed");
  s.close_link(c, r);
}

verdict open_close(script& s) {
  amqp::connection c = s.open();
  s.close(c);
  return pass("the peer answered the close without error");
}

verdict peer_open_fields(script& s) {
  amqp::connection c = s.open();
  const amqp::open_fields fields = s.call(c, [&] { return *c.remote_open(); });
  std::string problems;
  if (fields.container_id.empty()) problems += "container-id is empty; ";
  if (fields.max_frame_size < 512)
    problems += "max-frame-size is " + std::to_string(fields.max_frame_size) + "; ";
  std::string capabilities;
  {
    auto hold = s.lock();
    for (const frame_seen& f : s.wire_of(c).frames())
      if (f.incoming && f.performative == "open" && !f.capabilities_not_symbols.empty())
        problems += "offered-capabilities holds " + f.capabilities_not_symbols + "; ";
  }
  for (const std::string& cap : fields.offered_capabilities)
    capabilities += (capabilities.empty() ? "" : " ") + cap;
  if (!problems.empty()) return fail(problems.substr(0, problems.size() - 2));
  s.close(c);
  return pass("container-id set, max-frame-size " + std::to_string(fields.max_frame_size) +
              ", offered-capabilities [" + capabilities + "]");
}

verdict max_frame_size(script& s) {
  amqp::connection_options o = s.options();
  o.limits.max_frame_size = 512;
  amqp::connection c = s.open(o);
  const std::size_t size = s.p.get<std::size_t>("size", 20000);
  amqp::receiver r = s.open_receiver(c, s.p.address);
  s.put(c, s.p.address, {binary_message(size)});
  const happening got = s.receive(c, r, 1).front();
  if (!has_pattern_body(*got.message, size))
    return fail("the " + std::to_string(size) + "-byte body came back changed");
  s.close(c);
  return pass("the " + std::to_string(size) + "-byte body came back equal through 512-byte frames");
}

verdict heartbeats_received(script& s) {
  amqp::connection_options o = s.options();
  // The open asks for half the local timeout (2.4.5): this one says 1000 ms.
  o.idle_timeout = 2000ms;
  amqp::connection c = s.open(o);
  const auto idle = std::chrono::milliseconds(
      static_cast<std::int64_t>(s.p.get<double>("idle_seconds", 3.5) * 1000));
  s.idle(c, idle);
  round_trip(s, c, s.p.address, "after idling");
  s.close(c);
  return pass("the connection stayed open with an idle-time-out of 1000 ms");
}

verdict heartbeats_sent(script& s) {
  amqp::connection c = s.open();
  const auto theirs = s.call(c, [&] { return c.remote_open()->idle_timeout; });
  if (!theirs || theirs->count() == 0)
    return not_applicable("the peer's open advertises no idle-time-out");
  s.idle(c, *theirs * 3 / 2 + 1000ms);
  round_trip(s, c, s.p.address, "after idling");
  s.close(c);
  return pass("the connection stayed open through " +
              std::to_string(theirs->count() * 3 / 2 + 1000) +
              " ms without application traffic (peer idle-time-out " +
              std::to_string(theirs->count()) + " ms)");
}

verdict close_with_error(script& s) {
  amqp::connection c = s.open();
  const amqp::condition error{"amqp:internal-error", "conformance close", {}};
  s.call(c, [&] { amqp::connection(c).close(error); });
  // Whatever ends it: the wire says whether the peer's close came.
  s.wait_any("the peer's close", [&] {
    return s.find(c, "on_connection_closed") || s.find(c, "on_disconnected");
  });
  auto hold = s.lock();
  for (const frame_seen& f : s.wire_of(c).frames())
    if (f.incoming && f.performative == "close")
      return pass(f.error ? "the peer answered with its close, carrying " + f.error->name
                          : "the peer answered with its close");
  return fail("the connection ended without the peer's close");
}

const case_entry cases[] = {
    {"connection.open_close", open_close},
    {"connection.peer_open_fields", peer_open_fields},
    {"connection.max_frame_size", max_frame_size},
    {"connection.heartbeats_received", heartbeats_received},
    {"connection.heartbeats_sent", heartbeats_sent},
    {"connection.close_with_error", close_with_error},
};

}  // namespace

std::span<const case_entry> connection_cases() { return cases; }

}  // namespace conformance
