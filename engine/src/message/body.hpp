// Walking every body section of a message view, including those beyond `body_sections`.
#pragma once

#include <algorithm>

#include "amqp/message.hpp"

namespace amqp::detail {

// Calls f(value) for the value of each body section in order. A decoded view walks its
// `body_bytes` (already validated, so without checks); a view built by hand, which has no
// body_bytes, offers only its `body_sections`.
template <class F>
void for_each_body_section(const message_view& m, F&& f) {
  if (!m.body_bytes.empty()) {
    const std::uint8_t* p = m.body_bytes.data();
    const std::uint8_t* const end = p + m.body_bytes.size();
    while (p != end) f(view_at(p).as_described().value());
    return;
  }
  const std::size_t n = std::min(m.body_count, message_view::max_body_sections);
  for (std::size_t i = 0; i < n; ++i) f(m.body_sections[i]);
}

}  // namespace amqp::detail
