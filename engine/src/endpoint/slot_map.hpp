// Storage for endpoints addressed by handles: a slot per endpoint, reused once freed, with a
// generation that changes on every reuse so that an old handle stops matching.
//
// A slot's generation is odd while it holds a value and even while it is free, so a lookup is
// one bounds check and one comparison: a handle the map gave out carries an odd generation,
// which no free slot has, and a default handle (generation 0) matches nothing.
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
      slot = count_++;
      entries_.emplace_back();
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    entry& e = entries_[slot];
    e.value.emplace();
    ++e.generation;  // odd: live
    ++live_;
    return {slot, e.generation};
  }
  T* find(handle h) noexcept {
    if (h.slot >= count_) return nullptr;
    entry& e = entries_[h.slot];
    return e.generation == h.generation ? &*e.value : nullptr;
  }
  const T* find(handle h) const noexcept { return const_cast<slot_map*>(this)->find(h); }
  // The live value in `slot`, whatever its generation (for internal indexes by slot).
  T* at(std::uint32_t slot) noexcept {
    return slot < count_ && is_live(entries_[slot]) ? &*entries_[slot].value : nullptr;
  }
  handle handle_of(std::uint32_t slot) const noexcept { return {slot, entries_[slot].generation}; }
  void erase(handle h) {
    if (find(h)) erase_live(h);
  }
  // Erases the value `h` names, which the caller has just found live.
  void erase_live(handle h) {
    entry& e = entries_[h.slot];
    e.value.reset();
    ++e.generation;  // even: free
    free_.push_back(h.slot);
    --live_;
  }
  std::size_t size() const noexcept { return live_; }
  // The handles of every live value (a copy: the caller may erase while going through it).
  std::vector<handle> handles() const {
    std::vector<handle> out;
    out.reserve(live_);
    for (std::uint32_t i = 0; i < count_; ++i)
      if (is_live(entries_[i])) out.push_back(handle_of(i));
    return out;
  }
  void clear() {
    for (std::uint32_t i = 0; i < count_; ++i)
      if (is_live(entries_[i])) erase_live(handle_of(i));
  }

 private:
  struct entry {
    std::optional<T> value;
    std::uint32_t generation = 0;
  };
  static bool is_live(const entry& e) noexcept { return (e.generation & 1u) != 0; }

  std::vector<entry> entries_;
  std::uint32_t count_ = 0;  // entries_.size(), kept apart so that a bounds check is one compare
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

}  // namespace amqp::detail
