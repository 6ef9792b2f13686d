// Fuzz target: decoding a run of AMQP values (spec Part 1).
//
// The input is decoded value after value with decode_value_prefix until it ends or fails.
// Oracle for every value decoded:
//   - its canonical re-encoding decodes again, fills its bytes exactly and compares equal;
//   - re-encoding the canonical form gives the same bytes (canonical encoding is a fixed point);
//   - the owned deep copy compares equal to the view, and encodes to the same canonical bytes.
// Any mismatch traps, so the fuzzer reports it as a crash.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "amqp/value.hpp"

namespace {

bool same_bytes(amqp::bytes_view a, amqp::bytes_view b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

void check(amqp::value_view v) {
  // The canonical form may exceed the peer limits that the input met: it has more zero-width
  // array elements when wide zeros become uint0/ulong0, and one more level of nesting when an
  // array of list0 elements becomes an array of empty list8 (the encoder never writes a
  // zero-width list element, and an empty list8 counts as a level where list0 does not). The
  // re-decode allows for both: the oracle is about fidelity, not about what a peer may send.
  const amqp::decode_limits generous{amqp::decode_limits{}.max_depth + 1, 0xffffffffu};

  amqp::writer first;
  amqp::encoder(first).value(v);
  auto again = amqp::decode_value(first.view(), generous);
  if (!again) __builtin_trap();
  if (!(*again == v)) __builtin_trap();
  if (!(v == *again)) __builtin_trap();

  amqp::writer second;
  amqp::encoder(second).value(*again);
  if (!same_bytes(first.view(), second.view())) __builtin_trap();

  const amqp::value owned = amqp::value::from_view(v);
  if (!(owned == v)) __builtin_trap();
  amqp::writer third;
  amqp::encoder(third).value(owned);
  if (!same_bytes(first.view(), third.view())) __builtin_trap();
  if (!(amqp::value::from_view(*again) == owned)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  amqp::bytes_view input(data, size);
  while (!input.empty()) {
    std::size_t used = 0;
    auto v = amqp::decode_value_prefix(input, used);
    if (!v) break;
    if (used == 0 || used > input.size()) __builtin_trap();
    check(*v);
    input = input.subspan(used);
  }
  return 0;
}
