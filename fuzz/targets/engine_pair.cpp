// Fuzz target: two engines hold an honest, scripted conversation while the input decides what
// becomes of the bytes between them (two_engines.hpp wires them).
//
// The script: the client opens and begins a session; it attaches a sender "c2s" and a
// receiver "s2c", the server answers both and grants credit for all it expects; each side
// sends its N messages unsettled (at least once: each is settled only once the receiver's
// outcome arrives; a link in rcv-settle-mode second gives the outcome first and settles after
// the sender), checks what it receives, and when the client has everything it closes both
// links, ends the session and closes the connection, each answered in kind.
//
// Either direction may run inside a transaction (spec Part 4): the client then also attaches
// a sender "txn" to a coordinator target, which the server answers as a coordinator; the
// client declares a transaction, and once the server's declared outcome names it, sends its
// messages inside it (transactional-state on their transfers, settled by the server inside
// it) or grants its credit inside it (the txn-id as link-state properties of its flows,
// settling inside it); with everything done it discharges the transaction, and closes the
// coordinator link with the others.
//
// Input: the script's parameters first (messages each way and whether in a transaction, their
// sizes, frame sizes, settle modes, idle timeouts), then, for each chunk of bytes a side
// writes, how long the chunk is and what happens to it on the wire: delivered, a byte
// flipped or replaced, dropped, duplicated, truncated, or garbage inserted; and how far the
// clock moves. An exhausted input delivers everything unchanged.
//
// Invariants (a broken one traps), besides those of two_engines.hpp and event_checks.hpp:
// - never a crash or a hang: the conversation ends within a bounded number of rounds;
// - when nothing was altered, the conversation completes: every message arrives once, in
//   order, byte for byte, every one is settled by both sides, no protocol_violation, both
//   closes carry no error and transport_closed reports none; in a transaction the declare
//   and discharge reach the coordinator as sent, the declared id reaches the client, every
//   message arrives with transactional-state and that id, every outcome comes back inside
//   it, the sender of a direction whose credit is granted inside it sees the txn-id in its
//   flow properties, and the discharge is accepted;
// - otherwise each side either completed its part, or reported a protocol_violation, a
//   transport_closed, peer_ended_session or peer_detached with a condition, or was closed by
//   its peer, or stalled (then the application gives up and closes with an error: a lost
//   frame is not always detectable);
// - in every case, once both inputs have ended and the close timeout has passed, both engines
//   are finished, every unsettled delivery was settled or reported in doubt, nothing is left.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "amqp/transaction.hpp"
#include "fuzz_data.hpp"
#include "two_engines.hpp"

