// Fuzz target: a client and a server connection_engine wired together (two_engines.hpp), with
// the input steering everything: how the bytes cross (whole, in pieces, one byte at a time),
// the virtual clock, and every application command on both sides (open, close, sessions,
// links in both roles with varied termini, settle modes, max-message-size and initial
// delivery-count, credit, drain, sending messages of up to a few max-frame-sizes with
// send_more and aborts, states and settlement with every outcome, abort of the engine).
//
// Input: choices drawn with fuzz_data (integers from the end, as FuzzedDataProvider does).
// First the engines' limits (max-frame-size 512 to 4096) and each side's answering policy
// (six bits: open, begin, attach, credit, settle, end/detach/close answered by themselves,
// so that short inputs reach deep), then steps until the input runs out; then both sides
// close honestly, time passes the close timeout, and both inputs end.
//
// Invariants (a broken one traps), besides those of two_engines.hpp and event_checks.hpp:
// - every command returns success or a documented usage error (wrong_state, invalid_handle,
//   invalid_argument, limit_reached, no_credit), never engine_failed; a refused command
//   writes nothing and reports nothing;
// - a sender's delivery-count + credit never passes its receiver's (serial arithmetic, once
//   the receiver knows the sender's count): the sender never has more credit than granted;
// - a message received whole is the next message sent on that link that was not aborted,
//   byte for byte (each message's bytes derive from its link and sequence number);
// - no protocol_violation ever: both engines and their applications are honest. The only
//   exceptions are the ones time causes (an idle timeout, the handshake timeout);
// - once both applications closed and every byte was delivered, both transports have closed
//   without error, unless a timeout or an abort() ended something first;
// - at the end both engines are finished, every delivery sent unsettled was settled by the
//   peer or reported in doubt, and no handle is left.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "fuzz_data.hpp"
#include "two_engines.hpp"

namespace {

using namespace std::chrono_literals;
using two_engines::side;

bool usage_error(std::error_code ec) {
  return !ec || ec == amqp::errc::wrong_state || ec == amqp::errc::invalid_handle ||
         ec == amqp::errc::invalid_argument || ec == amqp::errc::limit_reached ||
         ec == amqp::errc::no_credit;
}

// RFC 1982: a <= b for sequence numbers.
bool serial_le(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(b - a) >= 0; }

template <class T>
void remember(std::vector<T>& v, T h) {
  if (std::find(v.begin(), v.end(), h) == v.end()) v.push_back(h);
}

struct sent_message {
  std::uint32_t seq = 0;
  std::size_t planned = 0;  // the whole message's size
  std::size_t given = 0;    // bytes given to send()/send_more() so far
  bool complete = false;
  bool aborted = false;
};

// The messages sent on one link, by name (names are unique per connection here).
struct ledger {
  std::uint32_t id = 0;
  std::vector<sent_message> sent;
  std::size_t next = 0;  // the first message not received yet
};

enum policy_bit : unsigned {
  auto_open = 1, auto_begin = 2, auto_attach = 4, auto_credit = 8, auto_settle = 16, auto_end = 32
};

// One side's application: the handles it knows (stale ones included, to try them) and its
// answering policy.
struct app {
  unsigned policy = 0;
  char prefix = 'c';
  std::vector<amqp::session_handle> sessions;
  std::vector<amqp::link_handle> links;
  std::vector<amqp::delivery_handle> deliveries;
  std::unordered_map<amqp::link_handle, std::string> names;
  std::unordered_map<amqp::delivery_handle, std::pair<std::string, std::size_t>> sent;  // ledger
  std::uint32_t next_name = 0;
  std::uint64_t next_tag = 0;
  bool idle_expired = false;  // the last event was idle_timeout_expired
  bool opened = false;        // open() succeeded
};

class conversation {
 public:
  conversation(const std::uint8_t* data, std::size_t size)
      : in_(data, size),
        client_("client", config(amqp::engine_role::client)),
        server_("server", config(amqp::engine_role::server)) {
    // Both sides may begin sessions; together they stay within the smaller channel-max + 1
    // sessions, the most that may be active at once (spec Part 2, 2.7.1), so that two begins
    // crossing on the wire never exceed it.
    session_budget_ = std::size_t{std::min(client_.config.limits.channel_max,
                                           server_.config.limits.channel_max)} + 1;
    capp_.policy = in_.range<unsigned>(0, 63);
    sapp_.policy = in_.range<unsigned>(0, 63);
    sapp_.prefix = 's';
    if (capp_.policy & auto_open) command_open(client_, capp_);
  }

