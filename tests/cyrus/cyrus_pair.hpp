// A client and a server engine on a virtual clock for the Cyrus tests: the client names a Cyrus
// mechanism in allowed_mechs, the server offers it with the users of the test sasldb
// (cyrus_users.hpp), and the server application decides each sasl_auth_requested.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "amqp/engine.hpp"
#include "cyrus_users.hpp"

namespace amqp::test {

// A client and a server engine with bytes moved between them by hand.
struct cyrus_pair {
  connection_engine client;
  connection_engine server;
  std::vector<event> client_events;
  std::vector<event> server_events;
  time_point now{std::chrono::hours(1)};

  void move(connection_engine& from, connection_engine& to) {
    for (bytes_view out = from.pending_output(); !out.empty(); out = from.pending_output()) {
      const std::size_t n = to.feed(out, now);
      from.consume_output(n);
      if (n == 0) break;
    }
    if (from.is_finished() && to.wants_input()) to.feed_eof(now);
  }
  // Runs the conversation; the server application accepts the requests `decide` says yes to.
  void run(const std::function<bool(const sasl_auth_requested&)>& decide) {
    for (int round = 0; round < 50; ++round) {
      move(client, server);
      move(server, client);
      while (auto e = client.poll_event()) client_events.push_back(std::move(*e));
      while (auto e = server.poll_event()) {
        if (const auto* r = std::get_if<sasl_auth_requested>(&*e))
          (void)(decide(*r) ? server.sasl_accept() : server.sasl_reject());
        if (std::holds_alternative<peer_opened>(*e)) (void)server.open({.container_id = "server"});
        server_events.push_back(std::move(*e));
      }
    }
  }
  void run(bool accept) {
    run([accept](const sasl_auth_requested&) { return accept; });
  }
  template <class E>
  static const E* find(const std::vector<event>& events) {
    for (const event& e : events)
      if (const auto* x = std::get_if<E>(&e)) return x;
    return nullptr;
  }
  static std::string failure(const std::vector<event>& events) {
    const auto* t = find<transport_closed>(events);
    return t && t->error ? t->error->name + ": " + t->error->description : "";
  }
};

class cyrus_engine : public cyrus {
 protected:
  // alice with `password` against a server with the test realm.
  cyrus_pair make(const char* mechanism, const char* password) {
    return make({.user = "alice", .password = password, .allowed_mechs = {mechanism}},
                {.sasldb_path = users().sasldb(), .realm = realm});
  }
  // `client` (its hostname set to the server's) against a server offering the client's
  // mechanisms through Cyrus with `users_at` (its server_host set to the test host).
  cyrus_pair make(sasl_client_options client, sasl_cyrus_options users_at) {
    client.hostname = server_host;
    users_at.server_host = server_host;
    engine_config c{.role = engine_role::client};
    engine_config s{.role = engine_role::server};
    s.sasl_server = sasl_server_options{.mechanisms = client.allowed_mechs, .cyrus = users_at};
    c.sasl_client = std::move(client);
    cyrus_pair p{connection_engine(c), connection_engine(s), {}, {}};
    EXPECT_FALSE(p.client.open({.container_id = "client"}));
    return p;
  }
};

}  // namespace amqp::test
