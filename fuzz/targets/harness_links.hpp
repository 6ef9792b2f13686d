// The links and deliveries of the raw-bytes engine targets (engine_server, engine_client): an
// application that answers the peer's links and uses them, steered by the harness's generator,
// with event_checks.hpp checking every event and the state after every call.
//
// What it does: answers most links the peer attaches (its source and target mirrored or
// replaced, random settle modes and max-message-size) and refuses the rest (close_link, or an
// attach with a null terminus and then close_link, spec Part 2, 2.6.3); grants credit to its
// receivers, now and then drains; sends messages of varied sizes on its senders when credit
// comes (settled or not, now and then in pieces with send_more, now and then aborted),
// completes drains; settles what it receives with every outcome, or gives a state first and
// settles later (rcv-settle-mode second waits for the sender); settles what the peer settled
// or what is in doubt; answers detaches; now and then detaches or closes a link first. Where
// the peer uses transactions (spec Part 4) it plays along: a link to a coordinator target is
// answered as a coordinator (a declare with a new id, a discharge with accepted or
// unknown-id, anything else with the decode error), and a message sent in a transaction is
// settled inside it and credit granted with the transaction as link-state properties. Those
// choices are drawn only for such links and messages, so other inputs replay as before. A
// client also attaches a sender "fuzz-sender" and a receiver "fuzz-receiver" on the first
// session the peer answers, half the time each.
//
// Commands return success or the usage errors the situation allows (wrong_state while the
// session or connection is ending, invalid_handle for a link gone since, limit_reached,
// no_credit; invalid_argument only where the harness asked for something not allowed, such as
// a message over the peer's max-message-size or mirrored termini too large for a frame).
// A coordinator request received decodes to what its bytes say or fails with a named
// amqp:decode-error; a transaction id the peer sent is at most 64 bytes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "amqp/engine.hpp"
#include "amqp/transaction.hpp"
#include "event_checks.hpp"

namespace engine_harness {

// Anything but engine_failed (no allocation fails here) and the errors listed.
inline bool usage_error(std::error_code ec, std::initializer_list<amqp::errc> allowed) {
  if (!ec) return true;
  for (amqp::errc e : allowed)
    if (ec == e) return true;
  return false;
}

template <class Rng>
class link_app {
 public:
  link_app(amqp::connection_engine& engine, Rng& rng, event_checks::checker& check)
      : e_(engine), rng_(rng), check_(check) {}

  // Bytes the application handed to send(): the output may grow by that much.
  std::uint64_t app_bytes() const { return app_bytes_; }

  // A session is begun both ways (answered by the peer, or answered by us).
  void session_ready(amqp::session_handle s, bool client) {
    if (!client || own_attached_) return;
    own_attached_ = true;
    if (rng_.below(2)) own_attach(s, amqp::role::sender, "fuzz-sender");
    if (rng_.below(2)) own_attach(s, amqp::role::receiver, "fuzz-receiver");
  }

  // Checks and answers one event; `later` are the events polled with it after it.
  void on_event(const amqp::event& ev, std::span<const amqp::event> later) {
    check_.check(e_, ev, later);
    if (const auto* a = std::get_if<amqp::peer_attached>(&ev)) {
      if (a->answer) started(a->link);
      else answer_attach(a->link);
    } else if (const auto* d = std::get_if<amqp::peer_detached>(&ev)) {
      // Mostly in kind (a close answers a close, spec Part 2, 2.6.6), now and then not.
      const bool close = rng_.below(8) != 0 ? d->closed : !d->closed;
      const std::error_code ec = close ? e_.close_link(d->link) : e_.detach(d->link);
      expect(usage_error(ec, {amqp::errc::invalid_handle, amqp::errc::wrong_state}),
             "answering a detach failed for a reason other than state");
      if (!ec) check_.detached(d->link);
    } else if (const auto* c = std::get_if<amqp::credit_granted>(&ev)) {
      on_credit(c->link);
    } else if (const auto* t = std::get_if<amqp::transfer_received>(&ev)) {
      on_transfer(t->link, t->delivery);
    } else if (const auto* dr = std::get_if<amqp::link_drained>(&ev)) {
      if (rng_.below(2)) grant(dr->link, static_cast<std::uint32_t>(rng_.below(8)));
    } else if (const auto* di = std::get_if<amqp::disposition_received>(&ev)) {
      // What the peer settled is settled here too; an outcome alone is settled now and then.
      if (di->settled || rng_.below(4) == 0) settle(di->delivery, {}, true);
      else held_.push_back(di->delivery);
    } else if (const auto* dd = std::get_if<amqp::delivery_in_doubt>(&ev)) {
      if (rng_.below(4) == 0) held_.push_back(dd->delivery);
      else settle(dd->delivery, {}, true);
    }
    // Now and then, something the application decides by itself.
    if (!held_.empty() && rng_.below(4) == 0) {
      const std::size_t i = rng_.below(held_.size());
      const amqp::delivery_handle h = held_[i];
      held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
      settle(h, outcome(), true);
    }
    if (!links_.empty() && rng_.below(48) == 0) detach_some();
  }

