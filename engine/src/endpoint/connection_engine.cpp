// The public face of the engine: each call records the time it was given, then hands over to
// the state machines in connection.cpp and input.cpp.
#include <algorithm>
#include <new>

#include "engine_impl.hpp"

namespace amqp {

namespace {

frame_reader_options reader_options(const limits& l) {
  // Each handler decodes its performative by type, in one pass (impl::performative).
  return {.max_frame_size = l.max_frame_size,
          .max_sasl_frame_size = l.max_sasl_frame_size,
          .decode = l.decode,
          .decode_performative = false};
}

engine_config checked(engine_config c) {
  c.limits.max_frame_size = std::max(c.limits.max_frame_size, spec::min_max_frame_size);
  c.limits.max_sasl_frame_size = std::max(c.limits.max_sasl_frame_size, spec::min_max_frame_size);
  c.limits.max_pending_events = std::max<std::size_t>(c.limits.max_pending_events, 1);
  c.limits.handle_max = std::min<std::uint32_t>(c.limits.handle_max, 65535);
  return c;
}

}  // namespace

// Out of memory is the one failure the engine cannot recover from: the state it was changing
// may be half-changed, so the engine is poisoned rather than trusted further.
template <class F>
void connection_engine::impl::guarded(F&& f) noexcept {
  if (poisoned) return;
  try {
    f();
  } catch (const std::bad_alloc&) {
    poison();
  }
}

void connection_engine::impl::poison() noexcept {
  poisoned = true;
  aborted = true;
  input_ended = true;
  close_sent = true;
  out.clear();
  out_pos = 0;
}

connection_engine::impl::impl(const engine_config& c)
    : config(checked(c)), reader(reader_options(config.limits)) {
  const bool client = config.role == engine_role::client;
  if (client ? config.sasl_client.has_value() : config.sasl_server.has_value()) {
    // No TLS below yet: PLAIN is used only where the options allow it in the clear.
    // Secure once a TLS handshake below it completes (after_tls()).
    sasl = std::make_unique<detail::sasl_layer>(
        client ? &*config.sasl_client : nullptr, client ? nullptr : &*config.sasl_server,
        config.random ? *config.random : system_random(), /*secure=*/false, events,
        config.limits.max_sasl_frame_size);
  }
  if (config.tls && config.tls->context) {
    if (!client) {
      wire = wire_mode::detecting;
    } else if (config.tls->start == tls_start::after_header) {
      // The ClientHello follows the header at once, pipelined as the open follows the AMQP
      // header: a server that answers with its header first reads it after that, and one that
      // goes straight to TLS (Qpid Proton does) is served too.
      write_protocol_header(wire_prefix, protocol_id::tls);
      start_tls();
      wire = wire_mode::tls_header;
    } else {
      start_tls();
    }
  }
}

connection_engine::connection_engine(const engine_config& config)
    : impl_(std::make_unique<impl>(config)) {}
connection_engine::~connection_engine() = default;
connection_engine::connection_engine(connection_engine&&) noexcept = default;
connection_engine& connection_engine::operator=(connection_engine&&) noexcept = default;

std::size_t connection_engine::feed(bytes_view bytes, time_point now) {
  impl& e = *impl_;
  std::size_t used = bytes.size();  // a poisoned engine ignores its input
  e.guarded([&] {
    e.now = now;
    e.on_time();  // the baseline times, and any deadline already passed
    used = e.feed_wire(bytes);
  });
  return used;
}

void connection_engine::feed_eof(time_point now) {
  impl& e = *impl_;
  e.guarded([&] {
    e.now = now;
    e.on_time();
    e.wire_eof();
  });
}

bytes_view connection_engine::pending_output() {
  impl& e = *impl_;
  if (!e.dispositions.empty()) e.guarded([&] { e.write_dispositions(); });
  if (e.aborted) return {};
  if (e.wire == impl::wire_mode::plain && e.wire_prefix.empty())
    return e.out.view().subspan(e.out_pos);
  bytes_view wire;
  e.guarded([&] { wire = e.wire_output(); });
  return e.aborted ? bytes_view{} : wire;
}

std::size_t connection_engine::output_backlog() const noexcept {
  const impl& e = *impl_;
  const std::size_t frames = e.wire_prefix.size() + (e.out.size() - e.out_pos);
  return e.tls ? frames + e.tls->held() + e.tls->pending_output().size() : frames;
}

void connection_engine::consume_output(std::size_t n) noexcept {
  impl& e = *impl_;
  if (e.wire == impl::wire_mode::plain && e.wire_prefix.empty())
    e.consume_plain(n);
  else
    e.guarded([&] { e.consume_wire(n); });
}

void connection_engine::impl::consume_plain(std::size_t n) noexcept {
  out_pos += std::min(n, out.size() - out_pos);
  if (out_pos == out.size()) {
    out_offset += out.size();
    out.clear();
    out_pos = 0;
  } else if (out_pos >= 64 * 1024 && out_pos * 2 >= out.size()) {
    // Mostly consumed: move the rest down rather than let the buffer creep forward.
    out_offset += out_pos;
    out.erase(0, out_pos);
    out_pos = 0;
  }
}

void connection_engine::handle_timeout(time_point now) {
  impl& e = *impl_;
  e.guarded([&] {
    e.now = now;
    e.on_time();
  });
}

std::optional<time_point> connection_engine::next_deadline() const noexcept {
  return impl_->deadline();
}

std::optional<event> connection_engine::poll_event() {
  if (impl_->poisoned) return std::nullopt;
  return impl_->events.pop();  // built in the caller's place: an event is not moved again
}

bool connection_engine::wants_input() const noexcept {
  return !impl_->input_ended && !impl_->aborted;
}

bool connection_engine::is_finished() const noexcept {
  const impl& e = *impl_;
  return e.aborted || (e.closed_reported && e.wire_drained());
}

std::error_code connection_engine::open(const open_options& options) {
  return impl_->command([&] { return impl_->send_open(options); });
}

std::error_code connection_engine::close(std::optional<condition> error) {
  return impl_->command([&] { return impl_->send_close(error); });
}

void connection_engine::abort() noexcept {
  impl& e = *impl_;
  e.aborted = true;
  e.input_ended = true;
  e.close_sent = true;
  e.out.clear();
  e.out_pos = 0;
}

result<session_handle, std::error_code> connection_engine::begin_session(
    const session_options& options) {
  return impl_->command([&] { return impl_->begin_session(std::nullopt, options); });
}

std::error_code connection_engine::begin_session(session_handle session,
                                                 const session_options& options) {
  return impl_->command([&]() -> std::error_code {
    auto r = impl_->begin_session(session, options);
    return r ? std::error_code() : r.error();
  });
}

std::error_code connection_engine::end_session(session_handle session,
                                               std::optional<condition> error) {
  return impl_->command([&] { return impl_->end_session(session, error); });
}

result<link_handle, std::error_code> connection_engine::attach_sender(session_handle session,
                                                                      const link_options& options) {
  return impl_->command(
      [&] { return impl_->attach(session, std::nullopt, role::sender, options); });
}

result<link_handle, std::error_code> connection_engine::attach_receiver(
    session_handle session, const link_options& options) {
  return impl_->command(
      [&] { return impl_->attach(session, std::nullopt, role::receiver, options); });
}

std::error_code connection_engine::attach(link_handle link, const link_options& options) {
  return impl_->command([&]() -> std::error_code {
    auto r = impl_->attach({}, link, role::sender, options);
    return r ? std::error_code() : r.error();
  });
}

std::error_code connection_engine::detach(link_handle link, std::optional<condition> error) {
  return impl_->command([&] { return impl_->detach(link, false, error); });
}

std::error_code connection_engine::close_link(link_handle link, std::optional<condition> error) {
  return impl_->command([&] { return impl_->detach(link, true, error); });
}

std::error_code connection_engine::grant_credit(link_handle link, std::uint32_t credit) {
  return impl_->command([&] { return impl_->grant_credit(link, credit, nullptr); });
}
std::error_code connection_engine::grant_credit(link_handle link, std::uint32_t credit,
                                                value flow_properties) {
  return impl_->command([&] { return impl_->grant_credit(link, credit, &flow_properties); });
}

std::error_code connection_engine::drain(link_handle link) {
  return impl_->command([&] { return impl_->drain(link); });
}

std::error_code connection_engine::complete_drain(link_handle link) {
  return impl_->command([&] { return impl_->complete_drain(link); });
}

std::error_code connection_engine::set_available(link_handle link, std::uint32_t available) {
  return impl_->command([&] { return impl_->set_available(link, available); });
}

std::error_code connection_engine::request_flow(link_handle link) {
  return impl_->command([&] { return impl_->request_flow(link); });
}

result<delivery_handle, std::error_code> connection_engine::send(link_handle link,
                                                                 bytes_view message,
                                                                 const send_options& options) {
  return impl_->command([&] { return impl_->send(link, message_parts(&message, 1), options); });
}

result<delivery_handle, std::error_code> connection_engine::send(link_handle link,
                                                                 message_parts message,
                                                                 const send_options& options) {
  return impl_->command([&] { return impl_->send(link, message, options); });
}

std::error_code connection_engine::send_more(delivery_handle delivery, bytes_view message,
                                             bool more) {
  return impl_->command([&] { return impl_->send_more(delivery, message, more); });
}

std::error_code connection_engine::abort_delivery(delivery_handle delivery) {
  return impl_->command([&] { return impl_->abort_delivery(delivery); });
}

std::error_code connection_engine::update_state(delivery_handle delivery,
                                                const delivery_state& state) {
  return impl_->command([&] { return impl_->update_state(delivery, state); });
}

std::error_code connection_engine::settle(delivery_handle delivery, const delivery_state& state) {
  return impl_->command([&] { return impl_->settle(delivery, state); });
}

const session_status* connection_engine::session(session_handle session) const noexcept {
  const detail::session_endpoint* s = impl_->sessions.find(session);
  return s ? &s->status : nullptr;
}

const link_status* connection_engine::link(link_handle link) const noexcept {
  const detail::link_endpoint* l = impl_->links.find(link);
  return l ? &l->status : nullptr;
}

const delivery_status* connection_engine::delivery(delivery_handle delivery) const noexcept {
  const detail::delivery_endpoint* d = impl_->app_delivery(delivery);
  return d ? &d->status : nullptr;
}

bytes_view connection_engine::payload(delivery_handle delivery) const noexcept {
  const detail::delivery_endpoint* d = impl_->app_delivery(delivery);
  return d ? bytes_view(d->data.data(), d->data.size()) : bytes_view();
}

bytes_view connection_engine::delivery_tag(delivery_handle delivery) const noexcept {
  const detail::delivery_endpoint* d = impl_->app_delivery(delivery);
  return d ? bytes_view(d->tag.data(), d->tag_size) : bytes_view();
}

const open_fields* connection_engine::remote_open() const noexcept {
  return impl_->open_received ? &impl_->remote : nullptr;
}

std::uint32_t connection_engine::max_frame_size() const noexcept {
  return impl_->max_frame_size();
}

std::error_code connection_engine::failure() const noexcept {
  if (impl_->poisoned) return errc::engine_failed;
  return {};
}

}  // namespace amqp
