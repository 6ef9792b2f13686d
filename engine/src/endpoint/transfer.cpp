// Deliveries (spec Part 2, 2.6.12 to 2.6.14): sending a message as one or more transfers within
// the link's credit and the session's window, receiving and reassembling them, aborts.
//
// A sent message is framed straight into the output buffer (its one copy on this side); only
// what the peer's session window holds back is copied aside, to be framed when the window
// opens. A received message is copied once, fragment by fragment, into its delivery's buffer;
// buffers of settled deliveries are reused, so a warm link moves messages without allocating.
#include <algorithm>
#include <optional>
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

// Settled deliveries' buffers kept for the next ones: enough for a credit window of small
// messages or a few dozen large ones, never more than a few MiB held idle.
constexpr std::size_t pooled_buffers = 4096;
constexpr std::size_t pooled_bytes = 8u << 20;

std::string link_name(const link_endpoint& l) {
  return "link '" + l.status.name + "'";
}

std::size_t size_of(message_parts parts) {
  std::size_t n = 0;
  for (bytes_view p : parts) n += p.size();
  return n;
}

// Calls put(piece) for the bytes [from, from + n) of the parts taken end to end.
template <class F>
void for_bytes(message_parts parts, std::size_t from, std::size_t n, F&& put) {
  for (bytes_view p : parts) {
    if (n == 0) return;
    if (from >= p.size()) {
      from -= p.size();
      continue;
    }
    const std::size_t k = std::min(n, p.size() - from);
    put(p.subspan(from, k));
    from = 0;
    n -= k;
  }
}

void keep(writer& into, message_parts parts, std::size_t from) {
  for_bytes(parts, from, size_of(parts) - from, [&](bytes_view b) { into.append(b); });
}

}  // namespace

writer connection_engine::impl::take_buffer() {
  if (buffer_pool.empty()) return {};
  writer b = std::move(buffer_pool.back());
  buffer_pool.pop_back();
  buffer_pool_bytes -= b.capacity();
  b.clear();
  return b;
}

void connection_engine::impl::free_delivery(delivery_handle h) {
  if (delivery_endpoint* d = deliveries.find(h)) free_delivery(h, *d);
}

void connection_engine::impl::free_delivery(delivery_handle h, delivery_endpoint& d) {
  if (!d.outgoing && !d.status.complete) reassembly_bytes -= d.data.size();
  if (d.data.capacity() > 0 && buffer_pool_bytes + d.data.capacity() <= pooled_bytes &&
      buffer_pool.size() < pooled_buffers) {
    buffer_pool_bytes += d.data.capacity();
    buffer_pool.push_back(std::move(d.data));
  }
  deliveries.erase_live(h);
}

// --- sending ---------------------------------------------------------------------------------

result<delivery_handle, std::error_code> connection_engine::impl::send(link_handle h,
                                                                       message_parts message,
                                                                       const send_options& o) {
  const std::size_t size = size_of(message);
  link_endpoint* l = links.find(h);
  if (!l) return make_error_code(errc::invalid_handle);
  link_status& st = l->status;
  session_endpoint* s = sessions.find(st.session);
  if (!s || close_sent || st.role != role::sender || !st.attach_sent || !st.attach_received ||
      st.detach_sent || st.detach_received || s->status.end_sent || l->current.is_set())
    return make_error_code(errc::wrong_state);
  if (o.tag.size() > 32 || (o.settled && st.snd_settle_mode == sender_settle_mode::unsettled) ||
      (st.remote_max_message_size && size > st.remote_max_message_size))
    return make_error_code(errc::invalid_argument);
  if (st.credit == 0) return make_error_code(errc::no_credit);

  const delivery_handle dh = deliveries.emplace();
  delivery_endpoint& d = *deliveries.find(dh);
  d.outgoing = true;
  d.session = st.session;
  d.status.link = h;
  d.status.id = s->next_delivery_id++;
  d.status.message_format = o.message_format;
  d.status.settled = o.settled || st.snd_settle_mode == sender_settle_mode::settled;
  d.more = o.more;
  d.batchable = o.batchable;
  if (o.txn) d.status.state = delivery_state::transactional(*o.txn);
  if (!o.tag.empty()) {
    std::copy(o.tag.begin(), o.tag.end(), d.tag.begin());
    d.tag_size = static_cast<std::uint8_t>(o.tag.size());
  } else {
    // The counter's bytes, low first, as few as it needs: unique among the link's deliveries.
    for (std::uint64_t n = l->next_tag++;; n >>= 8) {
      d.tag[d.tag_size++] = static_cast<std::uint8_t>(n);
      if (n < 256) break;
    }
  }
  ++st.delivery_count;
  --st.credit;
  if (st.credit == 0) st.drain = false;  // a drain ends when the credit is used up
  if (!d.status.settled) {
    s->outgoing.push(d.status.id, dh.slot);
    ++st.unsettled;
  }
  if (o.more) l->current = dh;

  const std::size_t written =
      s->waiting.empty() ? write_transfers(*s, *l, d, message, size, !o.more) : 0;
  if (!d.first_written) {
    d.unsent = true;
    ++l->unsent;
  }
  if (!d.first_written || written < size || (!o.more && !d.status.complete)) {
    d.data = take_buffer();
    keep(d.data, message, written);
    d.waiting = true;
    s->waiting.push(dh);
    ++st.queued;
  }
  if (d.status.complete && d.status.settled) free_delivery(dh, d);  // out, and nothing to await
  return dh;
}