namespace {

using namespace std::chrono_literals;
using two_engines::side;

struct script {
  std::uint32_t messages[2] = {1, 1};  // per direction: client to server, server to client
  std::size_t size[2] = {100, 100};
  bool second[2] = {false, false};  // rcv-settle-mode second on the link
  bool txn[2] = {false, false};     // the direction runs inside the client's transaction
  bool any_txn() const { return txn[0] || txn[1]; }
};

// One side's part of the conversation.
struct part {
  bool client = false;
  int out = 0;  // the direction this side sends in (0: c2s, 1: s2c)
  amqp::session_handle session;
  amqp::link_handle sender;
  amqp::link_handle receiver;
  std::uint32_t sent = 0;
  std::uint32_t acked = 0;     // sent messages settled after the receiver's outcome
  std::uint32_t received = 0;  // messages received whole
  std::uint32_t settled = 0;   // received messages settled
  std::uint32_t links_detached = 0;
  bool closing_links = false;
  bool close_sent = false;
  bool gave_up = false;
  bool violation = false;
  bool peer_error = false;  // the peer ended the session or detached a link with an error
  // Transactions: the client's coordinator link and requests, the server's coordinator link.
  amqp::link_handle coordinator;
  std::optional<amqp::transaction_id> txn;  // declared (server) or learned (client)
  amqp::delivery_handle declare;
  amqp::delivery_handle discharge;
  bool declare_sent = false;
  bool discharge_sent = false;
  bool discharged = false;       // the discharge's outcome came
  bool credit_waits = false;     // the receiver's credit waits for the transaction's id
};

// The id the server declares, and the link-state properties that name it.
const amqp::transaction_id& pair_txn() {
  static const amqp::transaction_id id = *amqp::transaction_id::from(
      amqp::bytes_view(reinterpret_cast<const std::uint8_t*>("pair-txn-1"), 10));
  return id;
}
amqp::value txn_properties(const amqp::transaction_id& id) {
  return amqp::value::map_of({{amqp::value::sym("txn-id"), amqp::value::bin(id.bytes())}});
}

class pair_run {
 public:
  pair_run(const std::uint8_t* data, std::size_t size)
      : in_(data, size),
        client_("client", config(amqp::engine_role::client)),
        server_("server", config(amqp::engine_role::server)) {
    for (int d = 0; d < 2; ++d) {
      // 1 to 6 messages, and the middle third of the draw puts them inside a transaction. The
      // count is what the draw of 1 to 6 it replaced gave, so saved inputs replay as before
      // unless their byte falls in that third (none of the committed ones does).
      const std::uint32_t m = in_.range<std::uint32_t>(0, 17);
      script_.messages[d] = 1 + m % 6;
      script_.txn[d] = m / 6 == 1;
      script_.size[d] = in_.pick({std::size_t{1}, std::size_t{100}, std::size_t{600},
                                  std::size_t{2000}, std::size_t{5000}});
      script_.second[d] = in_.one_in(3);
    }
    cpart_.client = true;
    cpart_.out = 0;
    spart_.out = 1;
    const auto idle = in_.pick({0ms, 0ms, 3000ms});
    ok(client_, client_.engine.open({.container_id = "pair-client", .idle_timeout = idle}), "open");
  }

  void run() {
    for (int round = 0; round < 4000; ++round) {
      const std::size_t moved = pump(client_, server_) + pump(server_, client_);
      now_ += std::chrono::milliseconds(in_.range<int>(0, 3));
      two_engines::tick(client_, now_);
      two_engines::tick(server_, now_);
      after_step();
      if (client_.closed && server_.closed) break;
      if (moved == 0 && client_.inbox.empty() && server_.inbox.empty() &&
          client_.engine.pending_output().empty() && server_.engine.pending_output().empty())
        break;  // nothing moves: finished, or stalled
    }
    finish();
  }

 private:
  amqp::engine_config config(amqp::engine_role role) {
    amqp::engine_config c{.role = role};
    c.limits.max_frame_size = in_.pick({512u, 1024u, 4096u});
    c.limits.close_timeout = 1000ms;
    c.limits.handshake_timeout = 5000ms;
    return c;
  }

  part& part_of(side& s) { return &s == &client_ ? cpart_ : spart_; }

  // --- the wire --------------------------------------------------------------------------

