// Plays a script over a connection: sends what it says, checks what comes back.
//
//   std::string report;
//   int status = amqp::peer::play(script, conn, {.timeout = 5s, .trace = trace_line}, report);
//   // 0: every step passed; 1: one failed, and `report` says which, what it expected, what
//   // came instead, and the last items received
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "peer/connection.hpp"
#include "peer/incoming.hpp"
#include "peer/script.hpp"

namespace amqp::peer {

struct run_options {
  duration timeout = std::chrono::seconds(5);  // an expect without `within` waits this long
  // Receives every header, frame and fault sent ("-> ...") and received ("<- ..."), when set.
  std::function<void(std::string_view)> trace;
};

int play(const script& s, connection& c, const run_options& options, std::string& report);

// Empty when `r` is what `e` expects; otherwise why not, in one line.
std::string mismatch(const expectation& e, const received& r);
// Whether an expect step with these rules lets `r` go by.
bool skippable(const std::vector<skip_rule>& rules, const received& r);

}  // namespace amqp::peer
