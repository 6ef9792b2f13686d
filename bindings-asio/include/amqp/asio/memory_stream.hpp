// An in-memory, connected pair of byte streams: an AsyncReadStream and AsyncWriteStream like a
// TCP socket, without a kernel. What one end writes, the other end reads, in order. It lets a
// connection (or a whole application) be tested on an io_context without sockets, and lets a
// test inject what networks do: a peer's end of stream, a reset, reads that deliver a few bytes
// at a time, a peer whose bytes stop arriving.
//
//   asio::io_context io;
//   auto [a, b] = amqp::asio::memory_stream::make_pair(io.get_executor());
//   b.set_max_read_size(1);                       // b's reads deliver one byte at a time
//   asio::async_write(a, asio::buffer("hello", 5), [](std::error_code, std::size_t) {});
//   a.shutdown(asio::socket_base::shutdown_send); // b reads "hello", then asio::error::eof
//
// Threading: like a socket, one end is not safe to use from two threads at once, but the two
// ends may be used concurrently (each on its own strand): they share a mutex-protected state.
// Completion handlers never run inside the call that starts an operation; they are posted to
// their associated executor (by default the end's executor), as a socket's would be.
//
// Lifetime: each end must be destroyed (or closed) before its execution context, as for any
// Asio I/O object; a read still pending at that point is never completed.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/associated_allocator.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/bind_allocator.hpp>
#include <asio/bind_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/recycling_allocator.hpp>
#include <asio/socket_base.hpp>

namespace amqp::asio {

namespace detail {

// A read waiting for bytes, its handler and buffers type-erased so that the shared state can
// complete it from the writing end.
class memory_read {
 public:
  // Copies as much of `bytes` as the read's buffers hold; returns how much.
  virtual std::size_t fill(::asio::const_buffer bytes) = 0;
  // Posts the handler with the result and frees the operation.
  virtual void complete(std::error_code ec, std::size_t n) = 0;

 protected:
  ~memory_read() = default;
};

// Handlers without an allocator of their own get Asio's per-thread recycling one, as Asio's
// own operations do: a read that waits then costs no heap allocation once warm.
template <class Handler>
auto operation_allocator(const Handler& handler) {
  using associated = ::asio::associated_allocator_t<Handler>;
  if constexpr (std::is_same_v<associated, std::allocator<void>>)
    return ::asio::recycling_allocator<void>();
  else
    return ::asio::get_associated_allocator(handler);
}

// Posts `handler(ec, n)` through `io` to the handler's own executor, with the handler's
// allocator: never inline, and on the strand the handler is bound to.
template <class Handler>
void post_completion(const ::asio::any_io_executor& io, Handler handler, std::error_code ec,
                     std::size_t n) {
  auto executor = ::asio::get_associated_executor(handler, io);
  auto allocator = operation_allocator(handler);
  auto call = [h = std::move(handler), ec, n]() mutable { std::move(h)(ec, n); };
  ::asio::post(io,
               ::asio::bind_executor(executor, ::asio::bind_allocator(allocator, std::move(call))));
}

template <class Handler, class Buffers>
class memory_read_op final : public memory_read {
 public:
  using allocator_type = typename std::allocator_traits<decltype(operation_allocator(
      std::declval<const Handler&>()))>::template rebind_alloc<memory_read_op>;
  // The executor that keeps the context running while the read waits.
  using work_executor =
      std::decay_t<decltype(::asio::prefer(std::declval<const ::asio::any_io_executor&>(),
                                           ::asio::execution::outstanding_work.tracked))>;

  static memory_read_op* create(Handler handler, const Buffers& buffers,
                                const ::asio::any_io_executor& io) {
    allocator_type allocator(operation_allocator(handler));
    memory_read_op* op = std::allocator_traits<allocator_type>::allocate(allocator, 1);
    try {
      std::allocator_traits<allocator_type>::construct(allocator, op, std::move(handler), buffers,
                                                       io);
    } catch (...) {
      std::allocator_traits<allocator_type>::deallocate(allocator, op, 1);
      throw;
    }
    return op;
  }

