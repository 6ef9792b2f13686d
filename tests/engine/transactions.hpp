// What the transaction suites of the engine share: ids, bodies and values made short.
#pragma once

#include <string>
#include <string_view>

#include "amqp/link.hpp"
#include "links.hpp"

namespace amqp::test {

inline transaction_id txn(std::string_view s) {
  auto id = transaction_id::from(test::as_bytes(s));
  EXPECT_TRUE(id);
  return id.value_or(transaction_id());
}

inline std::string message_of(std::size_t n) {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

inline value described(std::uint64_t code, value fields) {
  return value::described_of(value(code), std::move(fields));
}

// Link-state flow properties naming a transaction (spec Part 4, 4.4.3).
inline value txn_properties(std::string_view id) {
  return value::map_of({{value::sym("txn-id"), value::bin(test::as_bytes(id))}});
}

}  // namespace amqp::test
