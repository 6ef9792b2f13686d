// The writer's growth, the one path of extend() that allocates.
#include "amqp/codec/writer.hpp"

namespace amqp {

void writer::grow(std::size_t need) {
  const std::size_t old_cap = capacity();
  std::size_t cap = old_cap < 64 ? 64 : old_cap * 2;
  while (cap < need) cap *= 2;
  auto next = std::make_unique_for_overwrite<std::uint8_t[]>(cap);
  const std::size_t n = size();
  if (n) std::memcpy(next.get(), buf_.get(), n);
  buf_ = std::move(next);
  end_ = buf_.get() + n;
  limit_ = buf_.get() + cap;
}

}  // namespace amqp