  // After every call on the engine.
  void check_state() { check_.check_state(e_); }

  // The connection is over: what the application still holds is settled, then nothing may
  // be left.
  void finish() {
    for (amqp::delivery_handle d : check_.live_deliveries(e_)) {
      const std::error_code ec = e_.settle(d);
      expect(!ec, "settling a delivery after the connection ended failed");
      check_.settled(d);
    }
    check_.check_state(e_);
    check_.check_end(e_);
  }

 private:
  void expect(bool ok, std::string_view what) { check_.expect(ok, what); }

  amqp::link_options options(bool mirror_termini, amqp::link_handle peer_link) {
    amqp::link_options o;
    o.snd_settle_mode = rng_.pick({amqp::sender_settle_mode::mixed, amqp::sender_settle_mode::mixed,
                                   amqp::sender_settle_mode::unsettled,
                                   amqp::sender_settle_mode::settled});
    o.rcv_settle_mode = rng_.below(4) == 0 ? amqp::receiver_settle_mode::second
                                           : amqp::receiver_settle_mode::first;
    o.max_message_size = rng_.pick({std::uint64_t{0}, std::uint64_t{0}, std::uint64_t{64},
                                     std::uint64_t{1000}});
    const amqp::link_status* st = peer_link.is_set() ? e_.link(peer_link) : nullptr;
    if (mirror_termini && st) {
      o.source = st->remote_source;
      o.target = st->remote_target;
    }
    if (!o.source) o.source = amqp::terminus{.address = "fuzz/queue"};
    if (!o.target) o.target = amqp::terminus{.address = "fuzz/queue"};
    if (rng_.below(8) == 0) o.desired_capabilities = {"fuzz-capability"};
    return o;
  }

  void own_attach(amqp::session_handle s, amqp::role r, const char* name) {
    amqp::link_options o = options(false, {});
    o.name = name;
    auto l = r == amqp::role::sender ? e_.attach_sender(s, o) : e_.attach_receiver(s, o);
    expect(l || usage_error(l.error(), {amqp::errc::wrong_state, amqp::errc::limit_reached,
                                        amqp::errc::invalid_handle}),
           "attaching a link failed for a reason other than state or limits");
    if (!l) return;
    check_.attached(*l, r);
    links_.push_back(*l);
  }

  // Mostly accepted; refused a quarter of the time, either way the spec allows.
  void answer_attach(amqp::link_handle l) {
    std::error_code ec;
    bool mirrored = false;
    const std::uint64_t how = rng_.below(8);
    if (how == 0) {
      ec = e_.close_link(l, amqp::condition{"amqp:not-found", "fuzz refuses the link", {}});
      if (!ec) check_.detached(l);
    } else if (how == 1) {
      const amqp::link_status* st = e_.link(l);
      amqp::link_options o = options(false, {});
      // Our terminus null: the refusal, which a detach must follow.
      if (st && st->role == amqp::role::receiver) o.target.reset();
      else o.source.reset();
      ec = e_.attach(l, o);
      if (!ec) {
        check_.answered(l);
        ec = e_.close_link(l);
        if (!ec) check_.detached(l);
      }
    } else {
      mirrored = rng_.below(2) == 0;
      ec = e_.attach(l, options(mirrored, l));
      if (!ec) {
        check_.answered(l);
        links_.push_back(l);
        started(l);
      }
    }
    expect(usage_error(ec, {amqp::errc::wrong_state, amqp::errc::invalid_handle,
                            amqp::errc::limit_reached}) ||
               (mirrored && ec == amqp::errc::invalid_argument),
           "answering an attach failed for a reason other than state or limits");
  }

  // A link attached both ways: a receiver grants its first credit.
  void started(amqp::link_handle l) {
    const amqp::link_status* st = e_.link(l);
    if (!st || st->role != amqp::role::receiver) return;
    grant(l, static_cast<std::uint32_t>(rng_.pick({0u, 1u, 3u, 10u, 100u})));
    if (rng_.below(8) == 0) {
      const std::error_code ec = e_.drain(l);
      expect(usage_error(ec, {amqp::errc::wrong_state}), "drain() failed for a reason other than state");
    }
  }

  void grant(amqp::link_handle l, std::uint32_t credit) {
    const std::error_code ec = e_.grant_credit(l, credit);
    expect(usage_error(ec, {amqp::errc::wrong_state, amqp::errc::invalid_handle}),
           "grant_credit() failed for a reason other than state");
    if (!ec) check_.granted(l, credit);
  }

