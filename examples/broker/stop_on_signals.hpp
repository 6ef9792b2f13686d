// SIGINT and SIGTERM stop a container, whichever binding runs it: a thread of its own waits
// for them (sigwait) and calls stop(), which either binding takes from any thread.
//
//   int main() {
//     broker::stop_on_signals::block();   // first: every thread inherits the mask
//     ... an amqp::container c ...
//     broker::stop_on_signals stopper(c);
//     c.run();
//   }
#pragma once

#include <atomic>
#include <thread>

#include "amqp/messaging/container.hpp"

namespace broker {

class stop_on_signals {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread, and so in every thread it starts later:
  // only the waiting thread takes them, and no thread of a binding is interrupted by them.
  static void block();

  explicit stop_on_signals(amqp::container& c);
  // Ends the waiting thread, when no signal did.
  ~stop_on_signals();
  stop_on_signals(const stop_on_signals&) = delete;
  stop_on_signals& operator=(const stop_on_signals&) = delete;

 private:
  std::atomic<bool> done_{false};
  std::thread waiter_;
};

}  // namespace broker
