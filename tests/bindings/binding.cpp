// The one place of the suite that names the bindings.
#include "binding.hpp"

#include "amqp/asio/container.hpp"
#include "amqp/libevent/container.hpp"

namespace amqp::test {

std::unique_ptr<amqp::container> make_container(binding b, messaging_handler& handler,
                                                std::string id) {
  switch (b) {
    case binding::asio:
      return std::make_unique<amqp::asio::container>(handler, std::move(id));
    case binding::libevent:
      return std::make_unique<amqp::libevent::container>(handler, std::move(id));
  }
  return nullptr;
}

std::string to_string(binding b) {
  return b == binding::asio ? "asio" : "libevent";
}

}  // namespace amqp::test
