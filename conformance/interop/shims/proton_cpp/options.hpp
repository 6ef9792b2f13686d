// What the command line (../common/shim_args.hpp) means to Qpid Proton C++: its connection
// options.
#pragma once

#include <proton/connection_options.hpp>

#include "shim_args.hpp"

namespace interop::proton_cpp {

// SASL from --user, --password and --mechs (ANONYMOUS without a user); TLS for amqps, or when
// --ca or --cert is given, checking the broker's certificate for --server-name.
proton::connection_options connection_options(const shim_args& args);

}  // namespace interop::proton_cpp
