// amqp-peer: a scripted AMQP 1.0 test peer (README.md beside this file).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "peer/command_line.hpp"
#include "peer/connection.hpp"
#include "peer/runner.hpp"
#include "peer/script.hpp"

int main(int argc, char** argv) {
  using namespace amqp::peer;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  command_line cl;
  std::string err;
  if (int status = parse_command_line(args, cl, err)) {
    std::cerr << err;
    return status;
  }
  if (cl.help) {
    std::cout << usage();
    return 0;
  }

  std::ifstream file(cl.script, std::ios::binary);
  if (!file) {
    std::cerr << "amqp-peer: " << cl.script << ": " << std::strerror(errno) << '\n';
    return 2;
  }
  std::ostringstream text;
  text << file.rdbuf();
  auto s = parse_script(text.str(), cl.script, cl.vars);
  if (!s) {
    std::cerr << "amqp-peer: " << s.error().to_string() << '\n';
    return 2;
  }

  auto conn = cl.mode == command_line::role::connect
                  ? connection::connect(cl.address, cl.timeout)
                  : connection::accept_one(cl.address, [](const std::string& where) {
                      std::cout << "listening on " << where << std::endl;
                    });
  if (!conn) {
    std::cerr << "amqp-peer: " << conn.error() << '\n';
    return 1;
  }

  run_options options{.timeout = cl.timeout};
  if (cl.trace) options.trace = [](std::string_view line) { std::cerr << line << '\n'; };
  std::string report;
  const int status = play(*s, *conn, options, report);
  if (status != 0) {
    std::cerr << report;
    return status;
  }
  std::cout << cl.script << ": passed, " << s->steps.size() << " steps" << std::endl;
  return 0;
}
