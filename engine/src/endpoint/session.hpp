// A session endpoint (spec Part 2, 2.5): its channels, its state and its transfer windows.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "amqp/engine.hpp"
#include "slot_map.hpp"

namespace amqp::detail {

struct session_endpoint {
  session_status status;
  bool discarding = false;  // ended by the engine on a violation: ignore all but the peer's end
  bool channel_assigned = false;  // status.channel is ours (a peer's session gets one on answer)
};

using session_table = slot_map<session_endpoint, session_handle_tag>;

// Channel number -> session slot, for the channels this side sends on and for those the peer
// sends on. Grows to the highest channel used, at most channel-max + 1 entries.
class channel_map {
 public:
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

  std::uint32_t get(std::uint16_t channel) const noexcept {
    return channel < slots_.size() ? slots_[channel] : none;
  }
  void set(std::uint16_t channel, std::uint32_t slot) {
    if (channel >= slots_.size()) slots_.resize(std::size_t{channel} + 1, none);
    slots_[channel] = slot;
  }
  void clear(std::uint16_t channel) noexcept {
    if (channel < slots_.size()) slots_[channel] = none;
  }
  // The lowest channel up to `max` with no session; empty when all are taken.
  std::optional<std::uint16_t> lowest_free(std::uint16_t max) const noexcept {
    for (std::size_t c = 0; c <= max; ++c)
      if (c >= slots_.size() || slots_[c] == none) return static_cast<std::uint16_t>(c);
    return std::nullopt;
  }

 private:
  std::vector<std::uint32_t> slots_;
};

}  // namespace amqp::detail
