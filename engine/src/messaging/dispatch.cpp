// The engine's events as handler calls: each fact is turned into the messaging_event the
// handler gets, the defaults the application did not take care of are applied afterwards
// (answering the peer's endpoints, accepting and settling, completing a drain), and credit is
// topped up once per dispatch.
#include <variant>

#include "messaging/context.hpp"

namespace amqp::detail {

namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace

void connection_context::dispatch() {
  if (pending_failure) {
    condition error = std::move(*pending_failure);
    pending_failure.reset();
    finished = true;
    report_transport_error(error);
    report_disconnected();
    report_own_links_closed(no_session, error);
    return;
  }
  if (!transport_up) return;
  in_dispatch = true;
  while (std::optional<event> ev = engine->poll_event()) handle(*ev);
  top_up_credit();
  retired_links.clear();
  in_dispatch = false;
  // The binding writes what a dispatch made right after it: the signal is armed again
  // (connection_driver::on_output).
  output_signalled = false;
}

void connection_context::handle(const event& ev) {
  std::visit(overloaded{
                 [&](const peer_opened&) { on_peer_opened(); },
                 [&](const peer_closed& e) { on_peer_closed(e); },
                 [&](const peer_began_session& e) { on_peer_began(e); },
                 [&](const peer_ended_session& e) { on_peer_ended(e); },
                 [&](const peer_attached& e) { on_peer_attached(e); },
                 [&](const peer_detached& e) { on_peer_detached(e); },
                 [&](const credit_granted& e) { on_credit(e); },
                 [&](const link_drained& e) { on_drained(e); },
                 [&](const transfer_received& e) { on_transfer(e); },
                 [&](const transfer_aborted&) {},  // never whole: nothing for the application
                 [&](const disposition_received& e) { on_disposition(e); },
                 [&](const delivery_in_doubt& e) { on_in_doubt(e); },
                 [&](const protocol_violation& e) { on_violation(e); },
                 [&](const idle_timeout_expired&) {},  // transport_closed names it
                 [&](const transport_closed& e) { on_transport_closed(e); },
                 [&](const sasl_auth_requested& e) { on_sasl_request(e); },
                 [&](const sasl_authenticated&) {
                   // A client's open went out behind the SASL outcome: sessions follow it.
                   if (side == engine_role::client && !open_sent) {
                     open_sent = true;
                     begin_pending();
                   }
                 },
             },
             ev);
}

void connection_context::report_transport_error(const condition& error) {
  flags.error = error;
  messaging_event e = make_event();
  e.error_ = error;
  handler->on_transport_error(e);
}

void connection_context::report_disconnected() {
  transactions_lost();  // before on_disconnected: they ended with the transport
  messaging_event e = make_event();
  handler->on_disconnected(e);
}

void connection_context::report_closed() {
  flags.reported_closed = true;
  report_own_links_closed(no_session, flags.error);
  messaging_event e = make_event();
  handler->on_connection_closed(e);
}

// A link with its own handler hears of the end of its session or connection, which its
// handler is not told of otherwise.
void connection_context::report_own_links_closed(std::uint32_t session,
                                                 const std::optional<condition>& error) {
  for (std::uint32_t i = 0; i < links.size(); ++i) {
    link_record& l = links[i];
    if (l.flags.reported_closed || l.coordinator || (session != no_session && l.session != session))
      continue;
    if ((l.role == role::sender ? l.sender.handler : l.receiver.handler) == nullptr) continue;
    l.flags.reported_closed = true;
    if (!l.flags.error) l.flags.error = error;
    messaging_event e = make_event();
    set_link(e, i);
    e.error_ = error;
    if (error) handler_of(i)->on_link_error(e);
    handler_of(i)->on_link_closed(e);
  }
}

// --- connection ---------------------------------------------------------------------------------

void connection_context::on_peer_opened() {
  flags.remote_open = true;
  flags.error.reset();
  reconnect.connected();
  messaging_event e = make_event();
  if (ever_opened)
    handler->on_reconnected(e);
  else
    handler->on_connection_opened(e);
  ever_opened = true;
  if (side == engine_role::server && !flags.local_open && !flags.local_closed) send_open();
  // Senders for the anonymous relay waited for the peer's capabilities.
  for (std::uint32_t i = 0; i < links.size(); ++i)
    if (links[i].wait_for_peer_open && links[i].flags.local_open && !links[i].engine.is_set() &&
        !links[i].flags.local_closed)
      attach(i);
}

void connection_context::on_peer_closed(const peer_closed& ev) {
  flags.remote_closed = true;
  if (ev.error) flags.error = ev.error;
  const bool ours_first = flags.local_closed;
  // A peer that closes with connection:forced (a broker shutting down or shedding load) is
  // tried again, as a lost transport is; any other close is final.
  const bool retry = !ours_first && side == engine_role::client && options.reconnect &&
                     ev.error && ev.error->name == "amqp:connection:forced";
  (void)engine->close();
  if (retry) {
    report_transport_error(*ev.error);
    return;
  }
  flags.local_closed = true;
  report_own_links_closed(no_session, ev.error);
  messaging_event e = make_event();
  e.error_ = ev.error;
  if (ev.error) handler->on_connection_error(e);
  flags.reported_closed = true;
  handler->on_connection_closed(e);
}

void connection_context::on_transport_closed(const transport_closed& ev) {
  if (!ev.error) return;  // both closes exchanged: on_peer_closed reported it
  if (flags.local_closed && flags.reported_closed) return;
  if (side == engine_role::client && ev.error->name == "amqp:unauthorized-access") refused = true;
  condition error = *ev.error;
  error.description = "connection to " + address.host_port() + ": " + error.description;
  if (!io_error.empty()) error.description += " (" + io_error + ")";
  report_transport_error(error);
}

void connection_context::on_violation(const protocol_violation& ev) {
  messaging_event e = make_event();
  e.error_ = ev.error;
  if (ev.link.is_set()) {
    auto it = link_of.find(ev.link);
    if (it == link_of.end()) return;
    link_record& l = links[it->second];
    l.flags.local_closed = true;  // the engine closed it; the peer's detach completes it
    l.flags.error = ev.error;
    if (l.coordinator) {
      l.flags.reported_closed = true;
      coordinator_lost(it->second, ev.error);
      return;
    }
    set_link(e, it->second);
    handler_of(it->second)->on_link_error(e);
    return;
  }
  if (ev.session.is_set()) {
    auto it = session_of.find(ev.session);
    if (it == session_of.end()) return;
    sessions[it->second].flags.local_closed = true;
    sessions[it->second].flags.error = ev.error;
    set_session(e, it->second);
    handler->on_session_error(e);
    return;
  }
  // The peer broke the connection's protocol: no reconnect to a peer that does that.
  flags.local_closed = true;
  flags.error = ev.error;
  flags.reported_closed = true;
  report_own_links_closed(no_session, ev.error);
  handler->on_connection_error(e);
  handler->on_connection_closed(e);
}

void connection_context::on_sasl_request(const sasl_auth_requested& ev) {
  if (!options.authenticate) {
    (void)engine->sasl_accept();
    return;
  }
  sasl_verdict v = options.authenticate(ev);
  switch (v.decision) {
    case sasl_verdict::kind::accept: (void)engine->sasl_accept(); break;
    case sasl_verdict::kind::reject: (void)engine->sasl_reject(); break;
    case sasl_verdict::kind::scram: (void)engine->sasl_scram_credentials(v.credentials); break;
  }
}

// --- sessions -----------------------------------------------------------------------------------

void connection_context::on_peer_began(const peer_began_session& ev) {
  std::uint32_t id;
  if (ev.answer) {
    auto it = session_of.find(ev.session);
    if (it == session_of.end()) return;
    id = it->second;
  } else {
    id = add_session({}, true);
    sessions[id].engine = ev.session;
    session_of[ev.session] = id;
  }
  sessions[id].flags.remote_open = true;
  messaging_event e = make_event();
  set_session(e, id);
  handler->on_session_opened(e);
  if (!ev.answer && !sessions[id].answered && !sessions[id].flags.local_closed) begin(id);
  // Links opened while the session was being begun go out now.
  for (std::uint32_t i = 0; i < links.size(); ++i)
    if (links[i].session == id && links[i].flags.local_open && !links[i].engine.is_set() &&
        !links[i].flags.local_closed && !links[i].peer_attached)
      attach(i);
}

void connection_context::on_peer_ended(const peer_ended_session& ev) {
  auto it = session_of.find(ev.session);
  if (it == session_of.end()) return;
  const std::uint32_t id = it->second;
  session_record& s = sessions[id];
  s.flags.remote_closed = true;
  if (ev.error) s.flags.error = ev.error;
  if (!s.flags.local_closed) {
    s.flags.local_closed = true;
    (void)engine->end_session(s.engine);
  }
  session_of.erase(it);
  s.engine = {};
  // Its links ended with it; what they sent unsettled is reported in doubt (the engine's
  // events for that follow in this dispatch).
  for (std::uint32_t i = 0; i < links.size(); ++i) {
    link_record& l = links[i];
    if (l.session != id || !l.engine.is_set()) continue;
    retired_links.emplace_back(l.engine, i);
    link_of.erase(l.engine);
    l.engine = {};
    l.flags.local_closed = l.flags.remote_closed = true;
  }
  // Its coordinator went with it, and the transactions it did not discharge (spec Part 4, 4.1).
  if (const std::uint32_t c = sessions[id].coordinator.link; c != no_link)
    coordinator_lost(c, ev.error);
  report_own_links_closed(id, ev.error);
  messaging_event e = make_event();
  set_session(e, id);
  e.error_ = ev.error;
  if (ev.error) handler->on_session_error(e);
  sessions[id].flags.reported_closed = true;
  handler->on_session_closed(e);
}

// --- links --------------------------------------------------------------------------------------

void connection_context::on_peer_attached(const peer_attached& ev) {
  const link_status* st = engine->link(ev.link);
  if (!st) return;
  std::uint32_t id;
  if (ev.answer) {
    auto it = link_of.find(ev.link);
    if (it == link_of.end()) return;
    id = it->second;
    if (links[id].coordinator) {
      on_coordinator_attached(id);
      return;
    }
    // A null terminus where the node should be is a refusal: the peer's detach follows with
    // the reason (spec Part 2, 2.6.3), reported then.
    const auto& node = links[id].role == role::sender ? st->remote_target : st->remote_source;
    if (!node) return;
  } else {
    auto sit = session_of.find(st->session);
    if (sit == session_of.end()) return;
    id = add_link(sit->second, st->role, {}, nullptr, nullptr);
    link_record& l = links[id];
    l.name = st->name;
    l.peer_attached = true;
    l.wait_for_peer_open = false;
    l.engine = ev.link;
    // The node at this end is what the peer asked for: the source it reads from, the target it
    // writes to.
    const auto& node = l.role == role::sender ? st->remote_source : st->remote_target;
    if (node && node->address) l.address = *node->address;
    link_of[ev.link] = id;
  }
  links[id].flags.remote_open = true;
  messaging_event e = make_event();
  set_link(e, id);
  handler_of(id)->on_link_opened(e);
  if (links[id].answered || links[id].flags.local_closed) return;
  // A coordinator the application did not take on: refused, as a peer without transactions
  // does (spec Part 2, 2.6.3), rather than answered as if messages to it were transactions.
  const link_status* now = ev.answer ? nullptr : engine->link(ev.link);
  if (now && now->role == role::receiver && now->remote_target && now->remote_target->coordinator) {
    close_link(id, make_condition("amqp:not-implemented",
                                  "this container does not coordinate transactions"),
               false);
    return;
  }
  answer_link(id);
}

void connection_context::on_peer_detached(const peer_detached& ev) {
  auto it = link_of.find(ev.link);
  if (it == link_of.end()) return;
  const std::uint32_t id = it->second;
  link_record& l = links[id];
  l.flags.remote_closed = true;
  if (ev.error && !l.flags.reported_closed) l.flags.error = ev.error;
  if (!l.flags.local_closed) {
    l.flags.local_closed = true;
    (void)(ev.closed ? engine->close_link(l.engine) : engine->detach(l.engine));
  }
  retired_links.emplace_back(l.engine, id);
  link_of.erase(it);
  l.engine = {};
  if (l.coordinator) {
    l.flags.reported_closed = true;
    coordinator_lost(id, ev.error);
    return;
  }
  // A link this side failed was reported then (fail_link); the peer's answer adds nothing.
  if (l.flags.reported_closed) return;
  messaging_event e = make_event();
  set_link(e, id);
  e.error_ = ev.error;
  messaging_handler* h = handler_of(id);
  if (ev.error) h->on_link_error(e);
  links[id].flags.reported_closed = true;
  h->on_link_closed(e);
}

void connection_context::on_credit(const credit_granted& ev) {
  auto it = link_of.find(ev.link);
  if (it == link_of.end()) return;
  const std::uint32_t id = it->second;
  if (links[id].coordinator) [[unlikely]] {
    on_coordinator_credit(id);
    return;
  }
  messaging_event e = make_event();
  set_link(e, id);
  messaging_handler* h = handler_of(id);
  const link_status* st = engine->link(ev.link);
  if (st && st->credit > 0 && !links[id].flags.local_closed) h->on_sendable(e);
  st = engine->link(ev.link);
  if (st && st->drain) {
    h->on_sender_drain_start(e);
    st = engine->link(ev.link);
    if (st && st->drain) (void)engine->complete_drain(ev.link);
  }
}

void connection_context::on_drained(const link_drained& ev) {
  auto it = link_of.find(ev.link);
  if (it == link_of.end()) return;
  messaging_event e = make_event();
  set_link(e, it->second);
  handler_of(it->second)->on_receiver_drained(e);
}

void connection_context::top_up_credit() {
  for (std::uint32_t id : consumed_credit) {
    link_record& l = links[id];
    l.credit_listed = false;
    const std::uint32_t window = l.receiver.credit_window;
    if (window == 0 || l.flags.local_closed || !l.engine.is_set()) continue;
    const link_status* st = engine->link(l.engine);
    // Topped up once half the window is used: one flow per half window, not per message.
    if (st && st->credit <= window / 2) (void)engine->grant_credit(l.engine, window - st->credit);
  }
  consumed_credit.clear();
}

// --- deliveries ---------------------------------------------------------------------------------

void connection_context::on_transfer(const transfer_received& ev) {
  auto it = link_of.find(ev.link);
  if (it == link_of.end()) {
    (void)engine->settle(ev.delivery, delivery_state::released());
    return;
  }
  const std::uint32_t id = it->second;
  if (!links[id].credit_listed) {
    links[id].credit_listed = true;
    consumed_credit.push_back(id);
  }
  auto view = decode_message(engine->payload(ev.delivery), options.limits.decode);
  if (!view) {
    // Not a message: the sender learns why, the application never sees it.
    (void)engine->settle(ev.delivery,
                         delivery_state::rejected(make_condition(
                             "amqp:decode-error",
                             "the message does not decode: " + view.error().message())));
    return;
  }
  messaging_event e = make_event();
  set_link(e, id);
  set_delivery(e, ev.delivery);
  e.view_ = &*view;
  delivering = &e;
  delivering_handle = ev.delivery;
  delivering_link = id;
  handler_of(id)->on_message(e);
  delivering = nullptr;
  settle_by_default(id, ev.delivery);
}

void connection_context::settle_by_default(std::uint32_t id, delivery_handle dh) {
  const delivery_status* d = engine->delivery(dh);
  if (!d || d->settled) return;  // the application settled it
  const receiver_options& o = links[id].receiver;
  if (d->remote_settled) {
    // Sent settled (at most once): nothing to tell the sender; the engine lets it go.
    (void)engine->settle(dh);
  } else if (o.auto_accept && d->state.kind == delivery_state::type::none) {
    // Without auto_settle the outcome is sent and the settling left to the application.
    if (o.auto_settle) {
      (void)settle_delivery(epoch, dh, delivery_state::accepted());
    } else if (const transaction_id* txn = acquired_in(*d)) [[unlikely]] {
      (void)engine->update_state(dh,
                                 delivery_state::transactional(*txn, delivery_state::accepted()));
    } else {
      (void)engine->update_state(dh, delivery_state::accepted());
    }
  } else if (o.auto_settle && d->state.is_outcome()) {
    (void)settle_delivery(epoch, dh, {});
  }
}

void connection_context::before_settle(delivery_handle d) {
  if (!delivering || delivering_handle != d) return;
  (void)delivering->message();
  delivering->view_ = nullptr;
}

void connection_context::on_disposition(const disposition_received& ev) {
  const delivery_status* d = engine->delivery(ev.delivery);
  if (!d) return;
  auto it = link_of.find(d->link);
  if (it == link_of.end()) return;
  const std::uint32_t id = it->second;
  if (links[id].coordinator) [[unlikely]] {
    on_coordinator_disposition(id, ev.delivery, ev.settled);
    return;
  }
  messaging_event e = make_event();
  set_link(e, id);
  messaging_handler* h = handler_of(id);
  if (links[id].role == role::sender) {
    set_tracker(e, ev.delivery);
    // An outcome is reported once: when it arrives, not again with the settlement.
    bool report = d->remote_state.is_outcome();
    if (report && !ev.settled)
      report = outcome_reported.insert(ev.delivery).second;
    else if (report)
      report = outcome_reported.empty() || outcome_reported.erase(ev.delivery) == 0;
    if (report) {
      switch (d->remote_state.kind) {
        case delivery_state::type::accepted: h->on_accepted(e); break;
        case delivery_state::type::rejected:
          if (d->remote_state.error) e.error_ = *d->remote_state.error;
          h->on_rejected(e);
          break;
        case delivery_state::type::released: h->on_released(e); break;
        case delivery_state::type::modified: h->on_modified(e); break;
        default: break;
      }
    }
    if (!ev.settled) {
      // Under rcv-settle-mode second the receiver settles only once this side has (spec Part
      // 2, 2.6.12): waiting for it would wait forever. Its outcome is final as it is.
      const delivery_status* now = report ? engine->delivery(ev.delivery) : nullptr;
      const link_status* l = now ? engine->link(now->link) : nullptr;
      if (l && l->rcv_settle_mode == receiver_settle_mode::second && !now->settled &&
          links[id].sender.auto_settle) {
        const delivery_state outcome = now->remote_state;
        outcome_reported.erase(ev.delivery);
        complete_outcome(ev.delivery, {}, outcome);
        if (engine->delivery(ev.delivery)) (void)engine->settle(ev.delivery);
      }
      return;
    }
    // Before on_settled, which may settle (and free) the delivery, as on_accepted ... may have.
    if (const delivery_status* now = engine->delivery(ev.delivery))
      complete_outcome(ev.delivery, {}, now->remote_state);
    h->on_settled(e);
    d = engine->delivery(ev.delivery);
    if (d && !d->settled && links[id].sender.auto_settle) (void)engine->settle(ev.delivery);
    return;
  }
  // A receiver's delivery the sender settled: under rcv-settle-mode second, the outcome this
  // side gave is now final.
  set_delivery(e, ev.delivery);
  if (!ev.settled) return;
  h->on_settled(e);
  d = engine->delivery(ev.delivery);
  if (d && !d->settled && d->state.is_outcome()) (void)engine->settle(ev.delivery);
}

void connection_context::on_in_doubt(const delivery_in_doubt& ev) {
  const delivery_status* d = engine->delivery(ev.delivery);
  if (!d) return;
  std::uint32_t id = 0;
  if (auto it = link_of.find(d->link); it != link_of.end()) {
    id = it->second;
  } else {
    // Its link was detached in this dispatch.
    bool found = false;
    for (const auto& [h, rid] : retired_links)
      if (h == d->link) id = rid, found = true;
    if (!found) {
      complete_outcome(ev.delivery, make_error_code(errc::in_doubt), {});
      (void)engine->settle(ev.delivery);
      return;
    }
  }
  if (links[id].coordinator) {
    // A declare or discharge the transport or link took: the transaction ends with it
    // (transactions_lost, coordinator_lost), not as a message in doubt.
    (void)engine->settle(ev.delivery);
    return;
  }
  messaging_event e = make_event();
  set_link(e, id);
  set_tracker(e, ev.delivery);
  handler_of(id)->on_in_doubt(e);
  complete_outcome(ev.delivery, make_error_code(errc::in_doubt), {});
  if (engine->delivery(ev.delivery)) (void)engine->settle(ev.delivery);
}

void connection_context::complete_outcome(delivery_handle d, std::error_code ec,
                                          const delivery_state& state) {
  if (outcome_waiters.empty()) return;
  auto it = outcome_waiters.find(d);
  if (it == outcome_waiters.end()) return;
  amqp::sender::outcome_callback callback = std::move(it->second);
  outcome_waiters.erase(it);
  callback(ec, state);
}

void connection_context::forget_transport_endpoints() {
  // Every unsettled delivery was reported in doubt by now; a waiter left would never be called.
  // Taken out first: a callback may send again, which adds waiters.
  auto waiters = std::move(outcome_waiters);
  outcome_waiters.clear();
  for (auto& [d, callback] : waiters) callback(make_error_code(errc::in_doubt), {});
  flags.remote_open = false;  // a reconnect waits for the peer's open again
  link_of.clear();
  session_of.clear();
  for (session_record& s : sessions) {
    s.engine = {};
    s.answered = false;
    s.flags.remote_open = false;
    // A session the peer began belonged to that transport; one whose end was sent is over.
    if (s.peer_began || s.flags.local_closed) s.flags.local_closed = s.flags.remote_closed = true;
  }
  for (link_record& l : links) {
    l.engine = {};
    l.answered = false;
    l.flags.remote_open = false;
    // A coordinator link is not resumed (spec Part 4, 4.1): the next declare attaches another.
    if (l.peer_attached || l.flags.local_closed || l.coordinator)
      l.flags.local_closed = l.flags.remote_closed = true;
    if (sessions[l.session].flags.local_closed) l.flags.local_closed = l.flags.remote_closed = true;
  }
  consumed_credit.clear();
  for (link_record& l : links) l.credit_listed = false;
  outcome_reported.clear();
}

}  // namespace amqp::detail
