// The transaction values the command fuzz target draws from its input: transaction ids,
// coordinator targets, declare and discharge requests, and transactional delivery states. Each
// draw also checks what the engine's helpers promise about it: a 65-byte id is refused, an id
// of up to 64 bytes is kept as it is, and a global id the encoder cannot write is refused and
// leaves its writer as it was.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "amqp/transaction.hpp"
#include "fuzz_data.hpp"
#include "two_engines.hpp"

namespace txn_choices {

using two_engines::side;

// A transaction id: one this side knows, or 0 to 64 bytes from the input's front. Now and
// then 65 of them first: transaction_id refuses those, and the first 64 are taken.
inline amqp::transaction_id id(fuzz_data& in, const side& s,
                               const std::vector<amqp::transaction_id>& known) {
  if (!known.empty() && !in.one_in(4)) return known[in.range<std::size_t>(0, known.size() - 1)];
  const bool too_long = in.one_in(16);
  const std::size_t n =
      too_long ? amqp::transaction_id::max_size + 1 : in.range<std::size_t>(0, 64);
  std::vector<std::uint8_t> b = in.bytes(n);
  b.resize(n, static_cast<std::uint8_t>(n));
  if (too_long) {
    s.expect(!amqp::transaction_id::from(amqp::bytes_view(b)),
             "a 65-byte transaction id was taken");
    b.resize(amqp::transaction_id::max_size);
  }
  const auto made = amqp::transaction_id::from(amqp::bytes_view(b));
  s.expect(made && made->size() == b.size() &&
               std::equal(b.begin(), b.end(), made->bytes().begin()),
           "a transaction id of at most 64 bytes was refused or changed");
  return *made;
}

inline amqp::terminus coordinator(fuzz_data& in) {
  std::vector<std::string> caps;
  if (in.flag()) caps.emplace_back(amqp::txn_capabilities::local_transactions);
  if (in.one_in(4)) caps.emplace_back(amqp::txn_capabilities::multi_txns_per_ssn);
  if (in.one_in(8)) caps.emplace_back(amqp::txn_capabilities::distributed_transactions);
  return amqp::terminus::make_coordinator(std::move(caps));
}

inline amqp::coordinator_request request(fuzz_data& in, const side& s,
                                         const std::vector<amqp::transaction_id>& known) {
  if (!in.flag()) return amqp::discharge_request{id(in, s, known), in.flag()};
  amqp::value global;
  switch (in.range<int>(0, 7)) {
    case 5:
      global = amqp::value::bin(amqp::bytes_view(in.bytes(in.range<std::size_t>(0, 40))));
      break;
    case 6: global = amqp::value::list_of({"xa", in.range<int>(0, 9)}); break;
    case 7: {
      // A global id the encoder cannot write (a described descriptor) is refused whole.
      amqp::writer w;
      w.push_back(0x7f);
      const amqp::value bad = amqp::value::described_of(
          amqp::value::described_of(amqp::value(std::uint64_t{1}), amqp::value(2)),
          amqp::value(3));
      const std::error_code ec = amqp::encode_coordinator_request(w, amqp::declare_request{bad});
      s.expect(ec == amqp::errc::nested_descriptor && w.size() == 1,
               "an unencodable global id was not refused, or left bytes behind");
      break;
    }
    default: break;  // a local transaction, the common case
  }
  return amqp::declare_request{global};
}

inline amqp::delivery_state state(fuzz_data& in, const side& s,
                                  const std::vector<amqp::transaction_id>& known) {
  const amqp::transaction_id txn = id(in, s, known);
  using ds = amqp::delivery_state;
  switch (in.range<int>(0, 6)) {
    case 0: return ds::declared(txn);
    case 1: return ds::transactional(txn);
    case 2: return ds::transactional(txn, ds::rejected(amqp::condition{
                       std::string(amqp::transaction_errors::rollback), "fuzz", {}}));
    case 3: return ds::transactional(txn, ds::released());
    case 4: return ds::transactional(txn, ds::modified(in.flag(), in.flag()));
    case 5: return ds::transactional(txn, ds::rejected());
    default: return ds::transactional(txn, ds::accepted());
  }
}

// Link-state flow properties to grant credit with: a txn-id (now and then a 65-byte one: the
// engine does not read them), null, or something that is not a map (`map` false), which
// grant_credit must refuse.
inline amqp::value flow_properties(fuzz_data& in, const side& s,
                                   const std::vector<amqp::transaction_id>& known, bool& map) {
  amqp::value properties;
  map = true;
  switch (in.range<int>(0, 4)) {
    case 0: case 1: {
      const amqp::transaction_id txn = id(in, s, known);
      properties =
          amqp::value::map_of({{amqp::value::sym("txn-id"), amqp::value::bin(txn.bytes())}});
      break;
    }
    case 2: {
      const std::vector<std::uint8_t> long_id(65, 0x65);
      properties = amqp::value::map_of({{amqp::value::sym("txn-id"), amqp::value::bin(long_id)},
                                        {amqp::value::sym("x-fuzz"), 1}});
      break;
    }
    case 3: break;  // null: no more properties
    default:
      properties = in.pick({amqp::value::list_of({amqp::value::sym("txn-id")}),
                            amqp::value::sym("txn-id"), amqp::value(7)});
      map = false;
      break;
  }
  return properties;
}

}  // namespace txn_choices