  memory_read_op(Handler handler, const Buffers& buffers, const ::asio::any_io_executor& io)
      : handler_(std::move(handler)),
        buffers_(buffers),
        work_(::asio::prefer(io, ::asio::execution::outstanding_work.tracked)) {}

  std::size_t fill(::asio::const_buffer bytes) override {
    return ::asio::buffer_copy(buffers_, bytes);
  }

  void complete(std::error_code ec, std::size_t n) override {
    // The memory goes back before the handler runs, so that the handler's next read can
    // reuse it.
    Handler handler(std::move(handler_));
    const ::asio::any_io_executor io(std::move(work_));
    allocator_type allocator(operation_allocator(handler));
    std::allocator_traits<allocator_type>::destroy(allocator, this);
    std::allocator_traits<allocator_type>::deallocate(allocator, this, 1);
    post_completion(io, std::move(handler), ec, n);
  }

 private:
  Handler handler_;
  Buffers buffers_;
  work_executor work_;
};

// What both ends share: for each end, the bytes waiting for it and how its reads behave.
struct memory_pair_state {
  struct end {
    std::vector<std::uint8_t> incoming;  // written by the other end, not read yet
    std::size_t read_from = 0;           // incoming[read_from..] is unread
    bool incoming_ended = false;         // the other end shut down its sending side or closed
    bool closed = false;
    bool paused = false;
    std::size_t max_read = 0;  // 0: no limit
    std::error_code error;     // injected: every later read and write fails with it
    memory_read* read = nullptr;
  };

  // A read that can complete now, and how.
  struct completion {
    memory_read* read = nullptr;
    std::error_code ec;
    std::size_t n = 0;
    void run() {
      if (read) read->complete(ec, n);
    }
  };

  // With the mutex held: completes end `i`'s waiting read if it can, taking its bytes.
  completion take(int i) {
    end& e = ends[i];
    if (!e.read) return {};
    completion c{e.read, {}, 0};
    if (e.closed) {
      c.ec = ::asio::error::operation_aborted;
    } else if (e.error) {
      c.ec = e.error;
    } else if (e.paused) {
      return {};
    } else if (e.read_from < e.incoming.size()) {
      std::size_t available = e.incoming.size() - e.read_from;
      if (e.max_read) available = std::min(available, e.max_read);
      c.n = e.read->fill(::asio::buffer(e.incoming.data() + e.read_from, available));
      e.read_from += c.n;
      // Everything read: start again at the front, keeping the capacity. A reader that
      // never catches up (small reads, a busy writer) has the read part dropped once it is
      // most of the buffer, so the buffer does not creep forward without bound.
      if (e.read_from == e.incoming.size()) {
        e.incoming.clear();
        e.read_from = 0;
      } else if (e.read_from >= 64 * 1024 && e.read_from * 2 >= e.incoming.size()) {
        e.incoming.erase(e.incoming.begin(),
                         e.incoming.begin() + static_cast<std::ptrdiff_t>(e.read_from));
        e.read_from = 0;
      }
    } else if (e.incoming_ended) {
      c.ec = ::asio::error::eof;
    } else {
      return {};
    }
    e.read = nullptr;
    return c;
  }

  std::mutex mutex;
  end ends[2];
};

}  // namespace detail

class memory_stream {
 public:
  using executor_type = ::asio::any_io_executor;

  // Two connected ends, each on its own executor (for instance a strand per end), or both on
  // one. Allocates the shared state; throws std::bad_alloc.
  static std::pair<memory_stream, memory_stream> make_pair(const executor_type& a,
                                                           const executor_type& b) {
    auto state = std::make_shared<detail::memory_pair_state>();
    return {memory_stream(state, 0, a), memory_stream(state, 1, b)};
  }
  static std::pair<memory_stream, memory_stream> make_pair(const executor_type& executor) {
    return make_pair(executor, executor);
  }

  memory_stream(memory_stream&& other) noexcept
      : state_(std::move(other.state_)), side_(other.side_), executor_(other.executor_) {}
  memory_stream& operator=(memory_stream&& other) noexcept {
    if (this != &other) {
      std::error_code ignored;
      close(ignored);
      state_ = std::move(other.state_);
      side_ = other.side_;
      executor_ = other.executor_;
    }
    return *this;
  }
  memory_stream(const memory_stream&) = delete;
  memory_stream& operator=(const memory_stream&) = delete;
  // Closes this end: the other end reads the end of stream.
  ~memory_stream() {
    std::error_code ignored;
    close(ignored);
  }