  // Writes one chunk of `from`'s output into `to`'s inbox, altered as the input says.
  std::size_t pump(side& from, side& to) {
    const std::size_t pending = from.engine.pending_output().size();
    if (pending == 0) return 0;
    std::size_t n = pending;
    switch (in_.range<int>(0, 2)) {
      case 1: n = in_.range<std::size_t>(1, pending); break;
      case 2: n = 1; break;
      default: break;
    }
    std::vector<std::uint8_t> chunk = two_engines::take(from, n);
    std::vector<std::uint8_t>& inbox = to.inbox;
    const std::size_t at = in_.range<std::size_t>(0, chunk.size() - 1);
    switch (in_.range<int>(0, 15)) {
      case 10:
        chunk[at] ^= in_.range<std::uint8_t>(1, 255);
        altered_ = true;
        break;
      case 11:
        chunk[at] = in_.range<std::uint8_t>(0, 255);
        altered_ = true;  // (perhaps to the same value: then nothing changed but the flag)
        break;
      case 12:
        chunk.clear();
        altered_ = true;
        break;
      case 13:
        inbox.insert(inbox.end(), chunk.begin(), chunk.end());  // delivered twice
        altered_ = true;
        break;
      case 14:
        chunk.resize(at);
        altered_ = true;
        break;
      case 15: {
        const std::vector<std::uint8_t> junk = in_.bytes(in_.range<std::size_t>(1, 16));
        chunk.insert(chunk.begin() + static_cast<std::ptrdiff_t>(at), junk.begin(), junk.end());
        altered_ = altered_ || !junk.empty();
        break;
      }
      default:
        break;
    }
    inbox.insert(inbox.end(), chunk.begin(), chunk.end());
    return n;
  }

  void after_step() {
    two_engines::read_all(client_, server_, now_, 64, [this](side& s) { poll(s); });
  }

  // --- the script ------------------------------------------------------------------------

  void poll(side& s) {
    two_engines::poll(s, [&](const amqp::event& ev, std::span<const amqp::event>) { on_event(s, ev); });
  }

  // The application's answers are honest: whatever a command returns must be success or a
  // usage error the state explains (the peer may be hostile once bytes are altered).
  bool ok(side& s, std::error_code ec, std::string_view what) {
    s.expect(!ec || ec == amqp::errc::wrong_state || ec == amqp::errc::invalid_handle ||
                 ec == amqp::errc::no_credit || ec == amqp::errc::limit_reached ||
                 (altered_ && ec == amqp::errc::invalid_argument),
             std::string(what) + " failed with " + ec.message());
    s.expect(!ec || altered_, std::string(what) + " refused in an unaltered conversation: " + ec.message());
    return !ec;
  }

  amqp::link_options link_options(std::string name, int direction) {
    return {.name = std::move(name),
            .source = amqp::terminus{.address = "pair/source"},
            .target = amqp::terminus{.address = "pair/target"},
            .rcv_settle_mode = script_.second[direction] ? amqp::receiver_settle_mode::second
                                                         : amqp::receiver_settle_mode::first};
  }

