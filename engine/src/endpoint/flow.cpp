// Flow control (spec Part 2, 2.5.6 and 2.6.7): the flow frames of links, credit, drain,
// available and echo, and the refilling of a session's incoming window.
#include <string>

#include "amqp/spec.hpp"
#include "engine_impl.hpp"
#include "fields.hpp"

namespace amqp {

namespace {

using detail::condition_of;
using detail::link_endpoint;
using detail::session_endpoint;

// a - b in serial arithmetic (RFC 1982), as credit: never below zero.
std::uint32_t credit_between(std::uint32_t limit, std::uint32_t count) {
  const auto d = static_cast<std::int32_t>(limit - count);
  return d > 0 ? static_cast<std::uint32_t>(d) : 0;
}

}  // namespace

void connection_engine::impl::on_flow(session_endpoint& s, session_handle sh, const frame_view& f) {
  spec::flow flow;
  const auto bad = performative(f, flow);
  if (bad) {
    session_violation(sh, condition_of(spec::amqp_error::decode_error,
                                       "invalid flow frame: " + bad->message()));
    return;
  }
  on_session_flow(s, flow);
  if (flow.handle) {
    link_handle h;
    link_endpoint* l = by_remote_handle(s, *flow.handle, &h);
    if (!l) {
      session_violation(sh, condition_of(spec::session_error::unattached_handle,
                                         "flow for handle " + std::to_string(*flow.handle) +
                                             ", which no attached link uses"));
      return;
    }
    if (!l->discarding && !l->status.detach_sent) on_link_flow(s, *l, h, flow);
  } else if (flow.echo && s.status.begin_sent) {
    write_flow(s, nullptr);  // unanswered, the session has no channel of ours to answer on
  }
  write_waiting(s);  // the peer's window may have opened
}

void connection_engine::impl::on_link_flow(session_endpoint& s, link_endpoint& l, link_handle h,
                                           const spec::flow& flow) {
  link_status& st = l.status;
  // The peer's link-state properties, as of its latest flow. New ones (a transaction to
  // acquire in, say) are news to a sender even without new credit. Both null is the common
  // case, and compared without encoding anything.
  const bool properties_changed =
      !(flow.properties.is_null() && st.remote_flow_properties.is_null()) &&
      !(st.remote_flow_properties == flow.properties.view());
  if (properties_changed) st.remote_flow_properties = value::from_view(flow.properties.view());
  if (st.role == role::sender) {
    // The receiver's view: credit counts from its delivery-count, which lags ours by what is
    // in flight; unset, it has not seen our attach, so it counts from our initial count
    // (spec Part 2, 2.6.7).
    const std::uint32_t their_count = flow.delivery_count.value_or(l.initial_delivery_count);
    const std::uint32_t before = st.credit;
    const bool drain_before = st.drain;
    if (flow.link_credit)
      st.credit = credit_between(their_count + *flow.link_credit, st.delivery_count);
    st.drain = flow.drain && st.credit > 0;
    if (st.credit != before || (st.drain && !drain_before) || properties_changed)
      events.push(credit_granted{h});
  } else {
    // The sender's count rules: it may have given up credit (a drain). It only ever advances;
    // a count going back would hand the sender credit this side never granted.
    if (flow.delivery_count &&
        static_cast<std::int32_t>(*flow.delivery_count - st.delivery_count) > 0) {
      st.delivery_count = *flow.delivery_count;
      st.credit = credit_between(l.credit_limit, st.delivery_count);
    }
    if (flow.available) st.available = *flow.available;
    if (st.drain && st.credit == 0) {
      st.drain = false;
      events.push(link_drained{h});
    }
  }
  // Unanswered, the link has no handle of ours to answer with: its attach will say it all.
  if (flow.echo && st.attach_sent) write_flow(s, &l);
}

void connection_engine::impl::write_flow(session_endpoint& s, const link_endpoint* l, bool echo) {
  const session_status& ss = s.status;
  spec::flow f{.incoming_window = ss.incoming_window,
               .next_outgoing_id = ss.next_outgoing_id,
               .outgoing_window = ss.outgoing_window};
  if (ss.begin_received) f.next_incoming_id = ss.next_incoming_id;
  if (l) {
    const link_status& st = l->status;
    f.handle = st.handle;
    // A receiver that has not seen the sender's attach does not know the count yet (2.7.4).
    f.link_credit = st.credit;
    if (st.role == role::sender) {
      // What the receiver can have seen: deliveries still waiting for the window count as
      // credit left, so that the delivery limit stays what it is.
      f.delivery_count = st.delivery_count - l->unsent;
      f.link_credit = st.credit + l->unsent;
    } else if (st.attach_received) {
      f.delivery_count = st.delivery_count;
    }
    if (st.role == role::sender) f.available = st.available;
    f.drain = st.drain;
    f.echo = echo;
    f.properties = st.flow_properties;
  }
  (void)write(ss.channel, f);
}

void connection_engine::impl::refill_incoming_window(session_endpoint& s) {
  if (s.status.incoming_window > s.incoming_window_size / 2 || s.status.end_sent) return;
  s.status.incoming_window = s.incoming_window_size;
  write_flow(s, nullptr);
}

namespace {

// The link and session of a flow command, or why there is none.
struct flow_target {
  link_endpoint* link = nullptr;
  session_endpoint* session = nullptr;
  std::error_code error;
};

// Credit and flow commands need an attached link this side may still speak on.
flow_target flow_command(connection_engine::impl& e, link_handle h, std::optional<role> r) {
  link_endpoint* l = e.links.find(h);
  if (!l) return {.error = errc::invalid_handle};
  session_endpoint* s = e.sessions.find(l->status.session);
  if (!s || e.close_sent || !l->status.attach_sent || l->status.detach_sent || s->status.end_sent ||
      (r && l->status.role != *r))
    return {.error = errc::wrong_state};
  return {l, s, {}};
}

}  // namespace

std::error_code connection_engine::impl::grant_credit(link_handle h, std::uint32_t credit,
                                                      value* properties) {
  const flow_target t = flow_command(*this, h, role::receiver);
  if (t.error) return t.error;
  if (properties && !properties->is_null() && properties->type() != kind::map)
    return errc::invalid_argument;
  link_status& st = t.link->status;
  if (properties) st.flow_properties = std::move(*properties);
  st.credit = credit > 0xffffffffu - st.credit ? 0xffffffffu : st.credit + credit;
  // From the delivery-count, which counts the excess taken, as the sender's formula does (spec
  // Part 2, 2.6.7): transfers still in flight take this credit on both sides alike, and an
  // excess already taken takes none of it. A new count of excess starts here
  // (limits::max_excess_transfers).
  t.link->credit_limit = st.delivery_count + st.credit;
  t.link->granted = true;
  t.link->excess = 0;
  write_flow(*t.session, t.link);
  return {};
}

std::error_code connection_engine::impl::drain(link_handle h) {
  const flow_target t = flow_command(*this, h, role::receiver);
  if (t.error) return t.error;
  if (t.link->status.credit == 0) {
    events.push(link_drained{h});  // nothing to use up
    return {};
  }
  t.link->status.drain = true;
  write_flow(*t.session, t.link);
  return {};
}

std::error_code connection_engine::impl::complete_drain(link_handle h) {
  const flow_target t = flow_command(*this, h, role::sender);
  if (t.error) return t.error;
  link_status& st = t.link->status;
  if (!st.drain) return errc::wrong_state;
  // The credit left is used up by advancing the count; the flow says so with drain still set.
  st.delivery_count += st.credit;
  st.credit = 0;
  write_flow(*t.session, t.link);
  st.drain = false;
  return {};
}

std::error_code connection_engine::impl::set_available(link_handle h, std::uint32_t available) {
  const flow_target t = flow_command(*this, h, role::sender);
  if (t.error) return t.error;
  t.link->status.available = available;
  write_flow(*t.session, t.link);
  return {};
}

std::error_code connection_engine::impl::request_flow(link_handle h) {
  const flow_target t = flow_command(*this, h, std::nullopt);
  if (t.error) return t.error;
  write_flow(*t.session, t.link, true);
  return {};
}

}  // namespace amqp
