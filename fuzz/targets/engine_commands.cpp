// Fuzz target: a client and a server connection_engine wired together (two_engines.hpp), with
// the input steering everything: how the bytes cross (whole, in pieces, one byte at a time),
// the virtual clock, and every application command on both sides (open, close, sessions,
// links in both roles with varied termini, settle modes, max-message-size and initial
// delivery-count, credit, drain, sending messages of up to a few max-frame-sizes with
// send_more and aborts, states and settlement with every outcome, abort of the engine), and
// the commands of transactions (spec Part 4): senders attached to a coordinator target,
// declare and discharge requests on them, messages sent inside a transaction, settlement with
// declared and transactional states, credit granted with link-state properties that name a
// transaction (or null, or refused ones that are not a map). They sit behind op 20, which
// once only drew the rare abort(), so that the inputs saved before them replay as they did.
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
// - transactions: a coordinator target reaches the peer as sent (capabilities and all), an
//   ordinary one never as a coordinator; a declare or discharge request received whole
//   decodes to the request sent (decode_coordinator_request also reads every other message, and must not
//   crash on it); a message sent in a transaction arrives with transactional-state and that
//   id (without one, with no state), unless its sender gave a state of its own since; a
//   sender's remote_state is one its receiver gave that delivery; a sender's
//   remote_flow_properties is null or properties its receiver granted on that link, and a
//   receiver's flow_properties are what it granted last; properties that are not a map are
//   refused; a 65-byte transaction id is refused by transaction_id::from, and a global id the
//   encoder cannot write by encode_coordinator_request, which leaves its writer as it was;
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

#include "amqp/transaction.hpp"
#include "command_app.hpp"
#include "fuzz_data.hpp"
#include "two_engines.hpp"
#include "txn_choices.hpp"

