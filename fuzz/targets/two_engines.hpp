// Two connection_engines wired memory to memory on one virtual clock, for the fuzz targets that
// run whole conversations (engine_commands.cpp, engine_pair.cpp).
//
// Each side keeps an inbox: the bytes the other side wrote that it has not read yet. Writing
// moves output into the peer's inbox (whole or in pieces; a target may alter them on the way),
// reading feeds the inbox to the engine as far as it takes it (feed() stops while events or
// output wait, as a socket's buffer fills). A side whose engine is finished has closed its
// transport: once the peer read everything, it is told its input ended.
//
// Checked on every side after every call: event_checks.hpp's link and delivery contract;
// peer_opened once with remote_open() set, peer_closed once after it; transport_closed once,
// last, with wants_input() false, after which the side writes nothing; after feed() the output
// stays within max_pending_output plus a few frames and the messages the application sent;
// next_deadline() is later than the time just handled.
//
// AMQP_FUZZ_TRACE=1 in the environment prints both sides' frames to stderr, to read what a
// saved input does: AMQP_FUZZ_TRACE=1 build/release/fuzz/replay_engine_pair input.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "amqp/engine.hpp"
#include "amqp/trace.hpp"
#include "event_checks.hpp"

namespace two_engines {

using namespace std::chrono_literals;

// The bytes of message `seq` on link `link_id`: every byte depends on both and on its offset,
// so a message received in another order, cut, joined or altered compares unequal.
inline std::vector<std::uint8_t> message_bytes(std::uint32_t link_id, std::uint32_t seq,
                                               std::size_t size) {
  std::vector<std::uint8_t> m(size);
  std::uint32_t x = link_id * 0x9e3779b9u ^ (seq + 1) * 0x85ebca6bu;
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    m[i] = static_cast<std::uint8_t>(x);
  }
  return m;
}

// A sink that prints `name`'s frames, when AMQP_FUZZ_TRACE is set; null otherwise.
inline std::unique_ptr<amqp::trace_sink> trace_for(std::string_view name) {
  if (!std::getenv("AMQP_FUZZ_TRACE")) return nullptr;
  return std::make_unique<amqp::text_trace_sink>([name](std::string_view line) {
    std::fprintf(stderr, "%.*s %.*s\n", static_cast<int>(name.size()), name.data(),
                 static_cast<int>(line.size()), line.data());
  });
}

inline amqp::engine_config traced(amqp::engine_config cfg, amqp::trace_sink* sink) {
  if (sink) cfg.trace = sink;
  return cfg;
}

struct side {
  side(std::string_view side_name, const amqp::engine_config& cfg)
      : name(side_name),
        sink(trace_for(side_name)),
        config(traced(cfg, sink.get())),
        engine(config),
        check(side_name) {}
  side(const side&) = delete;
  side& operator=(const side&) = delete;

  void expect(bool ok, std::string_view what) const { check.expect(ok, what); }

  std::string_view name;
  std::unique_ptr<amqp::trace_sink> sink;  // before config and engine, which point to it
  amqp::engine_config config;
  amqp::connection_engine engine;
  event_checks::checker check;
  std::vector<std::uint8_t> inbox;  // written by the peer, not read yet
  std::uint64_t written = 0;        // output bytes taken from this side
  std::uint64_t app_bytes = 0;      // message bytes the application gave send()/send_more()
  bool eof = false;                 // told that its input ended
  bool peer_opened = false;
  bool peer_closed = false;
  std::optional<amqp::condition> peer_close_error;
  bool aborted = false;  // abort() was called: pending output dropped, no transport_closed
  bool closed = false;   // transport_closed
  std::optional<amqp::condition> closed_error;
  std::uint64_t written_at_close = 0;
};