  void run() {
    for (std::size_t steps = 0; !in_.empty() && steps < 2048; ++steps) {
      switch (in_.range<int>(0, 7)) {
        case 0: case 1: pump(client_, server_); break;
        case 2: case 3: pump(server_, client_); break;
        case 4: advance(); break;
        case 5: command(client_, capp_); break;
        case 6: command(server_, sapp_); break;
        default: pump(client_, server_); pump(server_, client_); break;
      }
      after_step();
    }
    finish();
  }

 private:
  amqp::engine_config config(amqp::engine_role role) {
    amqp::engine_config c{.role = role};
    c.limits.max_frame_size = in_.pick({512u, 1024u, 4096u});
    c.limits.channel_max = in_.pick({std::uint16_t{255}, std::uint16_t{255}, std::uint16_t{1},
                                     std::uint16_t{0}});
    c.limits.handle_max = in_.pick({1023u, 1023u, 1u, 0u});
    c.limits.max_message_size = in_.pick({std::uint64_t{16} << 20, std::uint64_t{3000}});
    c.limits.max_pending_events = in_.pick({std::size_t{1024}, std::size_t{1}, std::size_t{3}});
    c.limits.max_pending_output = in_.pick({std::size_t{1} << 20, std::size_t{64}, std::size_t{2048}});
    c.limits.handshake_timeout = in_.pick({30000ms, 200ms});
    c.limits.close_timeout = in_.pick({30000ms, 200ms});
    return c;
  }

  app& app_of(side& s) { return &s == &client_ ? capp_ : sapp_; }

  // --- the wire and the clock ------------------------------------------------------------

  void pump(side& from, side& to) {
    const std::size_t pending = from.engine.pending_output().size();
    std::size_t n = pending;
    switch (in_.range<int>(0, 3)) {
      case 0: n = std::min<std::size_t>(pending, 1); break;
      case 1: n = in_.range<std::size_t>(0, pending); break;
      default: break;
    }
    const std::vector<std::uint8_t> chunk = two_engines::take(from, n);
    to.inbox.insert(to.inbox.end(), chunk.begin(), chunk.end());
    two_engines::read(to, now_);
  }

  void advance() {
    std::optional<amqp::time_point> due = client_.engine.next_deadline();
    if (auto d = server_.engine.next_deadline(); d && (!due || *d < *due)) due = d;
    switch (in_.range<int>(0, 3)) {
      case 0: now_ += std::chrono::milliseconds(in_.range<int>(0, 10)); break;
      case 1: now_ += std::chrono::milliseconds(in_.range<int>(10, 2000)); break;
      case 2: if (due && *due > now_) now_ = *due; break;
      default: now_ += 60s; break;
    }
    two_engines::tick(client_, now_);
    two_engines::tick(server_, now_);
  }

  void after_step() {
    two_engines::read_all(client_, server_, now_, 4, [this](side& s) { poll(s); });
    check_credit(client_, server_);
    check_credit(server_, client_);
  }

  // The sender's delivery-limit (delivery-count + credit) never passes the receiver's (spec
  // Part 2, 2.6.7), once the receiver knows the sender's count from its attach.
  void check_credit(side& senders, side& receivers) {
    std::unordered_map<std::string, amqp::link_handle> by_name;
    for (const auto& [h, name] : app_of(receivers).names) by_name[name] = h;
    for (const auto& [h, name] : app_of(senders).names) {
      const amqp::link_status* s = senders.engine.link(h);
      if (!s || s->role != amqp::role::sender) continue;
      const auto it = by_name.find(name);
      if (it == by_name.end()) continue;
      const amqp::link_status* r = receivers.engine.link(it->second);
      if (!r || r->role != amqp::role::receiver || !r->attach_received || r->detach_sent) continue;
      senders.expect(serial_le(s->delivery_count + s->credit, r->delivery_count + r->credit),
                     "a sender's credit exceeds what its receiver granted (link '" + name + "')");
    }
  }

  // --- events ----------------------------------------------------------------------------

