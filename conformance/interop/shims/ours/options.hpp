// What the command line (../common/shim_args.hpp) means to this library: the connection
// options, and the container of the binding --io names (asio or libevent), as the examples
// pick theirs (examples/common/io.cpp).
#pragma once

#include <memory>
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

std::unique_ptr<amqp::container> make_container(const shim_args& args,
                                                amqp::messaging_handler& handler);

}  // namespace interop::ours
