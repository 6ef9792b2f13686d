// Which failed sends are tried again, how often and after how long (uAMQP's ErrorPolicy and
// ErrorAction): a message_sender asks its policy about each failure of a message.
//
//   amqp::client::error_policy p{.max_retries = 5};
//   p.on_error.backoff = 200ms;                          // every retry waits 0.2 s
//   p.decide = [](const send_failure& f, std::uint32_t retries) { ... };  // or decide alone
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "amqp/condition.hpp"

namespace amqp::client {

// Why a message was not delivered this time.
struct send_failure {
  enum class kind : std::uint8_t {
    rejected,     // the peer's outcome was rejected (`error` says why, when it did)
    released,     // released: the peer did not process it, another attempt may succeed
    modified,     // modified: the same, `undeliverable_here` asks for another destination
    in_doubt,     // the link or connection ended before its outcome came
    link_closed,  // the link ended (`error` is its condition) before it could be sent
  };
  kind what = kind::rejected;
  std::optional<condition> error;
  bool undeliverable_here = false;  // modified

  // "rejected: amqp:internal-error: disk full", "released", "in doubt: ..."
  std::string to_string() const;
};

// What to do with one failure (uAMQP's ErrorAction).
struct error_action {
  bool retry = false;
  std::chrono::milliseconds backoff{0};  // before the next attempt
  bool increment_retries = true;         // the attempt counts against max_retries
};

struct error_policy {
  // Attempts after the first, counted over the message's life.
  std::uint32_t max_retries = 3;
  // The action for a failure that may be retried.
  error_action on_error{.retry = true, .backoff = std::chrono::milliseconds(0)};
  // Conditions that are never retried: the same message would fail the same way (uAMQP's
  // no_retry list, in AMQP 1.0's names).
  std::vector<std::string> no_retry = default_no_retry();
  // When set, decides every failure itself (max_retries still bounds the counted ones).
  std::function<error_action(const send_failure&, std::uint32_t retries)> decide;

  // The decision for `f` after `retries` counted retries: `decide` when set; otherwise no retry
  // past max_retries, for a rejection without a condition (the message itself was refused),
  // for a modified outcome marked undeliverable-here, or for a condition in no_retry; else
  // on_error.
  error_action action(const send_failure& f, std::uint32_t retries) const;

  static std::vector<std::string> default_no_retry();
};

}  // namespace amqp::client