  void on_credit(amqp::link_handle l) {
    const amqp::link_status* st = e_.link(l);
    if (!st) return;
    if (st->credit > 0 && rng_.below(4) != 0) send(l, *st);
    st = e_.link(l);
    if (st && st->drain && rng_.below(4) != 0) {
      const std::error_code ec = e_.complete_drain(l);
      expect(usage_error(ec, {amqp::errc::wrong_state}),
             "complete_drain() failed for a reason other than state");
    }
    if (rng_.below(16) == 0) {
      const std::error_code ec = e_.set_available(l, static_cast<std::uint32_t>(rng_.below(5)));
      expect(usage_error(ec, {amqp::errc::wrong_state}),
             "set_available() failed for a reason other than state");
    }
  }

  void send(amqp::link_handle l, const amqp::link_status& st) {
    const std::uint32_t mfs = e_.max_frame_size();
    const std::size_t size = static_cast<std::size_t>(rng_.pick({0u, 1u, 40u, 500u, mfs, 2 * mfs + 7u}));
    std::vector<std::uint8_t> message(size);
    for (std::size_t i = 0; i < size; ++i) message[i] = static_cast<std::uint8_t>(i * 7 + sends_);
    const bool settled = rng_.below(4) == 0;
    const bool split = size > 1 && rng_.below(4) == 0;
    const std::size_t first = split ? size / 2 : size;
    // Asking for what the link does not allow is a usage error the engine must refuse.
    const std::uint64_t limit = st.remote_max_message_size;
    const bool refused = (settled && st.snd_settle_mode == amqp::sender_settle_mode::unsettled) ||
                         (limit && first > limit);
    const bool too_big = limit && size > limit;
    const std::uint64_t tag = sends_++;
    const std::uint8_t tag_bytes[] = {static_cast<std::uint8_t>(tag),
                                      static_cast<std::uint8_t>(tag >> 8), 0xf5};
    amqp::send_options o{.settled = settled, .more = split, .batchable = rng_.below(4) == 0};
    if (rng_.below(2)) o.tag = amqp::bytes_view(tag_bytes);
    auto d = e_.send(l, amqp::bytes_view(message).first(first), o);
    if (!d) {
      expect(usage_error(d.error(), {amqp::errc::wrong_state, amqp::errc::no_credit}) ||
                 (refused && d.error() == amqp::errc::invalid_argument),
             "send() failed for a reason other than state or credit");
      return;
    }
    expect(!refused, "send() accepted what the link does not allow");
    app_bytes_ += size;
    const amqp::delivery_status* ds = e_.delivery(*d);
    check_.sent(*d, !ds || ds->settled);
    if (!split) return;
    if (rng_.below(4) == 0) {
      const std::error_code ec = e_.abort_delivery(*d);
      expect(usage_error(ec, {amqp::errc::wrong_state}),
             "abort_delivery() failed for a reason other than state");
      if (!ec) check_.aborted(*d);
      return;
    }
    const std::error_code ec = e_.send_more(*d, amqp::bytes_view(message).subspan(first), false);
    expect(usage_error(ec, {amqp::errc::wrong_state}) || (too_big && ec == amqp::errc::invalid_argument),
           "send_more() failed for a reason other than state");
    expect(!too_big || ec, "send_more() went over the peer's max-message-size");
  }

  amqp::delivery_state outcome() {
    switch (rng_.below(7)) {
      case 0: return amqp::delivery_state::accepted();
      case 1: return amqp::delivery_state::rejected(amqp::condition{"amqp:internal-error", "fuzz", {}});
      case 2: return amqp::delivery_state::rejected();
      case 3: return amqp::delivery_state::released();
      case 4: return amqp::delivery_state::modified(true, rng_.below(2) == 0);
      case 5: return amqp::delivery_state::received(0, 0);
      default: return {};
    }
  }

  // A coordinator's answer to a request (spec Part 4, 4.3).
  amqp::delivery_state coordinator_answer(amqp::delivery_handle d) {
    auto request = amqp::decode_coordinator_request(e_.payload(d));
    if (!request) {
      expect(request.error().name == "amqp:decode-error" && !request.error().description.empty(),
             "a request that does not decode is refused without a named decode-error");
      return amqp::delivery_state::rejected(request.error());
    }
    if (std::holds_alternative<amqp::declare_request>(*request)) {
      const std::uint64_t n = txns_declared_++;
      const std::uint8_t id[] = {0x7e, static_cast<std::uint8_t>(n),
                                 static_cast<std::uint8_t>(n >> 8)};
      return amqp::delivery_state::declared(*amqp::transaction_id::from(amqp::bytes_view(id)));
    }
    const amqp::transaction_id& id = std::get<amqp::discharge_request>(*request).id;
    expect(id.size() <= amqp::transaction_id::max_size, "a discharge's txn-id over 64 bytes");
    if (rng_.below(4) == 0)
      return amqp::delivery_state::rejected(
          amqp::condition{std::string(amqp::transaction_errors::unknown_id), "fuzz", {}});
    return amqp::delivery_state::accepted();
  }

