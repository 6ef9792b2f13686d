// The driver shared by the whole-engine fuzz targets (engine_server.cpp, engine_client.cpp): one
// connection_engine is fed the byte stream of its peer in reads, on a virtual clock, answered
// as the smallest sensible application would (open after peer_opened on a server, close after
// peer_closed, an answer to each session the peer begins or ends; a client may also begin a
// session right after its open, as the clients behind Proton's proactor-receive and go-amqp's
// conn corpora did), and checked after every call; a broken contract prints what broke and
// traps.
//
// The input is the peer's raw byte stream, nothing else, so that the public connection corpora
// (Proton's connection-driver and proactor-receive, go-amqp's conn) are meaningful inputs as
// they are. Everything else (where the stream is cut into reads, how far the clock moves
// between reads, the engine's limits and local open, how much output is written at a time)
// is drawn from a generator seeded with a hash of the input, so a replay repeats exactly what
// the fuzzer ran. go-amqp's corpus marks its reads with the 6 bytes "SPLIT\n": its test
// connection (internal/testconn) applies bytes.Split(data, "SPLIT\n") and returns one piece
// per Read, the pieces all coming from the server, an empty piece being an empty read. An
// input holding the mark is read the same way here: the marks are not stream bytes, the pieces
// are the reads (empty ones included), and only the clock steps come from the generator.
//
// Invariants, checked after every call on the engine:
// - output: every byte the engine writes, gathered by one frame_reader per engine, is a
//   well-formed stream: protocol headers and frames, each frame within max_frame_size() (512
//   for SASL frames), each performative a known type of the right frame kind that decodes,
//   open first and once on channel 0, nothing after close; session frames only on channels
//   this side began and link frames only on handles it attached (output_checks.hpp); the
//   output ends on a frame boundary;
//   the trace sink saw exactly those items at those offsets; the total stays under
//   16 KiB + 64 bytes per input byte (a runaway writer is caught, however slow);
// - feed() consumes at most what it is given, and when it leaves input unread an event waits
//   or more than max_pending_output bytes do (polling or writing is what unblocks it);
//   consume_output(n) drops exactly n bytes;
// - events: peer_opened at most once and with remote_open() set, peer_closed at most once and
//   after peer_opened, transport_closed at most once, last, with wants_input() false; no more
//   output after it; at most max_pending_events + 16 events per call; peer_began_session
//   answers a session this side began exactly when `answer` is set;
// - time: after handle_timeout(now), next_deadline() is later than now (the engine acts on
//   every deadline at or before now, so one left at now would spin a driver); handle_timeout
//   before next_deadline() (or with none) changes nothing; no deadline once transport_closed;
// - end: after feed_eof, transport_closed has been reported, and once all output is consumed
//   is_finished() holds (it already implies that no output is pending); a finished engine
//   consumes and ignores input, refuses open and close, and produces nothing more;
// - links and deliveries: the application of harness_links.hpp answers, credits, sends,
//   settles and detaches, and event_checks.hpp checks every event and the state after every
//   call (handles live or stale for a documented reason, credit within what was granted,
//   deliveries whole, never settled and in doubt both, nothing left once it is all over);
//   the output may exceed the bound above by twice the bytes of the messages sent, and after
//   feed() stays within max_pending_output plus a few frames and those messages.
//
// A target may add SASL (spec Part 5, 5.3) through sasl_hooks: the hooks configure the engine,
// see every traced item and line, every event before the driver answers it and every output
// item, decide the server's sasl_auth_requested, and check their own oracles. With SASL, a
// client's first output is its SASL header alone (its open waits for the outcome, and a
// begin_session() before it is refused with wrong_state, changing nothing: the session is
// begun once sasl_authenticated is reported), and the text trace is always on.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "amqp/engine.hpp"
#include "amqp/frame.hpp"
#include "amqp/spec.hpp"
#include "amqp/trace.hpp"
#include "event_checks.hpp"
#include "harness_links.hpp"
#include "output_checks.hpp"

