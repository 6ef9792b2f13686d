// Fuzz target: decoding a whole message (spec Part 3, 3.2).
//
// Oracle for every input that decodes: the canonical re-encoding of the view decodes again, and
// re-encoding that second view gives the same bytes (canonical encoding is a fixed point); the
// owned deep copies of both views encode alike, and that encoding is a fixed point as well.
//
// Every input is also read as a transaction coordinator reads a request (spec Part 4, 4.3:
// decode_coordinator_request). Refused, it is amqp:decode-error with a description that says
// what is wrong, and always refused when the message does not decode or its body is not an
// amqp-value; read, a discharge's id is at most 64 bytes, and the request re-encodes
// (encode_coordinator_request) to bytes that read back as the same request and re-encode to
// the same bytes again.
// Any mismatch traps.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <variant>

#include "amqp/message.hpp"
#include "amqp/transaction.hpp"

namespace {

bool same_bytes(amqp::bytes_view a, amqp::bytes_view b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

void check_coordinator_request(amqp::bytes_view input, bool amqp_value_body) {
  const auto request = amqp::decode_coordinator_request(input);
  if (!request) {
    const amqp::condition& why = request.error();
    if (why.name != "amqp:decode-error") __builtin_trap();
    if (!why.description.starts_with("not a transaction request: ") ||
        why.description.size() <= std::strlen("not a transaction request: "))
      __builtin_trap();
    return;
  }
  if (!amqp_value_body) __builtin_trap();
  if (const auto* d = std::get_if<amqp::discharge_request>(&*request);
      d && d->id.size() > amqp::transaction_id::max_size)
    __builtin_trap();
  // Compared through their encodings: a global id may hold a NaN, which equals nothing.
  amqp::writer first;
  if (amqp::encode_coordinator_request(first, *request)) __builtin_trap();
  const auto again = amqp::decode_coordinator_request(first.view());
  if (!again || again->index() != request->index()) __builtin_trap();
  amqp::writer second;
  if (amqp::encode_coordinator_request(second, *again)) __builtin_trap();
  if (!same_bytes(first.view(), second.view())) __builtin_trap();
  if (const auto* d = std::get_if<amqp::discharge_request>(&*request);
      d && !(*d == std::get<amqp::discharge_request>(*again)))
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const amqp::bytes_view input(data, size);
  auto m = amqp::decode_message(input);
  check_coordinator_request(input, m && m->body == amqp::body_kind::amqp_value);
  if (!m) return 0;

  // The canonical form may exceed the peer limits that the input met: it has more zero-width
  // array elements when wide zeros become uint0/ulong0, and one more level of nesting when an
  // array of list0 elements becomes an array of empty list8 (the encoder never writes a
  // zero-width list element, and an empty list8 counts as a level where list0 does not). The
  // re-decode allows for both: the oracle is about fidelity, not about what a peer may send.
  const amqp::decode_limits generous{amqp::decode_limits{}.max_depth + 1, 0xffffffffu};

  amqp::writer first;
  if (amqp::encode_message(first, *m)) __builtin_trap();
  auto again = amqp::decode_message(first.view(), generous);
  if (!again) __builtin_trap();
  if (again->body != m->body || again->body_count != m->body_count) __builtin_trap();
  if (again->header.has_value() != m->header.has_value()) __builtin_trap();
  if (again->properties.has_value() != m->properties.has_value()) __builtin_trap();
  if (!(again->delivery_annotations == m->delivery_annotations) ||
      !(again->message_annotations == m->message_annotations) ||
      !(again->application_properties == m->application_properties) ||
      !(again->footer == m->footer))
    __builtin_trap();
  auto a = again->body_sections().begin();
  for (amqp::value_view b : m->body_sections()) {
    if (a == again->body_sections().end() || !(*a == b)) __builtin_trap();
    ++a;
  }
  if (a != again->body_sections().end()) __builtin_trap();

  amqp::writer second;
  if (amqp::encode_message(second, *again)) __builtin_trap();
  if (!same_bytes(first.view(), second.view())) __builtin_trap();

  // The owned form omits sections that carry nothing (an empty properties list, empty
  // annotation maps), so it is compared with the view through its own encoding: the deep copies
  // of the first and the second view encode to the same bytes, and those bytes are a fixed
  // point of decode, copy, encode too.
  amqp::writer third;
  if (amqp::encode_message(third, amqp::message::from_view(*m))) __builtin_trap();
  amqp::writer fourth;
  if (amqp::encode_message(fourth, amqp::message::from_view(*again))) __builtin_trap();
  if (!same_bytes(third.view(), fourth.view())) __builtin_trap();
  auto owned_again = amqp::decode_message(third.view(), generous);
  if (!owned_again) __builtin_trap();
  amqp::writer fifth;
  if (amqp::encode_message(fifth, amqp::message::from_view(*owned_again))) __builtin_trap();
  if (!same_bytes(third.view(), fifth.view())) __builtin_trap();
  return 0;
}
