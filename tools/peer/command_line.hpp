// The amqp-peer command line:
//   amqp-peer (--connect HOST:PORT | --listen HOST:PORT) [--timeout SECONDS] [--trace]
//             [--var NAME=VALUE]... SCRIPT
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "peer/script.hpp"

namespace amqp::peer {

struct command_line {
  enum class role : std::uint8_t { connect, listen };
  role mode = role::connect;
  std::string address;
  std::string script;  // the script file
  duration timeout = std::chrono::seconds(5);
  bool trace = false;
  variables vars;
  bool help = false;
};

// Parses the arguments after the program name. Returns 0, or 2 with a one-line message
// (ending in '\n') in `err`.
int parse_command_line(std::span<const std::string_view> args, command_line& cl, std::string& err);

// The --help text.
std::string_view usage() noexcept;

}  // namespace amqp::peer