std::error_code connection_engine::impl::send_more(delivery_handle dh, bytes_view message,
                                                   bool more) {
  delivery_endpoint* d = app_delivery(dh);
  if (!d) return errc::invalid_handle;
  link_endpoint* l = links.find(d->status.link);
  session_endpoint* s = sessions.find(d->session);
  if (!d->outgoing || !d->more || !l || !s || close_sent || l->status.detach_sent ||
      s->status.end_sent)
    return errc::wrong_state;
  const std::uint64_t limit = l->status.remote_max_message_size;
  if (limit && d->status.size + d->data.size() + message.size() > limit)
    return errc::invalid_argument;
  d->more = more;
  if (!more) l->current = {};
  if (d->waiting) {
    d->data.append(message);
    return {};
  }
  const std::size_t written =
      write_transfers(*s, *l, *d, message_parts(&message, 1), message.size(), !more);
  if (written < message.size() || (!more && !d->status.complete)) {
    if (d->data.capacity() == 0) d->data = take_buffer();
    d->data.clear();
    d->data.append(message.subspan(written));
    d->waiting = true;
    s->waiting.push(dh);
    ++l->status.queued;
  }
  if (d->status.complete && d->status.settled) free_delivery(dh, *d);
  return {};
}

std::error_code connection_engine::impl::abort_delivery(delivery_handle dh) {
  delivery_endpoint* d = app_delivery(dh);
  if (!d) return errc::invalid_handle;
  link_endpoint* l = links.find(d->status.link);
  session_endpoint* s = sessions.find(d->session);
  if (!d->outgoing || d->status.complete || !l || !s || close_sent || l->status.detach_sent ||
      s->status.end_sent)
    return errc::wrong_state;
  if (l->current == dh) l->current = {};
  d->more = false;
  d->data.clear();
  d->abort_pending = true;
  // Aborted means settled (spec Part 2, 2.7.5): no outcome to await, nothing in doubt, and the
  // application's handle is gone now. The record lives on, out of its sight, until the
  // aborted transfer is written: the credit it took is spent either way (an aborted transfer
  // still counts as a delivery), and its delivery-id keeps its place in the session's order.
  if (!d->status.settled) {
    s->outgoing.erase(d->status.id);
    --l->status.unsettled;
  }
  if (!d->waiting) {
    d->waiting = true;
    s->waiting.push(dh);
    ++l->status.queued;
  }
  write_waiting(*s);
  return {};
}

std::size_t connection_engine::impl::write_transfers(session_endpoint& s, link_endpoint& l,
                                                     delivery_endpoint& d, message_parts bytes,
                                                     std::size_t size, bool last) {
  if (!dispositions.empty()) write_dispositions();  // they were given first
  const std::uint32_t max = max_frame_size();
  std::size_t done = 0;
  while (s.status.remote_incoming_window > 0) {
    const std::size_t rest = size - done;
    // Without bytes, only a delivery's first frame (its delivery-id takes its place in the
    // session's order now, spec Part 2, 2.7.5) and its last frame need writing; either may
    // carry none.
    if (rest == 0 && d.first_written && !(last && !d.status.complete) && !d.abort_pending) break;
    spec::transfer t{.handle = l.status.handle};
    if (!d.first_written) {
      if (d.unsent) {
        d.unsent = false;
        --l.unsent;
      }
      t.delivery_id = d.status.id;
      t.delivery_tag = bytes_view(d.tag.data(), d.tag_size);
      t.message_format = d.status.message_format;
      if (d.status.settled) t.settled = true;
      if (d.status.state.txn) t.state = detail::encode_state(d.status.state, state_scratch);
    }
    t.batchable = d.batchable;
    t.aborted = d.abort_pending;
    // The transfer is encoded once as the last frame; only when the bytes do not fit is it
    // encoded again with more set (that may change its size by the trailing fields it needs).
    std::size_t start = detail::begin_frame(out, frame_type::amqp, s.status.channel);
    encoder e(out);
    spec::encode(e, t);
    std::size_t room = max - (out.size() - start);
    const bool more = !d.abort_pending && !(last && rest <= room);
    if (more) {
      out.truncate(start);
      start = detail::begin_frame(out, frame_type::amqp, s.status.channel);
      t.more = true;
      encoder again(out);
      spec::encode(again, t);
      room = max - (out.size() - start);
    }
    const std::size_t n = d.abort_pending ? 0 : std::min(room, rest);
    for_bytes(bytes, done, n, [&](bytes_view piece) { out.append(piece); });
    (void)detail::end_frame(out, start, max);
    traced_output(start);
    sent();
    done += n;
    d.status.size += n;
    d.first_written = true;
    ++s.status.next_outgoing_id;
    --s.status.remote_incoming_window;
    if (!more) {
      d.status.complete = true;
      break;
    }
    if (done == size) break;  // the application gives the rest with send_more()
  }
  return done;
}

