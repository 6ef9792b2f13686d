// The transport: one connection_engine pumped over one Asio byte stream (a TCP or UNIX socket,
// amqp::asio::memory_stream, anything that is an AsyncReadStream and an AsyncWriteStream). It
// reads into the engine, writes what the engine has to say, keeps one timer at the engine's
// next deadline, and tells its owner when events wait and when the connection is over. It
// knows nothing of messaging, addresses or reconnection: that is the owner's business. TLS is
// the engine's, so a TLS connection uses a plain stream.
//
//   struct connection : amqp::asio::transport_handler {
//     amqp::connection_engine engine{{.role = amqp::engine_role::client}};
//     std::shared_ptr<amqp::asio::tcp_transport> transport;
//
//     void start(asio::ip::tcp::socket socket) {      // connected, on a strand
//       (void)engine.open({.container_id = "app-1"});
//       transport = amqp::asio::tcp_transport::create(std::move(socket), engine, *this);
//       transport->start();
//     }
//     void on_engine_events() override {
//       while (auto e = engine.poll_event()) handle(*e);  // may call any engine command
//     }
//     void on_transport_end(std::error_code error) override {
//       // Over: error names the stream's failure (connection_reset, eof), or is empty when
//       // the engine finished by itself. Reconnect with a new engine and transport here.
//     }
//   };
//
// Threading: one engine per connection and one transport per engine. Every call on the
// transport and on its engine, and every hook, happens on the stream's executor; the
// io_context may run on several threads when that executor is a strand (one per connection).
// An owner acting from elsewhere (another thread, a timer of its own) posts onto that
// executor, issues its engine commands there, then calls flush().
//
// Lifetime: create() returns a shared_ptr and every pending operation holds one, so the
// transport lives until its last handler ran. The engine and the transport_handler are
// borrowed: they must outlive the transport's activity, which ends when on_transport_end()
// returns. abort() ends it at once (calling on_transport_end() before it returns), after which
// the owner may destroy the engine and the handler even while operations are still pending:
// those complete without touching either.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/bind_allocator.hpp>
#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/recycling_allocator.hpp>
#include <asio/socket_base.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "amqp/engine.hpp"

namespace amqp::asio {

// The owner's hooks. An interface rather than two std::function members: the owner is one
// object (a container's connection) that implements both, the transport keeps one pointer
// whose lifetime rule is stated once, and nothing is type-erased or allocated per connection.
// An exception thrown from a hook leaves through the io_context's run(); the transport then
// does nothing until flush() or abort().
class transport_handler {
 public:
  // Events may wait in the engine: poll them now. Called on the stream's executor after every
  // feed(), feed_eof() and handle_timeout(). Any engine command may be given from here, and
  // flush() is not needed afterwards: the transport writes once this returns. Events left
  // unpolled stay in the engine, and once limits::max_pending_events of them wait the engine
  // stops reading; poll them later and call flush() to resume.
  virtual void on_engine_events() = 0;
  // The connection is over, exactly once: the engine finished and its last bytes were written,
  // or the stream failed, or abort() was called. `error` is empty when the engine finished by
  // itself (both closes exchanged, or the engine gave up: a timeout, a protocol error; its
  // transport_closed event says which); otherwise the stream's failure that ended it
  // (asio::error::eof when the peer's stream ended before its close, connection_reset,
  // broken_pipe, ...) or asio::error::operation_aborted after abort(). The stream is closed
  // by then; the transport no longer uses the engine or this handler.
  virtual void on_transport_end(std::error_code error) = 0;