namespace engine_harness {

using namespace std::chrono_literals;

[[noreturn]] inline void broken(std::string_view what) {
  // The message names the invariant, so a crash report says what broke without a debugger.
  std::fprintf(stderr, "engine invariant broken: %.*s\n", static_cast<int>(what.size()),
               what.data());
  __builtin_trap();
}

inline void expect(bool ok, std::string_view what) {
  if (!ok) broken(what);
}

inline std::uint64_t fnv1a(const std::uint8_t* data, std::size_t size) {
  std::uint64_t h = 0xcbf29ce484222325u;
  for (std::size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3u;
  return h;
}

// splitmix64: cheap, and every seed gives a usable sequence.
class random_bits {
 public:
  explicit random_bits(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n); 0 when n is 0.
  std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }
  // One of the values given.
  template <class T, std::size_t N>
  T pick(const T (&choices)[N]) {
    return choices[below(N)];
  }

 private:
  std::uint64_t state_;
};

// What a SASL target adds to the driver (see the top of this file). Every call is made from
// the driver, in the order things happened.
class sasl_hooks {
 public:
  virtual ~sasl_hooks() = default;
  // The peer's stream, marks removed, before anything is fed.
  virtual void on_input(amqp::bytes_view stream) = 0;
  // Adds the SASL options (and the random source they need) to the engine's configuration.
  virtual void configure(amqp::engine_config& c) = 0;
  // Every protocol header and frame the engine traces, as it traces them, and every line of
  // the text trace.
  virtual void on_traced_header(amqp::trace_direction dir, const amqp::protocol_header& h) = 0;
  virtual void on_traced_frame(amqp::trace_direction dir, const amqp::frame_view& f) = 0;
  virtual void on_trace_line(std::string_view line) = 0;
  // Every item the engine wrote, as the peer reads it (credentials included).
  virtual void on_output(const amqp::frame_reader::item_type& item) = 0;
  // Each event polled from `e`, before the driver answers it; `later` holds the events polled
  // with it after it. The hooks may give SASL commands here.
  virtual void on_event(amqp::connection_engine& e, const amqp::event& ev,
                        std::span<const amqp::event> later) = 0;
  // After each read was fed and its events answered: a decision put off until now.
  virtual void after_read(amqp::connection_engine& e) = 0;
  // A server's sasl_auth_requested was polled and not answered yet: meanwhile feed() may leave
  // a pipelined AMQP header unread (engine.hpp).
  virtual bool deciding() const = 0;
  // The input ended and the driver's end checks held.
  virtual void at_end(const amqp::connection_engine& e) = 0;
};

// go-amqp's read mark (see the top of this file).
inline constexpr std::string_view read_mark = "SPLIT\n";

struct peer_stream {
  std::vector<std::uint8_t> bytes;  // the stream, marks removed
  std::vector<std::size_t> reads;   // the sizes of the marked reads; empty when unmarked
};

// Cuts at each mark as Go's bytes.Split does: left to right, marks do not overlap, and the
// pieces before the first mark, between adjacent marks and after the last are kept even when
// empty. "SPLIT" without the newline is data.
inline peer_stream unmark(const std::uint8_t* data, std::size_t size) {
  peer_stream s;
  s.bytes.reserve(size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t from = 0;
  bool marked = false;
  for (;;) {
    const std::size_t mark = text.find(read_mark, from);
    const std::size_t end = mark == std::string_view::npos ? size : mark;
    s.bytes.insert(s.bytes.end(), data + from, data + end);
    s.reads.push_back(end - from);
    if (mark == std::string_view::npos) break;
    marked = true;
    from = mark + read_mark.size();
  }
  if (!marked) s.reads.clear();
  return s;
}

// Read sizes for an unmarked stream of n bytes, in one of several shapes, since engines break
// differently on one big read, tiny reads and reads of every size.
inline std::vector<std::size_t> read_sizes(std::size_t n, random_bits& rng) {
  std::vector<std::size_t> sizes;
  const std::uint64_t shape = rng.below(8);
  if (shape == 0 || n == 0) {
    if (n) sizes.push_back(n);
    return sizes;
  }
  if (shape == 1 && n <= 2048) return std::vector<std::size_t>(n, 1);
  for (std::size_t left = n; left > 0;) {
    std::size_t limit = 24;
    if (shape == 2) limit = 512;
    else if (rng.below(16) == 0) limit = 4096;  // now and then a read that holds whole frames
    const std::size_t size = std::min<std::size_t>(left, 1 + rng.below(limit));
    sizes.push_back(size);
    left -= size;
  }
  return sizes;
}

// The decoded form of one composite type, chosen by descriptor code at run time.
template <class... T>
bool decodes_as(std::uint64_t code, amqp::value_view v, const std::tuple<T...>*) {
  bool ok = false;
  (void)((code == amqp::spec::traits<T>::info.code && (ok = amqp::spec::decode<T>(v).has_value(), true)) ||
         ...);
  return ok;
}

inline std::uint64_t descriptor_code(const amqp::frame_view& f) {
  const amqp::spec::type_info* t = amqp::spec::find_type(f.performative.as_described().descriptor());
  return t ? t->code : ~std::uint64_t{0};
}

// Records every header and frame the engine says it wrote, to compare with what it did write;
// optionally formats every item as text too, which runs the printer on the peer's frames.
class recording_trace final : public amqp::trace_sink {
 public:
  struct item {
    bool header = false;
    amqp::protocol_header h{};
    amqp::frame_type type = amqp::frame_type::amqp;
    std::uint16_t channel = 0;
    std::uint64_t code = 0;  // the descriptor's code; 0 for an empty frame
    std::uint64_t offset = 0;
  };

  std::deque<item> outgoing;
  std::optional<std::uint64_t> last_incoming;  // offset of the latest incoming item
  std::unique_ptr<amqp::text_trace_sink> text;
  std::size_t text_bytes = 0;
  sasl_hooks* hooks = nullptr;

  void on_protocol_header(amqp::trace_direction dir, const amqp::protocol_header& h,
                          std::uint64_t offset) override {
    if (hooks) hooks->on_traced_header(dir, h);
    if (text) text->on_protocol_header(dir, h, offset);
    if (dir == amqp::trace_direction::incoming) return incoming(offset);
    outgoing.push_back({.header = true, .h = h, .offset = offset});
  }
  void on_frame(amqp::trace_direction dir, const amqp::frame_view& f) override {
    if (hooks) hooks->on_traced_frame(dir, f);
    if (text) text->on_frame(dir, f);
    if (dir == amqp::trace_direction::incoming) return incoming(f.offset);
    outgoing.push_back({.type = f.type,
                        .channel = f.channel,
                        .code = f.is_empty() ? 0 : descriptor_code(f),
                        .offset = f.offset});
  }

 private:
  void incoming(std::uint64_t offset) {
    expect(!last_incoming || offset > *last_incoming, "incoming trace offsets do not increase");
    last_incoming = offset;
  }
};

class driver {
 public:
  driver(amqp::engine_role role, std::size_t input_size, random_bits& rng,
         sasl_hooks* hooks = nullptr)
      : hooks_(hooks),
        rng_(rng),
        role_(role),
        config_(make_config(role, rng, hooks)),
        local_(make_options(role, rng)),
        engine_(traced(config_, trace_, rng, hooks)),
        check_(role == amqp::engine_role::server ? "server" : "client"),
        links_(engine_, rng, check_),
        output_limit_(16 * 1024 + 64 * static_cast<std::uint64_t>(input_size)),
        partial_writes_(rng.below(4) == 0),
        frozen_clock_(rng.below(8) == 0),
        close_at_read_(rng.below(8) == 0 ? rng.below(32) : ~std::size_t{0}),
        out_reader_(amqp::frame_reader_options{
            .max_frame_size = 0xffffffffu,
            .max_sasl_frame_size = 0xffffffffu,
            .decode = {.max_depth = 1024, .max_zero_width_elements = ~0u}}) {}

  driver(const driver&) = delete;
  driver& operator=(const driver&) = delete;

  // A client opens before reading anything: its output starts with the header and the open.
  // Half the time it begins a session at once, which makes the recorded server streams (whose
  // begin answers channel 0) a coherent conversation.
  void open_client() {
    expect(!engine_.open(local_), "the client's open was refused");
    settle(true);
    if (config_.sasl_client) {
      expect(items_ == 1 && !open_written_,
             "a SASL client wrote more than its SASL header before the server's mechanisms");
      if (rng_.below(2)) {
        const std::uint64_t before = total_written();
        const auto s = engine_.begin_session(session_options());
        expect(!s && s.error() == amqp::errc::wrong_state,
               "begin_session() before the SASL outcome was not refused with wrong_state");
        expect(total_written() == before && !engine_.poll_event(),
               "a refused begin_session() changed something");
        begin_after_auth_ = true;
      }
      return;
    }
    expect(items_ >= 2 && open_written_, "the client's output does not start with header + open");
    if (rng_.below(2)) {
      const auto s = engine_.begin_session(session_options());
      expect(s.has_value(), "the client's first begin_session() was refused");
      began_.push_back(*s);
      settle(true);
    }
  }

  // One read of the peer's stream: the clock moves, deadlines are handled, the read is fed.
  void read(amqp::bytes_view bytes) {
    tick(next_time());
    if (reads_++ == close_at_read_) {
      // Now and then the application closes first, so that the engine waits for the peer's
      // close (close timeout, discarding) rather than answering it.
      const std::error_code ec = engine_.close(amqp::condition{"amqp:internal-error", "fuzz", {}});
      expect(!ec || ec == amqp::errc::wrong_state, "close() failed for a reason other than state");
      settle();
    }
    feed(bytes);
    if (hooks_) {
      hooks_->after_read(engine_);
      settle();
    }
  }

  // The input ends; then every end-of-conversation contract is checked.
  void finish() {
    tick(next_time());
    engine_.feed_eof(now_);
    settle();
    expect(!engine_.wants_input(), "wants_input() after feed_eof");
    expect(transport_closed_, "the input ended but transport_closed was not reported");
    expect(!engine_.next_deadline(), "a deadline after transport_closed");
    settle(true);
    expect(engine_.is_finished(), "not finished after transport_closed with all output written");
    links_.finish();
    expect(trace_.outgoing.empty(), "the trace reported output that was never written");
    expect(item_end_ == consumed_, "the output ends inside a frame");

    // Nothing moves a finished engine.
    const std::uint64_t written = total_written();
    const std::uint8_t more[] = {'A', 'M', 'Q', 'P', 0, 1, 0, 0, 0, 0, 0, 8, 2, 0, 0, 0};
    expect(engine_.feed(amqp::bytes_view(more), now_) == sizeof more,
           "a finished engine did not consume and ignore its input");
    engine_.handle_timeout(now_ + 24h);
    expect(!!engine_.open(local_), "a finished engine accepted open()");
    expect(!!engine_.close(), "a finished engine accepted close()");
    expect(!engine_.poll_event(), "an event after transport_closed");
    expect(total_written() == written, "a finished engine wrote more output");
    expect(engine_.is_finished(), "a finished engine became unfinished");
    if (hooks_) hooks_->at_end(engine_);
  }

 private:
  static amqp::engine_config make_config(amqp::engine_role role, random_bits& rng,
                                         sasl_hooks* hooks) {
    amqp::engine_config c{.role = role};
    // Tiny event limits make feed() stop early, the path a flooded application takes.
    c.limits.max_pending_events = rng.pick({std::size_t{1}, std::size_t{2}, std::size_t{1024},
                                            std::size_t{1024}});
    c.limits.max_frame_size = rng.pick({512u, 4096u, 1u << 20, 1u << 20});
    c.limits.channel_max = rng.pick({std::uint16_t{0}, std::uint16_t{255}, std::uint16_t{255},
                                     std::uint16_t{65535}});
    c.limits.handle_max = rng.pick({0u, 7u, 1023u, 1023u});
    c.limits.max_pending_output = rng.pick({std::size_t{64}, std::size_t{4096}, std::size_t{1} << 20,
                                            std::size_t{1} << 20});
    c.limits.handshake_timeout = rng.pick({1ms, 50ms, 2000ms, 30000ms});
    c.limits.close_timeout = rng.pick({1ms, 50ms, 2000ms, 30000ms});
    if (rng.below(4) == 0) c.limits.decode.max_depth = 4;
    if (hooks) hooks->configure(c);
    return c;
  }

  static amqp::open_options make_options(amqp::engine_role role, random_bits& rng) {
    amqp::open_options o;
    o.container_id = role == amqp::engine_role::server ? "fuzz-server" : "fuzz-client";
    if (rng.below(2)) o.hostname = "localhost";
    o.idle_timeout = rng.pick({0ms, 0ms, 1ms, 100ms, 1000ms, 60000ms});
    if (rng.below(4) == 0) {
      // Every field, still well within the 512 bytes of a pipelined open.
      o.outgoing_locales = {"en-US"};
      o.incoming_locales = {"en-US", "de-DE"};
      o.offered_capabilities = {"ANONYMOUS-RELAY"};
      o.desired_capabilities = {"DELAYED_DELIVERY"};
      o.properties = amqp::value::map_of({{amqp::value::sym("product"), "amqp-fuzz"},
                                          {amqp::value::sym("version"), std::uint32_t{1}}});
    }
    return o;
  }

  static amqp::engine_config traced(amqp::engine_config c, recording_trace& trace,
                                    random_bits& rng, sasl_hooks* hooks) {
    // Drawn even when the hooks want the text anyway, so that the draws after it stay put.
    const bool text = rng.below(4) == 0;
    trace.hooks = hooks;
    if (text || hooks) {
      trace.text = std::make_unique<amqp::text_trace_sink>([&trace](std::string_view line) {
        trace.text_bytes += line.size();
        if (trace.hooks) trace.hooks->on_trace_line(line);
      });
    }
    c.trace = &trace;
    return c;
  }

  // Small windows now and then, so that window accounting meets its edges.
  amqp::session_options session_options() {
    amqp::session_options o;
    if (rng_.below(4) == 0) {
      o.incoming_window = static_cast<std::uint32_t>(rng_.below(3));
      o.outgoing_window = static_cast<std::uint32_t>(rng_.below(3));
    }
    return o;
  }

  std::uint64_t total_written() { return consumed_ + engine_.pending_output().size(); }

  amqp::time_point next_time() {
    if (frozen_clock_) return now_;
    const std::optional<amqp::time_point> due = engine_.next_deadline();
    const auto ms = [](std::uint64_t n) {
      return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(n));
    };
    switch (rng_.below(16)) {
      case 0: case 1: case 2: case 3: case 4: case 5:
        return now_;
      case 6: case 7: case 8: case 9:
        return now_ + ms(1 + rng_.below(20));
      case 10: case 11:
        return now_ + ms(100 + rng_.below(5000));
      case 12:
        return now_ + ms(10'000 + rng_.below(110'000));
      case 13: case 14:
        // Exactly on the deadline, where off-by-one comparisons live.
        return due ? std::max(now_, *due) : now_ + ms(rng_.below(1000));
      default:
        // Just before it, when nothing may happen yet.
        return due && *due - 1ms > now_ ? *due - 1ms : now_;
    }
  }