  void poll(side& s) {
    app& a = app_of(s);
    two_engines::poll(s, [&](const amqp::event& ev, std::span<const amqp::event>) {
      const bool idle = a.idle_expired;
      a.idle_expired = std::holds_alternative<amqp::idle_timeout_expired>(ev);
      if (a.idle_expired) timed_out_ = true;
      if (const auto* t = std::get_if<amqp::transport_closed>(&ev);
          t && t->error && t->error->name == "amqp:resource-limit-exceeded")
        timed_out_ = true;  // a handshake or close timeout
      on_event(s, a, ev, idle);
    });
  }

  void on_event(side& s, app& a, const amqp::event& ev, bool after_idle_timeout) {
    if (std::holds_alternative<amqp::peer_opened>(ev)) {
      if ((a.policy & auto_open) && !a.opened) command_open(s, a);
    } else if (const auto* b = std::get_if<amqp::peer_began_session>(&ev)) {
      remember(a.sessions, b->session);
      if (!b->answer && (a.policy & auto_begin)) {
        check(s, s.engine.begin_session(b->session, session_options()), "begin_session(answer)");
      }
    } else if (const auto* e = std::get_if<amqp::peer_ended_session>(&ev)) {
      if (a.policy & auto_end) check(s, s.engine.end_session(e->session), "end_session(answer)");
    } else if (const auto* at = std::get_if<amqp::peer_attached>(&ev)) {
      if (const amqp::link_status* st = s.engine.link(at->link)) a.names[at->link] = st->name;
      remember(a.links, at->link);
      if (!at->answer && (a.policy & auto_attach)) {
        if (check(s, s.engine.attach(at->link, link_options(s, at->link, true)), "attach(answer)"))
          s.check.answered(at->link);
      }
      auto_grant(s, a, at->link, 10);
    } else if (const auto* d = std::get_if<amqp::peer_detached>(&ev)) {
      if (a.policy & auto_end) {
        const std::error_code ec = d->closed ? s.engine.close_link(d->link) : s.engine.detach(d->link);
        if (check(s, ec, "detach(answer)")) s.check.detached(d->link);
      }
    } else if (const auto* c = std::get_if<amqp::credit_granted>(&ev)) {
      const amqp::link_status* st = s.engine.link(c->link);
      if ((a.policy & auto_credit) && st && st->drain)
        check(s, s.engine.complete_drain(c->link), "complete_drain(answer)");
    } else if (const auto* t = std::get_if<amqp::transfer_received>(&ev)) {
      remember(a.deliveries, t->delivery);
      on_message(s, a, *t);
    } else if (const auto* di = std::get_if<amqp::disposition_received>(&ev)) {
      const amqp::delivery_status* st = s.engine.delivery(di->delivery);
      if ((a.policy & auto_settle) && st && (di->settled || st->remote_state.is_outcome()))
        settle(s, di->delivery, {});
    } else if (const auto* dd = std::get_if<amqp::delivery_in_doubt>(&ev)) {
      if (a.policy & auto_settle) settle(s, dd->delivery, {});
    } else if (std::holds_alternative<amqp::peer_closed>(ev)) {
      if (a.policy & auto_end) check(s, s.engine.close(), "close(answer)");
    } else if (const auto* v = std::get_if<amqp::protocol_violation>(&ev)) {
      // Time is the only thing that may fail an honest conversation: nothing arrived within
      // the idle timeout, or the open did not come within the handshake timeout.
      const bool handshake = v->error.name == "amqp:resource-limit-exceeded" && !s.peer_opened;
      if (!after_idle_timeout && !handshake)
        s.expect(false, "a protocol violation between two honest engines: " + v->error.to_string());
    }
  }

  void auto_grant(side& s, app& a, amqp::link_handle l, std::uint32_t credit) {
    const amqp::link_status* st = s.engine.link(l);
    if (!(a.policy & auto_credit) || !st || st->role != amqp::role::receiver || !st->attach_sent ||
        !st->attach_received)
      return;
    if (check(s, s.engine.grant_credit(l, credit), "grant_credit(auto)")) s.check.granted(l, credit);
  }