 protected:
  ~transport_handler() = default;
};

struct transport_options {
  // Bytes read per read: one buffer, allocated once, reused for every read.
  std::size_t read_buffer_size = 64 * 1024;
  // Most bytes taken from the engine for one write. What the transport holds beyond the
  // engine's output_backlog() is bounded by this (see basic_transport::write_backlog()).
  std::size_t max_write_size = 256 * 1024;
};

// How the transport closes its stream when the connection is over: a customisation point
// found by argument-dependent lookup, so that a stream type of your own can say how it
// closes with a `void close_stream(your_stream&)` in its namespace. The default shuts the
// sending side down when the stream can (a socket sends its FIN before it closes), then calls
// close(ec). Errors are ignored: the connection is over either way.
template <class Stream>
void close_stream(Stream& stream) noexcept {
  std::error_code ignored;
  if constexpr (requires { stream.shutdown(::asio::socket_base::shutdown_send, ignored); })
    stream.shutdown(::asio::socket_base::shutdown_send, ignored);
  if constexpr (requires { stream.close(ignored); })
    stream.close(ignored);
  else if constexpr (requires { stream.lowest_layer().close(ignored); })
    stream.lowest_layer().close(ignored);
  else
    static_assert(sizeof(Stream) == 0,
                  "this stream has no close(error_code&): declare close_stream(Stream&)");
}

template <class Stream>
class basic_transport : public std::enable_shared_from_this<basic_transport<Stream>> {
  struct private_key {
    explicit private_key() = default;
  };

 public:
  using stream_type = Stream;
  using executor_type = typename Stream::executor_type;

  // A transport for `engine` over `stream`, which is connected (a client engine has usually
  // been open()ed already, so its protocol header goes out first). Nothing happens before
  // start(). Throws std::bad_alloc.
  static std::shared_ptr<basic_transport> create(Stream stream, connection_engine& engine,
                                                 transport_handler& handler,
                                                 const transport_options& options = {}) {
    return std::make_shared<basic_transport>(private_key(), std::move(stream), engine, handler,
                                             options);
  }

  // For create() only (std::make_shared needs it public).
  basic_transport(private_key, Stream&& stream, connection_engine& engine,
                  transport_handler& handler, const transport_options& options)
      : stream_(std::move(stream)),
        executor_(stream_.get_executor()),
        timer_(executor_),
        engine_(&engine),
        handler_(&handler),
        read_buffer_(std::max<std::size_t>(options.read_buffer_size, 1)),
        max_write_(std::max<std::size_t>(options.max_write_size, 1)) {}

  basic_transport(const basic_transport&) = delete;
  basic_transport& operator=(const basic_transport&) = delete;

  executor_type get_executor() const noexcept { return executor_; }
  // The stream, for its options (TCP_NODELAY, keep-alive) and its endpoints. Do not read,
  // write or close it: the transport does.
  Stream& stream() noexcept { return stream_; }
  const Stream& stream() const noexcept { return stream_; }

  // Starts pumping: gives the engine the time (its handshake timeout counts from here),
  // writes what it has, starts reading and arms the timer. Call once, on the executor (or
  // before anything else runs there). May call on_engine_events(), and on_transport_end()
  // when the engine is already finished.
  void start() {
    if (started_ || ended_) return;
    started_ = true;
    const auto self = this->shared_from_this();
    timer_due_ = true;
    run();
  }

  // Writes what the engine has to say and re-arms the timer to its deadline, and goes on
  // reading if the engine stopped because events were left unpolled. For commands given
  // outside on_engine_events() (which needs none). On the executor; does nothing once ended.
  void flush() {
    if (!started_ || ended_) return;
    const auto self = this->shared_from_this();
    run();
  }

  // Ends the connection now: the engine is aborted (its unwritten output dropped, no close
  // sent), the stream closed, and on_transport_end(operation_aborted) called before this
  // returns, unless the connection was already over. Works before start() too. On the
  // executor; may be called from inside on_engine_events().
  void abort() {
    if (ended_) return;
    const auto self = this->shared_from_this();
    engine_->abort();
    end(::asio::error::operation_aborted);
  }

  // Whether on_transport_end() was called.
  bool is_ended() const noexcept { return ended_; }

  // Bytes taken from the engine and not yet written: the write in flight. A sender bounding
  // what waits adds this to connection_engine::output_backlog().
  std::size_t write_backlog() const noexcept { return writing_ ? write_buffer_.size() : 0; }

