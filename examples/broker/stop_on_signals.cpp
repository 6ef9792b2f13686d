#include "broker/stop_on_signals.hpp"

#include <pthread.h>

#include <csignal>

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

namespace broker {

void stop_on_signals::block() {
  // A shell starts background jobs with SIGINT ignored, and an ignored signal is dropped before
  // sigwait could take it: the default disposition lets the broker stop however it was started.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

stop_on_signals::stop_on_signals(amqp::container& c)
    : waiter_([this, &c] {
        const sigset_t set = stop_signals();
        int received = 0;
        sigwait(&set, &received);
        if (!done_) c.stop();
      }) {}

stop_on_signals::~stop_on_signals() {
  // The container's run() returned by itself: wake the waiter with a signal aimed at it alone.
  done_ = true;
  pthread_kill(waiter_.native_handle(), SIGTERM);
  waiter_.join();
}

}  // namespace broker