  void on_message(side& s, app& a, const amqp::transfer_received& t) {
    const auto name = a.names.find(t.link);
    s.expect(name != a.names.end(), "a message on a link whose attach was never reported");
    const auto it = ledgers_.find(name->second);
    s.expect(it != ledgers_.end(), "a message on a link nothing was sent on");
    ledger& l = it->second;
    while (l.next < l.sent.size() && l.sent[l.next].aborted) ++l.next;
    s.expect(l.next < l.sent.size(), "a message received that was never sent");
    const sent_message& m = l.sent[l.next++];
    const amqp::bytes_view got = s.engine.payload(t.delivery);
    s.expect(m.complete && got.size() == m.given,
             "a message received with another size than sent (or before it was complete)");
    const std::vector<std::uint8_t> want = two_engines::message_bytes(l.id, m.seq, m.planned);
    s.expect(std::equal(got.begin(), got.end(), want.begin()),
             "a message received with other bytes than sent, or out of order");
    if (a.policy & auto_settle) {
      const amqp::link_status* st = s.engine.link(t.link);
      const amqp::delivery_status* ds = s.engine.delivery(t.delivery);
      if (st && st->rcv_settle_mode == amqp::receiver_settle_mode::second && ds && !ds->remote_settled)
        check(s, s.engine.update_state(t.delivery, amqp::delivery_state::accepted()), "update_state(auto)");
      else
        settle(s, t.delivery, amqp::delivery_state::accepted());
    }
    auto_grant(s, a, t.link, 1);
  }

  bool settle(side& s, amqp::delivery_handle d, const amqp::delivery_state& state) {
    const bool ok = check(s, s.engine.settle(d, state), "settle");
    if (ok) s.check.settled(d);
    return ok;
  }

  // --- commands --------------------------------------------------------------------------

  // A command's result: success, or a usage error (then it changed nothing: checked by the
  // caller for the commands the input gives).
  bool check(side& s, std::error_code ec, std::string_view what) {
    s.expect(usage_error(ec), std::string(what) + " failed with " + ec.message());
    return !ec;
  }

  template <class T>
  T pick_from(const std::vector<T>& v) {
    if (v.empty()) return T{};  // a handle that names nothing
    return v[in_.range<std::size_t>(0, v.size() - 1)];
  }

  void command_open(side& s, app& a) {
    amqp::open_options o{.container_id = a.prefix == 'c' ? "fuzz-client" : "fuzz-server"};
    o.idle_timeout = in_.pick({0ms, 0ms, 1000ms, 5000ms});
    if (in_.one_in(8)) o.container_id.clear();  // refused: invalid_argument
    if (check(s, s.engine.open(o), "open")) a.opened = true;
  }

  amqp::session_options session_options() {
    amqp::session_options o;
    if (in_.flag()) {
      o.incoming_window = in_.pick({0u, 1u, 2u, 5u});
      o.outgoing_window = in_.pick({0u, 1u, 2u, 5u});
    }
    return o;
  }

  amqp::terminus terminus() {
    amqp::terminus t;
    if (!in_.one_in(8)) t.address = "fuzz/" + std::to_string(in_.range<int>(0, 9));
    if (in_.one_in(4)) {
      t.durable = in_.pick({amqp::terminus_durability::configuration,
                            amqp::terminus_durability::unsettled_state});
      t.expiry_policy = in_.pick({"link-detach", "connection-close", "never"});
      t.timeout = in_.range<std::uint32_t>(0, 100);
      t.dynamic = in_.flag();
      t.distribution_mode = in_.pick({"move", "copy"});
      t.outcomes = {"amqp:accepted:list", "amqp:rejected:list"};
      t.capabilities = {"queue"};
      if (in_.flag())
        t.filter = amqp::value::map_of({{amqp::value::sym("selector"), "x > 1"}});
    }
    return t;
  }

