// Sessions (spec Part 2, 2.5): begin and end in both directions, channel allocation and
// mapping, the session's transfer windows and the flow frames without a handle.
#include <algorithm>
#include <string>
#include <vector>

#include "amqp/spec.hpp"
#include "engine_impl.hpp"
#include "fields.hpp"

namespace amqp {

namespace {

using detail::number_map;
using detail::session_endpoint;
using detail::strings_of;
using detail::views_of;
using detail::condition_of;

std::string on_channel(std::string_view what, std::uint16_t channel) {
  return std::string(what) + " on channel " + std::to_string(channel);
}

}  // namespace

void connection_engine::impl::forget_session(session_handle h) {
  session_endpoint* s = sessions.find(h);
  if (!s) return;
  forget_links(*s);
  if (s->channel_assigned) local_channels.clear(s->status.channel);
  if (s->status.remote_channel && remote_channels.get(*s->status.remote_channel) == h.slot)
    remote_channels.clear(*s->status.remote_channel);
  sessions.erase(h);
}

void connection_engine::impl::on_begin(const frame_view& f) {
  if (f.channel > config.limits.channel_max) {
    violation(condition_of(spec::amqp_error::not_allowed,
                    on_channel("begin", f.channel) + ", above the channel-max of " +
                        std::to_string(config.limits.channel_max)));
    return;
  }
  if (remote_channels.get(f.channel) != number_map::none) {
    violation(condition_of(spec::amqp_error::illegal_state,
                    on_channel("begin", f.channel) + ", where a session has already begun"));
    return;
  }
  spec::begin b;
  const auto bad = performative(f, b);
  if (bad) {
    violation(condition_of(spec::amqp_error::decode_error, "invalid begin frame: " + bad->message()));
    return;
  }
  session_handle h;
  if (b.remote_channel) {
    // The answer to a begin of ours: remote-channel names the channel we sent it on.
    const std::uint32_t slot = local_channels.get(*b.remote_channel);
    session_endpoint* mine = slot == number_map::none ? nullptr : sessions.at(slot);
    if (!mine || mine->status.begin_received) {
      violation(condition_of(spec::amqp_error::illegal_state,
                      on_channel("begin", f.channel) + " answers channel " +
                          std::to_string(*b.remote_channel) + ", where no begin awaits an answer"));
      return;
    }
    h = sessions.handle_of(slot);
  } else {
    // Each session of the peer's holds a slot until both ends are exchanged; more than the
    // channels we could ever answer on means the peer is not waiting for our ends.
    if (sessions.size() > config.limits.channel_max) {
      violation(condition_of(spec::amqp_error::resource_limit_exceeded,
                      on_channel("begin", f.channel) + ": all " +
                          std::to_string(std::size_t{config.limits.channel_max} + 1) +
                          " sessions allowed by the channel-max are in use"));
      return;
    }
    h = sessions.emplace();
  }
  session_status& st = sessions.find(h)->status;
  st.remote_channel = f.channel;
  st.begin_received = true;
  st.next_incoming_id = b.next_outgoing_id;
  st.remote_incoming_window = b.incoming_window;
  st.remote_outgoing_window = b.outgoing_window;
  st.remote_handle_max = b.handle_max;
  st.remote_offered_capabilities = strings_of(b.offered_capabilities);
  st.remote_desired_capabilities = strings_of(b.desired_capabilities);
  if (!b.properties.is_null()) st.remote_properties = value::from_view(b.properties.view());
  remote_channels.set(f.channel, h.slot);
  events.push(peer_began_session{h, b.remote_channel.has_value()});
}

void connection_engine::impl::on_end(const frame_view& f) {
  session_handle h;
  session_endpoint* s = by_remote(f.channel, &h);
  if (!s) {
    violation(condition_of(spec::amqp_error::illegal_state,
                    on_channel("end", f.channel) + ", where no session has begun"));
    return;
  }
  spec::end e;
  const auto bad = performative(f, e);
  if (bad) {
    violation(condition_of(spec::amqp_error::decode_error, "invalid end frame: " + bad->message()));
    return;
  }
  s->status.end_received = true;
  remote_channels.clear(f.channel);
  std::optional<condition> why;
  if (e.error) why = condition::from(*e.error);
  events.push(peer_ended_session{h, std::move(why)});
  if (!s->status.begin_sent) {
    // The peer gave up a session before this side answered it: nothing is left for the
    // application to decide, so the engine completes it (begin, then end) at once.
    (void)end_session(h, std::nullopt);
    forget_session(h);
    return;
  }
  if (s->status.end_sent) forget_session(h);  // both ends exchanged: the session is gone
}

void connection_engine::impl::on_session_frame(const frame_view& f, const spec::type_info& t) {
  session_handle h;
  session_endpoint* s = by_remote(f.channel, &h);
  if (!s) {
    violation(condition_of(spec::amqp_error::illegal_state,
                    on_channel(t.name, f.channel) + ", where no session has begun"));
    return;
  }
  // After our end, the peer may still send what it sent before reading it (2.5.4).
  if (s->discarding || s->status.end_sent) return;
  switch (t.code) {
    case spec::traits<spec::attach>::info.code:
      return on_attach(*s, h, f);
    case spec::traits<spec::flow>::info.code:
      return on_flow(*s, h, f);
    case spec::traits<spec::transfer>::info.code:
      return on_transfer(*s, h, f);
    case spec::traits<spec::disposition>::info.code:
      return on_disposition(*s, h, f);
    default:
      return on_detach(*s, h, f);
  }
}

// A flow's session part (spec Part 2, 2.5.6): the peer's windows as of that frame.
void connection_engine::impl::on_session_flow(detail::session_endpoint& s, const spec::flow& flow) {
  session_status& st = s.status;
  // Until the peer has seen our begin, it counts from our initial next-outgoing-id, 0.
  const std::uint32_t their_next_incoming = flow.next_incoming_id.value_or(0);
  st.remote_incoming_window = their_next_incoming + flow.incoming_window - st.next_outgoing_id;
  st.remote_outgoing_window = flow.outgoing_window;
}

result<session_handle, std::error_code> connection_engine::impl::begin_session(
    std::optional<session_handle> answer, const session_options& options) {
  if (!open_sent || close_sent || input_ended) return make_error_code(errc::wrong_state);
  if (!options.properties.is_null() && options.properties.type() != kind::map)
    return make_error_code(errc::invalid_argument);
  if (answer) {
    const session_endpoint* s = sessions.find(*answer);
    if (!s) return make_error_code(errc::invalid_handle);
    if (s->status.begin_sent) return make_error_code(errc::wrong_state);
  }
  const std::uint16_t max_channel = open_received
                                        ? std::min(config.limits.channel_max, remote.channel_max)
                                        : config.limits.channel_max;
  const std::optional<std::uint32_t> found = local_channels.lowest_free(max_channel);
  if (!found) return make_error_code(errc::limit_reached);
  const auto channel = std::optional<std::uint16_t>(static_cast<std::uint16_t>(*found));
  if (!channel) return make_error_code(errc::limit_reached);

  const session_handle h = answer ? *answer : sessions.emplace();
  session_endpoint& s = *sessions.find(h);
  session_status& st = s.status;
  st.channel = *channel;
  st.incoming_window = options.incoming_window;
  s.incoming_window_size = options.incoming_window;
  st.outgoing_window = options.outgoing_window;
  st.handle_max = config.limits.handle_max;
  const std::vector<symbol_view> offered = views_of(options.offered_capabilities);
  const std::vector<symbol_view> desired = views_of(options.desired_capabilities);
  const spec::begin b{
      .remote_channel = answer ? st.remote_channel : std::nullopt,
      .next_outgoing_id = st.next_outgoing_id,
      .incoming_window = st.incoming_window,
      .outgoing_window = st.outgoing_window,
      .handle_max = st.handle_max,
      .offered_capabilities = std::span<const symbol_view>(offered),
      .desired_capabilities = std::span<const symbol_view>(desired),
      .properties = options.properties,
  };
  if (const std::error_code ec = write(*channel, b)) {
    if (!answer) sessions.erase(h);
    return ec == make_error_code(errc::frame_size_too_large) ? make_error_code(errc::invalid_argument)
                                                               : ec;
  }
  st.begin_sent = true;
  s.channel_assigned = true;
  local_channels.set(*channel, h.slot);
  return h;
}

std::error_code connection_engine::impl::end_session(session_handle h,
                                                     const std::optional<condition>& why) {
  session_endpoint* s = sessions.find(h);
  if (!s) return errc::invalid_handle;
  if (!open_sent || close_sent || s->status.end_sent) return errc::wrong_state;
  if (why && why->name.empty()) return errc::invalid_argument;
  if (!s->status.begin_sent) {
    // Refusing a session the peer began: a begin must come before the end (spec 2.5.2).
    if (auto r = begin_session(h, {}); !r) return r.error();
  }
  spec::end e;
  if (why) e.error = why->to_spec();
  if (write(s->status.channel, e)) {
    spec::end shorter;  // too large for the peer's frames: the condition alone
    shorter.error = spec::error{.condition = symbol_view(why->name)};
    if (const std::error_code ec = write(s->status.channel, shorter)) return ec;
  }
  s->status.end_sent = true;
  if (s->status.end_received) forget_session(h);
  return {};
}

void connection_engine::impl::session_violation(session_handle h, condition why) {
  session_endpoint* s = sessions.find(h);
  if (!s || s->discarding || s->status.end_sent) return;
  s->discarding = true;
  (void)end_session(h, why);
  events.push(protocol_violation{std::move(why), h});
}

}  // namespace amqp
