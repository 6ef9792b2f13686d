// Transaction ids, and the declare and discharge messages between a controller and a
// coordinator (spec Part 4, 4.3).
#include <algorithm>
#include <functional>
#include <string_view>

#include "amqp/codec/encoder.hpp"
#include "amqp/message.hpp"
#include "amqp/spec.hpp"
#include "amqp/transaction.hpp"

namespace amqp {

std::optional<transaction_id> transaction_id::from(bytes_view id) noexcept {
  if (id.size() > max_size) return std::nullopt;
  transaction_id t;
  std::copy(id.begin(), id.end(), t.bytes_.begin());
  t.size_ = static_cast<std::uint8_t>(id.size());
  return t;
}

bool operator==(const transaction_id& a, const transaction_id& b) noexcept {
  return std::ranges::equal(a.bytes(), b.bytes());
}

std::string to_hex(const transaction_id& id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : id.bytes()) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

namespace {

// The amqp-value section's descriptor (spec Part 3, 3.2.8).
constexpr std::uint64_t amqp_value_code = 0x77;

condition malformed(std::string what) {
  return condition{.name = "amqp:decode-error",
                   .description = "not a transaction request: " + std::move(what),
                   .info = {}};
}

}  // namespace

std::error_code encode_coordinator_request(writer& out, const coordinator_request& request) {
  const std::size_t start = out.size();
  encoder e(out);
  e.descriptor(amqp_value_code);
  if (const auto* d = std::get_if<declare_request>(&request)) {
    spec::encode(e, spec::declare{.global_id = d->global_id});
  } else {
    const auto& x = std::get<discharge_request>(request);
    const value id = value::bin(x.id.bytes());
    spec::discharge discharge{.txn_id = id};
    if (x.fail) discharge.fail = true;
    spec::encode(e, discharge);
  }
  // The encoder leaves out only the value it cannot write: what surrounds it would still read
  // as a request (a declare without its global id, a local one), so none of it stays.
  if (e.failed()) {
    out.truncate(start);
    return e.error();
  }
  return {};
}

result<coordinator_request, condition> decode_coordinator_request(bytes_view message,
                                                                  const decode_limits& limits) {
  auto m = decode_message(message, limits);
  if (!m) return malformed("the message does not decode: " + m.error().message());
  const value_view body = m->value();
  if (m->body != body_kind::amqp_value || body.type() != kind::described)
    return malformed("the body is not an amqp-value holding a declare or a discharge");
  const described_view d = body.as_described();
  if (d.is(spec::traits<spec::declare>::info.code, spec::traits<spec::declare>::info.symbol)) {
    auto r = spec::decode<spec::declare>(body);
    if (!r) return malformed("invalid declare: " + r.error().message());
    return coordinator_request(declare_request{value::from_view(r->global_id.view())});
  }
  if (d.is(spec::traits<spec::discharge>::info.code,
           spec::traits<spec::discharge>::info.symbol)) {
    auto r = spec::decode<spec::discharge>(body);
    if (!r) return malformed("invalid discharge: " + r.error().message());
    if (r->txn_id.view().type() != kind::binary)
      return malformed("the discharge's txn-id is not a binary");
    auto id = transaction_id::from(r->txn_id.view().as_binary());
    if (!id)
      return malformed("the discharge's txn-id is longer than " +
                       std::to_string(transaction_id::max_size) + " bytes");
    return coordinator_request(discharge_request{*id, r->fail.value_or(false)});
  }
  return malformed("the body holds neither a declare nor a discharge");
}

}  // namespace amqp

std::size_t std::hash<amqp::transaction_id>::operator()(
    const amqp::transaction_id& id) const noexcept {
  const amqp::bytes_view b = id.bytes();
  return std::hash<std::string_view>()(
      std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}
