// Local transactions (spec Part 4) at the level of messages: the requests a transaction
// controller sends on its coordinator link, declare and discharge, each a message whose body is
// one amqp-value, and how a coordinator reads them. The states that carry a transaction
// (declared, transactional-state) and the coordinator target are delivery_state and terminus in
// link.hpp; the messaging layer's transactions are built on both.
//
//   amqp::writer w;
//   (void)amqp::encode_coordinator_request(w, amqp::discharge_request{id, /*fail=*/false});
//   auto d = engine.send(coordinator_link, w.view());
//   // at the coordinator, for a message on a link whose target is a coordinator:
//   auto request = amqp::decode_coordinator_request(engine.payload(delivery));
//   if (!request) (void)engine.settle(delivery, amqp::delivery_state::rejected(request.error()));
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/value.hpp"
#include "amqp/codec/writer.hpp"
#include "amqp/condition.hpp"
#include "amqp/errors.hpp"
#include "amqp/link.hpp"

namespace amqp {

// The txn-capabilities a coordinator offers and a controller desires (spec Part 4, 4.5.7).
namespace txn_capabilities {
inline constexpr std::string_view local_transactions = "amqp:local-transactions";
inline constexpr std::string_view distributed_transactions = "amqp:distributed-transactions";
inline constexpr std::string_view promotable_transactions = "amqp:promotable-transactions";
inline constexpr std::string_view multi_txns_per_ssn = "amqp:multi-txns-per-ssn";
inline constexpr std::string_view multi_ssns_per_txn = "amqp:multi-ssns-per-txn";
}  // namespace txn_capabilities

// The transaction-errors (spec Part 4, 4.5.8).
namespace transaction_errors {
inline constexpr std::string_view unknown_id = "amqp:transaction:unknown-id";
inline constexpr std::string_view rollback = "amqp:transaction:rollback";
inline constexpr std::string_view timeout = "amqp:transaction:timeout";
}  // namespace transaction_errors

// Begin a transaction; the coordinator answers with the declared outcome and the id.
struct declare_request {
  value global_id;  // null: a local transaction (anything else asks for a distributed one)
  friend bool operator==(const declare_request&, const declare_request&) = default;
};

// End one: commit, or roll back when `fail`. The coordinator answers accepted, or rejected
// (amqp:transaction:unknown-id for an id it does not know, amqp:transaction:rollback when it
// rolled back a transaction asked to commit).
struct discharge_request {
  transaction_id id;
  bool fail = false;
  friend bool operator==(const discharge_request&, const discharge_request&) = default;
};

using coordinator_request = std::variant<declare_request, discharge_request>;

// Appends the message that carries `request` to `out`: a bare message of one amqp-value.
// errc::value_too_large when the global id cannot be encoded.
std::error_code encode_coordinator_request(writer& out, const coordinator_request& request);

// Reads a message a coordinator received. The error is what to reject it with:
// amqp:decode-error naming what is wrong for anything but a well-formed declare or discharge.
result<coordinator_request, condition> decode_coordinator_request(
    bytes_view message, const decode_limits& limits = {});

// A transaction id for logs: its bytes in hex.
std::string to_hex(const transaction_id& id);

}  // namespace amqp