  void tick(amqp::time_point t) {
    expect(t >= now_, "the harness moved the clock back");
    now_ = t;
    const std::optional<amqp::time_point> due = engine_.next_deadline();
    const std::uint64_t before = total_written();
    engine_.handle_timeout(now_);
    const std::optional<amqp::time_point> after = engine_.next_deadline();
    expect(!after || *after > now_, "next_deadline() is not later than the time just handled");
    const std::size_t events = settle();
    if (!due || now_ < *due)
      expect(events == 0 && total_written() == before,
             "handle_timeout() acted before next_deadline()");
  }

  void feed(amqp::bytes_view bytes) {
    // What an earlier read left unread goes first.
    std::vector<std::uint8_t> joined;
    if (!unread_.empty()) {
      joined = std::exchange(unread_, {});
      joined.insert(joined.end(), bytes.begin(), bytes.end());
      bytes = amqp::bytes_view(joined);
    }
    amqp::bytes_view rest = bytes;
    std::size_t rounds = 0;
    do {
      remote_known_ = engine_.remote_open() != nullptr;
      const std::size_t n = engine_.feed(rest, now_);
      expect(n <= rest.size(), "feed() consumed more than it was given");
      fed_ += n;
      rest = rest.subspan(n);
      if (trace_.last_incoming) expect(*trace_.last_incoming < fed_, "traced input never fed");
      const std::size_t pending = engine_.pending_output().size();
      // Reading stops once more than max_pending_output bytes wait; the last frame read may
      // add its answers (a few frames) and release messages the session window held back.
      expect(pending <= config_.limits.max_pending_output + 4 * std::uint64_t{engine_.max_frame_size()} +
                            2 * links_.app_bytes() + 4096,
             "feed() let the output grow past max_pending_output");
      // A short read is written out in full, which is what unblocks it when output is the cause.
      const std::size_t events = settle(!rest.empty());
      // A pipelined AMQP header waits for the application's SASL decision: it is fed again
      // with the next read, or never if the decision never comes.
      if (!rest.empty() && events == 0 && pending <= config_.limits.max_pending_output &&
          hooks_ && hooks_->deciding()) {
        expect(rest[0] == 'A', "feed() left input other than an AMQP header unread for SASL");
        unread_.assign(rest.begin(), rest.end());
        return;
      }
      // Reading stops only while events wait to be polled or too much output waits to be
      // written; anything else would leave the application nothing to do but wait forever.
      if (!rest.empty())
        expect(events > 0 || pending > config_.limits.max_pending_output,
               "feed() left input unread with no event to poll and little output to write");
      expect(++rounds <= bytes.size() + 16, "feed() makes no progress");
    } while (!rest.empty());
  }

