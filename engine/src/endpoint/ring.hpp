// A FIFO queue in a ring that grows by doubling and then reuses its slots, so that a warm
// engine queues without allocating: the events for the application, the deliveries waiting
// for a session window.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace amqp::detail {

template <class T>
class ring {
 public:
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // Stores x in place (for a variant, an alternative is assigned straight into the slot).
  template <class U>
  void push(U&& x) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) % slots_.size()] = std::forward<U>(x);
    ++size_;
  }
  T& front() noexcept { return slots_[head_]; }
  std::optional<T> pop() {
    if (size_ == 0) return std::nullopt;
    std::optional<T> x(std::move(slots_[head_]));
    head_ = (head_ + 1) % slots_.size();
    --size_;
    return x;
  }
  // Keeps the elements for which keep(x) is true, in order.
  template <class F>
  void retain(F&& keep) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      T& x = slots_[(head_ + i) % slots_.size()];
      if (keep(x)) slots_[(head_ + kept++) % slots_.size()] = std::move(x);
    }
    size_ = kept;
  }

 private:
  void grow() {
    std::vector<T> next(slots_.empty() ? 16 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) next[i] = std::move(slots_[(head_ + i) % slots_.size()]);
    slots_ = std::move(next);
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace amqp::detail
