// Links (spec Part 2, 2.6): attach and detach in both directions, handle allocation and
// mapping, link-scoped protocol errors, and the end of a link's life.
#include <string>
#include <utility>
#include <vector>

#include "amqp/spec.hpp"
#include "engine_impl.hpp"
#include "fields.hpp"

namespace amqp {

namespace {

using detail::condition_of;
using detail::link_endpoint;
using detail::number_map;
using detail::session_endpoint;
using detail::strings_of;
using detail::views_of;

std::string quoted(std::string_view name) {
  std::string s;  // appended piece by piece: g++ 12 at -O3 misreads "'" + name + "'"
  s.reserve(name.size() + 2);
  s += '\'';
  s += name;
  s += '\'';
  return s;
}

}  // namespace

void connection_engine::impl::on_attach(session_endpoint& s, session_handle sh,
                                        const frame_view& f) {
  spec::attach a;
  const auto bad = performative(f, a);
  if (bad) {
    session_violation(sh, condition_of(spec::amqp_error::decode_error,
                                       "invalid attach frame: " + bad->message()));
    return;
  }
  const std::string what = "attach of link " + quoted(a.name) + " with handle " +
                           std::to_string(a.handle);
  // The limit this side announces (or will, when a pipelined attach comes before its begin).
  if (a.handle > config.limits.handle_max) {
    session_violation(sh, condition_of(spec::amqp_error::not_allowed,
                                       what + ", above the handle-max of " +
                                           std::to_string(config.limits.handle_max)));
    return;
  }
  if (s.remote_handles.get(a.handle) != number_map::none) {
    session_violation(sh, condition_of(spec::session_error::handle_in_use,
                                       what + ", which an attached link already uses"));
    return;
  }
  const role mine = a.role == role::sender ? role::receiver : role::sender;
  // A name names one link in each direction (spec Part 2, 2.6.1): an attach for a link whose
  // attach already stands (no detach came for it) means the peer lost track of its links.
  // Refusing only the new handle would not do: completing a refused link takes an attach
  // that the peer would read as another new link, and the two sides would never stop.
  bool attached = false;
  s.remote_handles.for_each([&](std::uint32_t, std::uint32_t slot) {
    const link_endpoint* l = links.at(slot);
    attached = attached || (l && l->status.role == mine && l->status.name == a.name);
  });
  if (attached) {
    session_violation(sh, condition_of(spec::amqp_error::illegal_state,
                                       what + ", which is already attached (spec Part 2, 2.6.1)"));
    return;
  }
  // The answer to an attach of ours names the link and takes the opposite role.
  link_handle h;
  bool answer = false;
  s.local_handles.for_each([&](std::uint32_t, std::uint32_t slot) {
    const link_endpoint* l = links.at(slot);
    if (!answer && l && !l->status.attach_received && l->status.role == mine &&
        l->status.name == a.name) {
      h = links.handle_of(slot);
      answer = true;
    }
  });
  if (!answer) {
    h = links.emplace();
    link_status& st = links.find(h)->status;
    st.session = sh;
    st.name = std::string(a.name);
    st.role = mine;
  }
  link_endpoint& l = *links.find(h);
  link_status& st = l.status;
  st.remote_handle = a.handle;
  st.attach_received = true;
  s.remote_handles.set(a.handle, h.slot);
  if (a.role == role::sender) {
    st.snd_settle_mode = a.snd_settle_mode;
    // A sender that answers our second with first wants the receiver to settle first (2.7.3),
    // and will not settle before it: waiting for its settlement would wait forever.
    if (!answer || a.rcv_settle_mode == receiver_settle_mode::first)
      st.rcv_settle_mode = a.rcv_settle_mode;
    // The sender's count rules (spec 2.6.7); credit granted before it arrived still holds.
    st.delivery_count = a.initial_delivery_count.value_or(0);
    l.credit_limit = st.delivery_count + st.credit;
  } else {
    st.rcv_settle_mode = a.rcv_settle_mode;
    if (!answer) st.snd_settle_mode = a.snd_settle_mode;
  }
  st.remote_max_message_size = a.max_message_size.value_or(0);
  st.remote_offered_capabilities = strings_of(a.offered_capabilities);
  st.remote_desired_capabilities = strings_of(a.desired_capabilities);
  if (!a.properties.is_null()) st.remote_properties = value::from_view(a.properties.view());
  auto source = detail::terminus_of(a.source.view(), true);
  auto target = detail::terminus_of(a.target.view(), false);
  if (source) st.remote_source = std::move(*source);
  if (target) st.remote_target = std::move(*target);
  events.push(peer_attached{h, answer});
  if (!source || !target) {
    link_violation(h, condition_of(spec::amqp_error::decode_error,
                                   what + ": invalid " + (source ? "target: " : "source: ") +
                                       (source ? target.error() : source.error()).message()));
    return;
  }
  if (a.role == role::sender && !a.initial_delivery_count) {
    link_violation(h, condition_of(spec::amqp_error::invalid_field,
                                   what + ": a sender's attach must carry initial-delivery-count "
                                          "(spec Part 2, 2.7.3)"));
  }
}

result<link_handle, std::error_code> connection_engine::impl::attach(
    session_handle sh, std::optional<link_handle> answer, role r, const link_options& options) {
  if (answer) {
    const link_endpoint* l = links.find(*answer);
    if (!l) return make_error_code(errc::invalid_handle);
    if (l->status.attach_sent) return make_error_code(errc::wrong_state);
    sh = l->status.session;
    r = l->status.role;
  }
  session_endpoint* s = sessions.find(sh);
  if (!s) return make_error_code(errc::invalid_handle);
  const session_status& ss = s->status;
  if (!open_sent || close_sent || input_ended || !ss.begin_sent || !ss.begin_received ||
      ss.end_sent || ss.end_received)
    return make_error_code(errc::wrong_state);
  if ((!answer && options.name.empty()) ||
      (!options.properties.is_null() && options.properties.type() != kind::map))
    return make_error_code(errc::invalid_argument);
  const std::optional<std::uint32_t> handle =
      s->local_handles.lowest_free(std::min(ss.handle_max, ss.remote_handle_max));
  if (!handle) return make_error_code(errc::limit_reached);

  writer source_bytes;
  writer target_bytes;
  auto source = detail::encode_terminus(options.source, true, source_bytes);
  auto target = detail::encode_terminus(options.target, false, target_bytes);
  if (!source || !target) return make_error_code(errc::invalid_argument);
  // A receiver enforces its announced limit; a sender's is what it says it will send.
  const std::uint64_t max_message_size =
      r == role::receiver
          ? (options.max_message_size ? std::min(options.max_message_size,
                                                 config.limits.max_message_size)
                                      : config.limits.max_message_size)
          : options.max_message_size;
  const std::vector<symbol_view> offered = views_of(options.offered_capabilities);
  const std::vector<symbol_view> desired = views_of(options.desired_capabilities);
  const std::string name = answer ? links.find(*answer)->status.name : options.name;
  spec::attach a{.name = name,
                 .handle = *handle,
                 .role = r,
                 .snd_settle_mode = options.snd_settle_mode,
                 .rcv_settle_mode = options.rcv_settle_mode,
                 .source = *source,
                 .target = *target,
                 .offered_capabilities = std::span<const symbol_view>(offered),
                 .desired_capabilities = std::span<const symbol_view>(desired),
                 .properties = options.properties};
  if (r == role::sender) a.initial_delivery_count = options.initial_delivery_count;
  if (max_message_size) a.max_message_size = max_message_size;
  if (const std::error_code ec = write(ss.channel, a))
    return ec == make_error_code(errc::frame_size_too_large) ? make_error_code(errc::invalid_argument)
                                                               : ec;

  const link_handle h = answer ? *answer : links.emplace();
  link_endpoint& l = *links.find(h);
  link_status& st = l.status;
  if (!answer) {
    st.session = sh;
    st.name = options.name;
    st.role = r;
  }
  st.handle = *handle;
  st.attach_sent = true;
  l.handle_assigned = true;
  st.max_message_size = max_message_size;
  if (r == role::sender) {
    st.snd_settle_mode = options.snd_settle_mode;
    st.delivery_count = options.initial_delivery_count;
    l.initial_delivery_count = options.initial_delivery_count;
    if (!st.attach_received) st.rcv_settle_mode = options.rcv_settle_mode;
  } else {
    st.rcv_settle_mode = options.rcv_settle_mode;
    if (!st.attach_received) st.snd_settle_mode = options.snd_settle_mode;
  }
  s->local_handles.set(*handle, h.slot);
  return h;
}

std::error_code connection_engine::impl::detach(link_handle h, bool closed,
                                                const std::optional<condition>& why) {
  link_endpoint* l = links.find(h);
  if (!l) return errc::invalid_handle;
  session_endpoint* s = sessions.find(l->status.session);
  if (!s || !open_sent || close_sent || l->status.detach_sent || s->status.end_sent)
    return errc::wrong_state;
  if (why && why->name.empty()) return errc::invalid_argument;
  if (!l->status.attach_sent) {
    // Refusing a link the peer attached: an attach must come before the detach (2.6.3).
    if (auto r = attach(l->status.session, h, l->status.role, {}); !r) return r.error();
  }
  spec::detach d{.handle = l->status.handle, .closed = closed};
  if (why) d.error = why->to_spec();
  if (write(s->status.channel, d)) {
    spec::detach shorter{.handle = l->status.handle, .closed = closed};  // the condition alone
    shorter.error = spec::error{.condition = symbol_view(why->name)};
    if (const std::error_code ec = write(s->status.channel, shorter)) return ec;
  }
  l->status.detach_sent = true;
  l->close_sent = closed;
  // Nothing more may be sent on the handle: what waits for the window never will be.
  drop_waiting(*s, h);
  if (l->status.detach_received) forget_link(h);
  return {};
}

void connection_engine::impl::on_detach(session_endpoint& s, session_handle sh,
                                        const frame_view& f) {
  spec::detach d;
  const auto bad = performative(f, d);
  if (bad) {
    session_violation(sh, condition_of(spec::amqp_error::decode_error,
                                       "invalid detach frame: " + bad->message()));
    return;
  }
  link_handle h;
  link_endpoint* l = by_remote_handle(s, d.handle, &h);
  if (!l) {
    session_violation(sh, condition_of(spec::session_error::unattached_handle,
                                       "detach of handle " + std::to_string(d.handle) +
                                           ", which no attached link uses"));
    return;
  }
  l->status.detach_received = true;
  s.remote_handles.clear(d.handle);
  std::optional<condition> why;
  if (d.error) why = condition::from(*d.error);
  events.push(peer_detached{h, d.closed, std::move(why)});
  if (!l->status.attach_sent) {
    // The peer gave up a link before this side answered it: the engine completes it, with an
    // attach and a detach (2.6.3). When the same link comes back at once, attached and
    // detached again, the peer took the completion for a new link and completed it in turn:
    // the two sides disagree about which links exist and would trade completions for ever.
    if (l->status.name == s.last_completed && l->status.role == s.last_completed_role) {
      condition confused = condition_of(spec::amqp_error::illegal_state,
                                   "link " + quoted(l->status.name) +
                                       " attached and detached again before it was answered: "
                                       "the peer takes its completions for new links (spec "
                                       "Part 2, 2.6.3)");
      forget_link(h);  // both sides are done with it: only the session's end remains
      session_violation(sh, std::move(confused));
      return;
    }
    s.last_completed = l->status.name;
    s.last_completed_role = l->status.role;
    (void)detach(h, d.closed, std::nullopt);
    if (links.find(h)) forget_link(h);
    return;
  }
  if (l->status.detach_sent) forget_link(h);
}

void connection_engine::impl::link_violation(link_handle h, condition why) {
  link_endpoint* l = links.find(h);
  if (!l || l->discarding || l->status.detach_sent) return;
  l->discarding = true;
  events.push(protocol_violation{why, l->status.session, h});
  (void)detach(h, true, why);
}

void connection_engine::impl::forget_link(link_handle h) {
  link_endpoint* l = links.find(h);
  if (!l) return;
  if (session_endpoint* s = sessions.find(l->status.session)) {
    if (l->handle_assigned && s->local_handles.get(l->status.handle) == h.slot)
      s->local_handles.clear(l->status.handle);
    if (l->status.remote_handle && s->remote_handles.get(*l->status.remote_handle) == h.slot)
      s->remote_handles.clear(*l->status.remote_handle);
    // What this side sent and the peer did not settle has no outcome now (no message is lost
    // silently); what it received stays with the application until it settles it.
    const auto mine = [&](std::uint32_t slot) {
      const detail::delivery_endpoint* d = deliveries.at(slot);
      return d && d->status.link == h;
    };
    s->outgoing.remove_if([&](std::uint32_t, std::uint32_t slot) {
      if (!mine(slot)) return false;
      events.push(delivery_in_doubt{deliveries.handle_of(slot)});
      return true;
    });
    s->incoming.remove_if([&](std::uint32_t, std::uint32_t slot) { return mine(slot); });
    drop_waiting(*s, h);
  }
  // A delivery still arriving was never the application's: it goes with the link.
  if (l->status.role == role::receiver && l->current.is_set()) free_delivery(l->current);
  links.erase(h);
}

void connection_engine::impl::drop_waiting(session_endpoint& s, link_handle h) {
  s.waiting.retain([&](delivery_handle dh) {
    detail::delivery_endpoint* d = deliveries.find(dh);
    if (!d) return false;
    if (d->status.link != h) return true;
    d->waiting = false;
    // Aborted by the application: already settled and gone from its sight.
    if (d->abort_pending) {
      free_delivery(dh);
      return false;
    }
    // Sent settled but never wholly out; an unsettled one is in doubt when the link ends.
    if (d->status.settled) events.push(delivery_in_doubt{dh});
    return false;
  });
  if (link_endpoint* l = links.find(h)) l->status.queued = 0;
}

void connection_engine::impl::forget_links(session_endpoint& s) {
  std::vector<std::uint32_t> slots;
  s.local_handles.for_each([&](std::uint32_t, std::uint32_t slot) { slots.push_back(slot); });
  s.remote_handles.for_each([&](std::uint32_t, std::uint32_t slot) { slots.push_back(slot); });
  for (std::uint32_t slot : slots)
    if (links.at(slot)) forget_link(links.handle_of(slot));
}

}  // namespace amqp