 private:
  using clock = std::chrono::steady_clock;
  using timer_type = ::asio::basic_waitable_timer<clock, ::asio::wait_traits<clock>, executor_type>;

  // Handlers carry Asio's per-thread recycling allocator: once warm, the read, write and
  // timer operations of a busy connection reuse their memory instead of allocating.
  template <class F>
  auto with_allocator(F&& f) {
    return ::asio::bind_allocator(::asio::recycling_allocator<void>(), std::forward<F>(f));
  }

  // Every completion and every public call comes here. A hook that calls flush() re-enters:
  // the inner call only asks the outer loop for another pass.
  void run() {
    if (running_) {
      rerun_ = true;
      return;
    }
    running_ = true;
    // Reset even when a hook throws, so that flush() or abort() can still act afterwards.
    struct running_reset {
      bool& flag;
      ~running_reset() { flag = false; }
    } reset{running_};
    do {
      rerun_ = false;
      step();
    } while (rerun_ && !ended_);
  }

  void step() {
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
    // The engine counts output as done once it is copied out, so the write in flight must
    // finish too before the stream may close.
    if (engine_->is_finished() && !writing_) {
      end(error_);
      return;
    }
    read_input();
    arm_timer();
  }

  // Feeds what was read and not consumed yet. The engine stops early when its event queue
  // or its output is full: the hook drains the one, the write the other, then the rest goes
  // in. If it still takes nothing, the bytes wait for the write to complete or for flush().
  void feed_input(time_point now) {
    bool refused_once = false;
    while (input_begin_ < input_end_) {
      if (!engine_->wants_input()) {
        input_begin_ = input_end_;  // the conversation is over: the engine ignores the rest
        break;
      }
      const bytes_view bytes(read_buffer_.data() + input_begin_, input_end_ - input_begin_);
      const std::size_t used = engine_->feed(bytes, now);
      input_begin_ += used;
      handler_->on_engine_events();
      if (ended_) return;
      if (input_begin_ == input_end_) break;
      write_output();
      if (used == 0) {
        if (refused_once) return;
        refused_once = true;
      } else {
        refused_once = false;
      }
    }
    input_begin_ = input_end_ = 0;
    // The end of the stream counts only after every byte before it.
    if (input_ended_) {
      const std::error_code ec = std::exchange(input_ended_, {});
      if (engine_->wants_input()) {
        if (!error_) error_ = ec;
        engine_->feed_eof(now);
        handler_->on_engine_events();
      }
    }
  }

  void read_input() {
    if (reading_ || input_closed_ || input_begin_ != input_end_ || !engine_->wants_input()) return;
    reading_ = true;
    auto done = [self = this->shared_from_this()](std::error_code ec, std::size_t n) {
      self->on_read(ec, n);
    };
    stream_.async_read_some(::asio::buffer(read_buffer_), with_allocator(std::move(done)));
  }

  void on_read(std::error_code ec, std::size_t n) {
    reading_ = false;
    if (ended_) return;
    input_begin_ = 0;
    input_end_ = n;
    if (ec) {
      // EOF or a failure: either way nothing more will be read. A read error is given to the
      // engine as the end of its input (it reports the connection aborted) and kept to name
      // in on_transport_end().
      input_closed_ = true;
      input_ended_ = ec;
    }
    run();
  }

  // The bytes of pending_output() are copied into a buffer of the transport before they are
  // written. The engine's view is valid only until its next non-const call, and the owner's
  // hook gives commands (send(), settle(), ...) while a write is in flight: those append to
  // the engine's output buffer, which may then move, and with TLS the view is the TLS stage's
  // buffer, which changes with every record. The copy is one memcpy per byte written, small
  // beside the kernel's own copy, and lets consume_output() be called at once, so the engine
  // keeps no bytes pinned.
  void write_output() {
    if (writing_ || ended_) return;
    write_buffer_.clear();
    while (write_buffer_.size() < max_write_) {
      const bytes_view out = engine_->pending_output();
      if (out.empty()) break;
      const std::size_t n = std::min(out.size(), max_write_ - write_buffer_.size());
      write_buffer_.insert(write_buffer_.end(), out.begin(),
                           out.begin() + static_cast<std::ptrdiff_t>(n));
      engine_->consume_output(n);
    }
    if (write_buffer_.empty()) return;
    writing_ = true;
    auto done = [self = this->shared_from_this()](std::error_code ec, std::size_t) {
      self->on_write(ec);
    };
    ::asio::async_write(stream_, ::asio::buffer(write_buffer_), with_allocator(std::move(done)));
  }

