// The link and delivery contract of connection_engine, checked from the application's side by
// every whole-engine fuzz target (engine_server, engine_client, engine_commands, engine_pair).
//
// The checker is told what the application did (attached, detached, granted credit, sent,
// settled, aborted) and sees every event, in batches polled together, so that a fact reported
// later in the same batch can explain the state the engine is in now (the engine's state is
// always ahead of its event queue). Broken contracts trap with a message:
// - handles: a link in an event is live, or gone for a documented reason: both detaches were
//   exchanged (the peer's reported, ours sent by the application, by the engine on a
//   violation or when the application never answered), or its session or the connection
//   ended; a delivery in transfer_received, disposition_received or delivery_in_doubt is live
//   unless the application settled it; peer_attached answers exactly the application's own
//   attaches; a live link never has both detaches exchanged, a live session both ends;
// - credit: a receiving link's credit never exceeds what the application granted;
// - deliveries: transfer_received names a whole, unaborted delivery of that link whose
//   payload() is delivery()->size bytes; a delivery reported settled by the peer is never
//   reported again (not in doubt, no second disposition), and once remote_settled it stays so;
//   only a delivery this side sent and did not abort is ever in doubt, and only once;
//   settle() makes the handle stale at once, abort_delivery() too (both documented);
// - protocol_violation names a condition, and a session when it names a link;
// - end: once the connection is over and the application settled what it held, every handle
//   is stale (nothing leaks), and every delivery sent unsettled was settled by the peer,
//   reported in doubt, or settled by the application itself.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "amqp/engine.hpp"

namespace event_checks {

[[noreturn]] inline void broken(std::string_view side, std::string_view what) {
  std::fprintf(stderr, "engine invariant broken (%.*s): %.*s\n", static_cast<int>(side.size()),
               side.data(), static_cast<int>(what.size()), what.data());
  __builtin_trap();
}

class checker {
 public:
  explicit checker(std::string_view side) : side_(side) {}

  // --- what the application did; called right after the command succeeded -------------------

  void attached(amqp::link_handle l, amqp::role r) {
    link_info& i = links_[l];
    i.role = r;
    i.known_role = true;
    i.attached_by_app = true;
  }
  void answered(amqp::link_handle l) { links_[l].answered = true; }
  void detached(amqp::link_handle l) { links_[l].detached_by_app = true; }
  void granted(amqp::link_handle l, std::uint32_t credit) {
    link_info& i = links_[l];
    i.granted = std::min<std::uint64_t>(i.granted + credit, 0xffffffffu);
  }
  void sent(amqp::delivery_handle d, bool settled) {
    delivery_info& i = deliveries_[d];
    i.outgoing = true;
    i.sent_unsettled = !settled;
  }
  void settled(amqp::delivery_handle d) { deliveries_[d].app_settled = true; }
  void aborted(amqp::delivery_handle d) { deliveries_[d].aborted = true; }

  // Whether the engine may have forgotten the delivery: the application settled or aborted
  // it, or it was sent settled and not reported in doubt (gone once written).
  bool may_be_stale(amqp::delivery_handle d) const {
    const auto it = deliveries_.find(d);
    if (it == deliveries_.end()) return false;
    const delivery_info& i = it->second;
    return i.app_settled || i.aborted || (i.outgoing && !i.sent_unsettled && !i.in_doubt);
  }

  // --- events -------------------------------------------------------------------------------

  // Checks `ev`, polled now from `e`; `later` holds the events polled with it after it.
  void check(const amqp::connection_engine& e, const amqp::event& ev,
             std::span<const amqp::event> later) {
    expect(!transport_closed_, "an event after transport_closed");
    if (const auto* a = std::get_if<amqp::peer_attached>(&ev)) {
      link_info& i = note_link(e, a->link);
      expect(a->answer == i.attached_by_app,
             "peer_attached: `answer` does not match who attached the link");
      if (const amqp::link_status* st = e.link(a->link)) {
        expect(st->attach_received, "peer_attached for a link with no attach received");
        if (!a->answer) {
          i.role = st->role;
          i.known_role = true;
        }
      } else {
        expect(gone_explained(a->link, later), "peer_attached names a link that is gone");
      }
    } else if (const auto* d = std::get_if<amqp::peer_detached>(&ev)) {
      link_info& i = note_link(e, d->link);
      expect(!i.peer_detached, "peer_detached twice for one link");
      i.peer_detached = true;
      if (const amqp::link_status* st = e.link(d->link)) {
        expect(st->detach_received, "peer_detached for a link with no detach received");
      } else {
        // Gone at once when this side had detached first (or never answered the attach, when
        // the engine completes the link itself).
        expect(i.detached_by_app || i.violation || (!i.attached_by_app && !i.answered) ||
                   ended_later(i, later),
               "peer_detached names a link that is gone though this side never detached it");
      }
    } else if (const auto* c = std::get_if<amqp::credit_granted>(&ev)) {
      live_link(e, c->link, later, amqp::role::sender, "credit_granted");
    } else if (const auto* dr = std::get_if<amqp::link_drained>(&ev)) {
      live_link(e, dr->link, later, amqp::role::receiver, "link_drained");
    } else if (const auto* t = std::get_if<amqp::transfer_received>(&ev)) {
      live_link(e, t->link, later, amqp::role::receiver, "transfer_received");
      on_received(e, *t);
    } else if (const auto* ab = std::get_if<amqp::transfer_aborted>(&ev)) {
      live_link(e, ab->link, later, amqp::role::receiver, "transfer_aborted");
    } else if (const auto* di = std::get_if<amqp::disposition_received>(&ev)) {
      on_disposition(e, *di);
    } else if (const auto* dd = std::get_if<amqp::delivery_in_doubt>(&ev)) {
      on_in_doubt(e, *dd);
    } else if (const auto* v = std::get_if<amqp::protocol_violation>(&ev)) {
      expect(!v->error.name.empty(), "a protocol violation without a condition");
      if (v->link.is_set()) {
        expect(v->session.is_set(), "a link's protocol violation names no session");
        note_link(e, v->link).violation = true;
      }
    } else if (const auto* pe = std::get_if<amqp::peer_ended_session>(&ev)) {
      ended_sessions_.insert(pe->session);
    } else if (std::holds_alternative<amqp::transport_closed>(ev)) {
      transport_closed_ = true;
    }
  }

