// The transport: one connection_engine pumped over one connected socket on a libevent
// event_base. A bufferevent (bufferevent_socket_new with BEV_OPT_CLOSE_ON_FREE and
// BEV_OPT_DEFER_CALLBACKS) does the socket I/O; the transport peeks its input with
// evbuffer_peek, feeds the engine without copying, drains what the engine consumed, hands the
// engine's output over after every engine call, and keeps one evtimer at the engine's next
// deadline. TLS is the engine's: the socket carries whatever the engine writes.
//
// Two shortcuts keep the system calls as few as the Asio transport's: once libevent said the
// socket is readable, the transport reads the rest into the bufferevent's input itself
// (libevent 2.1 reads 4 KiB per event), and while the bufferevent has nothing waiting to be
// written, output is sent at once, only what the socket does not take being left to it.
//
//   struct connection : amqp::libevent::transport_handler {
//     amqp::connection_engine engine{{.role = amqp::engine_role::client}};
//     std::shared_ptr<amqp::libevent::transport> transport;
//
//     void start(event_base& base, evutil_socket_t fd) {     // a connected socket
//       (void)engine.open({.container_id = "app-1"});
//       transport = amqp::libevent::transport::create(base, fd, engine, *this);
//       transport->start();
//     }
//     void on_engine_events() override {
//       while (auto e = engine.poll_event()) handle(*e);  // may call any engine command
//     }
//     void on_transport_end(std::error_code error) override {
//       // Over: error is empty when the engine finished by itself, stream_errc::eof when the
//       // peer's stream ended first, or the socket's errno (std::system_category()).
//     }
//   };
//
// Flow control: the bufferevent reads until its input holds max_input_buffer bytes (its read
// high watermark). While the engine refuses bytes (its event queue or its output is full) the
// watermark drops to what is buffered, so reading stops until the engine takes them: a peer
// that sends faster than the application handles events is slowed down by TCP instead of
// filling memory. The engine's output moves into the bufferevent while it
// holds less than max_write_size; the rest waits in the engine (output_backlog()), and the
// write low watermark brings more once half of it went out.
//
// SIGPIPE: libevent writes with writev(), which raises SIGPIPE when the peer has gone. The
// first transport made sets SIGPIPE to SIG_IGN if it still has its default action (which would
// kill the process), so that the failed write ends the connection with EPIPE instead. An
// application with a SIGPIPE handler of its own keeps it.
//
// Threading: the transport, its engine and every hook run on the thread that runs the
// event_base. An owner acting from elsewhere hands its work to that thread (event_active on an
// event of its own), issues its engine commands there, then calls flush().
//
// Lifetime: create() returns a shared_ptr; the transport keeps itself alive while one of its
// callbacks runs. The engine and the transport_handler are borrowed: they must outlive the
// transport's activity, which ends when on_transport_end() returns (the socket is closed by
// then, and no callback of the transport runs again).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>

#include "amqp/engine.hpp"

struct event_base;
struct event;
struct bufferevent;

namespace amqp::libevent {

// How a stream ended when the socket gave no errno.
enum class stream_errc {
  eof = 1,  // the peer's end of stream came before the engine finished
  aborted,  // abort() was called
};
const std::error_category& stream_category() noexcept;
std::error_code make_error_code(stream_errc e) noexcept;

// The owner's hooks: the same contract as amqp::asio::transport_handler.
class transport_handler {
 public:
  // Events may wait in the engine: poll them now. Called after every feed(), feed_eof() and
  // handle_timeout(). Any engine command may be given from here; the transport writes once
  // this returns. Events left unpolled stay in the engine, and once limits::max_pending_events
  // of them wait the engine stops reading: poll them later and call flush() to resume.
  virtual void on_engine_events() = 0;
  // The connection is over, exactly once: empty `error` when the engine finished by itself
  // (both closes exchanged, or it gave up; its transport_closed event says why), otherwise
  // what ended the stream. The socket is closed by then.
  virtual void on_transport_end(std::error_code error) = 0;

 protected:
  ~transport_handler() = default;
};

struct transport_options {
  // Bytes the bufferevent reads ahead at most (its read high watermark).
  std::size_t max_input_buffer = 256 * 1024;
  // Bytes of the engine's output handed to the bufferevent at most; see write_backlog().
  std::size_t max_write_size = 256 * 1024;
};

class transport : public std::enable_shared_from_this<transport> {
  struct private_key {
    explicit private_key() = default;
  };

 public:
  // A transport for `engine` over the connected socket `fd`, which it now owns (closed when
  // the transport ends). Nothing happens before start(). Throws std::bad_alloc, or
  // std::system_error when libevent cannot make the bufferevent or the timer.
  static std::shared_ptr<transport> create(event_base& base, int fd, connection_engine& engine,
                                           transport_handler& handler,
                                           const transport_options& options = {});

  transport(private_key, event_base& base, int fd, connection_engine& engine,
            transport_handler& handler, const transport_options& options);
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  // Starts pumping: gives the engine the time, writes what it has, starts reading and arms
  // the timer. May call on_engine_events(), and on_transport_end() when the engine is
  // already finished.
  void start();
  // Writes what the engine has to say, re-arms the timer and goes on feeding input the engine
  // refused before: for commands given outside on_engine_events(). Does nothing once ended.
  void flush();
  // Ends the connection now: the engine is aborted (no close sent), the socket closed, and
  // on_transport_end(stream_errc::aborted) called before this returns, unless already over.
  void abort();

  bool is_ended() const noexcept { return ended_; }
  // Bytes taken from the engine and not yet written to the socket.
  std::size_t write_backlog() const noexcept;
  // The bufferevent, for its socket's options (evutil_make_socket_nonblocking is done) and
  // its endpoints. Do not read, write, free or change its callbacks: the transport does.
  bufferevent* buffer_event() noexcept { return bev_; }

 private:
  using clock = std::chrono::steady_clock;
  static void on_read(bufferevent* bev, void* self);
  static void on_write(bufferevent* bev, void* self);
  static void on_event(bufferevent* bev, short what, void* self);
  static void on_timer(int fd, short what, void* self);

  void run();
  void step();
  void read_ahead(bool until_blocked);
  void feed_input(time_point now);
  void hold_input(std::size_t held);
  void write_output();
  void fail_output(std::error_code ec);
  void arm_timer();
  void end(std::error_code ec);

  bufferevent* bev_ = nullptr;
  ::event* timer_ = nullptr;
  connection_engine* engine_;
  transport_handler* handler_;
  std::size_t max_input_;
  std::size_t max_write_;
  std::size_t input_held_ = 0;  // the read high watermark while the engine refuses input

  std::optional<time_point> timer_at_;  // when the armed timer fires; empty: none armed
  std::error_code input_ended_;         // the read side's end, once its bytes are fed
  std::error_code error_;               // the stream's failure that ends the connection
  bool started_ = false;
  bool input_closed_ = false;
  bool output_failed_ = false;  // the socket refused a write: the engine's output goes nowhere
  bool timer_due_ = false;
  bool running_ = false;
  bool rerun_ = false;
  bool ended_ = false;
};

}  // namespace amqp::libevent

template <>
struct std::is_error_code_enum<amqp::libevent::stream_errc> : std::true_type {};