  void on_write(std::error_code ec) {
    writing_ = false;
    if (ended_) return;
    if (ec) {
      fail_output(ec);
      return;
    }
    run();
  }

  // The stream cannot take more bytes: the engine hears that its input ended too (the peer is
  // gone), and what it still wanted to write is dropped. Once the engine's input had ended
  // (the peer's close arrived, or the engine gave up) the outcome was already decided and
  // reported, and only its last words are lost (a close answer, TLS close_notify to a peer
  // that already closed): that failure is not the reason the connection ended.
  void fail_output(std::error_code ec) {
    if (engine_->wants_input()) {
      if (!error_) error_ = ec;
      engine_->feed_eof(clock::now());
      handler_->on_engine_events();
      if (ended_) return;
    }
    engine_->abort();
    end(error_);
  }

  // One timer for every deadline. Arming costs a cancel and a queue insertion, so a later
  // deadline does not re-arm: the earlier wait fires, handle_timeout() finds nothing due, and
  // the timer is armed again at the engine's deadline then. Heartbeat deadlines move with
  // every write; this keeps a busy connection at one wake-up per deadline period.
  void arm_timer() {
    const std::optional<time_point> deadline = engine_->next_deadline();
    if (!deadline) return;  // a wait still armed fires once, finding nothing to do
    if (timer_at_ && *timer_at_ <= *deadline) return;
    timer_at_ = deadline;
    const std::uint64_t generation = ++timer_generation_;
    timer_.expires_at(*deadline);  // completes an earlier wait with operation_aborted
    auto done = [self = this->shared_from_this(), generation](std::error_code) {
      self->on_timer(generation);
    };
    timer_.async_wait(with_allocator(std::move(done)));
  }

  void on_timer(std::uint64_t generation) {
    // A wait replaced by an earlier one, or cancelled at the end, has an old generation.
    if (ended_ || generation != timer_generation_) return;
    timer_at_.reset();
    timer_due_ = true;
    run();
  }

  void end(std::error_code ec) {
    ended_ = true;
    ++timer_generation_;
    timer_.cancel();  // cannot fail on a timer
    close_stream(stream_);
    engine_ = nullptr;
    transport_handler* handler = std::exchange(handler_, nullptr);
    handler->on_transport_end(ec);
  }

  Stream stream_;
  executor_type executor_;
  timer_type timer_;
  connection_engine* engine_;
  transport_handler* handler_;

  std::vector<std::uint8_t> read_buffer_;
  std::size_t input_begin_ = 0;  // read_buffer_[input_begin_, input_end_) is not fed yet
  std::size_t input_end_ = 0;
  std::error_code input_ended_;  // the read side's end (eof, an error), once the bytes are fed
  std::vector<std::uint8_t> write_buffer_;  // the write in flight, while writing_
  std::size_t max_write_;

  std::optional<time_point> timer_at_;  // when the armed wait fires; empty: none armed
  std::uint64_t timer_generation_ = 0;
  std::error_code error_;  // the stream's failure that ends the connection

  bool started_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool input_closed_ = false;
  bool timer_due_ = false;
  bool running_ = false;
  bool rerun_ = false;
  bool ended_ = false;
};

// The usual case: a TCP socket, its executor a strand per connection.
using tcp_transport = basic_transport<::asio::ip::tcp::socket>;

}  // namespace amqp::asio