void connection_engine::impl::write_waiting(session_endpoint& s) {
  while (!s.waiting.empty() && s.status.remote_incoming_window > 0 && !s.status.end_sent &&
         !close_sent) {
    const delivery_handle dh = s.waiting.front();
    delivery_endpoint* d = deliveries.find(dh);
    link_endpoint* l = d ? links.find(d->status.link) : nullptr;
    if (!d || !l) {
      (void)s.waiting.pop();
      continue;
    }
    const bytes_view rest(d->data.data(), d->data.size());
    const std::size_t written =
        write_transfers(s, *l, *d, message_parts(&rest, 1), rest.size(), !d->more);
    d->data.erase(0, written);
    // The window closed before all it holds went out.
    if (!d->status.complete && !(d->more && d->data.empty() && d->first_written)) break;
    (void)s.waiting.pop();
    d->waiting = false;
    --l->status.queued;
    if (d->abort_pending || (d->status.complete && d->status.settled)) free_delivery(dh, *d);
  }
}

// --- receiving -------------------------------------------------------------------------------

void connection_engine::impl::on_transfer(session_endpoint& s, session_handle sh,
                                          const frame_view& f) {
  bytes_view payload;
  spec::transfer t;
  const auto bad = performative(f, t, &payload);
  if (bad) {
    session_violation(sh, condition_of(spec::amqp_error::decode_error,
                                       "invalid transfer frame: " + bad->message()));
    return;
  }
  // Every transfer counts against the session's window, whatever becomes of it (2.5.6).
  if (s.status.incoming_window == 0) {
    session_violation(sh, condition_of(spec::session_error::window_violation,
                                       "transfer " + std::to_string(s.status.next_incoming_id) +
                                           " beyond the incoming window granted"));
    return;
  }
  --s.status.incoming_window;
  ++s.status.next_incoming_id;
  link_handle h;
  link_endpoint* l = by_remote_handle(s, t.handle, &h);
  if (!l) {
    session_violation(sh, condition_of(spec::session_error::unattached_handle,
                                       "transfer on handle " + std::to_string(t.handle) +
                                           ", which no attached link uses"));
    return;
  }
  if (!l->discarding && !l->status.detach_sent) on_link_transfer(s, sh, *l, h, t, payload);
  refill_incoming_window(s);
}

