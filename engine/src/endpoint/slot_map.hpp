// Storage for endpoints addressed by handles: a slot per endpoint, reused once freed, with a
// generation that changes on every reuse so that an old handle stops matching.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "amqp/handles.hpp"

namespace amqp::detail {

template <class T, class Tag>
class slot_map {
 public:
  using handle = basic_handle<Tag>;

  // A default-constructed value in a free slot, built in place.
  handle emplace() {
    std::uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(entries_.size());
      entries_.emplace_back();
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    entry& e = entries_[slot];
    e.value.emplace();
    ++live_;
    return {slot, e.generation};
  }
  T* find(handle h) noexcept {
    if (h.slot >= entries_.size()) return nullptr;
    entry& e = entries_[h.slot];
    return e.value && e.generation == h.generation ? &*e.value : nullptr;
  }
  const T* find(handle h) const noexcept { return const_cast<slot_map*>(this)->find(h); }
  // The live value in `slot`, whatever its generation (for internal indexes by slot).
  T* at(std::uint32_t slot) noexcept {
    return slot < entries_.size() && entries_[slot].value ? &*entries_[slot].value : nullptr;
  }
  handle handle_of(std::uint32_t slot) const noexcept { return {slot, entries_[slot].generation}; }
  void erase(handle h) {
    if (!find(h)) return;
    entry& e = entries_[h.slot];
    e.value.reset();
    ++e.generation;
    free_.push_back(h.slot);
    --live_;
  }
  std::size_t size() const noexcept { return live_; }
  // The handles of every live value (a copy: the caller may erase while going through it).
  std::vector<handle> handles() const {
    std::vector<handle> out;
    out.reserve(live_);
    for (std::uint32_t i = 0; i < entries_.size(); ++i)
      if (entries_[i].value) out.push_back(handle_of(i));
    return out;
  }
  void clear() {
    for (std::uint32_t i = 0; i < entries_.size(); ++i)
      if (entries_[i].value) erase(handle_of(i));
  }

 private:
  struct entry {
    std::optional<T> value;
    std::uint32_t generation = 0;
  };
  std::vector<entry> entries_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

}  // namespace amqp::detail
