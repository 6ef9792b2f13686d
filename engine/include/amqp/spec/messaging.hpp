// The messaging types (spec Part 3): message sections with fields, delivery states and
// outcomes, source and target, lifetime policies, and their restricted types.
//
//   amqp::spec::properties p{.message_id = id, .to = to, .subject = "hello"};
//   amqp::spec::source s{.address = addr, .durable = amqp::spec::terminus_durability::none};
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "amqp/codec/types.hpp"
#include "amqp/spec/field_types.hpp"
#include "amqp/spec/table.hpp"
#include "amqp/spec/transport.hpp"

namespace amqp::spec {

// Restricted types with choices (spec Part 3, 3.5).
enum class terminus_durability : std::uint32_t { none = 0, configuration = 1, unsettled_state = 2 };
constexpr bool is_valid_choice(terminus_durability d) {
  return static_cast<std::uint32_t>(d) <= 2;
}

// Message sections with fields (spec Part 3, 3.2).
struct header {
  bool durable = false;
  std::uint8_t priority = 4;
  std::optional<std::uint32_t> ttl;
  bool first_acquirer = false;
  std::uint32_t delivery_count = 0;
};

struct properties {
  value_ref message_id;
  std::optional<bytes_view> user_id;
  value_ref to;
  std::optional<std::string_view> subject;
  value_ref reply_to;
  value_ref correlation_id;
  std::optional<symbol_view> content_type;
  std::optional<symbol_view> content_encoding;
  std::optional<timestamp> absolute_expiry_time;
  std::optional<timestamp> creation_time;
  std::optional<std::string_view> group_id;
  std::optional<std::uint32_t> group_sequence;
  std::optional<std::string_view> reply_to_group_id;
};

// Delivery states and outcomes (spec Part 3, 3.4).
struct received {
  std::uint32_t section_number = 0;
  std::uint64_t section_offset = 0;
};
struct accepted {};
struct rejected {
  std::optional<spec::error> error;
};
struct released {};
struct modified {
  std::optional<bool> delivery_failed;
  std::optional<bool> undeliverable_here;
  value_ref message_annotations;
};

// Addressing (spec Part 3, 3.5).
struct source {
  value_ref address;
  terminus_durability durable = terminus_durability::none;
  symbol_view expiry_policy{"session-end"};
  std::uint32_t timeout = 0;
  bool dynamic = false;
  value_ref dynamic_node_properties;
  std::optional<symbol_view> distribution_mode;
  value_ref filter;
  value_ref default_outcome;
  symbols outcomes;
  symbols capabilities;
};

struct target {
  value_ref address;
  terminus_durability durable = terminus_durability::none;
  symbol_view expiry_policy{"session-end"};
  std::uint32_t timeout = 0;
  bool dynamic = false;
  value_ref dynamic_node_properties;
  symbols capabilities;
};

// Lifetime policies of dynamic nodes (spec Part 3, 3.5.10 to 3.5.13).
struct delete_on_close {};
struct delete_on_no_links {};
struct delete_on_no_messages {};
struct delete_on_no_links_or_messages {};

template <>
struct traits<header> {
  static constexpr std::tuple fields{
      field<&header::durable>{{"durable", "boolean", "", none, "false"}},
      field<&header::priority>{{"priority", "ubyte", "", none, "4"}},
      field<&header::ttl>{{"ttl", "milliseconds"}},
      field<&header::first_acquirer>{{"first-acquirer", "boolean", "", none, "false"}},
      field<&header::delivery_count>{{"delivery-count", "uint", "", none, "0"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"header", "amqp:header:list", 0x70, "list", "section",
                                  field_list};
};

template <>
struct traits<properties> {
  static constexpr std::tuple fields{
      field<&properties::message_id>{{"message-id", "*", "message-id"}},
      field<&properties::user_id>{{"user-id", "binary"}},
      field<&properties::to>{{"to", "*", "address"}},
      field<&properties::subject>{{"subject", "string"}},
      field<&properties::reply_to>{{"reply-to", "*", "address"}},
      field<&properties::correlation_id>{{"correlation-id", "*", "message-id"}},
      field<&properties::content_type>{{"content-type", "symbol"}},
      field<&properties::content_encoding>{{"content-encoding", "symbol"}},
      field<&properties::absolute_expiry_time>{{"absolute-expiry-time", "timestamp"}},
      field<&properties::creation_time>{{"creation-time", "timestamp"}},
      field<&properties::group_id>{{"group-id", "string"}},
      field<&properties::group_sequence>{{"group-sequence", "sequence-no"}},
      field<&properties::reply_to_group_id>{{"reply-to-group-id", "string"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"properties", "amqp:properties:list", 0x73, "list", "section",
                                  field_list};
};

template <>
struct traits<received> {
  static constexpr std::tuple fields{
      field<&received::section_number>{{"section-number", "uint", "", mandatory}},
      field<&received::section_offset>{{"section-offset", "ulong", "", mandatory}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"received", "amqp:received:list", 0x23, "list",
                                  "delivery-state", field_list};
};

template <>
struct traits<accepted> {
  static constexpr std::tuple<> fields{};
  static constexpr type_info info{"accepted", "amqp:accepted:list", 0x24, "list",
                                  "delivery-state, outcome", {}};
};

template <>
struct traits<rejected> {
  static constexpr std::tuple fields{field<&rejected::error>{{"error", "error"}}};
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"rejected", "amqp:rejected:list", 0x25, "list",
                                  "delivery-state, outcome", field_list};
};

template <>
struct traits<released> {
  static constexpr std::tuple<> fields{};
  static constexpr type_info info{"released", "amqp:released:list", 0x26, "list",
                                  "delivery-state, outcome", {}};
};

template <>
struct traits<modified> {
  static constexpr std::tuple fields{
      field<&modified::delivery_failed>{{"delivery-failed", "boolean"}},
      field<&modified::undeliverable_here>{{"undeliverable-here", "boolean"}},
      field<&modified::message_annotations>{{"message-annotations", "fields"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"modified", "amqp:modified:list", 0x27, "list",
                                  "delivery-state, outcome", field_list};
};

template <>
struct traits<source> {
  static constexpr std::tuple fields{
      field<&source::address>{{"address", "*", "address"}},
      field<&source::durable>{{"durable", "terminus-durability", "", none, "none"}},
      field<&source::expiry_policy>{
          {"expiry-policy", "terminus-expiry-policy", "", none, "session-end"}},
      field<&source::timeout>{{"timeout", "seconds", "", none, "0"}},
      field<&source::dynamic>{{"dynamic", "boolean", "", none, "false"}},
      field<&source::dynamic_node_properties>{{"dynamic-node-properties", "node-properties"}},
      field<&source::distribution_mode>{{"distribution-mode", "symbol", "distribution-mode"}},
      field<&source::filter>{{"filter", "filter-set"}},
      field<&source::default_outcome>{{"default-outcome", "*", "outcome"}},
      field<&source::outcomes>{{"outcomes", "symbol", "", multiple}},
      field<&source::capabilities>{{"capabilities", "symbol", "", multiple}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"source", "amqp:source:list", 0x28, "list", "source",
                                  field_list};
};

template <>
struct traits<target> {
  static constexpr std::tuple fields{
      field<&target::address>{{"address", "*", "address"}},
      field<&target::durable>{{"durable", "terminus-durability", "", none, "none"}},
      field<&target::expiry_policy>{
          {"expiry-policy", "terminus-expiry-policy", "", none, "session-end"}},
      field<&target::timeout>{{"timeout", "seconds", "", none, "0"}},
      field<&target::dynamic>{{"dynamic", "boolean", "", none, "false"}},
      field<&target::dynamic_node_properties>{{"dynamic-node-properties", "node-properties"}},
      field<&target::capabilities>{{"capabilities", "symbol", "", multiple}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"target", "amqp:target:list", 0x29, "list", "target",
                                  field_list};
};

template <>
struct traits<delete_on_close> {
  static constexpr std::tuple<> fields{};
  static constexpr type_info info{"delete-on-close", "amqp:delete-on-close:list", 0x2b, "list",
                                  "lifetime-policy", {}};
};
template <>
struct traits<delete_on_no_links> {
  static constexpr std::tuple<> fields{};
  static constexpr type_info info{"delete-on-no-links", "amqp:delete-on-no-links:list", 0x2c,
                                  "list", "lifetime-policy", {}};
};
template <>
struct traits<delete_on_no_messages> {
  static constexpr std::tuple<> fields{};
  static constexpr type_info info{"delete-on-no-messages", "amqp:delete-on-no-messages:list",
                                  0x2d, "list", "lifetime-policy", {}};
};
template <>
struct traits<delete_on_no_links_or_messages> {
  static constexpr std::tuple<> fields{};
  static constexpr type_info info{"delete-on-no-links-or-messages",
                                  "amqp:delete-on-no-links-or-messages:list", 0x2e, "list",
                                  "lifetime-policy", {}};
};

}  // namespace amqp::spec