  // After a call: checks and writes the output, polls and answers the events, until neither
  // is left (answers write output and may end the conversation). Returns the events polled.
  std::size_t settle(bool write_all = false) {
    std::size_t events = 0;
    for (int round = 0;; ++round) {
      expect(round < 64, "the engine keeps answering itself");
      write_output(write_all);
      const std::size_t n = poll_events();
      events += n;
      if (n == 0) break;
    }
    expect(events <= config_.limits.max_pending_events + 16, "too many events from one call");
    return events;
  }

  void write_output(bool write_all) {
    const amqp::bytes_view out = engine_.pending_output();
    if (engine_.is_finished()) expect(out.empty(), "finished with output pending");
    const std::uint64_t written = consumed_ + out.size();
    // Messages the application sends are output the input does not explain: twice their
    // bytes covers the transfers that frame them.
    expect(written <= output_limit_ + 2 * links_.app_bytes(),
           "runaway output: far more than the input and the messages sent can explain");
    if (transport_closed_) expect(written == closed_written_, "output after transport_closed");
    const std::size_t n =
        write_all || !partial_writes_ ? out.size() : static_cast<std::size_t>(rng_.below(out.size() + 1));
    // Only bytes written to the peer are parsed: the rest may still change as far as the
    // caller knows, and the views die with consume_output.
    check_output(out.first(n));
    engine_.consume_output(n);
    consumed_ += n;
    expect(engine_.pending_output().size() == out.size() - n,
           "consume_output(n) did not drop exactly n bytes");
  }