  executor_type get_executor() const noexcept { return executor_; }

  // Reads at least one byte (at most set_max_read_size()) into `buffers` once some are there.
  // The handler gets asio::error::eof after the other end shut down its sending side and
  // everything before was read; operation_aborted when this end is closed meanwhile;
  // bad_descriptor on a closed end; already_started while another read waits; the injected
  // error. The buffers must stay valid until the handler runs.
  template <class MutableBufferSequence,
            class ReadToken = ::asio::default_completion_token_t<executor_type>>
  auto async_read_some(const MutableBufferSequence& buffers,
                       ReadToken&& token = ::asio::default_completion_token_t<executor_type>()) {
    return ::asio::async_initiate<ReadToken, void(std::error_code, std::size_t)>(
        initiate_read{this}, token, buffers);
  }

  // Writes all of `buffers` (the other end buffers without bound) and completes with their
  // size; once the other end is closed the bytes are dropped. Errors: broken_pipe after this
  // end shut down its sending side; bad_descriptor on a closed end; the injected error.
  template <class ConstBufferSequence,
            class WriteToken = ::asio::default_completion_token_t<executor_type>>
  auto async_write_some(const ConstBufferSequence& buffers,
                        WriteToken&& token = ::asio::default_completion_token_t<executor_type>()) {
    return ::asio::async_initiate<WriteToken, void(std::error_code, std::size_t)>(
        initiate_write{this}, token, buffers);
  }

  // shutdown_send (or both): the other end reads asio::error::eof once it has read what was
  // written before. shutdown_receive changes nothing. bad_descriptor on a closed end.
  void shutdown(::asio::socket_base::shutdown_type what, std::error_code& ec) {
    ec = {};
    if (!state_) {
      ec = ::asio::error::bad_descriptor;
      return;
    }
    if (what == ::asio::socket_base::shutdown_receive) return;
    detail::memory_pair_state::completion peer;
    {
      std::lock_guard lock(state_->mutex);
      if (state_->ends[side_].closed) {
        ec = ::asio::error::bad_descriptor;
        return;
      }
      state_->ends[1 - side_].incoming_ended = true;
      peer = state_->take(1 - side_);
    }
    peer.run();
  }

  // Closes this end: its waiting read completes with operation_aborted, the other end reads
  // the end of stream, and later operations fail with bad_descriptor. Closing twice is fine.
  void close(std::error_code& ec) {
    ec = {};
    if (!state_) return;
    detail::memory_pair_state::completion self;
    detail::memory_pair_state::completion peer;
    {
      std::lock_guard lock(state_->mutex);
      detail::memory_pair_state::end& e = state_->ends[side_];
      if (e.closed) return;
      e.closed = true;
      e.incoming.clear();
      e.incoming.shrink_to_fit();
      e.read_from = 0;
      state_->ends[1 - side_].incoming_ended = true;
      self = state_->take(side_);
      peer = state_->take(1 - side_);
    }
    self.run();
    peer.run();
  }
  void close() {
    std::error_code ignored;
    close(ignored);
  }
  bool is_open() const {
    if (!state_) return false;
    std::lock_guard lock(state_->mutex);
    return !state_->ends[side_].closed;
  }

  // --- what tests inject ----------------------------------------------------------------------

  // Each read of this end delivers at most `n` bytes (0: as many as the buffers hold), to
  // exercise a reader's handling of bytes cut anywhere.
  void set_max_read_size(std::size_t n) {
    if (!state_) return;
    std::lock_guard lock(state_->mutex);
    state_->ends[side_].max_read = n;
  }

  // Every read and write of this end fails with `ec` from now on, a waiting read at once: as a
  // socket does after the peer reset the connection (asio::error::connection_reset). The
  // other end notices nothing until this end is closed.
  void inject_error(std::error_code ec) {
    if (!state_) return;
    detail::memory_pair_state::completion self;
    {
      std::lock_guard lock(state_->mutex);
      state_->ends[side_].error = ec;
      self = state_->take(side_);
    }
    self.run();
  }