namespace {

using namespace std::chrono_literals;
using two_engines::side;
using namespace engine_commands;

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
      check_remote_target(s, at->link);
      if (!at->answer && (a.policy & auto_attach)) {
        const amqp::link_options o = link_options(s, at->link, true);
        if (check(s, s.engine.attach(at->link, o), "attach(answer)")) {
          s.check.answered(at->link);
          attached_target(s, at->link, o);
        }
      }
      auto_grant(s, a, at->link, 10);
    } else if (const auto* d = std::get_if<amqp::peer_detached>(&ev)) {
      if (a.policy & auto_end) {
        const std::error_code ec = d->closed ? s.engine.close_link(d->link) : s.engine.detach(d->link);
        if (check(s, ec, "detach(answer)")) s.check.detached(d->link);
      }
    } else if (const auto* c = std::get_if<amqp::credit_granted>(&ev)) {
      const amqp::link_status* st = s.engine.link(c->link);
      check_flow_properties(s, a, c->link);
      if ((a.policy & auto_credit) && st && st->drain)
        check(s, s.engine.complete_drain(c->link), "complete_drain(answer)");
    } else if (const auto* t = std::get_if<amqp::transfer_received>(&ev)) {
      remember(a.deliveries, t->delivery);
      on_message(s, a, *t);
    } else if (const auto* di = std::get_if<amqp::disposition_received>(&ev)) {
      const amqp::delivery_status* st = s.engine.delivery(di->delivery);
      if (st) check_remote_state(s, a, di->delivery, *st);
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
    a.received[t.delivery] = {name->second, l.next};
    const sent_message& m = l.sent[l.next++];
    const amqp::bytes_view got = s.engine.payload(t.delivery);
    s.expect(m.complete && got.size() == m.given,
             "a message received with another size than sent (or before it was complete)");
    const std::vector<std::uint8_t> want =
        m.request ? m.bytes : two_engines::message_bytes(l.id, m.seq, m.planned);
    s.expect(std::equal(got.begin(), got.end(), want.begin()),
             "a message received with other bytes than sent, or out of order");
    // Every message is read as a coordinator would; a request must read as it was sent, when
    // it was sent whole (send_more() may end a message before all its bytes were given).
    const auto request = amqp::decode_coordinator_request(got);
    if (m.request && m.given == m.planned) {
      s.expect(request && *request == *m.request,
               "a coordinator request received does not decode to the request sent");
    } else if (!request) {
      s.expect(request.error().name == "amqp:decode-error" && !request.error().description.empty(),
               "a message that is no coordinator request is refused without a decode-error");
    }
    const amqp::delivery_status* ds = s.engine.delivery(t.delivery);
    if (ds && !m.sender_disposed) {
      const amqp::delivery_state carried =
          m.txn ? amqp::delivery_state::transactional(*m.txn) : amqp::delivery_state{};
      s.expect(ds->remote_state == carried,
               "a message received with another state than its first transfer carried");
    }
    if (a.policy & auto_settle) {
      const amqp::link_status* st = s.engine.link(t.link);
      const amqp::delivery_state answer = auto_outcome(a, st, ds, request);
      if (st && st->rcv_settle_mode == amqp::receiver_settle_mode::second && ds &&
          !ds->remote_settled) {
        if (check(s, s.engine.update_state(t.delivery, answer), "update_state(auto)"))
          gave(a, t.delivery, answer);
      } else {
        settle(s, t.delivery, answer);
      }
    }
    auto_grant(s, a, t.link, 1);
  }

  bool settle(side& s, amqp::delivery_handle d, const amqp::delivery_state& state) {
    const bool ok = check(s, s.engine.settle(d, state), "settle");
    if (ok) {
      s.check.settled(d);
      gave(app_of(s), d, state);
    }
    return ok;
  }

  // --- transactions ----------------------------------------------------------------------

  // How the application answers a message by itself: accepted, except that a coordinator
  // answers a declare with a new transaction, a discharge with accepted (or unknown-id for an
  // id it never declared) and anything else with the decode error; and a message sent inside
  // a transaction is accepted inside it.
  amqp::delivery_state auto_outcome(
      app& a, const amqp::link_status* st, const amqp::delivery_status* ds,
      const amqp::result<amqp::coordinator_request, amqp::condition>& request) {
    if (st && st->remote_target && st->remote_target->coordinator) {
      if (!request) return amqp::delivery_state::rejected(request.error());
      if (std::holds_alternative<amqp::declare_request>(*request)) {
        const std::uint32_t n = a.next_txn++;
        const std::uint8_t id[] = {static_cast<std::uint8_t>(a.prefix),
                                   static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(n >> 8),
                                   static_cast<std::uint8_t>(n >> 16)};
        const amqp::transaction_id txn = *amqp::transaction_id::from(amqp::bytes_view(id));
        remember(a.txns, txn);
        return amqp::delivery_state::declared(txn);
      }
      const auto& discharge = std::get<amqp::discharge_request>(*request);
      if (std::find(a.txns.begin(), a.txns.end(), discharge.id) != a.txns.end())
        return amqp::delivery_state::accepted();
      return amqp::delivery_state::rejected(
          amqp::condition{std::string(amqp::transaction_errors::unknown_id), "fuzz", {}});
    }
    if (ds && ds->remote_state.is_transactional())
      return amqp::delivery_state::transactional(*ds->remote_state.txn,
                                                 amqp::delivery_state::accepted());
    return amqp::delivery_state::accepted();
  }

  // After the application gave `state` to delivery `d` (settle or update_state): a receiver's
  // non-empty state is one its sender may see; a sender's state or settlement may reach the
  // receiver before it reads the message.
  void gave(app& a, amqp::delivery_handle d, const amqp::delivery_state& state) {
    if (const auto it = a.received.find(d); it != a.received.end()) {
      if (!state.empty()) ledger_entry(it->second).given_states.push_back(state);
    } else if (const auto out = a.sent.find(d); out != a.sent.end()) {
      ledger_entry(out->second).sender_disposed = true;
    }
  }

  sent_message& ledger_entry(const std::pair<std::string, std::size_t>& at) {
    return ledgers_[at.first].sent[at.second];
  }

  // The state a sender sees is one its receiver gave (or none yet).
  void check_remote_state(side& s, app& a, amqp::delivery_handle d,
                          const amqp::delivery_status& st) {
    if (st.remote_state.kind == amqp::delivery_state::type::declared && st.remote_state.txn)
      remember(a.txns, *st.remote_state.txn);  // a controller learns its transaction
    const auto it = a.sent.find(d);
    if (it == a.sent.end() || st.remote_state.empty()) return;
    const std::vector<amqp::delivery_state>& given = ledger_entry(it->second).given_states;
    s.expect(std::find(given.begin(), given.end(), st.remote_state) != given.end(),
             "a sender sees a delivery state its receiver never gave");
  }

  // The target each side attached a link with, by link name (names are unique per side).
  void attached_target(side& s, amqp::link_handle l, const amqp::link_options& o) {
    const amqp::link_status* st = s.engine.link(l);
    if (st) targets_[&s == &client_ ? 0 : 1][st->name] = o.target;
  }

  // A coordinator target arrives as sent; another target never as a coordinator.
  void check_remote_target(side& s, amqp::link_handle l) {
    const amqp::link_status* st = s.engine.link(l);
    if (!st) return;
    const auto& sent = targets_[&s == &client_ ? 1 : 0];
    const auto it = sent.find(st->name);
    if (it == sent.end()) return;
    const std::optional<amqp::terminus>& t = it->second;
    s.expect(t.has_value() == st->remote_target.has_value(),
             "a target arrived null though sent, or the other way round");
    if (!t || !st->remote_target) return;
    if (t->coordinator)
      s.expect(*st->remote_target == *t, "a coordinator target arrived otherwise than sent");
    else
      s.expect(!st->remote_target->coordinator, "an ordinary target arrived as a coordinator");
  }

  // A sender's view of the link-state properties is null or what its receiver granted.
  void check_flow_properties(side& s, app& a, amqp::link_handle l) {
    const amqp::link_status* st = s.engine.link(l);
    const auto name = a.names.find(l);
    if (!st || st->role != amqp::role::sender || st->remote_flow_properties.is_null() ||
        name == a.names.end())
      return;
    const std::vector<amqp::value>& granted = flow_properties_[name->second];
    s.expect(std::find(granted.begin(), granted.end(), st->remote_flow_properties) != granted.end(),
             "a sender sees flow properties its receiver never granted");
  }

  // Op 20 but for the abort: the commands of transactions.
  std::error_code transaction_command(side& s, app& a) {
    switch (in_.range<int>(0, 5)) {
      case 0: {
        // A controller attaches to a coordinator; now and then a receiver with that target,
        // which means nothing but must still cross.
        amqp::link_options o = link_options(s, {}, false);
        o.target = txn_choices::coordinator(in_);
        o.name = std::string(1, a.prefix) + std::to_string(a.next_name++);
        const amqp::role r = in_.one_in(8) ? amqp::role::receiver : amqp::role::sender;
        auto l = r == amqp::role::sender ? s.engine.attach_sender(pick_from(a.sessions), o)
                                         : s.engine.attach_receiver(pick_from(a.sessions), o);
        if (!l) return l.error();
        s.check.attached(*l, r);
        remember(a.links, *l);
        a.names[*l] = o.name;
        attached_target(s, *l, o);
        return {};
      }
      case 1: return send(s, a, send_kind::request);
      case 2: return send(s, a, send_kind::in_txn);
      case 3: {
        const amqp::delivery_handle d = pick_from(a.deliveries);
        const amqp::delivery_state st = txn_choices::state(in_, s, a.txns);
        const std::error_code ec = s.engine.update_state(d, st);
        if (!ec) gave(a, d, st);
        return ec;
      }
      case 4: {
        const amqp::delivery_handle d = pick_from(a.deliveries);
        const amqp::delivery_state st = txn_choices::state(in_, s, a.txns);
        const std::error_code ec = s.engine.settle(d, st);
        if (!ec) {
          s.check.settled(d);
          gave(a, d, st);
        }
        return ec;
      }
      default: return grant_with_properties(s, a);
    }
  }

  // Credit with link-state properties (txn_choices::flow_properties): kept when they are a map,
  // refused otherwise.
  std::error_code grant_with_properties(side& s, app& a) {
    const amqp::link_handle l = pick_from(a.links);
    const std::uint32_t credit = in_.pick({0u, 1u, 5u, 100u});
    bool map = true;
    const amqp::value properties = txn_choices::flow_properties(in_, s, a.txns, map);
    const amqp::link_status* st = s.engine.link(l);
    const amqp::value before = st ? st->flow_properties : amqp::value();
    const std::error_code ec = s.engine.grant_credit(l, credit, properties);
    st = s.engine.link(l);
    if (ec) {
      if (st)
        s.expect(st->flow_properties == before,
                 "a refused grant_credit changed the flow properties");
      return ec;
    }
    s.expect(map, "grant_credit took flow properties that are not a map");
    s.check.granted(l, credit);
    s.expect(st && st->flow_properties == properties,
             "grant_credit did not keep its flow properties");
    if (const auto name = a.names.find(l); name != a.names.end())
      flow_properties_[name->second].push_back(properties);
    return {};
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
          attached_target(s, *l, o);
        }
        ec = l ? std::error_code() : l.error();
        break;
      }
      case 7: {
        const amqp::link_handle l = pick_from(a.links);
        const amqp::link_options o = link_options(s, l, in_.flag());
        ec = s.engine.attach(l, o);
        if (!ec) {
          s.check.answered(l);
          attached_target(s, l, o);
        }
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
      case 18: {
        const amqp::delivery_handle d = pick_from(a.deliveries);
        const amqp::delivery_state st = state();
        ec = s.engine.update_state(d, st);
        if (!ec) gave(a, d, st);
        break;
      }
      case 19: {
        const amqp::delivery_handle d = pick_from(a.deliveries);
        const amqp::delivery_state st = state();
        ec = s.engine.settle(d, st);
        if (!ec) {
          s.check.settled(d);
          gave(a, d, st);
        }
        break;
      }
      default:
        if (in_.one_in(8)) {
          s.engine.abort();  // the transport is cut: the peer sees its end
          s.aborted = true;
          s.expect(s.engine.is_finished() && s.engine.pending_output().empty(),
                   "an aborted engine is not finished");
          return;
        }
        ec = transaction_command(s, a);
        break;
    }
    check(s, ec, "command " + std::to_string(op));
    if (ec) {
      s.expect(s.engine.pending_output().size() == before, "a refused command wrote output");
      s.expect(!s.engine.poll_event(), "a refused command reported an event");
    }
  }

  enum class send_kind { plain, request, in_txn };

  std::error_code send(side& s, app& a, send_kind kind = send_kind::plain) {
    const amqp::link_handle l = pick_from(a.links);
    const std::uint32_t mfs = s.engine.max_frame_size();
    std::size_t size = 0;
    std::optional<amqp::coordinator_request> request;
    std::vector<std::uint8_t> request_bytes;
    if (kind == send_kind::request) {
      request = txn_choices::request(in_, s, a.txns);
      amqp::writer w;
      s.expect(!amqp::encode_coordinator_request(w, *request),
               "a coordinator request did not encode");
      request_bytes.assign(w.view().begin(), w.view().end());
      size = request_bytes.size();
    } else {
      switch (in_.range<int>(0, 3)) {
        case 0: size = in_.range<std::size_t>(0, 16); break;
        case 1: size = in_.range<std::size_t>(mfs - 40, mfs + 40); break;
        case 2: size = in_.range<std::size_t>(0, 3 * std::size_t{mfs} + 100); break;
        default: size = in_.range<std::size_t>(100, 600); break;
      }
    }
    bool more = in_.one_in(4);
    std::size_t first = more ? in_.range<std::size_t>(0, size) : size;
    std::string name = a.names.count(l) ? a.names[l] : std::string();
    ledger& led = ledgers_[name];
    if (led.id == 0) led.id = static_cast<std::uint32_t>(ledgers_.size());
    const std::uint32_t seq = static_cast<std::uint32_t>(led.sent.size());
    const std::vector<std::uint8_t> m =
        request ? request_bytes : two_engines::message_bytes(led.id, seq, size);
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
    std::optional<amqp::transaction_id> txn;
    if (kind == send_kind::in_txn) txn = txn_choices::id(in_, s, a.txns);
    o.txn = txn ? &*txn : nullptr;
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
    if (st)
      s.expect(st->state ==
                   (txn ? amqp::delivery_state::transactional(*txn) : amqp::delivery_state{}),
               "a delivery sent has another state than its transaction's");
    s.app_bytes += first;
    led.sent.push_back({.seq = seq, .planned = size, .given = first, .complete = !more,
                        .request = request, .bytes = std::move(request_bytes), .txn = txn});
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
      const std::vector<std::uint8_t> whole =
          m->request ? m->bytes : two_engines::message_bytes(led.id, m->seq, m->planned);
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
  // By link name: the target each side attached with (0 the client), and the flow properties
  // receivers granted (null included).
  std::unordered_map<std::string, std::optional<amqp::terminus>> targets_[2];
  std::unordered_map<std::string, std::vector<amqp::value>> flow_properties_;
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