  void check_output(amqp::bytes_view bytes) {
    while (!bytes.empty()) {
      const auto r = out_reader_.read(bytes);
      if (r.error)
        broken("the engine wrote a malformed stream: " + r.error->message() + " of its output");
      expect(r.consumed <= bytes.size(), "frame_reader consumed more than it was given");
      bytes = bytes.subspan(r.consumed);
      if (!r.item) {
        expect(bytes.empty(), "frame_reader stalled on the engine's output");
        break;
      }
      on_output_item(*r.item);
    }
  }

  void on_output_item(const amqp::frame_reader::item_type& item) {
    const std::uint64_t end = out_reader_.position();
    ++items_;
    expect(!trace_.outgoing.empty(), "output the trace did not report");
    const recording_trace::item traced_item = trace_.outgoing.front();
    trace_.outgoing.pop_front();
    item_end_ = end;
    expect(!close_written_, "output after the close frame");
    if (hooks_) hooks_->on_output(item);

    if (const auto* h = std::get_if<amqp::protocol_header>(&item)) {
      expect(traced_item.header && traced_item.h == *h &&
                 traced_item.offset == end - amqp::protocol_header_size,
             "the trace reported another header than the one written");
      return;
    }
    const amqp::frame_view& f = std::get<amqp::frame_view>(item);
    const std::uint64_t code = f.is_empty() ? 0 : descriptor_code(f);
    expect(!traced_item.header && traced_item.type == f.type && traced_item.channel == f.channel &&
               traced_item.code == code && traced_item.offset == f.offset,
           "the trace reported another frame than the one written");
    const std::uint64_t size = end - f.offset;
    if (f.type == amqp::frame_type::sasl) {
      // SASL frames are bounded by MIN-MAX-FRAME-SIZE (spec Part 5, 5.3.1).
      expect(size <= amqp::spec::min_max_frame_size, "a SASL frame over 512 bytes");
      const amqp::spec::type_info* t = amqp::spec::find_type(code);
      expect(t && t->provides == "sasl-frame", "a SASL frame holds no SASL performative");
      expect(decodes_as(code, f.performative, static_cast<amqp::spec::composite_types*>(nullptr)),
             "a SASL frame's body does not decode");
      return;
    }
    // The peer accepts frames up to its max-frame-size, 512 before its open (2.7.1); the
    // limit only grows, so checking against today's value is never too strict.
    expect(size <= engine_.max_frame_size(), "a frame over the negotiated max-frame-size");
    if (f.is_empty()) return;  // a heartbeat
    const amqp::spec::type_info* t = amqp::spec::find_type(code);
    expect(t && t->provides == "frame", "an AMQP frame holds no performative");
    expect(decodes_as(code, f.performative, static_cast<amqp::spec::composite_types*>(nullptr)),
           "a performative written by the engine does not decode");
    constexpr std::uint64_t open_code = amqp::spec::traits<amqp::spec::open>::info.code;
    constexpr std::uint64_t close_code = amqp::spec::traits<amqp::spec::close>::info.code;
    // Open comes first and once, close last; both on channel 0 (spec Part 2, 2.4.1, 2.7.1).
    expect(open_written_ || code == open_code, "the first frame is not open");
    if (code == open_code) {
      expect(!open_written_, "a second open");
      open_written_ = true;
    }
    if (code == close_code) close_written_ = true;
    output_links_.on_frame(f, code);
    if (code == open_code || code == close_code) {
      expect(f.channel == 0, "open or close on a channel other than 0");
    } else if (remote_known_ && engine_.remote_open()) {
      expect(f.channel <= engine_.remote_open()->channel_max, "a frame above the peer's channel-max");
    }
  }

