// A trace sink that keeps every line it is given: the frames an engine wrote and read, as
// text, for tests to assert on.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "amqp/trace.hpp"

namespace amqp::test {

struct trace_lines {
  std::vector<std::string> lines;
  text_trace_sink sink{[this](std::string_view l) { lines.emplace_back(l); }};
};

}  // namespace amqp::test
