// Fuzz target: the composite types of the spec table (performatives, SASL frames, delivery
// states, terminus, ...), decoded in one pass from bytes.
//
// Oracle, for every composite type: the one-pass decoder (spec::decode from bytes) accepts the
// input exactly when the value decoder and the decoder of views both accept it, and both read
// fields that encode to the same bytes. Any disagreement traps.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>

#include "amqp/spec.hpp"

namespace {

namespace s = amqp::spec;

template <s::composite T>
void check(amqp::bytes_view input) {
  const auto one_pass = s::decode<T>(input);
  const auto value = amqp::decode_value(input);
  const auto two_pass =
      value ? s::decode<T>(*value, input.data()) : amqp::result<T>(value.error());
  if (one_pass.has_value() != two_pass.has_value()) __builtin_trap();
  if (!one_pass) {
    if (one_pass.error().offset > input.size()) __builtin_trap();
    return;
  }
  amqp::writer a, b;
  amqp::encoder ea(a), eb(b);
  s::encode(ea, *one_pass);
  s::encode(eb, *two_pass);
  if (ea.error() || eb.error()) __builtin_trap();
  if (a.size() != b.size() || std::memcmp(a.data(), b.data(), a.size()) != 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const amqp::bytes_view input(data, size);
  std::apply([&](auto... t) { (check<decltype(t)>(input), ...); }, s::composite_types{});
  return 0;
}
