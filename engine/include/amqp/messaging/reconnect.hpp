// When and where to reconnect after a connection fails or is lost: the policy logic of the
// messaging layer. Nothing here reads a clock, sleeps or draws randomness of its own; a
// binding's container arms its timer with the delays these classes return.
//
//   auto urls = amqp::parse_url_list("amqp://a:5672, amqp://b:5672, amqp://c:5672");
//   amqp::reconnect_state rs(std::move(*urls));      // exponential backoff by default
//   connect(rs.current());                           // the first attempt: at once
//   // ... the attempt failed, or a connection was lost:
//   if (auto next = rs.next_attempt())
//     after(next->delay, [target = next->target] { connect(target); });
//   else
//     give_up();                                     // the policy said: no more attempts
//   // ... the peer's open arrived:
//   rs.connected();
//
// Rounds. A round is one pass over the failover list. Within a round the URLs are tried back
// to back, without delay: another server is an independent chance, and waiting before asking
// it only lengthens the outage. Before each new round the policy names the delay, so the
// delay grows per round, not per URL, and a list of N servers costs N connection attempts
// per delay. The first round is the initial connection (starting at the first URL). A lost
// connection ends its round: the next attempt starts a new round, after the policy's delay,
// at the URL after the one that was lost (it just failed us; the others might not have).
//
// Why even the first attempt after a loss waits (100 ms by default) where Qpid Proton retries
// at once: a peer that accepts every connection and then drops it (a broker refusing a
// resource, a proxy in front of a dead server) would otherwise be reconnected to in a tight
// loop, since every open resets the backoff. A tenth of a second is immediate to a person and
// bounds that loop to ten connections a second. A reconnect_policy of one's own that returns
// zero first, then grows, gives Proton's behaviour.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "amqp/messaging/url.hpp"
#include "amqp/random.hpp"

namespace amqp {

// A pluggable policy: how long to wait before the next round of attempts, or never again.
// An implementation holds its own state (attempts counted so far); one instance serves one
// connection, which calls it from one thread at a time, so it need not lock.
class reconnect_policy {
 public:
  virtual ~reconnect_policy() = default;
  // A connection succeeded (the peer's open arrived): start the sequence of delays anew.
  virtual void reset() noexcept = 0;
  // The delay before the next round of attempts (a negative one counts as zero), or nullopt:
  // give up. reconnect_state asks no more once a policy gave up, until a connection works.
  virtual std::optional<std::chrono::milliseconds> next() = 0;
};

struct backoff_options {
  // The first delay; a negative value counts as zero.
  std::chrono::milliseconds initial{100};
  // Each delay is the one before times this; below 1 (or NaN) counts as 1: constant delays.
  double multiplier = 2.0;
  // No delay is longer; a cap below `initial` caps the first delay too.
  std::chrono::milliseconds max_delay{10'000};
  // How many delays next() returns before it gives up; 0: never give up. With a failover
  // list this counts rounds, each trying every URL once.
  std::uint32_t max_attempts = 0;
};

// The default policy: delays of initial * multiplier^k, capped at max_delay, for at most
// max_attempts rounds: 100, 200, 400, ..., 6400, 10000, 10000, ... ms with the defaults.
//
// With a random source (optional, off by default), each delay is drawn uniformly from
// [d/2, d] where d is the delay above, so that clients that lost the same broker do not all
// come back in the same millisecond; the sequence of d is not changed by the draws. The
// source must outlive the policy.
class exponential_backoff final : public reconnect_policy {
 public:
  explicit exponential_backoff(backoff_options options = {},
                               random_source* jitter = nullptr) noexcept;

  void reset() noexcept override;
  std::optional<std::chrono::milliseconds> next() override;

  const backoff_options& options() const noexcept { return options_; }
  // Delays returned since construction or the last reset().
  std::uint32_t attempts() const noexcept { return attempts_; }

 private:
  backoff_options options_;
  random_source* jitter_;
  double next_ms_;  // the undrawn delay next() returns next
  std::uint32_t attempts_ = 0;
};

// A failover list: rotates through URLs, remembering how many it tried in the current round.
// It starts on the first URL, which counts as the first URL tried of the first round (the
// initial connection goes there).
class failover_list {
 public:
  // `urls` must hold at least one URL; an empty vector is a precondition violation, asserted in
  // debug builds and treated as a list of one default url (whose empty host no connection
  // reaches) otherwise, since engine code does not throw.
  explicit failover_list(std::vector<url> urls);

  // The URL of the latest attempt. The reference stays valid as long as the list.
  const url& current() const noexcept { return urls_[index_]; }
  // Moves to the next URL, wrapping around, and returns it; counts it as tried in this round,
  // or, when the round was complete, as the first of a new one.
  const url& advance() noexcept;
  // Every URL was tried in this round: the next advance() starts a new round.
  bool round_complete() const noexcept { return tried_ >= urls_.size(); }
  // The current URL worked: stay on it, and end the round, so that after a loss the next
  // advance() starts a new round with the URL after it.
  void reset_to_connected() noexcept { tried_ = urls_.size(); }

  std::size_t size() const noexcept { return urls_.size(); }
  std::size_t index() const noexcept { return index_; }
  const std::vector<url>& urls() const noexcept { return urls_; }

 private:
  std::vector<url> urls_;
  std::size_t index_ = 0;
  std::size_t tried_ = 1;
};

// The next connection attempt: where, and after how long a wait from now.
struct reconnect_attempt {
  url target;
  std::chrono::milliseconds delay{0};
};

// A policy and a failover list together: what a container asks after every failed attempt
// or lost connection (see "Rounds" above).
class reconnect_state {
 public:
  // Exponential backoff with `options` over `urls` (at least one, as failover_list).
  explicit reconnect_state(std::vector<url> urls, backoff_options options = {});
  // A policy of the caller's over `urls`; a null policy never reconnects after the first
  // round (each URL is still tried once for the initial connection).
  reconnect_state(std::vector<url> urls, std::shared_ptr<reconnect_policy> policy);

  // The URL to connect to first, and the one connected to after connected().
  const url& current() const noexcept { return list_.current(); }

  // After a failed attempt or a lost connection: the next URL and the delay before trying
  // it, or nullopt when the policy gives up (then every later call gives up too, until
  // connected()). The returned url is a copy; nothing it holds refers to this object.
  std::optional<reconnect_attempt> next_attempt();

  // The peer's open arrived on the current URL: the policy starts over and the round ends.
  void connected() noexcept;

  // Whether the last next_attempt() gave up.
  bool gave_up() const noexcept { return gave_up_; }
  const failover_list& failover() const noexcept { return list_; }
  // The policy in use (null when constructed with none); owned by this object.
  reconnect_policy* policy() const noexcept { return policy_.get(); }

 private:
  failover_list list_;
  std::shared_ptr<reconnect_policy> policy_;  // shared: connection options are copied
  bool gave_up_ = false;
};

}  // namespace amqp
