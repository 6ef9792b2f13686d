// A session's unsettled deliveries of one direction by delivery-id (spec Part 2, 2.6.12), for
// the dispositions that name them singly or in ranges.
//
// Delivery-ids are assigned in increasing order (modulo 2^32), so the index is a vector sorted
// by distance from its oldest id: a new delivery is appended, a lookup is a binary search, and
// a range visits only the deliveries present, however wide the peer's range. Settled entries
// become holes that are dropped from the front as the oldest ones settle, and compacted when
// they outnumber the live ones; the vector's capacity is kept, so a warm session indexes
// without allocating.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace amqp::detail {

class delivery_index {
 public:
  static constexpr std::uint32_t none = 0xffffffffu;

  std::size_t size() const noexcept { return live_; }
  bool empty() const noexcept { return live_ == 0; }
  // The id after the newest entry must be this or later (serially); ids only grow.
  void push(std::uint32_t id, std::uint32_t slot) {
    entries_.push_back({id, slot});
    ++live_;
  }
  std::uint32_t find(std::uint32_t id) const noexcept {
    const auto it = lower(id);
    return it != entries_.end() && it->id == id ? it->slot : none;
  }
  void erase(std::uint32_t id) noexcept {
    auto it = lower(id);
    if (it == entries_.end() || it->id != id || it->slot == none) return;
    it->slot = none;
    --live_;
    tidy();
  }
  // Calls f(id, slot) for each live entry with first <= id <= last (serially, relative to the
  // oldest entry); an entry for which f returns true is removed. f must not change the index.
  template <class F>
  void for_range(std::uint32_t first, std::uint32_t last, F&& f) {
    if (entries_.size() == head_) return;
    const std::uint32_t base = entries_[head_].id;
    // Serial arithmetic (RFC 1982): an inverted range, or one that ends before the oldest
    // entry, names nothing; one that starts before it starts at it.
    if (static_cast<std::int32_t>(last - first) < 0 || static_cast<std::int32_t>(last - base) < 0)
      return;
    if (static_cast<std::int32_t>(first - base) < 0) first = base;
    std::size_t i = static_cast<std::size_t>(lower(first) - entries_.begin());
    bool erased = false;
    for (; i < entries_.size() && entries_[i].id - base <= last - base; ++i) {
      if (entries_[i].slot == none) continue;
      if (f(entries_[i].id, entries_[i].slot)) {
        entries_[i].slot = none;
        --live_;
        erased = true;
      }
    }
    if (erased) tidy();
  }
  // Removes every live entry for which pred(id, slot) is true.
  template <class F>
  void remove_if(F&& pred) {
    bool erased = false;
    for (std::size_t i = head_; i < entries_.size(); ++i) {
      if (entries_[i].slot != none && pred(entries_[i].id, entries_[i].slot)) {
        entries_[i].slot = none;
        --live_;
        erased = true;
      }
    }
    if (erased) tidy();
  }
  // Calls f(id, slot) for every live entry, oldest first.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = head_; i < entries_.size(); ++i)
      if (entries_[i].slot != none) f(entries_[i].id, entries_[i].slot);
  }
  void clear() noexcept {
    entries_.clear();
    head_ = 0;
    live_ = 0;
  }

 private:
  struct entry {
    std::uint32_t id;
    std::uint32_t slot;
  };

  std::vector<entry>::const_iterator lower(std::uint32_t id) const noexcept {
    if (entries_.size() == head_) return entries_.end();
    const std::uint32_t base = entries_[head_].id;
    if (static_cast<std::int32_t>(id - base) < 0) return entries_.end();  // older than any entry
    // Ids are usually consecutive: where the id would be if none was skipped is checked first.
    const std::size_t guess = head_ + (id - base);
    if (guess < entries_.size() && entries_[guess].id == id)
      return entries_.begin() + static_cast<std::ptrdiff_t>(guess);
    return std::lower_bound(entries_.begin() + static_cast<std::ptrdiff_t>(head_), entries_.end(),
                            id - base,
                            [base](const entry& e, std::uint32_t d) { return e.id - base < d; });
  }
  std::vector<entry>::iterator lower(std::uint32_t id) noexcept {
    const auto it = std::as_const(*this).lower(id);
    return entries_.begin() + (it - entries_.cbegin());
  }
  void tidy() noexcept {
    while (head_ < entries_.size() && entries_[head_].slot == none) ++head_;
    if (head_ == entries_.size()) {
      entries_.clear();
      head_ = 0;
    } else if (entries_.size() - head_ > 2 * live_ + 16) {
      // Holes outnumber the live entries: squeeze them out (order is kept).
      std::erase_if(entries_, [](const entry& e) { return e.slot == none; });
      head_ = 0;
    } else if (head_ > 64 && head_ * 2 > entries_.size()) {
      entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  std::vector<entry> entries_;
  std::size_t head_ = 0;
  std::size_t live_ = 0;
};

}  // namespace amqp::detail
