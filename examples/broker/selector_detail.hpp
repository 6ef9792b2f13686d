// What the selector's parser and evaluator share: UTF-8 stepping (LIKE's _ is one character,
// not one byte), LIKE pattern checks and matching, and the JMS header names.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "selector.hpp"

namespace broker::detail {

// The code point at `pos`, advancing `pos` past it. A byte that does not start a well-formed
// sequence is taken as one character of its own (the selector never refuses a message for its
// encoding). Precondition: pos < s.size().
char32_t next_code_point(std::string_view s, std::size_t& pos) noexcept;
void append_utf8(std::string& out, char32_t c);

// The offset in `pattern` of an escape character that is not followed by %, _ or itself.
std::optional<std::size_t> check_like_pattern(std::string_view pattern, bool has_escape,
                                              char32_t escape) noexcept;
// Whether `text` matches the LIKE pattern (checked by check_like_pattern). At most
// O(text x pattern) steps, without allocating.
bool like_matches(std::string_view text, std::string_view pattern, bool has_escape,
                  char32_t escape) noexcept;

// The field a JMS header name reads, or field::property for any other name.
selector::field field_of(std::string_view identifier) noexcept;

}  // namespace broker::detail
