// sample<T>(): every composite type with every field set to a non-default value.
#pragma once

#include <array>
#include <cstdint>

#include "spec/composites.hpp"

namespace amqp::test {

inline const std::uint8_t sample_bytes[] = {0x00, 0x75, 0x00, 0x70, 0xff};
inline const bytes_view sample_binary{sample_bytes};
inline const std::uint8_t sample_tag_bytes[] = {0x01, 0x02, 0x03, 0x04};

inline constexpr std::array locales_en{symbol_view{"en-US"}, symbol_view{"en-GB"}};
inline constexpr std::array locales_de{symbol_view{"de-DE"}};
inline constexpr std::array caps_offered{symbol_view{"ANONYMOUS-RELAY"},
                                         symbol_view{"DELAYED_DELIVERY"}};
inline constexpr std::array caps_desired{symbol_view{"SHARED-SUBS"}};
inline constexpr std::array outcome_symbols{symbol_view{"amqp:accepted:list"},
                                            symbol_view{"amqp:rejected:list"}};
inline constexpr std::array queue_caps{symbol_view{"queue"}};
inline constexpr std::array txn_caps{symbol_view{"amqp:local-transactions"},
                                     symbol_view{"amqp:multi-txns-per-ssn"}};
inline constexpr std::array mechanisms{symbol_view{"PLAIN"}, symbol_view{"ANONYMOUS"}};

// A `fields` map: symbol keys.
inline const value& sample_fields() {
  static const value v = value::map_of({{value::sym("product"), "amqp-engine"},
                                        {value::sym("version"), 3u},
                                        {value::sym("flag"), true}});
  return v;
}

// Keeps the encoding of a nested composite alive and views it (one value per type T: the
// first call encodes, later calls return the same view).
template <s::composite T>
value_view encoded_sample(const T& v) {
  static const writer w = encode_one(v);
  return view_of(w);
}

template <>
inline s::error sample<s::error>() {
  return {.condition = s::amqp_error::resource_limit_exceeded,
          .description = "too many links",
          .info = sample_fields()};
}

template <>
inline s::open sample<s::open>() {
  return {.container_id = "container-1",
          .hostname = "broker.example",
          .max_frame_size = 65536,
          .channel_max = 255,
          .idle_time_out = 30000,
          .outgoing_locales = locales_en,
          .incoming_locales = locales_de,
          .offered_capabilities = caps_offered,
          .desired_capabilities = caps_desired,
          .properties = sample_fields()};
}

template <>
inline s::begin sample<s::begin>() {
  return {.remote_channel = 3,
          .next_outgoing_id = 10,
          .incoming_window = 2048,
          .outgoing_window = 4096,
          .handle_max = 63,
          .offered_capabilities = caps_offered,
          .desired_capabilities = caps_desired,
          .properties = sample_fields()};
}

template <>
inline s::source sample<s::source>() {
  static const value node_properties = value::map_of(
      {{value::sym("lifetime-policy"), value::described_of(value(std::uint64_t{0x2b}), list{})}});
  static const value filter = value::map_of(
      {{value::sym("selector"),
        value::described_of(value::sym("apache.org:selector-filter:string"), "colour = 'red'")}});
  return {.address = "queue-a",
          .durable = s::terminus_durability::unsettled_state,
          .expiry_policy = s::expiry_policy::never,
          .timeout = 60,
          .dynamic = true,
          .dynamic_node_properties = node_properties,
          .distribution_mode = s::distribution_mode::copy,
          .filter = filter,
          .default_outcome = encoded_sample(s::released{}),
          .outcomes = outcome_symbols,
          .capabilities = queue_caps};
}

template <>
inline s::target sample<s::target>() {
  static const value node_properties = value::map_of({{value::sym("x"), 1u}});
  return {.address = "queue-b",
          .durable = s::terminus_durability::configuration,
          .expiry_policy = s::expiry_policy::connection_close,
          .timeout = 5,
          .dynamic = true,
          .dynamic_node_properties = node_properties,
          .capabilities = queue_caps};
}

template <>
inline s::attach sample<s::attach>() {
  static const value unsettled =
      value::map_of({{value::bin(bytes_view(sample_tag_bytes)),
                      value::described_of(value(std::uint64_t{0x24}), list{})}});
  return {.name = "link-1",
          .handle = 7,
          .role = s::role::receiver,
          .snd_settle_mode = s::sender_settle_mode::settled,
          .rcv_settle_mode = s::receiver_settle_mode::second,
          .source = encoded_sample(sample<s::source>()),
          .target = encoded_sample(sample<s::target>()),
          .unsettled = unsettled,
          .incomplete_unsettled = true,
          .initial_delivery_count = 12,
          .max_message_size = 1ull << 40,
          .offered_capabilities = caps_offered,
          .desired_capabilities = caps_desired,
          .properties = sample_fields()};
}

template <>
inline s::flow sample<s::flow>() {
  return {.next_incoming_id = 1,
          .incoming_window = 2048,
          .next_outgoing_id = 70000,
          .outgoing_window = 4096,
          .handle = 7,
          .delivery_count = 4294967295u,
          .link_credit = 100,
          .available = 3,
          .drain = true,
          .echo = true,
          .properties = sample_fields()};
}

template <>
inline s::received sample<s::received>() {
  return {.section_number = 2, .section_offset = 1ull << 33};
}

template <>
inline s::transfer sample<s::transfer>() {
  return {.handle = 7,
          .delivery_id = 9,
          .delivery_tag = bytes_view(sample_tag_bytes),
          .message_format = 0x1234,
          .settled = false,
          .more = true,
          .rcv_settle_mode = s::receiver_settle_mode::second,
          .state = encoded_sample(sample<s::received>()),
          .resume = true,
          .aborted = true,
          .batchable = true};
}

template <>
inline s::disposition sample<s::disposition>() {
  return {.role = s::role::receiver,
          .first = 4,
          .last = 9,
          .settled = true,
          .state = encoded_sample(s::accepted{}),
          .batchable = true};
}

template <>
inline s::detach sample<s::detach>() {
  return {.handle = 7, .closed = true, .error = sample<s::error>()};
}
template <>
inline s::end sample<s::end>() {
  return {.error = sample<s::error>()};
}
template <>
inline s::close sample<s::close>() {
  return {.error = s::error{.condition = s::connection_error::framing_error}};
}

template <>
inline s::header sample<s::header>() {
  return {.durable = true, .priority = 9, .ttl = 0, .first_acquirer = true, .delivery_count = 3};
}

template <>
inline s::properties sample<s::properties>() {
  static const value message_id = std::uint64_t{0x1122334455667788};
  static const value correlation_id = uuid{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
  return {.message_id = message_id,
          .user_id = sample_binary,
          .to = "queue-a",
          .subject = "greeting",
          .reply_to = "reply-queue",
          .correlation_id = correlation_id,
          .content_type = symbol_view{"text/plain"},
          .content_encoding = symbol_view{"gzip"},
          .absolute_expiry_time = timestamp{1700000000000},
          .creation_time = timestamp{-1},
          .group_id = "group",
          .group_sequence = 17,
          .reply_to_group_id = "reply-group"};
}

template <>
inline s::accepted sample<s::accepted>() {
  return {};
}
template <>
inline s::rejected sample<s::rejected>() {
  return {.error = sample<s::error>()};
}
template <>
inline s::released sample<s::released>() {
  return {};
}
template <>
inline s::modified sample<s::modified>() {
  static const value annotations = value::map_of({{value::sym("x-opt-reason"), "retry"}});
  return {.delivery_failed = true, .undeliverable_here = false, .message_annotations = annotations};
}
template <>
inline s::delete_on_close sample<s::delete_on_close>() {
  return {};
}
template <>
inline s::delete_on_no_links sample<s::delete_on_no_links>() {
  return {};
}
template <>
inline s::delete_on_no_messages sample<s::delete_on_no_messages>() {
  return {};
}
template <>
inline s::delete_on_no_links_or_messages sample<s::delete_on_no_links_or_messages>() {
  return {};
}

inline const value& sample_txn_id() {
  static const value v = value::bin(bytes_view(sample_tag_bytes));
  return v;
}

template <>
inline s::coordinator sample<s::coordinator>() {
  return {.capabilities = txn_caps};
}
template <>
inline s::declare sample<s::declare>() {
  static const value global_id = value::bin(sample_binary);
  return {.global_id = global_id};
}
template <>
inline s::discharge sample<s::discharge>() {
  return {.txn_id = sample_txn_id(), .fail = true};
}
template <>
inline s::declared sample<s::declared>() {
  return {.txn_id = sample_txn_id()};
}
template <>
inline s::transactional_state sample<s::transactional_state>() {
  return {.txn_id = sample_txn_id(), .outcome = encoded_sample(sample<s::rejected>())};
}

template <>
inline s::sasl_mechanisms sample<s::sasl_mechanisms>() {
  return {.sasl_server_mechanisms = mechanisms};
}
template <>
inline s::sasl_init sample<s::sasl_init>() {
  return {.mechanism = symbol_view{"PLAIN"},
          .initial_response = sample_binary,
          .hostname = "broker.example"};
}
template <>
inline s::sasl_challenge sample<s::sasl_challenge>() {
  return {.challenge = sample_binary};
}
template <>
inline s::sasl_response sample<s::sasl_response>() {
  return {.response = sample_binary};
}
template <>
inline s::sasl_outcome sample<s::sasl_outcome>() {
  return {.code = s::sasl_code::sys_perm, .additional_data = sample_binary};
}

}  // namespace amqp::test
