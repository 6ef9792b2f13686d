// The run-time view of the spec table: every described type, for lookup by descriptor.
#include <algorithm>
#include <array>

#include "amqp/spec.hpp"

namespace amqp::spec {
namespace {

// Restricted types that carry a descriptor: the message sections without fields.
constexpr type_info section(std::string_view name, std::string_view symbol, std::uint64_t code,
                            std::string_view source) {
  return {name, symbol, code, source, "section", {}, true};
}

constexpr std::array types{
    traits<open>::info,
    traits<begin>::info,
    traits<attach>::info,
    traits<flow>::info,
    traits<transfer>::info,
    traits<disposition>::info,
    traits<detach>::info,
    traits<end>::info,
    traits<close>::info,
    traits<error>::info,
    traits<received>::info,
    traits<accepted>::info,
    traits<rejected>::info,
    traits<released>::info,
    traits<modified>::info,
    traits<source>::info,
    traits<target>::info,
    traits<delete_on_close>::info,
    traits<delete_on_no_links>::info,
    traits<delete_on_no_messages>::info,
    traits<delete_on_no_links_or_messages>::info,
    traits<coordinator>::info,
    traits<declare>::info,
    traits<discharge>::info,
    traits<declared>::info,
    traits<transactional_state>::info,
    traits<sasl_mechanisms>::info,
    traits<sasl_init>::info,
    traits<sasl_challenge>::info,
    traits<sasl_response>::info,
    traits<sasl_outcome>::info,
    traits<header>::info,
    section("delivery-annotations", "amqp:delivery-annotations:map", 0x71, "annotations"),
    section("message-annotations", "amqp:message-annotations:map", 0x72, "annotations"),
    traits<properties>::info,
    section("application-properties", "amqp:application-properties:map", 0x74, "map"),
    section("data", "amqp:data:binary", 0x75, "binary"),
    section("amqp-sequence", "amqp:amqp-sequence:list", 0x76, "list"),
    section("amqp-value", "amqp:amqp-value:*", 0x77, "*"),
    section("footer", "amqp:footer:map", 0x78, "annotations"),
};

// Sorted by code for lookup.
constexpr auto sorted = [] {
  auto t = types;
  std::sort(t.begin(), t.end(), [](const type_info& a, const type_info& b) { return a.code < b.code; });
  return t;
}();

// Every code is small (domain 0x00000000, ids below 0x80): a direct table, since a lookup
// happens for every frame received.
constexpr std::uint64_t code_limit = 0x80;
static_assert(sorted.back().code < code_limit);
constexpr auto by_code = [] {
  std::array<const type_info*, code_limit> t{};
  for (const type_info& i : sorted) t[i.code] = &i;
  return t;
}();

}  // namespace

std::span<const type_info> all_types() noexcept { return sorted; }

const type_info* find_type(std::uint64_t code) noexcept {
  return code < code_limit ? by_code[code] : nullptr;
}

const type_info* find_type(std::string_view symbol) noexcept {
  for (const type_info& t : sorted)
    if (t.symbol == symbol) return &t;
  return nullptr;
}

const type_info* find_type(value_view descriptor) noexcept {
  switch (descriptor.type()) {
    case kind::ulong: return find_type(descriptor.as_ulong());
    case kind::symbol: return find_type(descriptor.as_string());
    default: return nullptr;
  }
}

}  // namespace amqp::spec
