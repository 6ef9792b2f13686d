// The bindings every case of this suite runs on. A test names none of them: its parameter is
// a `binding`, and make_container gives it a container of that binding as amqp::container, so
// the handlers and test bodies are the application code that runs unchanged on each.
//
//   class container : public test::binding_test {};
//   TEST_P(container, ...) {
//     auto c = make_container(handler);
//     c->run();
//   }
//   INSTANTIATE_TEST_SUITE_P(, container, test::every_binding(), test::binding_name);
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "amqp/messaging/container.hpp"
#include "amqp/messaging/handler.hpp"

namespace amqp::test {

enum class binding { asio, libevent };

// A container of `b` with an event loop of its own, run by run().
std::unique_ptr<amqp::container> make_container(binding b, messaging_handler& handler,
                                                std::string id = {});

std::string to_string(binding b);
inline void PrintTo(binding b, std::ostream* os) {
  *os << to_string(b);
}

inline auto every_binding() {
  return ::testing::Values(binding::asio, binding::libevent);
}
inline std::string binding_name(const ::testing::TestParamInfo<binding>& info) {
  return to_string(info.param);
}

class binding_test : public ::testing::TestWithParam<binding> {
 protected:
  std::unique_ptr<amqp::container> make_container(messaging_handler& handler, std::string id = {}) {
    return test::make_container(GetParam(), handler, std::move(id));
  }
};

}  // namespace amqp::test