  // --- state, after every call on the engine -------------------------------------------------

  void check_state(const amqp::connection_engine& e) {
    for (auto& [h, i] : links_) {
      const amqp::link_status* st = e.link(h);
      if (!st) continue;
      expect(!(st->detach_sent && st->detach_received),
             "a link with both detaches exchanged is still live");
      if (i.known_role) expect(st->role == i.role, "a link changed its role");
      if (st->role == amqp::role::receiver)
        expect(st->credit <= i.granted, "a receiving link's credit exceeds what was granted");
      if (const amqp::session_status* s = e.session(st->session))
        expect(!(s->end_sent && s->end_received), "a session with both ends exchanged is live");
    }
    for (auto& [h, i] : deliveries_) {
      const amqp::delivery_status* st = e.delivery(h);
      if (i.app_settled) expect(!st, "a delivery the application settled is still live");
      if (i.aborted) expect(!st, "a delivery the application aborted is still live");
      if (!st) {
        expect(!i.reported || i.app_settled,
               "a received delivery went stale before the application settled it");
        expect(!(i.outgoing && (i.sent_unsettled || i.in_doubt)) || i.app_settled || i.aborted,
               "a delivery sent unsettled (or in doubt) went stale before the application "
               "settled it");
        continue;
      }
      if (i.remote_settled) expect(st->remote_settled, "a delivery the peer settled is unsettled again");
      if (st->remote_settled) i.remote_settled = true;
    }
  }

  // Every handle the checker saw, for the application to settle or answer at the end.
  std::vector<amqp::delivery_handle> live_deliveries(const amqp::connection_engine& e) const {
    std::vector<amqp::delivery_handle> out;
    for (const auto& [h, i] : deliveries_)
      if (e.delivery(h)) out.push_back(h);
    return out;
  }

  // Once the conversation is over and the application settled every delivery it held.
  void check_end(const amqp::connection_engine& e) {
    expect(transport_closed_, "the end was checked before transport_closed");
    for (const auto& [h, i] : links_) expect(!e.link(h), "a link outlived the connection");
    for (const auto& [h, i] : deliveries_) {
      expect(!e.delivery(h), "a delivery outlived the connection and its settlement");
      if (i.outgoing && i.sent_unsettled && !i.aborted)
        expect(i.remote_settled || i.in_doubt || i.app_settled,
               "a delivery sent unsettled was neither settled by the peer nor reported in doubt");
    }
  }

  void expect(bool ok, std::string_view what) const {
    if (!ok) broken(side_, what);
  }

 private:
  struct link_info {
    amqp::role role = amqp::role::sender;
    bool known_role = false;
    bool attached_by_app = false;  // attach_sender / attach_receiver
    bool answered = false;         // attach(link) in answer to the peer
    bool detached_by_app = false;
    bool peer_detached = false;
    bool violation = false;  // the engine closed it on a protocol violation
    bool session_known = false;
    amqp::session_handle session;
    std::uint64_t granted = 0;
  };
  struct delivery_info {
    bool outgoing = false;
    bool sent_unsettled = false;
    bool reported = false;  // transfer_received
    bool app_settled = false;
    bool aborted = false;
    bool remote_settled = false;  // reported by a disposition or seen in delivery()
    bool remote_settled_event = false;
    bool in_doubt = false;
  };

