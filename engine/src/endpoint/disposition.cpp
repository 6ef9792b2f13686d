// Delivery states and settlement (spec Part 2, 2.6.12, 2.7.6; Part 3, 3.4): this side's
// dispositions, merged into ranges of consecutive deliveries with the same state before they
// are written, and the peer's, single or ranged.
#include <string>

#include "amqp/spec.hpp"
#include "engine_impl.hpp"
#include "fields.hpp"

namespace amqp {

namespace {

using detail::condition_of;
using detail::delivery_endpoint;
using detail::link_endpoint;
using detail::session_endpoint;

// States a disposition range can carry by kind alone; the others are written one by one.
bool mergeable(const delivery_state& s) {
  if (s.txn) return false;
  switch (s.kind) {
    case delivery_state::type::none:
    case delivery_state::type::accepted:
    case delivery_state::type::released:
      return true;
    case delivery_state::type::rejected:
      return !s.error;
    default:
      return false;
  }
}

// A disposition can still reach the peer: the delivery's link and session are live and this
// side has not detached, ended or closed.
bool can_dispose(connection_engine::impl& e, const delivery_endpoint& d) {
  const link_endpoint* l = e.links.find(d.status.link);
  const session_endpoint* s = e.sessions.find(d.session);
  return l && s && !e.close_sent && !l->status.detach_sent && !l->discarding &&
         !s->status.end_sent;
}

}  // namespace

std::error_code connection_engine::impl::update_state(delivery_handle h,
                                                      const delivery_state& state) {
  delivery_endpoint* d = app_delivery(h);
  if (!d) return errc::invalid_handle;
  if (!d->status.complete) return errc::wrong_state;
  d->status.state = state;
  if (!d->status.remote_settled && can_dispose(*this, *d)) {
    const link_endpoint& l = *links.find(d->status.link);
    queue_disposition(sessions.find(d->session)->status.channel, l.status.role, d->status.id,
                      false, state);
  }
  return {};
}

std::error_code connection_engine::impl::settle(delivery_handle h, const delivery_state& state) {
  delivery_endpoint* d = app_delivery(h);
  if (!d) return errc::invalid_handle;
  link_endpoint* l = links.find(d->status.link);
  session_endpoint* s = sessions.find(d->session);
  // A disposition can still reach the peer while the link and session are live and this side
  // has not detached, ended or closed.
  const bool open = l && s && !close_sent && !l->status.detach_sent && !l->discarding &&
                    !s->status.end_sent;
  if (d->outgoing && !d->status.complete && open) return errc::wrong_state;
  const bool speak = open && !d->status.remote_settled;
  // In rcv-settle-mode second the receiver settles only after the sender (spec 2.7.3).
  if (speak && !d->outgoing && l->status.rcv_settle_mode == receiver_settle_mode::second)
    return errc::wrong_state;
  if (speak) {  // the delivery is forgotten next: its state needs no storing
    const delivery_state& current = d->status.state;
    queue_disposition(s->status.channel, l->status.role, d->status.id, true,
                      !state.empty() ? state : current);
  }
  // A delivery the peer settled already left its session's index.
  if (s && !d->status.remote_settled) (d->outgoing ? s->outgoing : s->incoming).erase(d->status.id);
  if (l && l->status.unsettled > 0) --l->status.unsettled;
  free_delivery(h, *d);
  return {};
}

void connection_engine::impl::queue_disposition(std::uint16_t channel, role r, std::uint32_t id,
                                                bool settled, const delivery_state& state) {
  if (mergeable(state)) {
    if (!dispositions.empty()) {
      pending_disposition& b = dispositions.back();
      if (b.channel == channel && b.r == r && b.settled == settled && b.state == state.kind) {
        if (id == b.last + 1) {
          b.last = id;
          return;
        }
        if (id + 1 == b.first) {
          b.first = id;
          return;
        }
      }
    }
    dispositions.push_back({channel, r, id, id, settled, state.kind});
    return;
  }
  // A state with more than its kind: written now, after what was queued before it.
  writer bytes;
  const spec::disposition d{.role = r,
                            .first = id,
                            .settled = settled,
                            .state = detail::encode_state(state, bytes)};
  (void)write(channel, d);
}

void connection_engine::impl::write_dispositions() {
  for (const pending_disposition& p : dispositions) {
    spec::disposition d{.role = p.r, .first = p.first, .settled = p.settled};
    if (p.last != p.first) d.last = p.last;
    d.state = detail::encode_state(delivery_state{.kind = p.state}, state_scratch);
    (void)write_now(p.channel, d);
  }
  dispositions.clear();
}

void connection_engine::impl::on_disposition(session_endpoint& s, session_handle sh,
                                             const frame_view& f) {
  spec::disposition d;
  const auto bad = performative(f, d);
  if (bad) {
    session_violation(sh, condition_of(spec::amqp_error::decode_error,
                                       "invalid disposition frame: " + bad->message()));
    return;
  }
  auto state = detail::state_of(d.state.view());
  if (!state) {
    session_violation(sh, condition_of(spec::amqp_error::decode_error,
                                       "invalid delivery state in a disposition: " +
                                           state.error().message()));
    return;
  }
  // A receiver's disposition is about what this side sent, a sender's about what it received.
  detail::delivery_index& index = d.role == role::receiver ? s.outgoing : s.incoming;
  index.for_range(d.first, d.last.value_or(d.first), [&](std::uint32_t, std::uint32_t slot) {
    delivery_endpoint& x = *deliveries.at(slot);
    if (!state->empty()) x.status.remote_state = *state;
    if (d.settled) x.status.remote_settled = true;
    // A delivery still arriving is not the application's yet: it learns the state later.
    if (x.outgoing || x.reported)
      events.push(disposition_received{deliveries.handle_of(slot), d.settled});
    return d.settled;
  });
}

}  // namespace amqp
