// The transaction types (spec Part 4, 4.5).
//
//   amqp::spec::discharge d{.txn_id = id, .fail = true};   // roll back
#pragma once

#include <optional>

#include "amqp/spec/field_types.hpp"
#include "amqp/spec/table.hpp"

namespace amqp::spec {

struct coordinator {
  symbols capabilities;
};
struct declare {
  value_ref global_id;
};
struct discharge {
  value_ref txn_id;
  std::optional<bool> fail;
};
struct declared {
  value_ref txn_id;
};
struct transactional_state {
  value_ref txn_id;
  value_ref outcome;
};

template <>
struct traits<coordinator> {
  static constexpr std::tuple fields{field<&coordinator::capabilities>{
      {"capabilities", "symbol", "txn-capability", multiple}}};
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"coordinator", "amqp:coordinator:list", 0x30, "list", "target",
                                  field_list};
};
template <>
struct traits<declare> {
  static constexpr std::tuple fields{
      field<&declare::global_id>{{"global-id", "*", "global-tx-id"}}};
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"declare", "amqp:declare:list", 0x31, "list", "", field_list};
};
template <>
struct traits<discharge> {
  static constexpr std::tuple fields{
      field<&discharge::txn_id>{{"txn-id", "*", "txn-id", mandatory}},
      field<&discharge::fail>{{"fail", "boolean"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"discharge", "amqp:discharge:list", 0x32, "list", "",
                                  field_list};
};
template <>
struct traits<declared> {
  static constexpr std::tuple fields{
      field<&declared::txn_id>{{"txn-id", "*", "txn-id", mandatory}}};
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"declared", "amqp:declared:list", 0x33, "list",
                                  "delivery-state, outcome", field_list};
};
template <>
struct traits<transactional_state> {
  static constexpr std::tuple fields{
      field<&transactional_state::txn_id>{{"txn-id", "*", "txn-id", mandatory}},
      field<&transactional_state::outcome>{{"outcome", "*", "outcome"}},
  };
  static constexpr auto field_list = field_infos(fields);
  static constexpr type_info info{"transactional-state", "amqp:transactional-state:list", 0x34,
                                  "list", "delivery-state", field_list};
};

}  // namespace amqp::spec
