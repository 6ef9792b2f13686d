// The table of open transactions.
#include "transactions.hpp"

#include <array>

namespace broker {

open_transaction* transaction_table::declare(const amqp::link& coordinator) {
  if (open_.size() >= limits_.max_open) return nullptr;
  // Ids are never reused while the broker runs, so a late discharge of an ended transaction
  // is always told it is unknown: eight bytes of a counter, most significant first.
  std::array<std::uint8_t, 8> bytes{};
  std::uint64_t n = next_++;
  for (std::size_t i = bytes.size(); i-- > 0; n >>= 8) bytes[i] = static_cast<std::uint8_t>(n);
  const amqp::transaction_id id = *amqp::transaction_id::from({bytes.data(), bytes.size()});
  open_transaction& t = open_[id];
  t.id = id;
  t.coordinator = coordinator;
  return &t;
}

open_transaction* transaction_table::find(const amqp::transaction_id& id,
                                          const amqp::connection& asker) {
  auto it = open_.find(id);
  if (it == open_.end() || it->second.coordinator.connection() != asker) return nullptr;
  return &it->second;
}

std::optional<open_transaction> transaction_table::take(const amqp::transaction_id& id,
                                                        const amqp::connection& asker) {
  auto it = open_.find(id);
  if (it == open_.end() || it->second.coordinator.connection() != asker) return std::nullopt;
  open_transaction t = std::move(it->second);
  open_.erase(it);
  return t;
}

}  // namespace broker