  void on_event(side& s, const amqp::event& ev) {
    part& p = part_of(s);
    if (std::holds_alternative<amqp::peer_opened>(ev)) {
      if (!p.client) ok(s, s.engine.open({.container_id = "pair-server"}), "open");
      else if (auto r = s.engine.begin_session(); ok(s, r ? std::error_code() : r.error(), "begin"))
        p.session = *r;
    } else if (const auto* b = std::get_if<amqp::peer_began_session>(&ev)) {
      if (!b->answer) {
        if (ok(s, s.engine.begin_session(b->session), "begin(answer)")) p.session = b->session;
      } else if (p.client) {
        auto l = s.engine.attach_sender(p.session, link_options("c2s", 0));
        if (ok(s, l ? std::error_code() : l.error(), "attach_sender")) {
          p.sender = *l;
          s.check.attached(*l, amqp::role::sender);
        }
        auto r = s.engine.attach_receiver(p.session, link_options("s2c", 1));
        if (ok(s, r ? std::error_code() : r.error(), "attach_receiver")) {
          p.receiver = *r;
          s.check.attached(*r, amqp::role::receiver);
        }
        if (script_.any_txn()) {
          auto c = s.engine.attach_sender(p.session, coordinator_options());
          if (ok(s, c ? std::error_code() : c.error(), "attach_sender(coordinator)")) {
            p.coordinator = *c;
            s.check.attached(*c, amqp::role::sender);
          }
        }
      }
    } else if (const auto* a = std::get_if<amqp::peer_attached>(&ev)) {
      on_attached(s, p, *a);
    } else if (const auto* c = std::get_if<amqp::credit_granted>(&ev)) {
      if (c->link == p.sender) {
        check_flow_properties(s, p);
        send_all(s, p);
      }
      if (c->link == p.coordinator && p.client) request(s, p);
    } else if (const auto* t = std::get_if<amqp::transfer_received>(&ev)) {
      on_message(s, p, *t);
    } else if (const auto* d = std::get_if<amqp::disposition_received>(&ev)) {
      on_disposition(s, p, *d);
    } else if (const auto* dd = std::get_if<amqp::delivery_in_doubt>(&ev)) {
      settle(s, dd->delivery);  // lost with its link: no outcome to wait for
    } else if (const auto* pd = std::get_if<amqp::peer_detached>(&ev)) {
      p.peer_error = p.peer_error || pd->error.has_value();
      ++p.links_detached;
      if (!p.closing_links) {
        if (ok(s, s.engine.close_link(pd->link), "close_link(answer)")) s.check.detached(pd->link);
      }
      if (p.client && p.closing_links && p.links_detached == (script_.any_txn() ? 3u : 2u))
        ok(s, s.engine.end_session(p.session), "end_session");
    } else if (const auto* e = std::get_if<amqp::peer_ended_session>(&ev)) {
      p.peer_error = p.peer_error || e->error.has_value();
      if (!p.client) ok(s, s.engine.end_session(e->session), "end_session(answer)");
      else p.close_sent = ok(s, s.engine.close(), "close");
    } else if (std::holds_alternative<amqp::peer_closed>(ev)) {
      if (!p.close_sent) p.close_sent = ok(s, s.engine.close(), "close(answer)");
    } else if (std::holds_alternative<amqp::protocol_violation>(ev)) {
      p.violation = true;
    } else if (std::holds_alternative<amqp::idle_timeout_expired>(ev)) {
      // The wire was too slow for the idle timeout: as good as an altered stream.
      altered_ = true;
    }
    maybe_done(s, p);
  }

  amqp::link_options coordinator_options() {
    return {.name = "txn",
            .source = amqp::terminus{.address = "pair/controller"},
            .target = amqp::terminus::make_coordinator(
                {std::string(amqp::txn_capabilities::local_transactions)})};
  }

  void on_attached(side& s, part& p, const amqp::peer_attached& a) {
    const amqp::link_status* st = s.engine.link(a.link);
    if (!a.answer && st && st->remote_target && st->remote_target->coordinator) {
      // A controller: answered as its coordinator, with credit for the declare and discharge.
      if (!altered_)
        s.expect(*st->remote_target == coordinator_options().target,
                 "the coordinator target arrived otherwise than sent");
      if (!ok(s, s.engine.attach(a.link, coordinator_options()), "attach(coordinator)")) return;
      s.check.answered(a.link);
      p.coordinator = a.link;
      if (ok(s, s.engine.grant_credit(a.link, 2), "grant_credit(coordinator)"))
        s.check.granted(a.link, 2);
      return;
    }
    if (!a.answer && st) {
      const amqp::role mine = st->role;
      const int direction = mine == amqp::role::receiver ? 0 : 1;
      if (!ok(s, s.engine.attach(a.link, link_options(st->name, direction)), "attach(answer)")) return;
      s.check.answered(a.link);
      (mine == amqp::role::sender ? p.sender : p.receiver) = a.link;
    }
    st = s.engine.link(a.link);
    if (st && a.link == p.coordinator && a.answer && !altered_)
      s.expect(st->remote_target && st->remote_target->coordinator,
               "the coordinator's answer has no coordinator target");
    if (st && a.link == p.receiver && st->attach_sent) {
      // The client's credit inside the transaction waits for its id (the server's receiver
      // learns it from each transfer).
      if (in_txn_credit(p) && !p.txn) p.credit_waits = true;
      else grant(s, p);
    }
  }

  bool in_txn_credit(const part& p) const { return p.client && script_.txn[1 - p.out]; }

