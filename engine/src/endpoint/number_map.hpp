// Small numbers the peer and this side choose (channels, link handles) -> the slot of the
// endpoint they name. Grows to the highest number used, which the engine bounds by its
// channel-max and handle-max before it gets here.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace amqp::detail {

class number_map {
 public:
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

  std::uint32_t get(std::uint32_t number) const noexcept {
    return number < slots_.size() ? slots_[number] : none;
  }
  void set(std::uint32_t number, std::uint32_t slot) {
    if (number >= slots_.size()) slots_.resize(std::size_t{number} + 1, none);
    slots_[number] = slot;
  }
  void clear(std::uint32_t number) noexcept {
    if (number < slots_.size()) slots_[number] = none;
  }
  // The lowest number up to `max` that names nothing; empty when all are taken.
  std::optional<std::uint32_t> lowest_free(std::uint32_t max) const noexcept {
    for (std::size_t n = 0; n <= max; ++n)
      if (n >= slots_.size() || slots_[n] == none) return static_cast<std::uint32_t>(n);
    return std::nullopt;
  }
  // Calls f(number, slot) for every number in use.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t n = 0; n < slots_.size(); ++n)
      if (slots_[n] != none) f(static_cast<std::uint32_t>(n), slots_[n]);
  }

 private:
  std::vector<std::uint32_t> slots_;
};

}  // namespace amqp::detail
