// The connection's state machine (spec Part 2, 2.4): protocol header exchange, open, close,
// the idle timeout with its heartbeats, and the handshake and close timeouts.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "amqp/spec.hpp"
#include "engine_impl.hpp"
#include "fields.hpp"
#include "frame/wire.hpp"

namespace amqp {

using detail::describe_header;
using detail::strings_of;
using detail::views_of;

namespace {

condition error_of(errc e, std::string what) {
  return {std::string(e == errc::unsupported_protocol ? spec::connection_error::framing_error.str
                                                      : spec::amqp_error::decode_error.str),
          std::move(what),
          {}};
}

}  // namespace

void connection_engine::impl::on_protocol_header(const protocol_header& h) {
  if (h.id != protocol_id::amqp) {
    // SASL and TLS layers are negotiated by other stages; this one speaks plain AMQP only.
    if (!header_sent) write_header();
    fail_transport(error_of(errc::unsupported_protocol,
                            "the peer asked for " + describe_header(h) +
                                ", but this connection speaks plain AMQP 1.0 only"));
    return;
  }
  header_received = true;
  // A server answers the client's header at once; a client sent its own with open().
  if (!header_sent) write_header();
}

void connection_engine::impl::on_open(const frame_view& f) {
  if (f.channel != 0) {
    violation({std::string(spec::connection_error::framing_error.str),
               "open arrived on channel " + std::to_string(f.channel) +
                   "; it is only sent on channel 0 (spec Part 2, 2.4.1)",
               {}});
    return;
  }
  spec::open o;
  const auto bad = performative(f, o);
  if (bad) {
    violation(error_of(bad->code, "invalid open frame: " + bad->message()));
    return;
  }
  if (open_received) {
    violation({std::string(spec::amqp_error::illegal_state.str), "a second open arrived", {}});
    return;
  }
  open_received = true;
  remote.container_id = std::string(o.container_id);
  if (o.hostname) remote.hostname = std::string(*o.hostname);
  remote.max_frame_size = o.max_frame_size;
  remote.channel_max = o.channel_max;
  if (o.idle_time_out) remote.idle_timeout = std::chrono::milliseconds(*o.idle_time_out);
  remote.outgoing_locales = strings_of(o.outgoing_locales);
  remote.incoming_locales = strings_of(o.incoming_locales);
  remote.offered_capabilities = strings_of(o.offered_capabilities);
  remote.desired_capabilities = strings_of(o.desired_capabilities);
  if (!o.properties.is_null()) remote.properties = value::from_view(o.properties.view());
  if (o.max_frame_size < spec::min_max_frame_size) {
    // The peer could not take even the frames every peer must accept (spec Part 2, 2.7.1).
    open_received = false;  // frames stay within 512 bytes for the close
    violation({std::string(spec::amqp_error::frame_size_too_small.str),
               "the peer's max-frame-size " + std::to_string(o.max_frame_size) +
                   " is below the minimum of 512",
               {}});
    return;
  }
  if (!discarding) events.push(peer_opened{});
}

void connection_engine::impl::on_close(const frame_view& f) {
  spec::close c;
  const auto bad = performative(f, c);
  close_received = true;
  input_ended = true;
  if (bad) {
    // A close we cannot read still ends the conversation; report what was wrong with it.
    if (!close_sent) violation(error_of(bad->code, "invalid close frame: " + bad->message()));
  } else if (!discarding) {
    std::optional<condition> error;
    if (c.error) error = condition::from(*c.error);
    events.push(peer_closed{std::move(error)});
  }
  maybe_closed();
}

std::error_code connection_engine::impl::check_open(const open_options& options) const {
  if (open_sent || pending_open || close_sent || aborted) return errc::wrong_state;
  // After the peer's close an open is still owed (a close follows an open, spec Part 2,
  // 2.4.1): a peer may send its open and close before this side answered either.
  if (input_ended && !close_received) return errc::wrong_state;
  if (options.container_id.empty()) return errc::invalid_argument;
  if (!options.properties.is_null() && options.properties.type() != kind::map)
    return errc::invalid_argument;
  if (options.idle_timeout.count() < 0 ||
      options.idle_timeout.count() > std::numeric_limits<std::uint32_t>::max())
    return errc::invalid_argument;
  return {};
}

std::error_code connection_engine::impl::send_open(const open_options& options) {
  if (const std::error_code ec = check_open(options)) return ec;
  if (sasl_running()) {
    // Authentication comes first (spec Part 5, 5.3.2): a client starts SASL now and sends
    // this open once it succeeds; a server opens only after the client authenticated.
    if (config.role == engine_role::server) return errc::wrong_state;
    pending_open = options;
    start_sasl();
    return {};
  }

  const std::vector<symbol_view> outgoing = views_of(options.outgoing_locales);
  const std::vector<symbol_view> incoming = views_of(options.incoming_locales);
  const std::vector<symbol_view> offered = views_of(options.offered_capabilities);
  const std::vector<symbol_view> desired = views_of(options.desired_capabilities);
  spec::open o{
      .container_id = options.container_id,
      .max_frame_size = config.limits.max_frame_size,
      .channel_max = config.limits.channel_max,
      .outgoing_locales = std::span<const symbol_view>(outgoing),
      .incoming_locales = std::span<const symbol_view>(incoming),
      .offered_capabilities = std::span<const symbol_view>(offered),
      .desired_capabilities = std::span<const symbol_view>(desired),
      .properties = options.properties,
  };
  if (!options.hostname.empty()) o.hostname = options.hostname;
  // The open asks for half the local timeout, as the spec advises (Part 2, 2.4.5): a peer that
  // keeps to the value it was given, give or take its timer's jitter, never trips this side.
  if (options.idle_timeout.count() > 0)
    o.idle_time_out =
        static_cast<std::uint32_t>(std::max<std::int64_t>(options.idle_timeout.count() / 2, 1));

  // The open must fit the 512 bytes every peer accepts before its own open (2.4.1); write it
  // after the header so that a refusal leaves the output as it was.
  const std::size_t mark = out.size();
  const bool had_header = header_sent;
  if (!header_sent) write_header();
  if (const std::error_code ec = write(0, o)) {
    out.truncate(mark);
    header_sent = had_header;
    return ec == make_error_code(errc::frame_size_too_large) ? errc::invalid_argument : ec;
  }
  open_sent = true;
  local_idle = options.idle_timeout;
  return {};
}

std::error_code connection_engine::impl::send_close(const std::optional<condition>& error) {
  if (pending_open && !close_sent && !aborted) {
    // Nothing of AMQP was said yet: the client gives up during authentication, and the
    // transport simply ends.
    pending_open.reset();
    input_ended = true;
    close_sent = true;
    maybe_closed();
    return {};
  }
  if (!open_sent || close_sent || aborted) return errc::wrong_state;
  if (error && error->name.empty()) return errc::invalid_argument;
  spec::close c;
  if (error) c.error = error->to_spec();
  if (write(0, c)) {
    // Too large for the peer's frames: the condition alone still says what happened.
    spec::close shorter;
    shorter.error = spec::error{.condition = symbol_view(error->name)};
    if (const std::error_code ec = write(0, shorter)) return ec;
  }
  close_sent = true;
  close_sent_at = now;
  maybe_closed();
  return {};
}

void connection_engine::impl::violation(condition error) {
  // Once closing, what the peer sends no longer matters: its close is all that is awaited.
  if (discarding || close_sent) return;
  discarding = true;
  if (!failure_reason) failure_reason = error;
  // Reported before the close goes out: the close may end the conversation, and
  // transport_closed is always the last event.
  events.push(protocol_violation{error, {}});
  if (!open_sent) {
    // A close must follow an open (spec Part 2, 2.4.1); answer with a minimal one.
    if (!header_sent) write_header();
    spec::open o{.max_frame_size = config.limits.max_frame_size,
                 .channel_max = config.limits.channel_max};
    (void)write(0, o);
    open_sent = true;
  }
  (void)send_close(error);
}

void connection_engine::impl::fail_transport(condition error) {
  input_ended = true;
  if (!failure_reason) failure_reason = std::move(error);
  // Nothing more can be said to a peer whose stream is unreadable or gone.
  close_sent = true;
  maybe_closed();
}

void connection_engine::impl::on_eof() {
  if (input_ended) return;
  if (sasl_running() && sasl->status() != detail::sasl_layer::state::idle) {
    fail_transport(
        {std::string(spec::connection_error::framing_error.str),
         "connection aborted: the input ended during SASL authentication: " + sasl->interrupted(),
         {}});
    return;
  }
  if (!header_received) {
    std::string why = "connection aborted: the input ended before the peer's protocol header";
    // A server that requires TLS may accept SASL in clear, then close (Qpid Proton does).
    if (open_sent && !tls && config.role == engine_role::client) {
      why += " (after our open, on a connection without TLS: does the server require TLS?)";
    }
    fail_transport({std::string(spec::connection_error::framing_error.str), std::move(why), {}});
    return;
  }
  fail_transport({std::string(spec::connection_error::framing_error.str),
                  "connection aborted: the input ended before the peer's close",
                  {}});
}

void connection_engine::impl::maybe_closed() {
  if (closed_reported || !input_ended) return;
  if (!close_sent) return;  // the application answers the peer's close first
  closed_reported = true;
  // Every session and link ends with the connection; what they sent unsettled is in doubt.
  for (session_handle h : sessions.handles()) forget_session(h);
  // A clean end is both closes exchanged without an error from the engine or the transport.
  events.push(transport_closed{failure_reason});
}

// --- time ------------------------------------------------------------------------------------

std::optional<time_point> connection_engine::impl::deadline() const noexcept {
  if (aborted || closed_reported) return std::nullopt;
  std::optional<time_point> d;
  const auto consider = [&](time_point t) {
    if (!d || t < *d) d = t;
  };
  if (!open_received && !input_ended && started)
    consider(*started + config.limits.handshake_timeout);
  if (open_received && !input_ended && !close_sent && local_idle.count() > 0 && last_received)
    consider(*last_received + local_idle);
  if (open_sent && open_received && !close_sent && remote.idle_timeout &&
      remote.idle_timeout->count() > 0 && last_sent)
    consider(*last_sent + std::max(*remote.idle_timeout / 2, std::chrono::milliseconds(1)));
  if (close_sent && !input_ended && close_sent_at)
    consider(*close_sent_at + config.limits.close_timeout);
  return d;
}

void connection_engine::impl::on_time() {
  if (aborted || closed_reported) return;
  const time_point t = *now;
  if (!started) started = t;
  if (!last_received) last_received = t;
  if (!last_sent) last_sent = t;
  if (close_sent && !close_sent_at) close_sent_at = t;

  if (!open_received && !input_ended && t >= *started + config.limits.handshake_timeout) {
    const std::string what = "the peer did not open the connection within " +
                             std::to_string(config.limits.handshake_timeout.count()) + " ms";
    if (header_received)
      violation({std::string(spec::amqp_error::resource_limit_exceeded.str), what, {}});
    fail_transport({std::string(spec::amqp_error::resource_limit_exceeded.str), what, {}});
    return;
  }
  if (open_received && !input_ended && !close_sent && local_idle.count() > 0 &&
      t >= *last_received + local_idle) {
    events.push(idle_timeout_expired{});
    violation({std::string(spec::amqp_error::resource_limit_exceeded.str),
               "nothing arrived within the local idle timeout of " +
                   std::to_string(local_idle.count()) + " ms",
               {}});
    return;
  }
  if (close_sent && !input_ended && t >= *close_sent_at + config.limits.close_timeout) {
    fail_transport({std::string(spec::amqp_error::resource_limit_exceeded.str),
                    "the peer did not answer close within " +
                        std::to_string(config.limits.close_timeout.count()) + " ms",
                    {}});
    return;
  }
  if (open_sent && open_received && !close_sent && remote.idle_timeout &&
      remote.idle_timeout->count() > 0 &&
      t >= *last_sent + std::max(*remote.idle_timeout / 2, std::chrono::milliseconds(1)))
    write_heartbeat();
}

}  // namespace amqp
