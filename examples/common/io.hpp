// The container of the I/O binding that --io names: the examples' handlers see only
// amqp::container, so each program runs unchanged on either binding.
//
//   example::make_container(opts, handler)->run();
#pragma once

#include <memory>
#include <string>

#include "amqp/messaging/container.hpp"
#include "common/options.hpp"

namespace example {

// `opts.io` is one of io_bindings (options::parse refuses anything else).
std::unique_ptr<amqp::container> make_container(const options& opts,
                                                amqp::messaging_handler& handler,
                                                std::string id = {});

}  // namespace example