void connection_engine::impl::on_link_transfer(session_endpoint& s, session_handle sh,
                                               link_endpoint& l, link_handle h,
                                               const spec::transfer& t, bytes_view payload) {
  link_status& st = l.status;
  if (st.role != role::receiver) {
    link_violation(h, condition_of(spec::amqp_error::not_allowed,
                                   "transfer on " + link_name(l) + ", where the peer receives"));
    return;
  }
  // A state that does not decode is a decode error, as in a disposition: read as no state, a
  // transfer sent inside a transaction would count outside it.
  std::optional<delivery_state> state;
  if (!t.state.is_null()) {
    auto decoded = detail::state_of(t.state.view());
    if (!decoded) {
      session_violation(
          sh, condition_of(spec::amqp_error::decode_error,
                           "invalid delivery state in a transfer: " + decoded.error().message()));
      return;
    }
    state = std::move(*decoded);
  }
  delivery_endpoint* d = deliveries.find(l.current);
  if (!d) {
    // The first transfer of a delivery names it and takes a credit (spec 2.6.7, 2.7.5).
    if (!t.delivery_id || !t.delivery_tag || t.delivery_tag->size() > 32) {
      link_violation(h,
                     condition_of(spec::amqp_error::invalid_field,
                                  "the first transfer of a delivery on " + link_name(l) +
                                      (!t.delivery_id    ? " has no delivery-id"
                                       : !t.delivery_tag ? " has no delivery-tag"
                                                         : " has a delivery-tag over 32 bytes")));
      return;
    }
    if (s.any_incoming && static_cast<std::int32_t>(*t.delivery_id - s.last_incoming_id) <= 0) {
      session_violation(
          sh, condition_of(spec::amqp_error::not_allowed,
                           "delivery-id " + std::to_string(*t.delivery_id) + " does not follow " +
                               std::to_string(s.last_incoming_id) + " (spec Part 2, 2.7.5)"));
      return;
    }
    // Beyond credit, a sender's stale view of a grant is borne up to a bound (spec Part 2,
    // 2.6.7; limits::max_excess_transfers); before any grant there is no view to excuse.
    const std::uint32_t allowed = l.granted ? config.limits.max_excess_transfers : 0;
    if (st.credit == 0 && l.excess >= allowed) {
      link_violation(
          h, condition_of(spec::link_error::transfer_limit_exceeded,
                          "transfer on " + link_name(l) + " without credit (delivery-count " +
                              std::to_string(st.delivery_count) + ")" +
                              (l.granted ? ": " + std::to_string(l.excess + 1) +
                                               " beyond it since the last grant, over the " +
                                               std::to_string(allowed) + " allowed"
                                         : std::string(", none granted"))));
      return;
    }
    s.any_incoming = true;
    s.last_incoming_id = *t.delivery_id;
    ++st.delivery_count;
    if (st.credit > 0) {
      --st.credit;
    } else {
      // Handled normally: the credit stays at zero, the delivery-limit where the grant put it.
      ++l.excess;
      ++st.excess_transfers;
    }
    const delivery_handle dh = deliveries.emplace();
    d = deliveries.find(dh);
    d->session = sh;
    d->status.link = h;
    d->status.id = *t.delivery_id;
    d->status.message_format = t.message_format.value_or(0);
    std::copy(t.delivery_tag->begin(), t.delivery_tag->end(), d->tag.begin());
    d->tag_size = static_cast<std::uint8_t>(t.delivery_tag->size());
    d->data = take_buffer();
    ++st.unsettled;
    if (t.settled.value_or(false))
      d->status.remote_settled = true;
    else
      s.incoming.push(d->status.id, dh.slot);
    l.current = dh;
  } else if (t.delivery_id && *t.delivery_id != d->status.id) {
    link_violation(
        h, condition_of(spec::amqp_error::invalid_field,
                        "a transfer continuing delivery " + std::to_string(d->status.id) + " on " +
                            link_name(l) + " names delivery " + std::to_string(*t.delivery_id)));
    return;
  }
  const delivery_handle dh = l.current;
  if (t.settled.value_or(false) && !d->status.remote_settled) {
    d->status.remote_settled = true;
    s.incoming.erase(d->status.id);
  }
  if (state) d->status.remote_state = std::move(*state);
  if (t.aborted) {
    // Its bytes, this frame's included, are dropped (spec Part 2, 2.6.14).
    if (!d->status.remote_settled) s.incoming.erase(d->status.id);
    --st.unsettled;
    l.current = {};
    free_delivery(dh, *d);
    events.push(transfer_aborted{h});
    return;
  }
  const std::uint64_t size = d->status.size + payload.size();
  if (st.max_message_size && size > st.max_message_size) {
    link_violation(h, condition_of(spec::link_error::message_size_exceeded,
                                   "a message of " + std::string(t.more ? "at least " : "") +
                                       std::to_string(size) + " bytes on " + link_name(l) +
                                       ", above its max-message-size of " +
                                       std::to_string(st.max_message_size)));
    return;
  }
  if (t.more && reassembly_bytes + payload.size() > config.limits.max_reassembly_bytes) {
    link_violation(h, condition_of(spec::amqp_error::resource_limit_exceeded,
                                   "a delivery on " + link_name(l) + " would hold more than the " +
                                       std::to_string(config.limits.max_reassembly_bytes) +
                                       " bytes allowed for messages still arriving"));
    return;
  }
  if (t.more) {
    reassembly_bytes += payload.size();
  } else {
    reassembly_bytes -= d->data.size();  // no longer arriving: the application's now
  }
  d->data.append(payload);
  d->status.size = d->data.size();
  if (t.more) return;
  d->status.complete = true;
  d->reported = true;
  l.current = {};
  events.push(transfer_received{h, dh});
  if (st.drain && st.credit == 0) {
    st.drain = false;
    events.push(link_drained{h});
  }
}

}  // namespace amqp
