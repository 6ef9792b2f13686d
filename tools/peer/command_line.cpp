// The amqp-peer command line (command_line.hpp).
#include "peer/command_line.hpp"

#include <charconv>

namespace amqp::peer {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty() ||
      !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_'))
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

}  // namespace

std::string_view usage() noexcept {
  return "usage: amqp-peer (--connect HOST:PORT | --listen HOST:PORT) [--timeout SECONDS]\n"
         "                 [--trace] [--var NAME=VALUE]... SCRIPT\n"
         "\n"
         "Plays the AMQP 1.0 test script SCRIPT over one TCP connection, as the client\n"
         "(--connect) or the server (--listen; port 0 takes a free port, and\n"
         "\"listening on HOST:PORT\" is printed before the one connection is accepted).\n"
         "The script's grammar is in tools/peer/README.md.\n"
         "\n"
         "  --timeout SECONDS  how long an expect step waits without `within` (default 5)\n"
         "  --trace            print every header and frame sent (->) and received (<-)\n"
         "                     on standard error\n"
         "  --var NAME=VALUE   the value of ${NAME} in the script (repeatable)\n"
         "  -h, --help         show this text\n"
         "\n"
         "Exit status: 0 the script passed, 1 a step failed (what and why on standard\n"
         "error), 2 a usage error or a syntax error in the script (FILE:LINE:COLUMN).\n";
}

int parse_command_line(std::span<const std::string_view> args, command_line& cl, std::string& err) {
  auto fail = [&](const std::string& what) {
    err = "amqp-peer: " + what + " (see --help)\n";
    return 2;
  };
  bool role_set = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto operand = [&]() -> std::string_view {
      return i + 1 < args.size() ? args[++i] : std::string_view();
    };
    if (a == "-h" || a == "--help") {
      cl.help = true;
    } else if (a == "--connect" || a == "--listen") {
      if (role_set) return fail("give one of --connect and --listen");
      role_set = true;
      cl.mode = a == "--connect" ? command_line::role::connect : command_line::role::listen;
      cl.address = std::string(operand());
      if (cl.address.empty()) return fail(std::string(a) + " needs HOST:PORT");
    } else if (a == "--timeout") {
      const std::string_view n = operand();
      double seconds = 0;
      const auto r = std::from_chars(n.data(), n.data() + n.size(), seconds);
      if (n.empty() || r.ec != std::errc{} || r.ptr != n.data() + n.size() || !(seconds > 0) ||
          seconds > 3600)
        return fail("--timeout needs a number of seconds above 0, at most 3600");
      cl.timeout = duration(static_cast<duration::rep>(seconds * 1000));
    } else if (a == "--trace") {
      cl.trace = true;
    } else if (a == "--var") {
      const std::string_view v = operand();
      const std::size_t eq = v.find('=');
      if (eq == std::string_view::npos || !valid_name(v.substr(0, eq)))
        return fail("--var needs NAME=VALUE, NAME made of letters, digits and _");
      cl.vars[std::string(v.substr(0, eq))] = std::string(v.substr(eq + 1));
    } else if (a.size() > 1 && a[0] == '-') {
      return fail("unknown option " + std::string(a));
    } else {
      if (!cl.script.empty()) return fail("more than one script: " + std::string(a));
      cl.script = std::string(a);
    }
  }
  if (cl.help) return 0;
  if (!role_set) return fail("give --connect HOST:PORT or --listen HOST:PORT");
  if (cl.script.empty()) return fail("no script given");
  return 0;
}

}  // namespace amqp::peer
