// The command fuzz target's applications: the handles each side knows, its answering policy,
// and the ledger of messages sent on each link that the receiving side checks against.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "amqp/engine.hpp"
#include "amqp/transaction.hpp"

namespace engine_commands {

inline bool usage_error(std::error_code ec) {
  return !ec || ec == amqp::errc::wrong_state || ec == amqp::errc::invalid_handle ||
         ec == amqp::errc::invalid_argument || ec == amqp::errc::limit_reached ||
         ec == amqp::errc::no_credit;
}

// RFC 1982: a <= b for sequence numbers.
inline bool serial_le(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(b - a) >= 0; }

template <class T>
void remember(std::vector<T>& v, T h) {
  if (std::find(v.begin(), v.end(), h) == v.end()) v.push_back(h);
}

struct sent_message {
  std::uint32_t seq = 0;
  std::size_t planned = 0;  // the whole message's size
  std::size_t given = 0;    // bytes given to send()/send_more() so far
  bool complete = false;
  bool aborted = false;
  // A coordinator request: what was sent, and its bytes (other messages' bytes derive from
  // their link and sequence number).
  std::optional<amqp::coordinator_request> request;
  std::vector<std::uint8_t> bytes;
  std::optional<amqp::transaction_id> txn;  // sent inside this transaction
  bool sender_disposed = false;  // its sender gave a state or settled: the receiver may see that
  std::vector<amqp::delivery_state> given_states;  // the non-empty states its receiver gave
};

// The messages sent on one link, by name (names are unique per connection here).
struct ledger {
  std::uint32_t id = 0;
  std::vector<sent_message> sent;
  std::size_t next = 0;  // the first message not received yet
};

enum policy_bit : unsigned {
  auto_open = 1, auto_begin = 2, auto_attach = 4, auto_credit = 8, auto_settle = 16, auto_end = 32
};

// One side's application: the handles it knows (stale ones included, to try them) and its
// answering policy.
struct app {
  unsigned policy = 0;
  char prefix = 'c';
  std::vector<amqp::session_handle> sessions;
  std::vector<amqp::link_handle> links;
  std::vector<amqp::delivery_handle> deliveries;
  std::unordered_map<amqp::link_handle, std::string> names;
  std::unordered_map<amqp::delivery_handle, std::pair<std::string, std::size_t>> sent;  // ledger
  std::unordered_map<amqp::delivery_handle, std::pair<std::string, std::size_t>> received;
  std::vector<amqp::transaction_id> txns;  // declared by this side or to it
  std::uint32_t next_txn = 0;              // a coordinator's ids count up
  std::uint32_t next_name = 0;
  std::uint64_t next_tag = 0;
  bool idle_expired = false;  // the last event was idle_timeout_expired
  bool opened = false;        // open() succeeded
};

}  // namespace engine_commands
