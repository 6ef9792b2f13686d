// Internal: the pieces of a script statement (frame_syntax.cpp), which script_parser.cpp
// assembles into steps. Each reads at the cursor and throws syntax_error.
#pragma once

#include "peer/script.hpp"
#include "peer/text_cursor.hpp"

namespace amqp::peer::detail {

// After `send`: `header amqp|sasl|tls`, `bytes HEX...` or a frame.
send_step read_send(text_cursor& c, const script_limits& limits);
// After `expect` (or on a line of an expect block): `header ...`, `eof` or a frame pattern.
expectation read_expectation(text_cursor& c, const script_limits& limits);
// `within DURATION` and `skipping RULE, ...`, in any order, each at most once.
void read_clauses(text_cursor& c, expect_step& e, const script_limits& limits);
// `100ms`, `2s`.
duration read_duration(text_cursor& c, const script_limits& limits);

}  // namespace amqp::peer::detail
