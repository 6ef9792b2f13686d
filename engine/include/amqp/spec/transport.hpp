// The transport types (spec Part 2): the nine performatives, error, and their restricted types.
//
//   amqp::spec::attach a{.name = "sender-1", .handle = 0, .role = amqp::spec::role::sender};
//   amqp::spec::encode(enc, a);
//
// Members are views: a decoded struct points into the frame it came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "amqp/codec/types.hpp"
#include "amqp/spec/field_types.hpp"
#include "amqp/spec/table.hpp"

namespace amqp::spec {

// Restricted types with choices (spec Part 2, 2.8).
enum class role : bool { sender = false, receiver = true };
enum class sender_settle_mode : std::uint8_t { unsettled = 0, settled = 1, mixed = 2 };
enum class receiver_settle_mode : std::uint8_t { first = 0, second = 1 };
constexpr bool is_valid_choice(role) { return true; }
constexpr bool is_valid_choice(sender_settle_mode m) { return static_cast<std::uint8_t>(m) <= 2; }
constexpr bool is_valid_choice(receiver_settle_mode m) { return static_cast<std::uint8_t>(m) <= 1; }

struct error {
  symbol_view condition;
  std::optional<std::string_view> description;
  value_ref info;
};

struct open {
  std::string_view container_id;
  std::optional<std::string_view> hostname;
  std::uint32_t max_frame_size = 4294967295u;
  std::uint16_t channel_max = 65535;
  std::optional<std::uint32_t> idle_time_out;
  symbols outgoing_locales;
  symbols incoming_locales;
  symbols offered_capabilities;
  symbols desired_capabilities;
  value_ref properties;
};

struct begin {
  std::optional<std::uint16_t> remote_channel;
  std::uint32_t next_outgoing_id = 0;
  std::uint32_t incoming_window = 0;
  std::uint32_t outgoing_window = 0;
  std::uint32_t handle_max = 4294967295u;
  symbols offered_capabilities;
  symbols desired_capabilities;
  value_ref properties;
};

struct attach {
  std::string_view name;
  std::uint32_t handle = 0;
  spec::role role = role::sender;
  sender_settle_mode snd_settle_mode = sender_settle_mode::mixed;
  receiver_settle_mode rcv_settle_mode = receiver_settle_mode::first;
  value_ref source;
  value_ref target;
  value_ref unsettled;
  bool incomplete_unsettled = false;
  std::optional<std::uint32_t> initial_delivery_count;
  std::optional<std::uint64_t> max_message_size;
  symbols offered_capabilities;
  symbols desired_capabilities;
  value_ref properties;
};

struct flow {
  std::optional<std::uint32_t> next_incoming_id;
  std::uint32_t incoming_window = 0;
  std::uint32_t next_outgoing_id = 0;
  std::uint32_t outgoing_window = 0;
  std::optional<std::uint32_t> handle;
  std::optional<std::uint32_t> delivery_count;
  std::optional<std::uint32_t> link_credit;
  std::optional<std::uint32_t> available;
  bool drain = false;
  bool echo = false;
  value_ref properties;
};

struct transfer {
  std::uint32_t handle = 0;
  std::optional<std::uint32_t> delivery_id;
  std::optional<bytes_view> delivery_tag;
  std::optional<std::uint32_t> message_format;
  std::optional<bool> settled;
  bool more = false;
  std::optional<receiver_settle_mode> rcv_settle_mode;
  value_ref state;
  bool resume = false;
  bool aborted = false;
  bool batchable = false;
};

struct disposition {
  spec::role role = role::sender;
  std::uint32_t first = 0;
  std::optional<std::uint32_t> last;
  bool settled = false;
  value_ref state;
  bool batchable = false;
};

struct detach {
  std::uint32_t handle = 0;
  bool closed = false;
  std::optional<spec::error> error;
};

struct end {
  std::optional<spec::error> error;
};

struct close {
  std::optional<spec::error> error;
};

// Field declarations, in wire order, exactly as the spec states them.

template <>
struct traits<error> {
  static constexpr std::tuple fields{
      field<&error::condition>{{"condition", "symbol", "error-condition", mandatory}},
      field<&error::description>{{"description", "string"}},
      field<&error::info>{{"info", "fields"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"error", "amqp:error:list", 0x1d, "list", "", field_list};
};

template <>
struct traits<open> {
  static constexpr std::tuple fields{
      field<&open::container_id>{{"container-id", "string", "", mandatory}},
      field<&open::hostname>{{"hostname", "string"}},
      field<&open::max_frame_size>{{"max-frame-size", "uint", "", none, "4294967295"}},
      field<&open::channel_max>{{"channel-max", "ushort", "", none, "65535"}},
      field<&open::idle_time_out>{{"idle-time-out", "milliseconds"}},
      field<&open::outgoing_locales>{{"outgoing-locales", "ietf-language-tag", "", multiple}},
      field<&open::incoming_locales>{{"incoming-locales", "ietf-language-tag", "", multiple}},
      field<&open::offered_capabilities>{{"offered-capabilities", "symbol", "", multiple}},
      field<&open::desired_capabilities>{{"desired-capabilities", "symbol", "", multiple}},
      field<&open::properties>{{"properties", "fields"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"open", "amqp:open:list", 0x10, "list", "frame", field_list};
};

template <>
struct traits<begin> {
  static constexpr std::tuple fields{
      field<&begin::remote_channel>{{"remote-channel", "ushort"}},
      field<&begin::next_outgoing_id>{{"next-outgoing-id", "transfer-number", "", mandatory}},
      field<&begin::incoming_window>{{"incoming-window", "uint", "", mandatory}},
      field<&begin::outgoing_window>{{"outgoing-window", "uint", "", mandatory}},
      field<&begin::handle_max>{{"handle-max", "handle", "", none, "4294967295"}},
      field<&begin::offered_capabilities>{{"offered-capabilities", "symbol", "", multiple}},
      field<&begin::desired_capabilities>{{"desired-capabilities", "symbol", "", multiple}},
      field<&begin::properties>{{"properties", "fields"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"begin", "amqp:begin:list", 0x11, "list", "frame", field_list};
};

template <>
struct traits<attach> {
  static constexpr std::tuple fields{
      field<&attach::name>{{"name", "string", "", mandatory}},
      field<&attach::handle>{{"handle", "handle", "", mandatory}},
      field<&attach::role>{{"role", "role", "", mandatory}},
      field<&attach::snd_settle_mode>{{"snd-settle-mode", "sender-settle-mode", "", none, "mixed"}},
      field<&attach::rcv_settle_mode>{
          {"rcv-settle-mode", "receiver-settle-mode", "", none, "first"}},
      field<&attach::source>{{"source", "*", "source"}},
      field<&attach::target>{{"target", "*", "target"}},
      field<&attach::unsettled>{{"unsettled", "map"}},
      field<&attach::incomplete_unsettled>{
          {"incomplete-unsettled", "boolean", "", none, "false"}},
      field<&attach::initial_delivery_count>{{"initial-delivery-count", "sequence-no"}},
      field<&attach::max_message_size>{{"max-message-size", "ulong"}},
      field<&attach::offered_capabilities>{{"offered-capabilities", "symbol", "", multiple}},
      field<&attach::desired_capabilities>{{"desired-capabilities", "symbol", "", multiple}},
      field<&attach::properties>{{"properties", "fields"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"attach", "amqp:attach:list", 0x12, "list", "frame", field_list};
};

template <>
struct traits<flow> {
  static constexpr std::tuple fields{
      field<&flow::next_incoming_id>{{"next-incoming-id", "transfer-number"}},
      field<&flow::incoming_window>{{"incoming-window", "uint", "", mandatory}},
      field<&flow::next_outgoing_id>{{"next-outgoing-id", "transfer-number", "", mandatory}},
      field<&flow::outgoing_window>{{"outgoing-window", "uint", "", mandatory}},
      field<&flow::handle>{{"handle", "handle"}},
      field<&flow::delivery_count>{{"delivery-count", "sequence-no"}},
      field<&flow::link_credit>{{"link-credit", "uint"}},
      field<&flow::available>{{"available", "uint"}},
      field<&flow::drain>{{"drain", "boolean", "", none, "false"}},
      field<&flow::echo>{{"echo", "boolean", "", none, "false"}},
      field<&flow::properties>{{"properties", "fields"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"flow", "amqp:flow:list", 0x13, "list", "frame", field_list};
};

template <>
struct traits<transfer> {
  static constexpr std::tuple fields{
      field<&transfer::handle>{{"handle", "handle", "", mandatory}},
      field<&transfer::delivery_id>{{"delivery-id", "delivery-number"}},
      field<&transfer::delivery_tag>{{"delivery-tag", "delivery-tag"}},
      field<&transfer::message_format>{{"message-format", "message-format"}},
      field<&transfer::settled>{{"settled", "boolean"}},
      field<&transfer::more>{{"more", "boolean", "", none, "false"}},
      field<&transfer::rcv_settle_mode>{{"rcv-settle-mode", "receiver-settle-mode"}},
      field<&transfer::state>{{"state", "*", "delivery-state"}},
      field<&transfer::resume>{{"resume", "boolean", "", none, "false"}},
      field<&transfer::aborted>{{"aborted", "boolean", "", none, "false"}},
      field<&transfer::batchable>{{"batchable", "boolean", "", none, "false"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"transfer", "amqp:transfer:list", 0x14, "list", "frame",
                                  field_list};
};

template <>
struct traits<disposition> {
  static constexpr std::tuple fields{
      field<&disposition::role>{{"role", "role", "", mandatory}},
      field<&disposition::first>{{"first", "delivery-number", "", mandatory}},
      field<&disposition::last>{{"last", "delivery-number"}},
      field<&disposition::settled>{{"settled", "boolean", "", none, "false"}},
      field<&disposition::state>{{"state", "*", "delivery-state"}},
      field<&disposition::batchable>{{"batchable", "boolean", "", none, "false"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"disposition", "amqp:disposition:list", 0x15, "list", "frame",
                                  field_list};
};

template <>
struct traits<detach> {
  static constexpr std::tuple fields{
      field<&detach::handle>{{"handle", "handle", "", mandatory}},
      field<&detach::closed>{{"closed", "boolean", "", none, "false"}},
      field<&detach::error>{{"error", "error"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"detach", "amqp:detach:list", 0x16, "list", "frame", field_list};
};

template <>
struct traits<end> {
  static constexpr std::tuple fields{field<&end::error>{{"error", "error"}}};
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"end", "amqp:end:list", 0x17, "list", "frame", field_list};
};

template <>
struct traits<close> {
  static constexpr std::tuple fields{field<&close::error>{{"error", "error"}}};
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"close", "amqp:close:list", 0x18, "list", "frame", field_list};
};

}  // namespace amqp::spec
