#include "common/io.hpp"

#include "amqp/asio/container.hpp"
#include "amqp/libevent/container.hpp"

namespace example {

std::unique_ptr<amqp::container> make_container(const options& opts,
                                                amqp::messaging_handler& handler, std::string id) {
  if (opts.io == "libevent")
    return std::make_unique<amqp::libevent::container>(handler, std::move(id));
  return std::make_unique<amqp::asio::container>(handler, std::move(id));
}

}  // namespace example