  amqp::link_options link_options(side& s, amqp::link_handle answering, bool mirror) {
    amqp::link_options o;
    const amqp::link_status* st = answering.is_set() ? s.engine.link(answering) : nullptr;
    if (mirror && st) {
      o.source = st->remote_source;
      o.target = st->remote_target;
    } else {
      if (!in_.one_in(8)) o.source = terminus();
      if (!in_.one_in(8)) o.target = terminus();
    }
    o.snd_settle_mode = in_.pick({amqp::sender_settle_mode::mixed, amqp::sender_settle_mode::unsettled,
                                  amqp::sender_settle_mode::settled});
    o.rcv_settle_mode = in_.pick({amqp::receiver_settle_mode::first, amqp::receiver_settle_mode::second});
    o.max_message_size = in_.pick({std::uint64_t{0}, std::uint64_t{0}, std::uint64_t{1},
                                   std::uint64_t{100}, std::uint64_t{1000}, std::uint64_t{5000}});
    o.initial_delivery_count = in_.pick({0u, 1u, 0x7fffffffu, 0xfffffffeu, 0xffffffffu});
    if (in_.one_in(8)) o.offered_capabilities = {"fuzz-offered"};
    if (in_.one_in(8)) o.properties = amqp::value::map_of({{amqp::value::sym("k"), 1}});
    if (in_.one_in(16)) o.properties = amqp::value::list_of({1});  // not a map: invalid_argument
    return o;
  }

  amqp::delivery_state state() {
    switch (in_.range<int>(0, 7)) {
      case 0: return amqp::delivery_state::accepted();
      case 1: return amqp::delivery_state::rejected();
      case 2: return amqp::delivery_state::rejected(
                  amqp::condition{"amqp:internal-error", "fuzz",
                                  amqp::value::map_of({{amqp::value::sym("why"), "test"}})});
      case 3: return amqp::delivery_state::released();
      case 4: return amqp::delivery_state::modified(in_.flag(), in_.flag());
      case 5: return amqp::delivery_state::modified(
                  true, false, amqp::value::map_of({{amqp::value::sym("x-count"), 2}}));
      case 6: return amqp::delivery_state::received(in_.range<std::uint32_t>(0, 3),
                                                    in_.range<std::uint64_t>(0, 5000));
      default: return {};
    }
  }

  std::optional<amqp::condition> maybe_error() {
    if (!in_.one_in(4)) return std::nullopt;
    if (in_.one_in(4)) return amqp::condition{};  // no name: invalid_argument
    return amqp::condition{"amqp:internal-error", std::string(in_.range<std::size_t>(0, 600), 'e'), {}};
  }

  void command(side& s, app& a) {
    (void)s.engine.pending_output();  // queued dispositions are written now, not by the command
    const std::size_t before = s.engine.pending_output().size();
    std::error_code ec;
    const int op = in_.range<int>(0, 20);
    switch (op) {
      case 0: return command_open(s, a);
      case 1: ec = s.engine.close(maybe_error()); break;
      case 2: {
        if (sessions_begun_ >= session_budget_) return;
        auto r = s.engine.begin_session(session_options());
        if (r) {
          ++sessions_begun_;
          remember(a.sessions, *r);
        }
        ec = r ? std::error_code() : r.error();
        break;
      }
      case 3: ec = s.engine.begin_session(pick_from(a.sessions), session_options()); break;
      case 4: ec = s.engine.end_session(pick_from(a.sessions), maybe_error()); break;
      case 5: case 6: {
        amqp::link_options o = link_options(s, {}, false);
        const std::string name = std::string(1, a.prefix) + std::to_string(a.next_name++);
        if (!in_.one_in(16)) o.name = name;  // an empty name is refused
        const amqp::role r = op == 5 ? amqp::role::sender : amqp::role::receiver;
        auto l = r == amqp::role::sender ? s.engine.attach_sender(pick_from(a.sessions), o)
                                         : s.engine.attach_receiver(pick_from(a.sessions), o);
        if (l) {
          s.check.attached(*l, r);
          remember(a.links, *l);
          a.names[*l] = name;
        }
        ec = l ? std::error_code() : l.error();
        break;
      }
      case 7: {
        const amqp::link_handle l = pick_from(a.links);
        ec = s.engine.attach(l, link_options(s, l, in_.flag()));
        if (!ec) s.check.answered(l);
        break;
      }
      case 8: case 9: {
        const amqp::link_handle l = pick_from(a.links);
        ec = op == 8 ? s.engine.detach(l, maybe_error()) : s.engine.close_link(l, maybe_error());
        if (!ec) s.check.detached(l);
        break;
      }
      case 10: {
        const amqp::link_handle l = pick_from(a.links);
        const std::uint32_t credit = in_.pick({0u, 1u, 2u, 3u, 5u, 10u, 100u, 1000u, 65535u});
        ec = s.engine.grant_credit(l, credit);
        if (!ec) s.check.granted(l, credit);
        break;
      }
      case 11: ec = s.engine.drain(pick_from(a.links)); break;
      case 12: ec = s.engine.complete_drain(pick_from(a.links)); break;
      case 13: ec = s.engine.set_available(pick_from(a.links), in_.range<std::uint32_t>(0, 100)); break;
      case 14: ec = s.engine.request_flow(pick_from(a.links)); break;
      case 15: ec = send(s, a); break;
      case 16: ec = send_more(s, a); break;
      case 17: {
        const amqp::delivery_handle d = pick_from(a.deliveries);
        ec = s.engine.abort_delivery(d);
        if (!ec) aborted(s, a, d);
        break;
      }
      case 18: ec = s.engine.update_state(pick_from(a.deliveries), state()); break;
      case 19: {
        const amqp::delivery_handle d = pick_from(a.deliveries);
        ec = s.engine.settle(d, state());
        if (!ec) s.check.settled(d);
        break;
      }
      default:
        if (in_.one_in(8)) {
          s.engine.abort();  // the transport is cut: the peer sees its end
          s.aborted = true;
          s.expect(s.engine.is_finished() && s.engine.pending_output().empty(),
                   "an aborted engine is not finished");
        }
        return;
    }
    check(s, ec, "command " + std::to_string(op));
    if (ec) {
      s.expect(s.engine.pending_output().size() == before, "a refused command wrote output");
      s.expect(!s.engine.poll_event(), "a refused command reported an event");
    }
  }

