// What the command line (../common/shim_args.hpp) means to this library, and what both shims
// do the same way: the start-up (arguments, URL, connection options), the container of the
// binding --io names (asio or libevent, as the examples pick theirs in examples/common/io.cpp),
// and the handler's failure bookkeeping.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/messaging/container.hpp"
#include "shim_args.hpp"

namespace interop::ours {

inline const std::vector<std::string_view> io_bindings{"asio", "libevent"};

// The options for --url: TLS from --ca/--cert/--key/--server-name, SASL from --user,
// --password and --mechs, no reconnect. The error names a TLS file that cannot be loaded.
amqp::result<amqp::connection_options, std::string> connection_options(const shim_args& args);

// A command line made ready to connect.
struct start_up {
  shim_args args;
  amqp::url url;
  amqp::connection_options options;
};

// Parses the command line for `role`; on an error prints the README's error line and returns
// nothing (the shim then exits 1).
std::optional<start_up> start(int argc, char** argv, shim_role role);

// Prints the README's error line for `why`; returns the exit status 1.
int fail(const std::string& why);

std::unique_ptr<amqp::container> make_container(const shim_args& args,
                                                amqp::messaging_handler& handler);

// A shim's handler: the first failure is kept (what follows it, the close and the transport's
// end, is its echo) and closes the connection.
class shim_handler : public amqp::messaging_handler {
 public:
  // Why the run failed; empty when it did what it was asked.
  const std::string& error() const { return error_; }

  void on_transport_error(amqp::messaging_event& e) override {
    fail(e, "transport: " + (e.error() ? e.error()->to_string() : std::string("failed")));
  }
  void on_error(amqp::messaging_event& e) override {
    fail(e, "peer closed with " + (e.error() ? e.error()->to_string() : std::string("an error")));
  }

 protected:
  void fail(amqp::messaging_event& e, std::string why) {
    if (error_.empty()) error_ = std::move(why);
    if (e.connection().is_set()) e.connection().close();
  }
  // Records `why` unless a failure is already known.
  void note(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }

 private:
  std::string error_;
};

}  // namespace interop::ours
