// Handles to the engine's endpoints: small values (a slot and the
// generation of that slot), never pointers. A handle whose endpoint is gone no longer matches
// its slot's generation, so a command given a stale handle returns errc::invalid_handle
// instead of reaching whatever took the slot since.
//
//   auto s = engine.begin_session({});          // result<session_handle>
//   if (s) (void)engine.end_session(*s);
#pragma once

#include <cstdint>
#include <functional>

namespace amqp {

template <class Tag>
struct basic_handle {
  std::uint32_t slot = 0xffffffffu;
  std::uint32_t generation = 0;

  // A default handle names nothing; a handle from the engine may still be stale.
  bool is_set() const noexcept { return slot != 0xffffffffu; }
  friend bool operator==(basic_handle, basic_handle) = default;
};

struct session_handle_tag;
struct link_handle_tag;
struct delivery_handle_tag;
using session_handle = basic_handle<session_handle_tag>;
using link_handle = basic_handle<link_handle_tag>;
using delivery_handle = basic_handle<delivery_handle_tag>;

}  // namespace amqp

template <class Tag>
struct std::hash<amqp::basic_handle<Tag>> {
  std::size_t operator()(amqp::basic_handle<Tag> h) const noexcept {
    return std::hash<std::uint64_t>{}((std::uint64_t{h.generation} << 32) | h.slot);
  }
};
