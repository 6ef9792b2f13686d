// The libevent container: the messaging layer's container on a libevent event_base. TCP
// connections out (with reconnect and failover through the shared policy) and in (listeners),
// scheduled work, and the handler's calls, all on the thread that runs the event_base.
//
//   struct hello : amqp::messaging_handler { ... };   // see amqp/messaging/handler.hpp
//   hello h;
//   amqp::libevent::container c(h);
//   c.run();                      // until every connection and listener is done, or stop()
//
// An application that already runs an event_base gives it to the container, which then adds
// its connections, listeners and timers to that loop:
//
//   amqp::libevent::enable_threads();            // before the base is made, see below
//   event_base* base = event_base_new();
//   amqp::libevent::container c(h, *base);
//   c.start();                                    // on_start
//   event_base_dispatch(base);                    // the application's own loop
//
// Threading:
// - Everything happens on the thread that runs the event_base: every handler call, every
//   scheduled task, every connection's I/O. One thread, so a handler shared by connections
//   needs no locks of its own.
// - connect, listen, schedule and stop may be called from any thread. They hand their work to
//   the loop through a queue and wake it with event_active(), which needs libevent's locking:
//   a container with a base of its own turns it on (enable_threads()); an application that
//   gives its own base must call enable_threads() (or evthread_use_pthreads()) before making
//   that base, or make every call on the loop's thread.
// - A connection's handles (connection, sender, receiver, tracker, delivery) are used on the
//   loop's thread: inside handler calls and scheduled tasks, or through connection::post()
//   from any other thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "amqp/messaging/container.hpp"

struct event_base;
struct event;

namespace amqp::libevent {

// Turns on libevent's locking (evthread_use_pthreads), once per process; event_bases made
// afterwards may be woken from other threads. The container calls it for a base of its own.
void enable_threads();

namespace detail {
class tcp_connection;
class tcp_listener;
class wakeup;
}  // namespace detail

class container final : public amqp::container {
 public:
  // A container with an event_base of its own, run by run().
  explicit container(messaging_handler& handler, std::string id = {});
  // A container working on the application's event_base (which must outlive it).
  container(messaging_handler& handler, event_base& base, std::string id = {});
  ~container() override;

  using amqp::container::connect;
  using amqp::container::listen;
  connection connect(const url& address, const connection_options& options = {},
                     messaging_handler* handler = nullptr) override;
  result<listener, std::string> listen(const url& address, const connection_options& options = {},
                                       messaging_handler* handler = nullptr) override;
  scheduled_task schedule(std::chrono::milliseconds delay, std::function<void()> work) override;
  // Calls on_start, then runs the event_base on this thread until nothing is left to wait for
  // (no connection, listener or scheduled task), or stop() ended everything.
  void run() override;
  // Calls on_start (once) without running the loop: for an application that runs the
  // event_base itself.
  void start();
  // Closes every connection (no reconnect) and listener and drops scheduled work; run()
  // returns once the connections' closes were exchanged (or timed out).
  void stop() override;
  // Writes the line to stderr.
  void report_error(std::string_view line) override;

  event_base& base() noexcept { return *base_; }

 protected:
  connection adopt_failed(connection_driver driver) override;

 private:
  friend class detail::tcp_connection;
  friend class detail::tcp_listener;
  using clock = std::chrono::steady_clock;

  void init();
  // Runs `work` on the loop's thread, soon (from any thread).
  void post(std::function<void()> work);
  // A connection that ended for good leaves the container (on the loop's thread).
  void forget(const detail::tcp_connection* c);
  // A client a listener accepted (on the loop's thread).
  void adopt_server(int fd, const url& address, const connection_options& options,
                    messaging_handler& handler);
  // The scheduled tasks that are due run, in order; the timer is armed at the next one.
  void run_due_tasks();
  void arm_task_timer();
  using task_key = std::pair<clock::time_point, std::uint64_t>;
  // A cancelled task leaves the queue (from any thread).
  void drop_task(task_key key);

  std::unique_ptr<event_base, void (*)(event_base*)> own_base_;
  event_base* base_;
  std::once_flag started_;
  // The queue of work from other threads, and the event that wakes the loop for it.
  std::shared_ptr<detail::wakeup> wakeup_;
  ::event* task_timer_ = nullptr;  // at the earliest scheduled task

  std::mutex mutex_;  // guards what follows: connect, listen, schedule and stop come from anywhere
  bool stopping_ = false;
  // Scheduled tasks by due time, then by the order they were scheduled in.
  std::map<task_key, std::function<void()>> tasks_;
  std::uint64_t next_task_ = 0;
  // What a task's cancel() reaches the container through: a handle may outlive it.
  std::shared_ptr<container*> self_ = std::make_shared<container*>(this);
  std::vector<std::shared_ptr<detail::tcp_connection>> connections_;
  // Every listener made, closed or not: the destructor detaches them from the container, as
  // the application may hold their handles longer.
  std::vector<std::shared_ptr<detail::tcp_listener>> listeners_;
};

}  // namespace amqp::libevent