  // Polls every waiting event first, so that the checks of each can look at the facts reported
  // after it (the engine's state is ahead of its queue), then answers them in order.
  std::size_t poll_events() {
    std::vector<amqp::event> batch;
    while (std::optional<amqp::event> ev = engine_.poll_event()) batch.push_back(std::move(*ev));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const amqp::event* ev = &batch[i];
      expect(!transport_closed_, "an event after transport_closed");
      if (hooks_) hooks_->on_event(engine_, *ev, std::span<const amqp::event>(batch).subspan(i + 1));
      links_.on_event(*ev, std::span<const amqp::event>(batch).subspan(i + 1));
      if (std::holds_alternative<amqp::peer_opened>(*ev)) {
        expect(!peer_opened_, "peer_opened twice");
        peer_opened_ = true;
        expect(engine_.remote_open() != nullptr, "peer_opened without remote_open()");
        if (role_ == amqp::engine_role::server) {
          // wrong_state when the engine already closed, on a violation later in the same read.
          const std::error_code ec = engine_.open(local_);
          expect(!ec || ec == amqp::errc::wrong_state, "the server's open was refused");
        }
      } else if (std::holds_alternative<amqp::peer_closed>(*ev)) {
        expect(peer_opened_, "peer_closed before peer_opened");
        expect(!peer_closed_, "peer_closed twice");
        peer_closed_ = true;
        const std::error_code ec = engine_.close();
        expect(!ec || ec == amqp::errc::wrong_state, "close() failed for a reason other than state");
      } else if (const auto* b = std::get_if<amqp::peer_began_session>(&*ev)) {
        on_began(*b);
      } else if (std::holds_alternative<amqp::sasl_authenticated>(*ev)) {
        // The open went out with the outcome: the session put off in open_client() now may.
        if (begin_after_auth_ && role_ == amqp::engine_role::client) {
          begin_after_auth_ = false;
          const auto s = engine_.begin_session(session_options());
          expect(s || s.error() == amqp::errc::wrong_state,
                 "begin_session() after sasl_authenticated failed for a reason other than state");
          if (s) began_.push_back(*s);
        }
      } else if (const auto* e = std::get_if<amqp::peer_ended_session>(&*ev)) {
        // The answer to a session this side ended makes the handle stale: invalid_handle.
        const std::error_code ec = engine_.end_session(e->session);
        expect(!ec || ec == amqp::errc::invalid_handle || ec == amqp::errc::wrong_state,
               "end_session() in answer failed for a reason other than state");
      } else if (const auto* v = std::get_if<amqp::protocol_violation>(&*ev)) {
        expect(!v->error.name.empty(), "a protocol violation without a condition");
      } else if (std::holds_alternative<amqp::transport_closed>(*ev)) {
        transport_closed_ = true;
        closed_written_ = total_written();
        expect(!engine_.wants_input(), "transport_closed while the engine wants input");
      }
      // Link and delivery events were answered by links_.
    }
    links_.check_state();
    return batch.size();
  }

  void on_began(const amqp::peer_began_session& b) {
    const bool ours = std::find(began_.begin(), began_.end(), b.session) != began_.end();
    expect(b.answer == ours, "peer_began_session: `answer` does not match who began the session");
    // The status already reflects what happened after the begin (the session may be ending,
    // or gone if the peer ended it before it was answered), so only what cannot change since
    // is checked.
    if (const amqp::session_status* status = engine_.session(b.session))
      expect(status->begin_received, "peer_began_session for a session with no begin received");
    if (b.answer) {
      links_.session_ready(b.session, role_ == amqp::engine_role::client);
      return;
    }
    // Mostly accepted, sometimes refused (spec Part 2, 2.5.2: an end right after the begin).
    std::error_code ec;
    if (rng_.below(4) != 0) {
      ec = engine_.begin_session(b.session, session_options());
    } else {
      ec = engine_.end_session(b.session, amqp::condition{"amqp:not-allowed", "fuzz", {}});
    }
    // The usage errors the state allows: the connection is closing, the session is gone, or
    // every channel this side could answer on is taken.
    expect(!ec || ec == amqp::errc::wrong_state || ec == amqp::errc::invalid_handle ||
               ec == amqp::errc::limit_reached,
           "answering a session failed for a reason other than state");
  }

  sasl_hooks* const hooks_;
  random_bits& rng_;
  const amqp::engine_role role_;
  const amqp::engine_config config_;
  const amqp::open_options local_;
  recording_trace trace_;  // before engine_, which points to it
  amqp::connection_engine engine_;
  event_checks::checker check_;
  link_app<random_bits> links_;
  const std::uint64_t output_limit_;
  const bool partial_writes_;
  const bool frozen_clock_;
  const std::size_t close_at_read_;
  amqp::frame_reader out_reader_;
  output_links output_links_;  // channels and handles of what the engine wrote
  std::vector<amqp::session_handle> began_;  // sessions this side began (not answers)

  // A fixed, arbitrary start: the engine must not care where its clock begins.
  amqp::time_point now_ = amqp::time_point(1000h);
  std::size_t reads_ = 0;
  std::uint64_t fed_ = 0;
  std::vector<std::uint8_t> unread_;  // left unread while a SASL decision was awaited
  std::uint64_t consumed_ = 0;
  std::uint64_t item_end_ = 0;  // where the last complete output item ended
  std::uint64_t closed_written_ = 0;
  std::size_t items_ = 0;
  bool remote_known_ = false;  // the peer's open had arrived before the current read
  bool open_written_ = false;
  bool close_written_ = false;
  bool peer_opened_ = false;
  bool peer_closed_ = false;
  bool transport_closed_ = false;
  bool begin_after_auth_ = false;  // a SASL client begins its session once authenticated
};

// The whole run for one input: the stream, read as marked or in drawn sizes, then its end.
inline void run(amqp::engine_role role, const std::uint8_t* data, std::size_t size,
                sasl_hooks* hooks = nullptr) {
  const peer_stream input = unmark(data, size);
  random_bits rng(fnv1a(data, size));
  if (hooks) hooks->on_input(amqp::bytes_view(input.bytes.data(), input.bytes.size()));
  driver d(role, size, rng, hooks);
  if (role == amqp::engine_role::client) d.open_client();
  const std::vector<std::size_t> sizes =
      input.reads.empty() ? read_sizes(input.bytes.size(), rng) : input.reads;
  const amqp::bytes_view stream(input.bytes.data(), input.bytes.size());
  std::size_t at = 0;
  for (std::size_t n : sizes) {
    d.read(stream.subspan(at, n));
    at += n;
  }
  d.finish();
}

}  // namespace engine_harness
