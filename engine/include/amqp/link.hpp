// Links and deliveries as the application configures and sees them: termini, link options and
// state, delivery states (outcomes) and delivery status, all owned.
//
//   amqp::link_options o{.name = "orders-sender", .target = amqp::terminus{.address = "orders"}};
//   auto link = engine.attach_sender(session, o);
//   // after credit_granted:
//   auto d = engine.send(*link, encoded_message);
//   // after disposition_received with an outcome:
//   (void)engine.settle(*d);
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "amqp/boxed.hpp"
#include "amqp/codec/types.hpp"
#include "amqp/codec/value.hpp"
#include "amqp/condition.hpp"
#include "amqp/handles.hpp"
#include "amqp/spec/messaging.hpp"
#include "amqp/spec/transport.hpp"

namespace amqp {

using spec::receiver_settle_mode;
using spec::role;
using spec::sender_settle_mode;
using spec::terminus_durability;

// A source or a target (spec Part 3, 3.5.3 and 3.5.4). The fields from distribution_mode on
// belong to a source; a target ignores them. A target may instead be a transaction
// coordinator (spec Part 4, 4.5.1), which has capabilities only.
struct terminus {
  std::optional<std::string> address;  // empty: no address (a dynamic node's request)
  terminus_durability durable = terminus_durability::none;
  std::string expiry_policy = "session-end";
  std::uint32_t timeout = 0;  // seconds
  bool dynamic = false;
  value dynamic_node_properties;  // null, or a map with symbol keys
  std::optional<std::string> distribution_mode;  // "move" or "copy"
  value filter;                                  // null, or a map with symbol keys
  value default_outcome;                         // null, or a described outcome
  std::vector<std::string> outcomes;
  std::vector<std::string> capabilities;
  // A target only: the coordinator of transactions (then every other field is ignored).
  bool coordinator = false;

  friend bool operator==(const terminus&, const terminus&) = default;

  // A coordinator target asking for (or, answered, offering) these txn-capabilities.
  static terminus make_coordinator(std::vector<std::string> capabilities = {}) {
    terminus t;
    t.capabilities = std::move(capabilities);
    t.coordinator = true;
    return t;
  }
};

// The fields of a local attach (spec Part 2, 2.7.3). The role is the command's: attach_sender,
// attach_receiver, or the opposite of the peer's when answering its attach.
struct link_options {
  std::string name;  // unique per direction and container pair; not empty
  // Empty: the attach carries a null source (target); answering a peer's attach that way
  // refuses the link, which must then be closed (spec Part 2, 2.6.3).
  std::optional<terminus> source;
  std::optional<terminus> target;
  sender_settle_mode snd_settle_mode = sender_settle_mode::mixed;
  receiver_settle_mode rcv_settle_mode = receiver_settle_mode::first;
  // The largest message this side accepts as a receiver, announced as max-message-size; 0 means
  // limits::max_message_size. A sender announces it too (it is informative there).
  std::uint64_t max_message_size = 0;
  // A sender's initial delivery-count; a receiver ignores it (it takes the sender's).
  std::uint32_t initial_delivery_count = 0;
  std::vector<std::string> offered_capabilities;
  std::vector<std::string> desired_capabilities;
  value properties;  // null, or a map with symbol keys
};

// A link as both sides see it (spec Part 2, 2.6). Credit and counts are from this side's view.
struct link_status {
  session_handle session;
  std::string name;
  amqp::role role = role::sender;  // this side's role
  std::uint32_t handle = 0;        // the handle this side sends with
  std::optional<std::uint32_t> remote_handle;
  bool attach_sent = false;
  bool attach_received = false;
  bool detach_sent = false;
  bool detach_received = false;
  // The settle modes in force: the sender's snd-settle-mode and the receiver's rcv-settle-mode,
  // from whichever side has that role; but first when a receiver asked for second and the
  // sender's answer says first (it would not settle before the receiver).
  sender_settle_mode snd_settle_mode = sender_settle_mode::mixed;
  receiver_settle_mode rcv_settle_mode = receiver_settle_mode::first;
  // The largest message the peer accepts (as a receiver) or announced; 0: no limit.
  std::uint64_t remote_max_message_size = 0;
  std::uint64_t max_message_size = 0;  // this side's announced limit
  std::uint32_t delivery_count = 0;
  std::uint32_t credit = 0;     // deliveries the sender may still send
  std::uint32_t available = 0;  // what the sender said it has (a receiver's view) or set
  bool drain = false;           // a drain is requested and not yet completed
  std::size_t queued = 0;       // deliveries (or their rest) waiting for the session window
  std::size_t unsettled = 0;    // deliveries this side has not settled
  // A receiver: deliveries that arrived beyond credit and were taken all the same (spec
  // Part 2, 2.6.7; limits::max_excess_transfers), since the link was attached.
  std::uint64_t excess_transfers = 0;
  // The peer's attach, once it arrived: the remote source and target (empty when null).
  std::optional<terminus> remote_source;
  std::optional<terminus> remote_target;
  std::vector<std::string> remote_offered_capabilities;
  std::vector<std::string> remote_desired_capabilities;
  value remote_properties;
  // The link-state properties of flows (spec Part 2, 2.7.4): this side's, sent with each of
  // its flows for the link, and those of the peer's latest flow (null when it sent none). A
  // receiver acquiring inside a transaction names it here as txn-id (Part 4, 4.4.3).
  value flow_properties;
  value remote_flow_properties;
};

// A transaction's id (spec Part 4, 4.5 transaction-id, a binary): made by the coordinator in
// its declared outcome, named again by every transactional transfer, disposition and
// discharge. The spec bounds it nowhere; here it is at most 64 bytes, held inline, and a
// longer one from a peer is a decode error.
class transaction_id {
 public:
  static constexpr std::size_t max_size = 64;
  transaction_id() = default;
  // Empty when `id` is longer than max_size.
  static std::optional<transaction_id> from(bytes_view id) noexcept;
  bytes_view bytes() const noexcept { return {bytes_.data(), size_}; }
  std::size_t size() const noexcept { return size_; }
  friend bool operator==(const transaction_id& a, const transaction_id& b) noexcept;