  // While paused, this end's reads wait even when bytes are there: the other end's bytes stop
  // arriving, as over a network that went silent, without the other end knowing.
  void set_read_paused(bool paused) {
    if (!state_) return;
    detail::memory_pair_state::completion self;
    {
      std::lock_guard lock(state_->mutex);
      state_->ends[side_].paused = paused;
      self = state_->take(side_);
    }
    self.run();
  }

 private:
  memory_stream(std::shared_ptr<detail::memory_pair_state> state, int side,
                const executor_type& executor)
      : state_(std::move(state)), side_(side), executor_(executor) {}

  struct initiate_read {
    memory_stream* self;
    using executor_type = memory_stream::executor_type;
    executor_type get_executor() const noexcept { return self->executor_; }
    template <class Handler, class MutableBufferSequence>
    void operator()(Handler&& handler, const MutableBufferSequence& buffers) const {
      self->start_read(std::forward<Handler>(handler), buffers);
    }
  };
  struct initiate_write {
    memory_stream* self;
    using executor_type = memory_stream::executor_type;
    executor_type get_executor() const noexcept { return self->executor_; }
    template <class Handler, class ConstBufferSequence>
    void operator()(Handler&& handler, const ConstBufferSequence& buffers) const {
      self->start_write(std::forward<Handler>(handler), buffers);
    }
  };

  template <class Handler, class MutableBufferSequence>
  void start_read(Handler&& handler, const MutableBufferSequence& buffers) {
    using handler_type = std::decay_t<Handler>;
    handler_type h(std::forward<Handler>(handler));
    std::error_code refused;
    detail::memory_pair_state::completion done;
    bool waiting = false;
    if (!state_) {
      refused = ::asio::error::bad_descriptor;
    } else {
      std::lock_guard lock(state_->mutex);
      detail::memory_pair_state::end& e = state_->ends[side_];
      if (e.closed) {
        refused = ::asio::error::bad_descriptor;
      } else if (e.read) {
        refused = ::asio::error::already_started;
      } else if (::asio::buffer_size(buffers) > 0) {
        // An empty read completes at once with nothing, as a socket's does; any other waits
        // here until take() finds bytes, an end or an error for it.
        e.read = detail::memory_read_op<handler_type, MutableBufferSequence>::create(
            std::move(h), buffers, executor_);
        waiting = true;
        done = state_->take(side_);
      }
    }
    if (waiting) {
      done.run();
      return;
    }
    detail::post_completion(executor_, std::move(h), refused, 0);
  }

  template <class Handler, class ConstBufferSequence>
  void start_write(Handler&& handler, const ConstBufferSequence& buffers) {
    using handler_type = std::decay_t<Handler>;
    std::error_code ec;
    std::size_t written = 0;
    detail::memory_pair_state::completion peer;
    if (!state_) {
      ec = ::asio::error::bad_descriptor;
    } else {
      std::lock_guard lock(state_->mutex);
      detail::memory_pair_state::end& self = state_->ends[side_];
      detail::memory_pair_state::end& other = state_->ends[1 - side_];
      if (self.closed)
        ec = ::asio::error::bad_descriptor;
      else if (self.error)
        ec = self.error;
      else if (other.incoming_ended && !other.closed)
        ec = ::asio::error::broken_pipe;  // this end shut its sending side down
      if (!ec) {
        for (auto it = ::asio::buffer_sequence_begin(buffers);
             it != ::asio::buffer_sequence_end(buffers); ++it) {
          const ::asio::const_buffer b(*it);
          // A closed end drops what arrives, as a kernel accepts bytes for a peer that has
          // closed until its reset comes back.
          if (!other.closed) {
            const auto* p = static_cast<const std::uint8_t*>(b.data());
            other.incoming.insert(other.incoming.end(), p, p + b.size());
          }
          written += b.size();
        }
        peer = state_->take(1 - side_);
      }
    }
    peer.run();
    detail::post_completion(executor_, handler_type(std::forward<Handler>(handler)), ec, written);
  }

  std::shared_ptr<detail::memory_pair_state> state_;
  int side_ = 0;
  executor_type executor_;
};

}  // namespace amqp::asio
