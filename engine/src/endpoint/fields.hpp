// Conversions between the owned fields the application sees and the views the spec structs
// encode from or decode into, shared by the state machines.
#pragma once

#include <string>
#include <vector>

#include "amqp/condition.hpp"
#include "amqp/spec/field_types.hpp"

namespace amqp::detail {

// A decoded symbol[] field, copied out of its frame.
inline std::vector<std::string> strings_of(const spec::symbols& s) {
  std::vector<std::string> out;
  out.reserve(s.size());
  for (symbol_view x : s) out.emplace_back(x.str);
  return out;
}

// Views of owned strings, for a symbol[] field to encode; valid while `v` is unchanged.
inline std::vector<symbol_view> views_of(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

inline condition condition_of(symbol_view name, std::string description) {
  return {std::string(name.str), std::move(description), {}};
}

}  // namespace amqp::detail