 private:
  std::array<std::uint8_t, max_size> bytes_{};
  std::uint8_t size_ = 0;
};

// What a delivery's state is (spec Part 3, 3.4; Part 4, 4.5): an outcome, or received (where a
// resumed transfer may go on from), or none yet; with a transaction id, the transactional-state
// of a delivery sent, acquired or settled inside that transaction, its kind being the
// provisional outcome (none: no outcome yet); or, as kind declared, a coordinator's answer to
// a declare. Made and dropped for every message, so it stays small: the rare error,
// annotations and transaction id are boxed.
struct delivery_state {
  enum class type : std::uint8_t {
    none,
    received,
    accepted,
    rejected,
    released,
    modified,
    declared
  };
  type kind = type::none;
  // modified
  bool delivery_failed = false;
  bool undeliverable_here = false;
  // received
  std::uint32_t section_number = 0;
  std::uint64_t section_offset = 0;
  // rejected
  boxed<condition> error;
  // modified: a map, or none
  boxed<value> message_annotations;
  // declared, or any transactional-state; received takes none
  boxed<transaction_id> txn;

  static delivery_state accepted() { return {.kind = type::accepted}; }
  static delivery_state released() { return {.kind = type::released}; }
  static delivery_state rejected(std::optional<condition> why = std::nullopt) {
    return {.kind = type::rejected, .error = std::move(why)};
  }
  static delivery_state modified(bool failed, bool undeliverable, value annotations = {}) {
    delivery_state s{.kind = type::modified, .delivery_failed = failed, .undeliverable_here = undeliverable};
    if (!annotations.is_null()) s.message_annotations = std::move(annotations);
    return s;
  }
  static delivery_state received(std::uint32_t section, std::uint64_t offset) {
    return {.kind = type::received, .section_number = section, .section_offset = offset};
  }
  static delivery_state declared(transaction_id id) {
    return {.kind = type::declared, .txn = std::move(id)};
  }
  // `outcome` inside the transaction: the outcome applied on commit. Without one: a delivery
  // sent or acquired in the transaction, no outcome yet.
  static delivery_state transactional(transaction_id id, delivery_state outcome) {
    outcome.txn = std::move(id);
    return outcome;
  }
  static delivery_state transactional(transaction_id id) {
    return {.kind = type::none, .txn = std::move(id)};
  }
  // An outcome ends the delivery's life at the receiver; received and none do not.
  bool is_outcome() const noexcept { return kind != type::none && kind != type::received; }
  // A transactional-state (not declared, which names the transaction but is not in it).
  bool is_transactional() const noexcept { return txn && kind != type::declared; }
  // No state at all: neither an outcome nor a transaction.
  bool empty() const noexcept { return kind == type::none && !txn; }

  friend bool operator==(const delivery_state&, const delivery_state&) = default;
};

// A message given in pieces, sent as if they were one run of bytes: the encoded sections
// before a large body, then the body where it already is, so that it is copied only once.
using message_parts = std::span<const bytes_view>;

// Options of send(); the defaults send an unsettled message with an engine-made tag.
struct send_options {
  // The delivery-tag (at most 32 bytes, unique among the link's unsettled deliveries); empty:
  // the engine makes one from a counter.
  bytes_view tag;
  std::uint32_t message_format = 0;
  // Sent settled ("at most once"). Must be false when snd-settle-mode is unsettled; forced
  // true when it is settled.
  bool settled = false;
  // More of this delivery follows in send_more(); the delivery stays open until then.
  bool more = false;
  // The peer may wait before answering: the transfer is one of a batch (spec 2.7.5).
  bool batchable = false;
  // Sent inside this transaction (spec Part 4, 4.4.1): the first transfer's state is its
  // transactional-state, and the message counts only if the transaction commits.
  const transaction_id* txn = nullptr;
};

struct delivery_status {
  link_handle link;
  std::uint32_t id = 0;  // delivery-id in its session
  std::uint32_t message_format = 0;
  bool settled = false;         // this side settled (only seen while sending its last frames)
  bool remote_settled = false;  // the peer settled
  bool complete = false;        // all its frames were sent or received
  bool aborted = false;
  delivery_state state;         // this side's state
  delivery_state remote_state;  // the peer's
  std::size_t size = 0;         // bytes of the message sent or received so far
};

}  // namespace amqp

template <>
struct std::hash<amqp::transaction_id> {
  std::size_t operator()(const amqp::transaction_id& id) const noexcept;
};
