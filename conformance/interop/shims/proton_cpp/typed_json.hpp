// The typed-value JSON (conformance/interop/README.md) to and from Qpid Proton C++'s values:
// scalars as proton::scalar, lists, maps, arrays and described values through its encoder and
// decoder, which keep the exact types (an array's element type, a map's order).
//
//   interop::proton_cpp::encode(typed, message.body());
//   proton::scalar s = interop::proton_cpp::to_scalar(typed);    // an application property
//   interop::json t = interop::proton_cpp::to_json(message.body());
#pragma once

#include <proton/scalar.hpp>
#include <proton/value.hpp>

#include "typed_text.hpp"

namespace interop::proton_cpp {

// Writes the value a TYPED stands for into `out`, generated values made in full. In place,
// because a copy of a null proton::value holds no value at all: message::body(value) would send
// a null as no body section. Throws bad_value for a TYPED the README does not define.
void encode(const json& typed, proton::value& out);
// The same for a TYPED whose type is a scalar one (property_allowed).
proton::scalar to_scalar(const json& typed);

// The TYPED of a received value: binaries and strings over 1024 bytes as length and sha256,
// {"type": "unrepresentable"} for what the JSON has no form for. An empty value is null: Proton
// does not tell a message without a body from one whose amqp-value is null.
json to_json(const proton::value& v);
json to_json(const proton::scalar& s);

}  // namespace interop::proton_cpp
