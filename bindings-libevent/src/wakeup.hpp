// Work handed to the loop's thread from any thread: a queue under a mutex, and an event that
// event_active() wakes. With libevent's locking on (enable_threads()), event_active() may be
// called from any thread; the event is never added, only activated, so an idle wakeup does not
// keep event_base_dispatch() running.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

struct event_base;
struct event;

namespace amqp::libevent::detail {

class wakeup : public std::enable_shared_from_this<wakeup> {
 public:
  // `after` runs on the loop's thread after each batch of work (and after poke()); it may be
  // empty. Throws std::bad_alloc when libevent cannot make the event.
  wakeup(event_base& base, std::function<void()> after);
  ~wakeup();
  wakeup(const wakeup&) = delete;
  wakeup& operator=(const wakeup&) = delete;

  // Queues `work` for the loop's thread; false once closed (the work is dropped).
  bool post(std::function<void()> work);
  // Wakes the loop to run `after` alone; false once closed.
  bool poke();
  // On the loop's thread: no more work is taken, the event is freed, and what was queued runs
  // now (work taken runs, so that whatever waits on it hears the outcome). Idempotent.
  void close();

 private:
  static void on_wake(int fd, short what, void* self);
  void run_queued();

  std::function<void()> after_;
  std::mutex mutex_;  // guards what follows
  ::event* event_;      // null once closed
  std::vector<std::function<void()>> queue_;
  bool woken_ = false;
};

}  // namespace amqp::libevent::detail
