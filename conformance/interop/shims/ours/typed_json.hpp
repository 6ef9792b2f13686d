// The typed-value JSON (conformance/interop/README.md) to and from this library's values.
//
//   amqp::value v = interop::ours::to_value(typed);     // what the sender puts in a message
//   interop::json t = interop::ours::to_json(view);      // what the receiver reports
#pragma once

#include "amqp/value.hpp"
#include "typed_text.hpp"

namespace interop::ours {

// The value a TYPED stands for, generated values made in full. Throws bad_value for a TYPED
// the README does not define (an unknown type, a "value" of the wrong form or range).
amqp::value to_value(const json& typed);

// The TYPED of a decoded value: binaries and strings over 1024 bytes as length and sha256, and
// {"type": "unrepresentable"} for what the JSON has no form for (an array of arrays, of nulls
// or of described values).
json to_json(amqp::value_view v);

}  // namespace interop::ours
