// The public face of the engine: each call records the time it was given, then hands over to
// the state machines in connection.cpp and input.cpp.
#include <algorithm>
#include <new>

#include "engine_impl.hpp"

namespace amqp {

namespace {

frame_reader_options reader_options(const limits& l) {
  return {.max_frame_size = l.max_frame_size, .decode = l.decode};
}

engine_config checked(engine_config c) {
  c.limits.max_frame_size = std::max(c.limits.max_frame_size, spec::min_max_frame_size);
  c.limits.max_pending_events = std::max<std::size_t>(c.limits.max_pending_events, 1);
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
    poisoned = true;
    aborted = true;
    input_ended = true;
    close_sent = true;
    out.clear();
    out_pos = 0;
  }
}

connection_engine::impl::impl(const engine_config& c)
    : config(checked(c)), reader(reader_options(config.limits)) {}

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
    used = e.feed(bytes);
  });
  return used;
}

void connection_engine::feed_eof(time_point now) {
  impl& e = *impl_;
  e.guarded([&] {
    e.now = now;
    e.on_time();
    e.on_eof();
  });
}

bytes_view connection_engine::pending_output() const noexcept {
  const impl& e = *impl_;
  if (e.aborted) return {};
  return e.out.view().subspan(e.out_pos);
}

void connection_engine::consume_output(std::size_t n) noexcept {
  impl& e = *impl_;
  e.out_pos += std::min(n, e.out.size() - e.out_pos);
  if (e.out_pos == e.out.size()) {
    e.out_offset += e.out.size();
    e.out.clear();
    e.out_pos = 0;
  } else if (e.out_pos >= 64 * 1024 && e.out_pos * 2 >= e.out.size()) {
    // Mostly consumed: move the rest down rather than let the buffer creep forward.
    e.out_offset += e.out_pos;
    e.out.erase(0, e.out_pos);
    e.out_pos = 0;
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
  return impl_->poisoned ? std::nullopt : impl_->events.pop();
}

bool connection_engine::wants_input() const noexcept {
  return !impl_->input_ended && !impl_->aborted;
}

bool connection_engine::is_finished() const noexcept {
  const impl& e = *impl_;
  return e.aborted || (e.closed_reported && e.out_pos == e.out.size());
}

std::error_code connection_engine::open(const connection_options& options) {
  impl& e = *impl_;
  std::error_code ec = errc::engine_failed;
  e.guarded([&] { ec = e.send_open(options); });
  return e.poisoned ? make_error_code(errc::engine_failed) : ec;
}

std::error_code connection_engine::close(std::optional<condition> error) {
  impl& e = *impl_;
  std::error_code ec = errc::engine_failed;
  e.guarded([&] { ec = e.send_close(error); });
  return e.poisoned ? make_error_code(errc::engine_failed) : ec;
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
  impl& e = *impl_;
  result<session_handle, std::error_code> r = make_error_code(errc::engine_failed);
  e.guarded([&] { r = e.begin_session(std::nullopt, options); });
  if (e.poisoned) return make_error_code(errc::engine_failed);
  return r;
}

std::error_code connection_engine::begin_session(session_handle session,
                                                 const session_options& options) {
  impl& e = *impl_;
  std::error_code ec = errc::engine_failed;
  e.guarded([&] {
    auto r = e.begin_session(session, options);
    ec = r ? std::error_code() : r.error();
  });
  return e.poisoned ? make_error_code(errc::engine_failed) : ec;
}

std::error_code connection_engine::end_session(session_handle session,
                                               std::optional<condition> error) {
  impl& e = *impl_;
  std::error_code ec = errc::engine_failed;
  e.guarded([&] { ec = e.end_session(session, error); });
  return e.poisoned ? make_error_code(errc::engine_failed) : ec;
}

std::optional<session_status> connection_engine::session(session_handle session) const {
  const detail::session_endpoint* s = impl_->sessions.find(session);
  if (!s) return std::nullopt;
  return s->status;
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