// Takes up to `max` bytes of `from`'s output (they are written: consumed).
inline std::vector<std::uint8_t> take(side& from, std::size_t max) {
  const amqp::bytes_view out = from.engine.pending_output();
  const std::size_t n = std::min(max, out.size());
  std::vector<std::uint8_t> chunk(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
  from.engine.consume_output(n);
  from.written += n;
  if (from.closed && !from.aborted)
    from.expect(from.written + from.engine.pending_output().size() == from.written_at_close,
                "output after transport_closed");
  return chunk;
}

// Feeds `s` its inbox once; returns the bytes it took.
inline std::size_t read(side& s, amqp::time_point now) {
  if (s.inbox.empty()) return 0;
  const std::size_t n = s.engine.feed(amqp::bytes_view(s.inbox.data(), s.inbox.size()), now);
  s.expect(n <= s.inbox.size(), "feed() consumed more than it was given");
  s.inbox.erase(s.inbox.begin(), s.inbox.begin() + static_cast<std::ptrdiff_t>(n));
  // Reading stops once more than max_pending_output bytes wait; the last frame read may add
  // its answers and release messages the session window held back.
  s.expect(s.engine.pending_output().size() <= s.config.limits.max_pending_output +
                                                   4 * std::uint64_t{s.engine.max_frame_size()} +
                                                   2 * s.app_bytes + 4096,
           "feed() let the output grow past max_pending_output");
  return n;
}

// A finished side closed its transport: the peer learns it once it read what was written.
inline void propagate_eof(side& from, side& to, amqp::time_point now) {
  if (to.eof || !from.engine.is_finished() || !to.inbox.empty()) return;
  to.eof = true;
  to.engine.feed_eof(now);
}

inline void tick(side& s, amqp::time_point now) {
  s.engine.handle_timeout(now);
  const std::optional<amqp::time_point> due = s.engine.next_deadline();
  s.expect(!due || *due > now, "next_deadline() is not later than the time just handled");
}

// Polls every waiting event (in batches, each event checked with the ones after it in view)
// and hands each to `answer(event, later)`, which may call any command; then checks the state.
template <class Answer>
std::size_t poll(side& s, Answer&& answer) {
  std::size_t total = 0;
  for (int round = 0;; ++round) {
    s.expect(round < 256, "the engine keeps answering itself");
    std::vector<amqp::event> batch;
    while (std::optional<amqp::event> ev = s.engine.poll_event()) batch.push_back(std::move(*ev));
    if (batch.empty()) break;
    s.expect(batch.size() <= s.config.limits.max_pending_events + 4096,
             "far more events than the limit allows");
    total += batch.size();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const amqp::event& ev = batch[i];
      const std::span<const amqp::event> later = std::span<const amqp::event>(batch).subspan(i + 1);
      s.expect(!s.closed, "an event after transport_closed");
      s.check.check(s.engine, ev, later);
      if (std::holds_alternative<amqp::peer_opened>(ev)) {
        s.expect(!s.peer_opened, "peer_opened twice");
        s.expect(s.engine.remote_open() != nullptr, "peer_opened without remote_open()");
        s.peer_opened = true;
      } else if (const auto* c = std::get_if<amqp::peer_closed>(&ev)) {
        s.expect(s.peer_opened && !s.peer_closed, "peer_closed twice or before peer_opened");
        s.peer_closed = true;
        s.peer_close_error = c->error;
      } else if (const auto* t = std::get_if<amqp::transport_closed>(&ev)) {
        s.expect(i + 1 == batch.size(), "transport_closed is not the last event");
        s.expect(!s.engine.wants_input(), "transport_closed while the engine wants input");
        s.closed = true;
        s.closed_error = t->error;
        s.written_at_close = s.written + s.engine.pending_output().size();
      }
      answer(ev, later);
    }
    s.check.check_state(s.engine);
  }
  s.check.check_state(s.engine);
  return total;
}

// Reading stops while events wait: polls both sides (`poll(side)` answers the events), then
// lets them read on, for up to `rounds` rounds; then a finished side's end reaches its peer.
template <class Poll>
void read_all(side& a, side& b, amqp::time_point now, int rounds, Poll&& poll) {
  for (int round = 0; round < rounds; ++round) {
    poll(a);
    poll(b);
    if (read(a, now) + read(b, now) == 0) break;
  }
  poll(a);
  poll(b);
  propagate_eof(a, b, now);
  propagate_eof(b, a, now);
  poll(a);
  poll(b);
}

// Hands each side all the other wrote, unaltered, and runs `step()` (which reads and answers),
// until a round in which neither writes nor reads anything. Then both inboxes must be empty:
// an engine that leaves input unread with nothing else to do has stalled its peer for good.
// `rounds` bounds a conversation that would never end.
template <class Step>
void deliver_all(side& a, side& b, int rounds, Step&& step) {
  for (int round = 0; round < rounds; ++round) {
    const std::vector<std::uint8_t> from_a = take(a, ~std::size_t{0});
    b.inbox.insert(b.inbox.end(), from_a.begin(), from_a.end());
    const std::vector<std::uint8_t> from_b = take(b, ~std::size_t{0});
    a.inbox.insert(a.inbox.end(), from_b.begin(), from_b.end());
    const std::size_t waiting = a.inbox.size() + b.inbox.size();
    step();
    if (from_a.empty() && from_b.empty() && a.inbox.size() + b.inbox.size() == waiting) {
      a.expect(a.inbox.empty(), "feed() leaves input unread with nothing to do");
      b.expect(b.inbox.empty(), "feed() leaves input unread with nothing to do");
      return;
    }
  }
  a.expect(false, "two engines keep talking with no end");
}

// Both transports end: each side learns that its input ended, answers, and writes its last.
template <class Poll>
void end_inputs(side& a, side& b, amqp::time_point now, Poll&& poll) {
  for (side* s : {&a, &b}) {
    if (!s->eof) {
      s->eof = true;
      s->engine.feed_eof(now);
    }
    poll(*s);
    (void)take(*s, ~std::size_t{0});
  }
}

// The end: every delivery the application still holds is settled, then nothing may be left.
inline void settle_all_and_check_end(side& s) {
  for (amqp::delivery_handle d : s.check.live_deliveries(s.engine)) {
    const std::error_code ec = s.engine.settle(d);
    s.expect(!ec, "settling a delivery after the connection ended failed");
    s.check.settled(d);
  }
  s.check.check_state(s.engine);
  s.check.check_end(s.engine);
  s.expect(s.engine.is_finished(), "not finished at the end");
  s.expect(!s.engine.poll_event(), "an event after transport_closed");
}

}  // namespace two_engines
