// The choices of the restricted types, for printing and for the cross-check with the spec.
#include <array>

#include "amqp/spec/constants.hpp"

namespace amqp::spec {
namespace {

constexpr std::array<choice_info, 2> role_choices{{{"sender", "false"}, {"receiver", "true"}}};
constexpr std::array<choice_info, 3> sender_settle_mode_choices{
    {{"unsettled", "0"}, {"settled", "1"}, {"mixed", "2"}}};
constexpr std::array<choice_info, 2> receiver_settle_mode_choices{{{"first", "0"}, {"second", "1"}}};
constexpr std::array<choice_info, 13> amqp_error_choices{{
    {"internal-error", amqp_error::internal_error.str},
    {"not-found", amqp_error::not_found.str},
    {"unauthorized-access", amqp_error::unauthorized_access.str},
    {"decode-error", amqp_error::decode_error.str},
    {"resource-limit-exceeded", amqp_error::resource_limit_exceeded.str},
    {"not-allowed", amqp_error::not_allowed.str},
    {"invalid-field", amqp_error::invalid_field.str},
    {"not-implemented", amqp_error::not_implemented.str},
    {"resource-locked", amqp_error::resource_locked.str},
    {"precondition-failed", amqp_error::precondition_failed.str},
    {"resource-deleted", amqp_error::resource_deleted.str},
    {"illegal-state", amqp_error::illegal_state.str},
    {"frame-size-too-small", amqp_error::frame_size_too_small.str},
}};
constexpr std::array<choice_info, 3> connection_error_choices{{
    {"connection-forced", connection_error::connection_forced.str},
    {"framing-error", connection_error::framing_error.str},
    {"redirect", connection_error::redirect.str},
}};
constexpr std::array<choice_info, 4> session_error_choices{{
    {"window-violation", session_error::window_violation.str},
    {"errant-link", session_error::errant_link.str},
    {"handle-in-use", session_error::handle_in_use.str},
    {"unattached-handle", session_error::unattached_handle.str},
}};
constexpr std::array<choice_info, 5> link_error_choices{{
    {"detach-forced", link_error::detach_forced.str},
    {"transfer-limit-exceeded", link_error::transfer_limit_exceeded.str},
    {"message-size-exceeded", link_error::message_size_exceeded.str},
    {"redirect", link_error::redirect.str},
    {"stolen", link_error::stolen.str},
}};
constexpr std::array<choice_info, 3> terminus_durability_choices{
    {{"none", "0"}, {"configuration", "1"}, {"unsettled-state", "2"}}};
constexpr std::array<choice_info, 4> terminus_expiry_policy_choices{{
    {"link-detach", expiry_policy::link_detach.str},
    {"session-end", expiry_policy::session_end.str},
    {"connection-close", expiry_policy::connection_close.str},
    {"never", expiry_policy::never.str},
}};
constexpr std::array<choice_info, 2> std_dist_mode_choices{{
    {"move", distribution_mode::move.str},
    {"copy", distribution_mode::copy.str},
}};
constexpr std::array<choice_info, 5> txn_capability_choices{{
    {"local-transactions", txn_capability::local_transactions.str},
    {"distributed-transactions", txn_capability::distributed_transactions.str},
    {"promotable-transactions", txn_capability::promotable_transactions.str},
    {"multi-txns-per-ssn", txn_capability::multi_txns_per_ssn.str},
    {"multi-ssns-per-txn", txn_capability::multi_ssns_per_txn.str},
}};
constexpr std::array<choice_info, 3> transaction_error_choices{{
    {"unknown-id", transaction_error::unknown_id.str},
    {"transaction-rollback", transaction_error::transaction_rollback.str},
    {"transaction-timeout", transaction_error::transaction_timeout.str},
}};
constexpr std::array<choice_info, 5> sasl_code_choices{
    {{"ok", "0"}, {"auth", "1"}, {"sys", "2"}, {"sys-perm", "3"}, {"sys-temp", "4"}}};

constexpr std::array<restricted_info, 13> restricted{{
    {"role", "boolean", role_choices},
    {"sender-settle-mode", "ubyte", sender_settle_mode_choices},
    {"receiver-settle-mode", "ubyte", receiver_settle_mode_choices},
    {"amqp-error", "symbol", amqp_error_choices},
    {"connection-error", "symbol", connection_error_choices},
    {"session-error", "symbol", session_error_choices},
    {"link-error", "symbol", link_error_choices},
    {"terminus-durability", "uint", terminus_durability_choices},
    {"terminus-expiry-policy", "symbol", terminus_expiry_policy_choices},
    {"std-dist-mode", "symbol", std_dist_mode_choices},
    {"txn-capability", "symbol", txn_capability_choices},
    {"transaction-error", "symbol", transaction_error_choices},
    {"sasl-code", "ubyte", sasl_code_choices},
}};

}  // namespace

std::span<const restricted_info> all_restricted_types() noexcept {
  return restricted;
}

const restricted_info* find_restricted_type(std::string_view name) noexcept {
  for (const restricted_info& r : all_restricted_types())
    if (r.name == name) return &r;
  return nullptr;
}

}  // namespace amqp::spec
