// Restricted types and symbols of the spec as constants, and the spec's numeric constants.
//
//   close(amqp::spec::error{.condition = amqp::spec::amqp_error::decode_error, ...});
//   if (open.offered_capabilities.contains(amqp::spec::capability::anonymous_relay)) ...
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "amqp/codec/types.hpp"

namespace amqp::spec {

// Transport constants (spec Part 2, 2.8.19 and following).
inline constexpr std::uint16_t port = 5672;
inline constexpr std::uint16_t secure_port = 5671;
inline constexpr std::uint32_t min_max_frame_size = 512;
inline constexpr std::uint32_t message_format = 0;

// Error conditions (spec Part 2, 2.8.15 to 2.8.18; Part 4, 4.5.8).
namespace amqp_error {
inline constexpr symbol_view internal_error{"amqp:internal-error"};
inline constexpr symbol_view not_found{"amqp:not-found"};
inline constexpr symbol_view unauthorized_access{"amqp:unauthorized-access"};
inline constexpr symbol_view decode_error{"amqp:decode-error"};
inline constexpr symbol_view resource_limit_exceeded{"amqp:resource-limit-exceeded"};
inline constexpr symbol_view not_allowed{"amqp:not-allowed"};
inline constexpr symbol_view invalid_field{"amqp:invalid-field"};
inline constexpr symbol_view not_implemented{"amqp:not-implemented"};
inline constexpr symbol_view resource_locked{"amqp:resource-locked"};
inline constexpr symbol_view precondition_failed{"amqp:precondition-failed"};
inline constexpr symbol_view resource_deleted{"amqp:resource-deleted"};
inline constexpr symbol_view illegal_state{"amqp:illegal-state"};
inline constexpr symbol_view frame_size_too_small{"amqp:frame-size-too-small"};
}  // namespace amqp_error

namespace connection_error {
inline constexpr symbol_view connection_forced{"amqp:connection:forced"};
inline constexpr symbol_view framing_error{"amqp:connection:framing-error"};
inline constexpr symbol_view redirect{"amqp:connection:redirect"};
}  // namespace connection_error

namespace session_error {
inline constexpr symbol_view window_violation{"amqp:session:window-violation"};
inline constexpr symbol_view errant_link{"amqp:session:errant-link"};
inline constexpr symbol_view handle_in_use{"amqp:session:handle-in-use"};
inline constexpr symbol_view unattached_handle{"amqp:session:unattached-handle"};
}  // namespace session_error

namespace link_error {
inline constexpr symbol_view detach_forced{"amqp:link:detach-forced"};
inline constexpr symbol_view transfer_limit_exceeded{"amqp:link:transfer-limit-exceeded"};
inline constexpr symbol_view message_size_exceeded{"amqp:link:message-size-exceeded"};
inline constexpr symbol_view redirect{"amqp:link:redirect"};
inline constexpr symbol_view stolen{"amqp:link:stolen"};
}  // namespace link_error

namespace transaction_error {
inline constexpr symbol_view unknown_id{"amqp:transaction:unknown-id"};
inline constexpr symbol_view transaction_rollback{"amqp:transaction:rollback"};
inline constexpr symbol_view transaction_timeout{"amqp:transaction:timeout"};
}  // namespace transaction_error

// terminus-expiry-policy (spec Part 3, 3.5.6).
namespace expiry_policy {
inline constexpr symbol_view link_detach{"link-detach"};
inline constexpr symbol_view session_end{"session-end"};
inline constexpr symbol_view connection_close{"connection-close"};
inline constexpr symbol_view never{"never"};
}  // namespace expiry_policy

// std-dist-mode (spec Part 3, 3.5.7).
namespace distribution_mode {
inline constexpr symbol_view move{"move"};
inline constexpr symbol_view copy{"copy"};
}  // namespace distribution_mode

// txn-capability (spec Part 4, 4.5.7).
namespace txn_capability {
inline constexpr symbol_view local_transactions{"amqp:local-transactions"};
inline constexpr symbol_view distributed_transactions{"amqp:distributed-transactions"};
inline constexpr symbol_view promotable_transactions{"amqp:promotable-transactions"};
inline constexpr symbol_view multi_txns_per_ssn{"amqp:multi-txns-per-ssn"};
inline constexpr symbol_view multi_ssns_per_txn{"amqp:multi-ssns-per-txn"};
}  // namespace txn_capability

// Capabilities in common use that the spec names outside its type tables.
namespace capability {
inline constexpr symbol_view anonymous_relay{"ANONYMOUS-RELAY"};
}  // namespace capability

// The choices of every restricted type, as the spec lists them: name and wire value as text.
// For printing ("snd-settle-mode: mixed") and for checking the table against the spec XML.
struct choice_info {
  std::string_view name;
  std::string_view value;
};
struct restricted_info {
  std::string_view name;    // "sender-settle-mode"
  std::string_view source;  // "ubyte"
  std::span<const choice_info> choices;
};
std::span<const restricted_info> all_restricted_types() noexcept;
const restricted_info* find_restricted_type(std::string_view name) noexcept;

}  // namespace amqp::spec