  std::error_code send(side& s, app& a) {
    const amqp::link_handle l = pick_from(a.links);
    const std::uint32_t mfs = s.engine.max_frame_size();
    std::size_t size = 0;
    switch (in_.range<int>(0, 3)) {
      case 0: size = in_.range<std::size_t>(0, 16); break;
      case 1: size = in_.range<std::size_t>(mfs - 40, mfs + 40); break;
      case 2: size = in_.range<std::size_t>(0, 3 * std::size_t{mfs} + 100); break;
      default: size = in_.range<std::size_t>(100, 600); break;
    }
    bool more = in_.one_in(4);
    std::size_t first = more ? in_.range<std::size_t>(0, size) : size;
    std::string name = a.names.count(l) ? a.names[l] : std::string();
    ledger& led = ledgers_[name];
    if (led.id == 0) led.id = static_cast<std::uint32_t>(ledgers_.size());
    const std::uint32_t seq = static_cast<std::uint32_t>(led.sent.size());
    const std::vector<std::uint8_t> m = two_engines::message_bytes(led.id, seq, size);
    // A tag of 9 bytes or more never meets an engine-made one (at most 8); 33 is refused.
    std::vector<std::uint8_t> tag;
    if (in_.one_in(4)) {
      tag.resize(in_.range<std::size_t>(9, 33), 0);
      tag[0] = 'T';
      for (std::size_t i = 0; i < 8; ++i) tag[1 + i] = static_cast<std::uint8_t>(a.next_tag >> (8 * i));
      ++a.next_tag;
    }
    amqp::send_options o{.tag = amqp::bytes_view(tag.data(), tag.size()),
                         .message_format = in_.one_in(8) ? 0x12345u : 0u,
                         .settled = in_.one_in(4),
                         .more = more,
                         .batchable = in_.one_in(4)};
    // Now and then in pieces (message_parts): up to three cuts, empty pieces allowed.
    const amqp::bytes_view head = amqp::bytes_view(m).first(first);
    std::size_t cuts[2] = {first, first};
    const bool parts = in_.one_in(4);
    if (parts) {
      cuts[0] = in_.range<std::size_t>(0, first);
      cuts[1] = in_.range<std::size_t>(cuts[0], first);
    }
    const amqp::bytes_view pieces[] = {head.first(cuts[0]), head.subspan(cuts[0], cuts[1] - cuts[0]),
                                       head.subspan(cuts[1])};
    auto d = parts ? s.engine.send(l, amqp::message_parts(pieces), o) : s.engine.send(l, head, o);
    if (!d) return d.error();
    s.expect(!name.empty(), "send() accepted a link whose attach was never seen");
    const amqp::delivery_status* st = s.engine.delivery(*d);
    s.check.sent(*d, !st || st->settled);
    s.app_bytes += first;
    led.sent.push_back({.seq = seq, .planned = size, .given = first, .complete = !more});
    a.sent[*d] = {name, led.sent.size() - 1};
    remember(a.deliveries, *d);
    return {};
  }