  void grant(side& s, part& p) {
    const std::uint32_t n = script_.messages[1 - p.out];
    const std::error_code ec = in_txn_credit(p) && p.txn
                                   ? s.engine.grant_credit(p.receiver, n, txn_properties(*p.txn))
                                   : s.engine.grant_credit(p.receiver, n);
    if (ok(s, ec, "grant_credit")) s.check.granted(p.receiver, n);
  }

  // --- the transaction ---------------------------------------------------------------------

  // The client's requests: a declare once the coordinator grants credit, a discharge at the end.
  void request(side& s, part& p) {
    const bool discharge = p.declare_sent;
    if (discharge && (p.discharge_sent || !p.txn || !done_but_discharge(p))) return;
    amqp::writer w;
    const amqp::coordinator_request r =
        discharge ? amqp::coordinator_request(amqp::discharge_request{*p.txn, false})
                  : amqp::coordinator_request(amqp::declare_request{});
    s.expect(!amqp::encode_coordinator_request(w, r), "a coordinator request did not encode");
    auto d = s.engine.send(p.coordinator, w.view());
    if (!ok(s, d ? std::error_code() : d.error(), discharge ? "send(discharge)" : "send(declare)"))
      return;
    s.check.sent(*d, false);
    s.app_bytes += w.size();
    (discharge ? p.discharge : p.declare) = *d;
    (discharge ? p.discharge_sent : p.declare_sent) = true;
  }

  // The coordinator reads a request: a declare is answered with the id, a discharge of it
  // accepted.
  void on_request(side& s, part& p, const amqp::transfer_received& t) {
    const auto r = amqp::decode_coordinator_request(s.engine.payload(t.delivery));
    if (!altered_)
      s.expect(static_cast<bool>(r), "a coordinator request did not decode: " +
                                         (r ? std::string() : r.error().description));
    amqp::delivery_state answer;
    if (!r) {
      answer = amqp::delivery_state::rejected(r.error());
    } else if (std::holds_alternative<amqp::declare_request>(*r)) {
      if (!altered_)
        s.expect(!p.txn && std::get<amqp::declare_request>(*r).global_id.is_null(),
                 "a declare arrived otherwise than sent");
      p.txn = pair_txn();
      answer = amqp::delivery_state::declared(pair_txn());
    } else {
      const auto& d = std::get<amqp::discharge_request>(*r);
      if (!altered_)
        s.expect(p.txn && d.id == *p.txn && !d.fail, "a discharge arrived otherwise than sent");
      answer = p.txn && d.id == *p.txn
                   ? amqp::delivery_state::accepted()
                   : amqp::delivery_state::rejected(amqp::condition{
                         std::string(amqp::transaction_errors::unknown_id), "pair", {}});
    }
    settle(s, t.delivery, answer);
  }

  // The client learns the outcome of its declare or discharge.
  void on_request_outcome(side& s, part& p, const amqp::disposition_received& d,
                          const amqp::delivery_status& st) {
    if (d.delivery == p.declare) {
      if (!d.settled && !st.remote_state.is_outcome()) return;
      if (st.remote_state.kind == amqp::delivery_state::type::declared && st.remote_state.txn)
        p.txn = *st.remote_state.txn;
      if (!altered_)
        s.expect(st.remote_state == amqp::delivery_state::declared(pair_txn()),
                 "the declared outcome did not arrive as the coordinator gave it");
      settle(s, d.delivery);
      if (!p.txn) return;  // refused: the transaction's messages wait for ever
      if (p.credit_waits) {
        p.credit_waits = false;
        grant(s, p);
      }
      send_all(s, p);
    } else {
      if (!d.settled && !st.remote_state.is_outcome()) return;
      if (!altered_)
        s.expect(st.remote_state == amqp::delivery_state::accepted(),
                 "the discharge was not accepted");
      p.discharged = true;
      settle(s, d.delivery);
    }
  }

