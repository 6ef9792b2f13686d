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

using all_composites =
    std::tuple<s::error, s::open, s::begin, s::attach, s::flow, s::transfer, s::disposition,
               s::detach, s::end, s::close, s::header, s::properties, s::received, s::accepted,
               s::rejected, s::released, s::modified, s::source, s::target, s::delete_on_close,
               s::delete_on_no_links, s::delete_on_no_messages, s::delete_on_no_links_or_messages,
               s::coordinator, s::declare, s::discharge, s::declared, s::transactional_state,
               s::sasl_mechanisms, s::sasl_init, s::sasl_challenge, s::sasl_response,
               s::sasl_outcome>;

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
  std::apply([&](auto... t) { (check<decltype(t)>(input), ...); }, all_composites{});
  return 0;
}