  std::error_code send_more(side& s, app& a) {
    const amqp::delivery_handle d = pick_from(a.deliveries);
    const auto it = a.sent.find(d);
    sent_message* m = it == a.sent.end() ? nullptr : &ledgers_[it->second.first].sent[it->second.second];
    const std::size_t left = m ? m->planned - std::min(m->planned, m->given) : 0;
    const std::size_t n = in_.range<std::size_t>(0, left);
    const bool more = n < left && in_.flag();
    std::vector<std::uint8_t> bytes;
    if (m) {
      const ledger& led = ledgers_[it->second.first];
      const std::vector<std::uint8_t> whole = two_engines::message_bytes(led.id, m->seq, m->planned);
      bytes.assign(whole.begin() + static_cast<std::ptrdiff_t>(m->given),
                   whole.begin() + static_cast<std::ptrdiff_t>(m->given + n));
    }
    const std::error_code ec = s.engine.send_more(d, amqp::bytes_view(bytes.data(), bytes.size()), more);
    if (!ec) {
      s.expect(m && !m->complete && !m->aborted, "send_more() accepted a delivery that is not open");
      m->given += n;
      m->complete = !more;
      s.app_bytes += n;
    }
    return ec;
  }

  void aborted(side& s, app& a, amqp::delivery_handle d) {
    s.check.aborted(d);
    const auto it = a.sent.find(d);
    s.expect(it != a.sent.end(), "abort_delivery() accepted a delivery this side did not send");
    // Possibly after its last bytes were given, while the session window held them back.
    ledgers_[it->second.first].sent[it->second.second].aborted = true;
  }

  // --- the end ---------------------------------------------------------------------------

  // Both applications answer everything and close; time passes the close timeout; both
  // transports end. Then both engines must be finished.
  void finish() {
    capp_.policy = sapp_.policy = 63;
    settle_down();
    for (side* s : {&client_, &server_}) {
      if (!s->engine.is_finished()) {
        // A close must follow an open: a side that never opened opens first (the engine
        // waits for the application's close once the peer's came).
        const std::string id = s == &client_ ? "fuzz-client" : "fuzz-server";
        check(*s, s->engine.open({.container_id = id}), "open(finish)");
        check(*s, s->engine.close(), "close(finish)");
      }
      settle_down();
    }
    // Both closed and every byte delivered, in order: unless time or an abort broke the
    // conversation, both have ended cleanly, before any timeout or end of input.
    if (!timed_out_ && !client_.aborted && !server_.aborted) {
      for (side* s : {&client_, &server_}) {
        s->expect(s->closed, "two honest engines closed and nothing ended the transport");
        s->expect(!s->closed_error, "two honest engines did not end cleanly: " +
                                        (s->closed_error ? s->closed_error->to_string() : ""));
      }
    }
    now_ += std::max(client_.config.limits.close_timeout, server_.config.limits.close_timeout) + 1ms;
    two_engines::tick(client_, now_);
    two_engines::tick(server_, now_);
    settle_down();
    two_engines::end_inputs(client_, server_, now_, [this](side& s) { poll(s); });
    for (side* s : {&client_, &server_}) {
      if (s->aborted) {
        s->expect(s->engine.is_finished(), "an aborted engine is not finished");
        continue;
      }
      s->expect(s->closed, "no transport_closed after both inputs ended");
      two_engines::settle_all_and_check_end(*s);
    }
  }

  // Moves all bytes both ways and answers all events until nothing moves any more.
  void settle_down() {
    two_engines::deliver_all(client_, server_, 100000, [this] { after_step(); });
  }

  fuzz_data in_;
  side client_;
  side server_;
  app capp_;
  app sapp_;
  std::unordered_map<std::string, ledger> ledgers_;
  bool timed_out_ = false;  // an idle, handshake or close timeout ended something
  std::size_t session_budget_ = 1;
  std::size_t sessions_begun_ = 0;
  amqp::time_point now_ = amqp::time_point(1000h);
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  conversation c(data, size);
  c.run();
  return 0;
}
