#include "wakeup.hpp"

#include <new>
#include <utility>

#include <event2/event.h>

namespace amqp::libevent::detail {

wakeup::wakeup(event_base& base, std::function<void()> after)
    : after_(std::move(after)), event_(event_new(&base, -1, 0, &wakeup::on_wake, this)) {
  if (!event_) throw std::bad_alloc();
}

wakeup::~wakeup() {
  if (event_) event_free(event_);
}

bool wakeup::post(std::function<void()> work) {
  std::lock_guard lock(mutex_);
  if (!event_) return false;
  queue_.push_back(std::move(work));
  if (!std::exchange(woken_, true)) event_active(event_, 0, 0);
  return true;
}

bool wakeup::poke() {
  std::lock_guard lock(mutex_);
  if (!event_) return false;
  if (!std::exchange(woken_, true)) event_active(event_, 0, 0);
  return true;
}

void wakeup::close() {
  {
    std::lock_guard lock(mutex_);
    if (!event_) return;
    event_free(std::exchange(event_, nullptr));  // also when its callback is the one running
  }
  run_queued();
}

void wakeup::on_wake(int, short, void* p) {
  auto* self = static_cast<wakeup*>(p);
  const auto keep = self->shared_from_this();  // the work may drop the owner's reference
  self->run_queued();
  if (self->after_) self->after_();
}

void wakeup::run_queued() {
  // Work queued while a batch runs waits for the next wake-up: a task that posts itself again
  // cannot starve the connections' I/O.
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(queue_);
    woken_ = false;
  }
  for (auto& work : batch) work();
}

}  // namespace amqp::libevent::detail
