// Conversions between the owned fields the application sees and the views the spec structs
// encode from or decode into, shared by the state machines.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "amqp/codec/writer.hpp"
#include "amqp/condition.hpp"
#include "amqp/errors.hpp"
#include "amqp/link.hpp"
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

// A source (as_source) or target, encoded into `scratch` (cleared first) and viewed there, for
// the attach that carries it; null for an empty terminus. errc::invalid_argument for maps
// that are not maps.
result<value_view, std::error_code> encode_terminus(const std::optional<terminus>& t,
                                                    bool as_source, writer& scratch);
// An attach's source or target, copied out of its frame; empty for null. A described value of
// another type is errc::unexpected_descriptor, a bad field its decode error.
result<std::optional<terminus>> terminus_of(value_view v, bool as_source);

// A delivery state encoded into `scratch` (cleared first) and viewed there; null for none.
value_view encode_state(const delivery_state& s, writer& scratch);
// A transfer's or disposition's state, copied out of its frame; null is type::none. A
// described value that is no delivery state this engine knows is errc::unexpected_descriptor.
result<delivery_state> state_of(value_view v);

}  // namespace amqp::detail