  link_info& note_link(const amqp::connection_engine& e, amqp::link_handle h) {
    expect(h.is_set(), "an event names no link");
    link_info& i = links_[h];
    if (!i.session_known) {
      if (const amqp::link_status* st = e.link(h)) {
        i.session = st->session;
        i.session_known = true;
      }
    }
    return i;
  }

  // The link's session or the connection ended: now, earlier, or later in this batch.
  bool ended_later(const link_info& i, std::span<const amqp::event> later) const {
    const auto ended = [&](amqp::session_handle s) { return !i.session_known || s == i.session; };
    for (amqp::session_handle s : ended_sessions_)
      if (ended(s)) return true;
    for (const amqp::event& ev : later) {
      if (std::holds_alternative<amqp::transport_closed>(ev)) return true;
      if (const auto* pe = std::get_if<amqp::peer_ended_session>(&ev); pe && ended(pe->session))
        return true;
    }
    return false;
  }

  // Why a link named in an event may be gone by the time the event is polled.
  bool gone_explained(amqp::link_handle h, std::span<const amqp::event> later) const {
    const auto it = links_.find(h);
    if (it == links_.end()) return false;
    const link_info& i = it->second;
    if (i.peer_detached && (i.detached_by_app || i.violation || (!i.attached_by_app && !i.answered)))
      return true;
    for (const amqp::event& ev : later)
      if (const auto* d = std::get_if<amqp::peer_detached>(&ev); d && d->link == h) return true;
    return ended_later(i, later);
  }

  void live_link(const amqp::connection_engine& e, amqp::link_handle h,
                 std::span<const amqp::event> later, amqp::role r, std::string_view what) {
    note_link(e, h);
    if (const amqp::link_status* st = e.link(h)) {
      expect(st->role == r, std::string(what) + " on a link of the other role");
    } else {
      expect(gone_explained(h, later), std::string(what) + " names a link that is gone");
    }
  }

  void on_received(const amqp::connection_engine& e, const amqp::transfer_received& t) {
    delivery_info& i = deliveries_[t.delivery];
    expect(!i.reported && !i.outgoing, "transfer_received twice for one delivery");
    i.reported = true;
    const amqp::delivery_status* st = e.delivery(t.delivery);
    expect(st != nullptr, "transfer_received names a delivery that is gone");
    expect(st->link == t.link, "transfer_received names a delivery of another link");
    expect(st->complete && !st->aborted, "transfer_received for a delivery not whole");
    expect(!st->settled, "transfer_received for a delivery this side settled");
    expect(e.payload(t.delivery).size() == st->size,
           "transfer_received: payload() is not delivery()->size bytes");
    expect(!e.delivery_tag(t.delivery).empty() && e.delivery_tag(t.delivery).size() <= 32,
           "transfer_received: a delivery-tag that is empty or over 32 bytes");
    if (const amqp::link_status* l = e.link(t.link); l && l->max_message_size)
      expect(st->size <= l->max_message_size, "a delivery over the link's max-message-size");
    if (st->remote_settled) i.remote_settled = true;
  }

  void on_disposition(const amqp::connection_engine& e, const amqp::disposition_received& d) {
    const auto it = deliveries_.find(d.delivery);
    expect(it != deliveries_.end() && (it->second.outgoing || it->second.reported),
           "disposition_received for a delivery the application never had");
    delivery_info& i = it->second;
    expect(!i.remote_settled_event, "disposition_received after the peer had settled the delivery");
    expect(!i.in_doubt, "disposition_received for a delivery in doubt");
    const amqp::delivery_status* st = e.delivery(d.delivery);
    expect(st || i.app_settled, "disposition_received names a delivery that is gone");
    if (d.settled) {
      i.remote_settled = i.remote_settled_event = true;
      if (st) expect(st->remote_settled, "disposition_received settled, delivery() not");
    }
  }

  void on_in_doubt(const amqp::connection_engine& e, const amqp::delivery_in_doubt& d) {
    const auto it = deliveries_.find(d.delivery);
    expect(it != deliveries_.end() && it->second.outgoing,
           "delivery_in_doubt for a delivery this side did not send");
    delivery_info& i = it->second;
    expect(!i.aborted, "delivery_in_doubt for a delivery the application aborted");
    expect(!i.in_doubt, "delivery_in_doubt twice for one delivery");
    expect(!i.remote_settled_event, "delivery_in_doubt for a delivery the peer settled");
    i.in_doubt = true;
    const amqp::delivery_status* st = e.delivery(d.delivery);
    expect(st || i.app_settled, "delivery_in_doubt names a delivery that is gone");
    if (st) expect(!st->remote_settled, "delivery_in_doubt for a delivery the peer settled");
  }

  std::string_view side_;
  std::unordered_map<amqp::link_handle, link_info> links_;
  std::unordered_map<amqp::delivery_handle, delivery_info> deliveries_;
  std::unordered_set<amqp::session_handle> ended_sessions_;
  bool transport_closed_ = false;
};

}  // namespace event_checks
