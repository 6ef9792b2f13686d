// Reconnect policy logic (amqp/messaging/reconnect.hpp): exponential backoff, the failover
// rotation, and the rounds that combine them.
#include "amqp/messaging/reconnect.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <utility>

namespace amqp {
namespace {

// Delays are computed in double milliseconds and rounded at the end. Past this bound
// (about 146 million years) rounding to a 64-bit count could overflow, so nothing exceeds it.
constexpr double longest_delay_ms = 4.0e18;

double clamp_ms(std::chrono::milliseconds d) noexcept {
  return std::clamp(static_cast<double>(d.count()), 0.0, longest_delay_ms);
}

std::chrono::milliseconds round_ms(double ms) noexcept {
  return std::chrono::milliseconds(std::llround(ms));
}

}  // namespace

exponential_backoff::exponential_backoff(backoff_options options, random_source* jitter) noexcept
    : options_(options), jitter_(jitter), next_ms_(0) {
  // `!(x >= 1)` also catches NaN.
  if (!(options_.multiplier >= 1.0)) options_.multiplier = 1.0;
  reset();
}

void exponential_backoff::reset() noexcept {
  attempts_ = 0;
  next_ms_ = std::min(clamp_ms(options_.initial), clamp_ms(options_.max_delay));
}

std::optional<std::chrono::milliseconds> exponential_backoff::next() {
  if (options_.max_attempts != 0 && attempts_ >= options_.max_attempts) return std::nullopt;
  ++attempts_;
  const double d = next_ms_;
  next_ms_ = std::min(next_ms_ * options_.multiplier, clamp_ms(options_.max_delay));
  if (jitter_ == nullptr) return round_ms(d);
  std::array<std::uint8_t, 4> bytes{};
  jitter_->fill(bytes);
  std::uint32_t r = 0;
  for (std::uint8_t b : bytes) r = (r << 8) | b;
  // Uniform in [d/2, d]: r / (2^32 - 1) covers [0, 1] with both ends reachable.
  const double fraction = static_cast<double>(r) / 4294967295.0;
  return round_ms(d / 2 + fraction * (d / 2));
}

failover_list::failover_list(std::vector<url> urls) : urls_(std::move(urls)) {
  assert(!urls_.empty() && "a failover list needs at least one URL");
  if (urls_.empty()) urls_.emplace_back();
}

const url& failover_list::advance() noexcept {
  if (round_complete()) tried_ = 0;
  index_ = (index_ + 1) % urls_.size();
  ++tried_;
  return urls_[index_];
}

reconnect_state::reconnect_state(std::vector<url> urls, backoff_options options)
    : list_(std::move(urls)), policy_(std::make_unique<exponential_backoff>(options)) {}

reconnect_state::reconnect_state(std::vector<url> urls,
                                 std::shared_ptr<reconnect_policy> policy)
    : list_(std::move(urls)), policy_(std::move(policy)) {}

std::optional<reconnect_attempt> reconnect_state::next_attempt() {
  if (gave_up_) return std::nullopt;
  std::chrono::milliseconds delay{0};
  if (list_.round_complete()) {
    std::optional<std::chrono::milliseconds> d;
    if (policy_) d = policy_->next();
    if (!d) {
      gave_up_ = true;
      return std::nullopt;
    }
    delay = std::max(*d, std::chrono::milliseconds{0});
  }
  return reconnect_attempt{list_.advance(), delay};
}

void reconnect_state::connected() noexcept {
  gave_up_ = false;
  if (policy_) policy_->reset();
  list_.reset_to_connected();
}

}  // namespace amqp
