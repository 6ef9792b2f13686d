// The engine's queue of events for the application: a ring that grows by doubling and then
// reuses its slots, so that a warm engine queues events without allocating.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "amqp/events.hpp"

namespace amqp::detail {

class event_queue {
 public:
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  void push(event e) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) % slots_.size()] = std::move(e);
    ++size_;
  }
  std::optional<event> pop() {
    if (size_ == 0) return std::nullopt;
    std::optional<event> e(std::move(slots_[head_]));
    head_ = (head_ + 1) % slots_.size();
    --size_;
    return e;
  }

 private:
  void grow() {
    std::vector<event> next(slots_.empty() ? 16 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) next[i] = std::move(slots_[(head_ + i) % slots_.size()]);
    slots_ = std::move(next);
    head_ = 0;
  }

  std::vector<event> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace amqp::detail
