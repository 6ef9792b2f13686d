// The SASL frames (spec Part 5, 5.3).
//
//   amqp::spec::sasl_init init{.mechanism = amqp::symbol_view{"PLAIN"}, .initial_response = r};
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "amqp/codec/types.hpp"
#include "amqp/spec/field_types.hpp"
#include "amqp/spec/table.hpp"

namespace amqp::spec {

enum class sasl_code : std::uint8_t { ok = 0, auth = 1, sys = 2, sys_perm = 3, sys_temp = 4 };
constexpr bool is_valid_choice(sasl_code c) { return static_cast<std::uint8_t>(c) <= 4; }

struct sasl_mechanisms {
  symbols sasl_server_mechanisms;
};
struct sasl_init {
  symbol_view mechanism;
  std::optional<bytes_view> initial_response;
  std::optional<std::string_view> hostname;
};
struct sasl_challenge {
  bytes_view challenge;
};
struct sasl_response {
  bytes_view response;
};
struct sasl_outcome {
  sasl_code code = sasl_code::ok;
  std::optional<bytes_view> additional_data;
};

template <>
struct traits<sasl_mechanisms> {
  static constexpr std::tuple fields{field<&sasl_mechanisms::sasl_server_mechanisms>{
      {"sasl-server-mechanisms", "symbol", "", mandatory | multiple}}};
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"sasl-mechanisms", "amqp:sasl-mechanisms:list", 0x40, "list",
                                  "sasl-frame", field_list};
};
template <>
struct traits<sasl_init> {
  static constexpr std::tuple fields{
      field<&sasl_init::mechanism>{{"mechanism", "symbol", "", mandatory}},
      field<&sasl_init::initial_response>{{"initial-response", "binary"}},
      field<&sasl_init::hostname>{{"hostname", "string"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"sasl-init", "amqp:sasl-init:list", 0x41, "list", "sasl-frame",
                                  field_list};
};
template <>
struct traits<sasl_challenge> {
  static constexpr std::tuple fields{
      field<&sasl_challenge::challenge>{{"challenge", "binary", "", mandatory}}};
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"sasl-challenge", "amqp:sasl-challenge:list", 0x42, "list",
                                  "sasl-frame", field_list};
};
template <>
struct traits<sasl_response> {
  static constexpr std::tuple fields{
      field<&sasl_response::response>{{"response", "binary", "", mandatory}}};
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"sasl-response", "amqp:sasl-response:list", 0x43, "list",
                                  "sasl-frame", field_list};
};
template <>
struct traits<sasl_outcome> {
  static constexpr std::tuple fields{
      field<&sasl_outcome::code>{{"code", "sasl-code", "", mandatory}},
      field<&sasl_outcome::additional_data>{{"additional-data", "binary"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"sasl-outcome", "amqp:sasl-outcome:list", 0x44, "list",
                                  "sasl-frame", field_list};
};

}  // namespace amqp::spec