  // The server's sender, whose credit the client grants inside the transaction, sees its id
  // in the flow properties.
  void check_flow_properties(side& s, part& p) {
    if (altered_ || p.client || !in_txn_credit(cpart_)) return;
    const amqp::link_status* st = s.engine.link(p.sender);
    if (!st) return;
    s.expect(cpart_.txn && st->remote_flow_properties == txn_properties(*cpart_.txn),
             "credit inside a transaction came without its txn-id in the flow properties");
  }

  // The outcome a receiver gives: accepted, inside the transaction when its direction runs in one.
  amqp::delivery_state outcome_for(side& s, part& p, int direction, amqp::delivery_handle d) {
    if (!script_.txn[direction]) return amqp::delivery_state::accepted();
    const amqp::delivery_status* st = s.engine.delivery(d);
    // The id: the sender's transfer names it (server), or the client declared it.
    std::optional<amqp::transaction_id> id = p.txn;
    if (!p.client && st && st->remote_state.txn) id = *st->remote_state.txn;
    if (!altered_ && !p.client)
      s.expect(st && p.txn && st->remote_state == amqp::delivery_state::transactional(*p.txn),
               "a message sent inside the transaction arrived without its transactional-state");
    if (!id) return amqp::delivery_state::accepted();
    return amqp::delivery_state::transactional(*id, amqp::delivery_state::accepted());
  }

  void send_all(side& s, part& p) {
    const int d = p.out;
    if (script_.txn[d] && !p.txn) return;  // inside a transaction not declared yet
    while (p.sent < script_.messages[d]) {
      const amqp::link_status* st = s.engine.link(p.sender);
      if (!st || st->credit == 0) return;
      const std::vector<std::uint8_t> m =
          two_engines::message_bytes(static_cast<std::uint32_t>(d), p.sent, size_of(d, p.sent));
      const amqp::send_options o{.txn = script_.txn[d] ? &*p.txn : nullptr};
      auto r = s.engine.send(p.sender, amqp::bytes_view(m), o);
      if (!ok(s, r ? std::error_code() : r.error(), "send")) return;
      s.check.sent(*r, false);
      s.app_bytes += m.size();
      ++p.sent;
    }
  }

  std::size_t size_of(int direction, std::uint32_t seq) const {
    return script_.size[direction] + seq * 37;
  }

  void on_message(side& s, part& p, const amqp::transfer_received& t) {
    if (p.coordinator.is_set() && t.link == p.coordinator) return on_request(s, p, t);
    const int d = 1 - p.out;
    if (!altered_) {
      s.expect(p.received < script_.messages[d], "more messages received than were sent");
      const std::vector<std::uint8_t> want =
          two_engines::message_bytes(static_cast<std::uint32_t>(d), p.received, size_of(d, p.received));
      const amqp::bytes_view got = s.engine.payload(t.delivery);
      s.expect(got.size() == want.size() && std::equal(got.begin(), got.end(), want.begin()),
               "a message received with other bytes than sent, or out of order");
    }
    ++p.received;
    const amqp::delivery_state outcome = outcome_for(s, p, d, t.delivery);
    const amqp::delivery_status* st = s.engine.delivery(t.delivery);
    if (script_.second[d] && st && !st->remote_settled) {
      ok(s, s.engine.update_state(t.delivery, outcome), "update_state");
    } else if (settle(s, t.delivery, outcome)) {
      ++p.settled;
    }
  }

