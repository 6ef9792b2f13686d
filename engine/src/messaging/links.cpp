// Sessions and links as the application opens and closes them: their records, what goes into
// each begin and attach, and when these can go out on the current transport.
#include <algorithm>

#include "messaging/context.hpp"

namespace amqp::detail {

endpoint_state endpoint_flags::state() const noexcept {
  if (reported_closed || (local_closed && remote_closed)) return endpoint_state::closed;
  if (local_closed || remote_closed) return endpoint_state::closing;
  if (local_open && remote_open) return endpoint_state::active;
  return endpoint_state::opening;
}

condition make_condition(std::string name, std::string description) {
  return condition{.name = std::move(name), .description = std::move(description), .info = {}};
}

void connection_context::set_link(messaging_event& e, std::uint32_t id) {
  e.session_ = links[id].session;
  e.link_ = id;
  e.sender_link_ = links[id].role == role::sender;
}

void connection_context::touched() {
  if (in_dispatch || output_signalled || !transport_up || !output_hook) return;
  output_signalled = true;
  output_hook();
}

std::uint32_t connection_context::add_session(const session_options& o, bool peer_began) {
  session_record s;
  s.options = o;
  s.peer_began = peer_began;
  sessions.push_back(std::move(s));
  return static_cast<std::uint32_t>(sessions.size() - 1);
}

std::uint32_t connection_context::ensure_default_session() {
  if (default_session && !sessions[*default_session].flags.local_closed &&
      !sessions[*default_session].flags.remote_closed)
    return *default_session;
  default_session = add_session({}, false);
  begin(*default_session);
  return *default_session;
}

void connection_context::begin(std::uint32_t id) {
  session_record& s = sessions[id];
  s.flags.local_open = true;
  if (!transport_up || !open_sent || s.answered || flags.local_closed || s.flags.local_closed)
    return;
  if (s.peer_began) {
    // The peer's begin is answered on the channel it chose.
    if (!engine->begin_session(s.engine, s.options)) s.answered = true;
    touched();
    return;
  }
  auto h = engine->begin_session(s.options);
  if (!h) {
    s.flags.local_closed = s.flags.remote_closed = true;
    s.flags.error = make_condition("amqp:internal-error",
                                   "cannot begin a session: " + h.error().message());
    return;
  }
  s.engine = *h;
  s.answered = true;
  session_of[*h] = id;
  touched();
}

void connection_context::begin_pending() {
  for (std::uint32_t i = 0; i < sessions.size(); ++i) {
    const session_record& s = sessions[i];
    if (s.flags.local_open && !s.answered && !s.flags.local_closed && !s.peer_began) begin(i);
  }
}

void connection_context::send_open() {
  flags.local_open = true;
  if (!transport_up) return;
  (void)engine->open(make_open_options());
  // A client's open waits for SASL, if any; a server opens after the client authenticated.
  open_sent = side == engine_role::server || !options.sasl_enabled;
  if (open_sent) begin_pending();
}

std::uint32_t connection_context::add_link(std::uint32_t session, role r, std::string_view addr,
                                           const sender_options* so, const receiver_options* ro) {
  link_record l;
  l.session = session;
  l.role = r;
  l.address = std::string(addr);
  if (so) l.sender = *so;
  if (ro) l.receiver = *ro;
  const std::string& wanted = r == role::sender ? l.sender.name : l.receiver.name;
  l.name = wanted.empty() ? owner->make_link_name() : wanted;
  // The anonymous relay is a property of the peer's container: known from its open only.
  l.wait_for_peer_open = r == role::sender && addr.empty() && !l.sender.target.dynamic;
  links.push_back(std::move(l));
  return static_cast<std::uint32_t>(links.size() - 1);
}

link_options connection_context::make_link_options(const link_record& l) const {
  link_options o;
  o.name = l.name;
  const link_status* remote = l.engine.is_set() && engine ? engine->link(l.engine) : nullptr;
  const bool answering = l.peer_attached && remote;
  const delivery_mode mode = l.role == role::sender ? l.sender.mode
                                                    : l.receiver.mode;
  if (mode == delivery_mode::at_most_once) o.snd_settle_mode = sender_settle_mode::settled;
  if (mode == delivery_mode::at_least_once) o.snd_settle_mode = sender_settle_mode::unsettled;

  if (l.role == role::sender) {
    terminus target = l.sender.target;
    terminus source = l.sender.source;
    if (answering) {
      // A peer's receiver: its termini are the default, the options override what they set.
      if (!target.address && remote->remote_target) target = *remote->remote_target;
      if (!source.address && remote->remote_source) source = *remote->remote_source;
      if (mode == delivery_mode::none) o.snd_settle_mode = remote->snd_settle_mode;
      o.rcv_settle_mode = remote->rcv_settle_mode;
    } else {
      if (!l.address.empty()) target.address = l.address;
      o.rcv_settle_mode = l.sender.rcv_settle_mode;
    }
    o.source = std::move(source);
    // A dynamic target or an address; neither: the anonymous relay's null-address target.
    o.target = std::move(target);
    o.max_message_size = l.sender.max_message_size;
    o.desired_capabilities = l.sender.desired_capabilities;
    o.properties = l.sender.properties;
  } else {
    terminus source = l.receiver.source;
    terminus target = l.receiver.target;
    if (answering) {
      if (!source.address && remote->remote_source) source = *remote->remote_source;
      // A coordinator answers with its own capabilities (spec Part 4, 4.5.1).
      if (!target.address && !target.coordinator && remote->remote_target)
        target = *remote->remote_target;
      if (mode == delivery_mode::none) o.snd_settle_mode = remote->snd_settle_mode;
    } else {
      if (!l.address.empty()) source.address = l.address;
      if (l.receiver.dynamic) {
        source.dynamic = true;
        source.address.reset();
      }
      if (l.receiver.durable) {
        source.durable = terminus_durability::unsettled_state;
        source.expiry_policy = "never";
      }
      if (!l.receiver.distribution_mode.empty())
        source.distribution_mode = l.receiver.distribution_mode;
      if (l.receiver.selector) {
        // The filter Qpid and ActiveMQ brokers understand (AMQP Filter Expressions: a JMS
        // selector as the described string apache.org:selector-filter:string).
        source.filter = value::map_of(
            {{value::sym("selector"),
              value::described_of(value::sym("apache.org:selector-filter:string"),
                                  value(*l.receiver.selector))}});
      }
    }
    o.source = std::move(source);
    o.target = std::move(target);
    o.rcv_settle_mode = l.receiver.rcv_settle_mode;
    o.max_message_size = l.receiver.max_message_size;
    o.desired_capabilities = l.receiver.desired_capabilities;
    o.properties = l.receiver.properties;
  }
  return o;
}

void connection_context::attach(std::uint32_t id) {
  link_record& l = links[id];
  l.flags.local_open = true;
  if (!transport_up || l.engine.is_set() || l.flags.local_closed || flags.local_closed) return;
  session_record& s = sessions[l.session];
  // Attached once the session is begun both ways (a server's answer to the peer's begin goes
  // out after on_session_opened).
  if (!s.engine.is_set() || !s.flags.remote_open || !s.answered) return;
  if (l.wait_for_peer_open) {
    const open_fields* o = engine->remote_open();
    if (!o) return;  // attached when the peer's open shows its capabilities
    if (std::find(o->offered_capabilities.begin(), o->offered_capabilities.end(),
                  "ANONYMOUS-RELAY") == o->offered_capabilities.end()) {
      fail_link(id, make_condition("amqp:not-implemented",
                                   "the peer (container '" + o->container_id +
                                       "') does not offer ANONYMOUS-RELAY, which a sender "
                                       "without a target address needs"));
      return;
    }
  }
  link_options o = make_link_options(l);
  auto h = l.role == role::sender ? engine->attach_sender(s.engine, o)
                                  : engine->attach_receiver(s.engine, o);
  if (!h) {
    fail_link(id, make_condition("amqp:internal-error",
                                 "cannot attach link '" + l.name + "': " + h.error().message()));
    return;
  }
  links[id].engine = *h;
  links[id].answered = true;
  link_of[*h] = id;
  // The first credit goes out right behind the attach, without waiting for the peer's.
  if (links[id].role == role::receiver && links[id].receiver.credit_window > 0)
    (void)engine->grant_credit(*h, links[id].receiver.credit_window);
  touched();
}

void connection_context::answer_link(std::uint32_t id) {
  link_record& l = links[id];
  if (l.answered || !transport_up || !l.engine.is_set()) return;
  l.flags.local_open = true;
  l.answered = true;
  link_options o = make_link_options(l);
  // The node at this end: a dynamic one the peer asked for needs an address, which this side
  // must give (spec Part 3, 3.5.3 and 3.5.4), unless the application gave one.
  std::optional<terminus>& node = l.role == role::sender ? o.source : o.target;
  if (node && node->dynamic && !node->address) node->address = owner->make_link_name();
  if (node && node->address) l.address = *node->address;
  if (std::error_code ec = engine->attach(l.engine, o)) {
    fail_link(id, make_condition("amqp:internal-error",
                                 "cannot answer link '" + l.name + "': " + ec.message()));
    return;
  }
  if (l.role == role::receiver && l.receiver.credit_window > 0)
    (void)engine->grant_credit(l.engine, l.receiver.credit_window);
  touched();
}

void connection_context::fail_link(std::uint32_t id, condition error) {
  link_record& l = links[id];
  l.flags.local_closed = l.flags.remote_closed = true;
  l.flags.error = error;
  l.flags.reported_closed = true;  // the peer's detach, if one comes, is not reported again
  if (l.engine.is_set() && transport_up) {
    (void)engine->close_link(l.engine, error);
    touched();
  }
  // Reported when the handler can take it: now inside dispatch; otherwise the application is
  // still inside the call that failed (open_sender from a scheduled task), and hears of it
  // once that returned, as work posted to the connection's thread.
  if (!in_dispatch) {
    auto self = shared_from_this();
    if (post([self, id, error] { self->report_link_failure(id, error); })) return;
  }
  report_link_failure(id, std::move(error));
}

void connection_context::report_link_failure(std::uint32_t id, condition error) {
  if (links[id].coordinator) {  // hidden: its transactions hear of it
    coordinator_lost(id, error);
    return;
  }
  messaging_event e = make_event();
  set_link(e, id);
  e.error_ = std::move(error);
  handler_of(id)->on_link_error(e);
  handler_of(id)->on_link_closed(e);
}

void connection_context::close_link(std::uint32_t id, std::optional<condition> error,
                                    bool detach_only) {
  if (links[id].flags.local_closed) return;
  settle_delivering_before_close([&](std::uint32_t link) { return link == id; });
  link_record& l = links[id];
  l.flags.local_closed = true;
  l.detach_only = detach_only;
  if (error) l.flags.error = error;
  if (!transport_up || !l.engine.is_set()) {
    // Never attached on this transport: nothing to tell the peer.
    l.flags.remote_closed = true;
    return;
  }
  std::error_code ec = detach_only ? engine->detach(l.engine, std::move(error))
                                   : engine->close_link(l.engine, std::move(error));
  (void)ec;  // wrong_state: the detach already went out (the peer's came first)
  touched();
}

void connection_context::close_session(std::uint32_t id, std::optional<condition> error) {
  if (sessions[id].flags.local_closed) return;
  settle_delivering_before_close([&](std::uint32_t link) { return links[link].session == id; });
  session_record& s = sessions[id];
  s.flags.local_closed = true;
  if (error) s.flags.error = error;
  if (!transport_up || !s.engine.is_set()) {
    s.flags.remote_closed = true;
    return;
  }
  (void)engine->end_session(s.engine, std::move(error));
  touched();
}

void connection_context::close_connection(std::optional<condition> error) {
  if (flags.local_closed) return;
  settle_delivering_before_close([](std::uint32_t) { return true; });
  flags.local_closed = true;
  if (error) flags.error = error;
  if (!transport_up) {
    // Between attempts: give up reconnecting. The binding may be waiting to try again (a retry
    // timer, a connect under way): its output hook tells it to look, and stop waiting.
    finished = true;
    if (output_hook) output_hook();
    return;
  }
  if (!flags.local_open) {
    // A server closing before answering the client's open still sends an open first
    // (spec Part 2, 2.4.1: a close must follow an open).
    flags.local_open = true;
    (void)engine->open(make_open_options());
    open_sent = true;
  }
  (void)engine->close(std::move(error));
  touched();
}

}  // namespace amqp::detail
