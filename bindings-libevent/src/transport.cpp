// The transport's pump: bufferevent input into the engine, the engine's output into the
// bufferevent, one evtimer at the engine's deadline.
#include "amqp/libevent/transport.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <csignal>
#include <mutex>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "timeval.hpp"

namespace amqp::libevent {

namespace {

class stream_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "amqp.libevent.stream"; }
  std::string message(int e) const override {
    switch (static_cast<stream_errc>(e)) {
      case stream_errc::eof:
        return "the peer closed the TCP connection";
      case stream_errc::aborted:
        return "the connection was aborted";
    }
    return "unknown stream error";
  }
};

constexpr std::size_t single_io_max = 64 * 1024;
// Bytes read per readable event. amqp-bench tcp (credit windows 1000 and 10000, 100-byte
// messages) moved the most with 32 KiB: 64 KiB let a window of 1000 stall the sender while
// the receiver worked through half of it, 16 KiB cost more loop turns.
constexpr std::size_t read_ahead_max = 32 * 1024;

// libevent writes with writev(), which has no MSG_NOSIGNAL: a write to a peer that already
// closed raises SIGPIPE, whose default action kills the process before the transport could
// report EPIPE. Ignored once, unless the application chose its own disposition.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
      std::signal(SIGPIPE, SIG_IGN);
  });
}

}  // namespace

const std::error_category& stream_category() noexcept {
  static const stream_category_impl category;
  return category;
}

std::error_code make_error_code(stream_errc e) noexcept {
  return {static_cast<int>(e), stream_category()};
}

std::shared_ptr<transport> transport::create(event_base& base, int fd, connection_engine& engine,
                                             transport_handler& handler,
                                             const transport_options& options) {
  return std::make_shared<transport>(private_key(), base, fd, engine, handler, options);
}

