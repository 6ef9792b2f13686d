// Opening two engines that may authenticate first: the client opens, the server application
// decides each sasl_auth_requested as the test says and answers the client's open. For the
// SASL and TLS pair tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "pair.hpp"

namespace amqp::test {

// `decide(server, request)` returns the command's result; none means it was taken.
template <class Decide>
void open_both(engine_pair& p, Decide decide) {
  ASSERT_FALSE(p.client.open({.container_id = "client"}));
  std::size_t decided = 0;
  for (int round = 0; round < 10; ++round) {
    p.pump();
    std::size_t seen = 0;
    for (const event& e : p.server_side.events) {
      const auto* r = std::get_if<sasl_auth_requested>(&e);
      if (r && ++seen > decided) {
        ++decided;
        ASSERT_FALSE(decide(p.server, *r));
        break;
      }
    }
    // The server answers the client's open (a second call is refused and changes nothing).
    if (p.server_side.find<peer_opened>()) (void)p.server.open({.container_id = "server"});
  }
  p.pump();
}

// Every request accepted.
inline void open_both(engine_pair& p) {
  open_both(p, [](connection_engine& e, const sasl_auth_requested&) { return e.sasl_accept(); });
}

// "condition: description" of the side's transport_closed error; empty without one.
inline std::string failure_of(const engine_side& s) {
  const auto* t = s.find<transport_closed>();
  if (!t || !t->error) return "";
  return t->error->name + ": " + t->error->description;
}

}  // namespace amqp::test
