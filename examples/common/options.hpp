// Command-line options shared by the example programs: the classic ones (-a/--address,
// -m/--messages, -b/--batch-size), the I/O binding (--io), and TLS and SASL (--ca, --cert,
// --key, --user, --password, --mechs), turned into connection options.
//
//   example::options opts("send", "Sends messages and waits for every outcome.");
//   opts.address = "127.0.0.1:5672/examples";
//   opts.add_messages();
//   if (int status = opts.parse(argc, argv); status >= 0) return status;
//   amqp::connection_options co = opts.connection_options();
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/messaging/options.hpp"
#include "amqp/trace.hpp"

namespace example {

// What --io takes: the I/O bindings every example runs on (make_container in io.hpp).
inline constexpr std::array<std::string_view, 2> io_bindings{"asio", "libevent"};

class options {
 public:
  options(std::string program, std::string summary);

  // What the flags set; defaults as the classic examples have them.
  std::string address = "127.0.0.1:5672/examples";
  int messages = 100;
  int batch_size = 10;
  int abort_every = 0;  // the transactional examples: roll back every Kth batch (0: none)
  std::string io = "asio";
  bool at_most_once = false;
  std::string ca, cert, key, user, password, mechs;
  bool insecure = false;  // --allow-insecure: PLAIN without TLS
  bool trace = false;     // --trace: every frame to stderr

  // Optional options a program takes beyond -a and the TLS/SASL ones.
  void add_messages();
  void add_batch_size();
  void add_abort_every();
  void add_at_most_once();
  // A program-specific option: a flag (no value) or one with a value.
  void add_flag(std::string long_name, char short_name, std::string help, bool& target);
  void add_value(std::string long_name, char short_name, std::string metavar, std::string help,
                 std::string& target);

  // Parses the command line. Returns -1 to go on; otherwise the program exits with it (0 after
  // --help, 2 after a bad option, with the reason and the usage on stderr).
  int parse(int argc, char** argv);

  // Connection options from --user, --password, --mechs, --ca, --cert and --key. A TLS option
  // that cannot be loaded is fatal: the message names the file and the reason, and the
  // program exits with status 1.
  amqp::connection_options connection_options() const;
  // A server's: --cert and --key as its certificate (and --ca to ask clients for theirs).
  amqp::connection_options server_options() const;

 private:
  struct option {
    std::string long_name;
    char short_name;
    std::string metavar;  // empty: a flag
    std::string help;
    std::function<bool(std::string_view)> set;  // false: a bad value
    std::string choices;  // what a bad value is told to choose from; empty: anything goes
  };
  void usage(std::ostream& out) const;

  // Connection options every program gets (the trace).
  void add_common(amqp::connection_options& co) const;

  std::string program_;
  std::unique_ptr<amqp::text_trace_sink> trace_sink_;
  std::string summary_;
  std::vector<option> options_;
};

}  // namespace example