  void on_transfer(amqp::link_handle l, amqp::delivery_handle d) {
    const amqp::link_status* ls = e_.link(l);
    const amqp::delivery_status* ds = e_.delivery(d);
    if (ls && ls->remote_target && ls->remote_target->coordinator) {
      settle(d, coordinator_answer(d), false);
      if (rng_.below(2)) grant(l, static_cast<std::uint32_t>(1 + rng_.below(4)));
      return;
    }
    if (ds && ds->remote_state.is_transactional()) {
      // Acquired inside the peer's transaction: settled in it, and more credit in it.
      const amqp::transaction_id id = *ds->remote_state.txn;
      expect(id.size() <= amqp::transaction_id::max_size, "a transfer's txn-id over 64 bytes");
      const amqp::delivery_state outcome = amqp::delivery_state::transactional(
          id, rng_.below(2) ? amqp::delivery_state::accepted() : amqp::delivery_state::released());
      if (rng_.below(2)) {
        const std::error_code ec = e_.update_state(d, outcome);
        expect(!ec, "update_state() on a delivery just received failed");
        held_.push_back(d);
      } else {
        settle(d, outcome, false);
      }
      const amqp::value properties =
          rng_.below(4) == 0
              ? amqp::value()
              : amqp::value::map_of({{amqp::value::sym("txn-id"), amqp::value::bin(id.bytes())}});
      const auto credit = static_cast<std::uint32_t>(rng_.below(3));
      const std::error_code ec = e_.grant_credit(l, credit, properties);
      expect(usage_error(ec, {amqp::errc::wrong_state, amqp::errc::invalid_handle}),
             "grant_credit() with flow properties failed for a reason other than state");
      if (!ec) {
        check_.granted(l, credit);
        const amqp::link_status* now = e_.link(l);
        expect(now && now->flow_properties == properties,
               "grant_credit() lost its flow properties");
      }
      return;
    }
    switch (rng_.below(6)) {
      case 0:
        held_.push_back(d);
        break;
      case 1: {
        const std::error_code ec = e_.update_state(d, outcome());
        expect(!ec, "update_state() on a delivery just received failed");
        held_.push_back(d);
        break;
      }
      default:
        settle(d, outcome(), false);
    }
    if (rng_.below(2)) grant(l, static_cast<std::uint32_t>(1 + rng_.below(4)));
    if (rng_.below(32) == 0) {
      const std::error_code ec = e_.drain(l);
      expect(usage_error(ec, {amqp::errc::wrong_state, amqp::errc::invalid_handle}),
             "drain() failed for a reason other than state");
    }
  }

  // rcv-settle-mode second: a receiver may not settle before the sender (wrong_state); the
  // delivery is held until the sender's settlement comes.
  void settle(amqp::delivery_handle d, const amqp::delivery_state& state, bool held) {
    if (!e_.delivery(d)) {
      // Held twice, or sent settled and written since: nothing to settle.
      expect(check_.may_be_stale(d), "a delivery the application holds is gone");
      return;
    }
    const std::error_code ec = e_.settle(d, state);
    if (!ec) {
      check_.settled(d);
      std::erase(held_, d);
      return;
    }
    expect(usage_error(ec, {amqp::errc::wrong_state}), "settle() failed for a reason other than state");
    if (!held || rng_.below(2)) held_.push_back(d);
  }

  void detach_some() {
    const std::size_t i = rng_.below(links_.size());
    const amqp::link_handle l = links_[i];
    links_.erase(links_.begin() + static_cast<std::ptrdiff_t>(i));
    const std::error_code ec =
        rng_.below(2) ? e_.close_link(l, amqp::condition{"amqp:link:detach-forced", "fuzz", {}})
                      : e_.detach(l);
    expect(usage_error(ec, {amqp::errc::wrong_state, amqp::errc::invalid_handle}),
           "detaching a link failed for a reason other than state");
    if (!ec) check_.detached(l);
  }

  amqp::connection_engine& e_;
  Rng& rng_;
  event_checks::checker& check_;
  std::vector<amqp::link_handle> links_;       // links attached both ways, to detach some day
  std::vector<amqp::delivery_handle> held_;    // deliveries to settle later
  std::uint64_t app_bytes_ = 0;
  std::uint64_t sends_ = 0;
  std::uint64_t txns_declared_ = 0;
  bool own_attached_ = false;
};

}  // namespace engine_harness