transport::transport(private_key, event_base& base, int fd, connection_engine& engine,
                     transport_handler& handler, const transport_options& options)
    : engine_(&engine),
      handler_(&handler),
      max_input_(std::max<std::size_t>(options.max_input_buffer, 1)),
      max_write_(std::max<std::size_t>(options.max_write_size, 1)) {
  ignore_sigpipe();
  evutil_make_socket_nonblocking(fd);
  // Deferred callbacks run from the loop, never from inside a bufferevent call of ours, so
  // a hook never re-enters the pump through libevent.
  bev_ = bufferevent_socket_new(&base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
  if (!bev_) {
    evutil_closesocket(fd);
    throw std::system_error(std::make_error_code(std::errc::not_enough_memory),
                            "bufferevent_socket_new");
  }
  timer_ = evtimer_new(&base, &transport::on_timer, this);
  if (!timer_) {
    bufferevent_free(bev_);
    throw std::system_error(std::make_error_code(std::errc::not_enough_memory), "evtimer_new");
  }
}

transport::~transport() {
  if (timer_) event_free(timer_);
  if (bev_) bufferevent_free(bev_);
}

void transport::start() {
  if (started_ || ended_) return;
  started_ = true;
  bufferevent_setcb(bev_, &transport::on_read, &transport::on_write, &transport::on_event, this);
  bufferevent_setwatermark(bev_, EV_READ, 0, max_input_);
  // libevent reads and writes 16 KiB per call by default: a busy connection would make four
  // times the system calls the Asio transport makes.
  bufferevent_set_max_single_read(bev_, static_cast<ev_ssize_t>(std::min(max_input_, single_io_max)));
  bufferevent_set_max_single_write(bev_, static_cast<ev_ssize_t>(std::min(max_write_, single_io_max)));
  // The write callback comes once half of what was handed over went out: more output is
  // appended before the socket runs dry.
  bufferevent_setwatermark(bev_, EV_WRITE, max_write_ / 2, 0);
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
  timer_due_ = true;
  run();
}

void transport::flush() {
  if (!started_ || ended_) return;
  run();
}

void transport::abort() {
  if (ended_) return;
  const auto self = shared_from_this();
  engine_->abort();
  end(stream_errc::aborted);
}

std::size_t transport::write_backlog() const noexcept {
  return bev_ ? evbuffer_get_length(bufferevent_get_output(bev_)) : 0;
}

void transport::on_read(bufferevent*, void* p) {
  auto* self = static_cast<transport*>(p);
  if (self->ended_) return;
  self->read_ahead(false);
  self->run();
}

// libevent 2.1 reads at most 4096 bytes per readable event, whatever the bufferevent's max
// single read says: a busy connection would go round the loop (and the engine would answer
// with a disposition) once per 4 KiB. Once libevent said the socket is readable, more is read
// here, straight into the bufferevent's input buffer.
void transport::read_ahead(bool until_blocked) {
  evbuffer* input = bufferevent_get_input(bev_);
  const evutil_socket_t fd = bufferevent_getfd(bev_);
  std::size_t have = evbuffer_get_length(input);
  // At most read_ahead_max per event: the engine is fed and answers (credit, dispositions)
  // before more is read, so a sender is not left waiting while much of a credit window sits
  // in this buffer.
  std::size_t limit = input_held_ ? input_held_ : max_input_;
  if (!until_blocked) limit = std::min(limit, read_ahead_max);
  // The bufferevent keeps the end of its input buffer frozen, so that only its own reads add
  // to it; these reads are its reads' continuation, made the way it makes them.
  evbuffer_unfreeze(input, 0);
  struct refreeze {
    evbuffer* buffer;
    ~refreeze() { evbuffer_freeze(buffer, 0); }
  } refreeze_at_return{input};
  while (!input_closed_ && have < limit) {
    const std::size_t want = std::min(limit - have, single_io_max);
    evbuffer_iovec space[2];
    const int count = evbuffer_reserve_space(input, static_cast<ev_ssize_t>(want), space, 2);
    if (count <= 0) return;
    iovec io[2];
    std::size_t room = want;
    for (int i = 0; i < count; ++i) {
      io[i].iov_base = space[i].iov_base;
      io[i].iov_len = std::min(space[i].iov_len, room);
      room -= io[i].iov_len;
    }
    const ssize_t got = ::readv(fd, io, count);
    if (got <= 0) {
      evbuffer_commit_space(input, space, 0);
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
      // The end of the stream, or a failure: the bytes before it are fed first (feed_input).
      input_closed_ = true;
      input_ended_ = got == 0 ? std::error_code(stream_errc::eof)
                              : std::error_code(errno, std::system_category());
      bufferevent_disable(bev_, EV_READ);
      return;
    }
    std::size_t left = static_cast<std::size_t>(got);
    int used = 0;
    for (; used < count && left > 0; ++used) {
      space[used].iov_len = std::min(io[used].iov_len, left);
      left -= space[used].iov_len;
    }
    evbuffer_commit_space(input, space, used);
    have += static_cast<std::size_t>(got);
    // A short read means the socket has nothing more now; only an end explained by what
    // follows (fail_output) reads on to see the end of the stream.
    if (static_cast<std::size_t>(got) < want && !until_blocked) return;
  }
}

void transport::on_write(bufferevent*, void* self) { static_cast<transport*>(self)->run(); }

void transport::on_event(bufferevent*, short what, void* p) {
  auto* self = static_cast<transport*>(p);
  if (self->ended_) return;
  if (what & BEV_EVENT_ERROR) {
    const std::error_code ec(EVUTIL_SOCKET_ERROR(), std::system_category());
    if (what & BEV_EVENT_WRITING) {
      const auto keep = self->shared_from_this();
      self->fail_output(ec);
      return;
    }
    // A read error: the engine hears its input ended once the bytes before it are fed.
    self->input_closed_ = true;
    self->input_ended_ = ec;
  } else if (what & BEV_EVENT_EOF) {
    self->input_closed_ = true;
    self->input_ended_ = stream_errc::eof;
  }
  self->run();
}

void transport::on_timer(int, short, void* p) {
  auto* self = static_cast<transport*>(p);
  if (self->ended_) return;
  self->timer_at_.reset();
  self->timer_due_ = true;
  self->run();
}

// Every callback and every public call comes here. A hook that calls flush() re-enters: the
// inner call only asks the outer loop for another pass.
void transport::run() {
  if (running_) {
    rerun_ = true;
    return;
  }
  const auto self = shared_from_this();  // a hook may drop the owner's last reference
  running_ = true;
  struct running_reset {
    bool& flag;
    ~running_reset() { flag = false; }
  } reset{running_};
  do {
    rerun_ = false;
    step();
  } while (rerun_ && !ended_);
}

void transport::step() {
  if (ended_) return;
  const time_point now = clock::now();
  feed_input(now);
  if (ended_) return;
  if (timer_due_) {
    timer_due_ = false;
    engine_->handle_timeout(now);
    handler_->on_engine_events();
    if (ended_) return;
  }
  write_output();
  if (ended_) return;
  // The engine counts output as done once it is copied out, so the bufferevent must have
  // written it too before the socket may close.
  if (engine_->is_finished() && write_backlog() == 0) {
    end(error_);
    return;
  }
  if (!engine_->wants_input()) bufferevent_disable(bev_, EV_READ);
  arm_timer();
}

// Feeds the input buffer's bytes in place, chunk by chunk, draining what the engine took.
// The engine stops early when its event queue or its output is full: the hook drains the one,
// write_output() the other, then the rest goes in. If it still takes nothing, the bytes wait
// (the read watermark stops reading meanwhile) for the write callback or flush().
void transport::feed_input(time_point now) {
  evbuffer* input = bufferevent_get_input(bev_);
  bool refused_once = false;
  while (evbuffer_get_length(input) > 0) {
    if (!engine_->wants_input()) {
      // The conversation is over: the engine ignores the rest.
      evbuffer_drain(input, evbuffer_get_length(input));
      break;
    }
    evbuffer_iovec chunk;
    if (evbuffer_peek(input, -1, nullptr, &chunk, 1) < 1) break;
    const bytes_view bytes(static_cast<const std::uint8_t*>(chunk.iov_base), chunk.iov_len);
    const std::size_t used = engine_->feed(bytes, now);
    evbuffer_drain(input, used);
    handler_->on_engine_events();
    if (ended_) return;
    if (used == chunk.iov_len) {
      refused_once = false;
      continue;
    }
    write_output();
    if (ended_) return;
    if (used == 0) {
      if (refused_once) {
        hold_input(evbuffer_get_length(input));
        return;
      }
      refused_once = true;
    } else {
      refused_once = false;
    }
  }
  hold_input(0);
  // The end of the stream counts only after every byte before it.
  if (input_closed_ && input_ended_) {
    const std::error_code ec = std::exchange(input_ended_, {});
    if (engine_->wants_input()) {
      if (!error_) error_ = ec;
      engine_->feed_eof(now);
      handler_->on_engine_events();
    }
  }
}

// While the engine refuses input, the read high watermark drops to what is buffered, so the
// bufferevent stops reading at once instead of filling up to max_input_buffer; it goes back
// once the engine takes bytes again. `held` 0: not held.
void transport::hold_input(std::size_t held) {
  if (held == input_held_) return;
  input_held_ = held;
  bufferevent_setwatermark(bev_, EV_READ, 0, held ? held : max_input_);
}

// While nothing waits in the bufferevent, the engine's output is sent at once: handed to the
// bufferevent, even a small frame would cost two epoll_ctl calls (to watch for writability
// and to stop) and a loop turn. MSG_NOSIGNAL: no SIGPIPE from these writes. What the socket
// does not take is appended to the bufferevent, which writes it when the socket can take it;
// evbuffer_add copies, so consume_output() comes at once and the engine keeps no bytes pinned.
void transport::write_output() {
  if (ended_ || output_failed_) return;
  evbuffer* output = bufferevent_get_output(bev_);
  std::size_t queued = evbuffer_get_length(output);
  while (queued == 0) {
    const bytes_view out = engine_->pending_output();
    if (out.empty()) break;
    const ssize_t sent = ::send(bufferevent_getfd(bev_), out.data(), std::min(out.size(), max_write_),
                                MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      fail_output(std::error_code(errno, std::system_category()));
      return;
    }
    engine_->consume_output(static_cast<std::size_t>(sent));
    if (static_cast<std::size_t>(sent) < out.size()) break;  // the socket is full
  }
  while (queued < max_write_) {
    const bytes_view out = engine_->pending_output();
    if (out.empty()) break;
    const std::size_t n = std::min(out.size(), max_write_ - queued);
    if (evbuffer_add(output, out.data(), n) != 0) {
      fail_output(std::make_error_code(std::errc::not_enough_memory));
      return;
    }
    engine_->consume_output(n);
    queued += n;
  }
  // An empty output buffer gives no write callback, so the end of a finished engine's output
  // is noticed here: the low watermark is dropped to zero to hear when the last byte went.
  if (engine_->is_finished()) bufferevent_setwatermark(bev_, EV_WRITE, 0, 0);
}

// The socket cannot take more bytes: the engine hears its input ended too (the peer is gone)
// and what it still wanted to write is dropped. Once its input had ended anyway, the outcome
// was already decided, and only its last words are lost: not the reason the connection ended.
//
// What the peer sent before it went away is read and fed first: its last frames (a close with
// its reason) and the end of its stream explain the end better than the failed write does.
void transport::fail_output(std::error_code ec) {
  output_failed_ = true;
  if (!input_closed_) read_ahead(true);
  feed_input(clock::now());
  if (ended_) return;
  if (engine_->wants_input()) {
    if (!error_) error_ = ec;
    engine_->feed_eof(clock::now());
    handler_->on_engine_events();
    if (ended_) return;
  }
  engine_->abort();
  end(error_);
}

// One timer for every deadline. A later deadline does not re-arm: the earlier wait fires,
// handle_timeout() finds nothing due, and the timer is armed again at the engine's deadline
// then. Heartbeat deadlines move with every write; this keeps a busy connection at one
// wake-up per deadline period.
void transport::arm_timer() {
  const std::optional<time_point> deadline = engine_->next_deadline();
  if (!deadline) return;
  if (timer_at_ && *timer_at_ <= *deadline) return;
  timer_at_ = deadline;
  detail::arm_timer(timer_, *deadline - clock::now());
}

void transport::end(std::error_code ec) {
  ended_ = true;
  event_free(std::exchange(timer_, nullptr));
  // The FIN goes out before the close, as the Asio transport's does.
  if (const evutil_socket_t fd = bufferevent_getfd(bev_); fd >= 0) ::shutdown(fd, SHUT_WR);
  bufferevent_free(std::exchange(bev_, nullptr));  // no callback of ours runs after this
  engine_ = nullptr;
  transport_handler* handler = std::exchange(handler_, nullptr);
  handler->on_transport_end(ec);
}

}  // namespace amqp::libevent