  void on_disposition(side& s, part& p, const amqp::disposition_received& d) {
    const amqp::delivery_status* st = s.engine.delivery(d.delivery);
    if (!st) return;
    if (p.coordinator.is_set() && st->link == p.coordinator) {
      if (p.client) on_request_outcome(s, p, d, *st);
      return;
    }
    if (st->link == p.sender && script_.txn[p.out] && !altered_ && st->remote_state.is_outcome()) {
      const part& other = p.client ? spart_ : cpart_;
      s.expect(other.txn && st->remote_state == amqp::delivery_state::transactional(
                                                    *other.txn, amqp::delivery_state::accepted()),
               "an outcome inside the transaction came back without it");
    }
    if (st->link == p.receiver) {
      // rcv-settle-mode second: the sender settled, now the receiver does.
      if (d.settled && settle(s, d.delivery)) ++p.settled;
      return;
    }
    if ((d.settled || st->remote_state.is_outcome()) && settle(s, d.delivery)) ++p.acked;
  }

  bool settle(side& s, amqp::delivery_handle d, const amqp::delivery_state& state = {}) {
    if (!ok(s, s.engine.settle(d, state), "settle")) return false;
    s.check.settled(d);
    return true;
  }

  bool done_but_discharge(const part& p) const {
    return p.acked == script_.messages[p.out] && p.received == script_.messages[1 - p.out] &&
           p.settled == p.received;
  }
  bool complete(const part& p) const {
    return done_but_discharge(p) && (!p.client || !script_.any_txn() || p.discharged);
  }

  // The client, once it has everything (and discharged its transaction), closes its links;
  // the session and the connection follow as each is answered.
  void maybe_done(side& s, part& p) {
    if (!p.client || p.closing_links) return;
    if (script_.any_txn() && p.declare_sent && !p.discharge_sent && done_but_discharge(p))
      request(s, p);
    if (!complete(p)) return;
    p.closing_links = true;
    for (amqp::link_handle l : {p.sender, p.receiver, p.coordinator}) {
      if (!l.is_set()) continue;
      if (ok(s, s.engine.close_link(l), "close_link")) s.check.detached(l);
    }
  }

  // --- the end ---------------------------------------------------------------------------

  void finish() {
    deliver_all();
    for (side* s : {&client_, &server_}) {
      part& p = part_of(*s);
      if (s->closed) continue;
      if (complete(p) && !altered_) continue;  // its close is under way
      p.gave_up = !complete(p);
      const std::error_code ec =
          s->engine.close(p.gave_up ? std::optional(amqp::condition{"amqp:internal-error", "stalled", {}})
                                    : std::nullopt);
      s->expect(!ec || ec == amqp::errc::wrong_state, "close(finish) failed with " + ec.message());
      deliver_all();
    }
    now_ += 1001ms;
    two_engines::tick(client_, now_);
    two_engines::tick(server_, now_);
    deliver_all();
    two_engines::end_inputs(client_, server_, now_, [this](side& s) { poll(s); });
    for (side* s : {&client_, &server_}) {
      s->expect(s->closed, "no transport_closed after both inputs ended");
      two_engines::settle_all_and_check_end(*s);
      const part& p = part_of(*s);
      if (!altered_) {
        s->expect(complete(p), "an unaltered conversation did not complete");
        s->expect(!p.violation, "a protocol violation in an unaltered conversation");
        s->expect(!s->closed_error && !s->peer_close_error,
                  "an unaltered conversation did not end cleanly");
      } else {
        // A lost frame is not always detectable (a dropped disposition stalls the side that
        // waits for it while its peer, done, closes cleanly): being closed is an end too.
        s->expect(complete(p) || p.violation || p.peer_error || s->closed_error || s->peer_closed ||
                      cpart_.gave_up || spart_.gave_up,
                  "a side neither completed nor reported why");
      }
    }
  }

  // Unaltered delivery of everything both ways until nothing moves.
  void deliver_all() {
    two_engines::deliver_all(client_, server_, 2000, [this] { after_step(); });
  }

  fuzz_data in_;
  side client_;
  side server_;
  script script_;
  part cpart_;
  part spart_;
  bool altered_ = false;
  amqp::time_point now_ = amqp::time_point(1000h);
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pair_run r(data, size);
  r.run();
  return 0;
}
