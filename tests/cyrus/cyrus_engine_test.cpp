// Cyrus SASL mechanisms through the engine: a client naming one in allowed_mechs, a server
// offering it with the users of a sasldb, the server application still deciding, and the
// failures named on both sides.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "amqp/engine.hpp"
#include "cyrus_users.hpp"

namespace amqp::test {
namespace {

using namespace std::chrono_literals;

// A client and a server engine with bytes moved between them by hand.
struct cyrus_pair {
  connection_engine client;
  connection_engine server;
  std::vector<event> client_events;
  std::vector<event> server_events;
  time_point now{1h};

  void move(connection_engine& from, connection_engine& to) {
    for (bytes_view out = from.pending_output(); !out.empty(); out = from.pending_output()) {
      const std::size_t n = to.feed(out, now);
      from.consume_output(n);
      if (n == 0) break;
    }
    if (from.is_finished() && to.wants_input()) to.feed_eof(now);
  }
  // Runs the conversation; the server application accepts a request `accept` says yes to.
  void run(bool accept) {
    for (int round = 0; round < 50; ++round) {
      move(client, server);
      move(server, client);
      while (auto e = client.poll_event()) client_events.push_back(std::move(*e));
      while (auto e = server.poll_event()) {
        if (std::holds_alternative<sasl_auth_requested>(*e))
          (void)(accept ? server.sasl_accept() : server.sasl_reject());
        if (std::holds_alternative<peer_opened>(*e)) (void)server.open({.container_id = "server"});
        server_events.push_back(std::move(*e));
      }
    }
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
  cyrus_pair make(const char* mechanism, const char* password) {
    engine_config c{.role = engine_role::client};
    c.sasl_client = sasl_client_options{.user = "alice",
                                        .password = password,
                                        .allowed_mechs = {mechanism},
                                        .hostname = "broker.example.org"};
    engine_config s{.role = engine_role::server};
    s.sasl_server = sasl_server_options{
        .mechanisms = {mechanism},
        .cyrus = {
            .sasldb_path = users().sasldb(), .realm = realm, .server_host = "broker.example.org"}};
    cyrus_pair p{connection_engine(c), connection_engine(s), {}, {}};
    EXPECT_FALSE(p.client.open({.container_id = "client"}));
    return p;
  }
};

class cyrus_engine_mechanism : public cyrus_engine,
                               public ::testing::WithParamInterface<const char*> {};

TEST_P(cyrus_engine_mechanism, logs_in_with_the_sasldb_user_and_the_application_decides) {
  REQUIRE_MECHANISM(GetParam());
  cyrus_pair p = make(GetParam(), alice_password);
  p.run(/*accept=*/true);
  EXPECT_EQ(cyrus_pair::failure(p.client_events), "");
  const auto* r = cyrus_pair::find<sasl_auth_requested>(p.server_events);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mechanism, GetParam());
  EXPECT_EQ(r->user, alice_at_realm);
  EXPECT_EQ(r->password, "");  // Cyrus checked it; the application never sees it
  EXPECT_TRUE(cyrus_pair::find<peer_opened>(p.client_events));
  ASSERT_TRUE(p.client.authentication());
  EXPECT_EQ(p.client.authentication()->mechanism, GetParam());
  ASSERT_TRUE(p.server.authentication());
  EXPECT_EQ(p.server.authentication()->user, alice_at_realm);
}

TEST_P(cyrus_engine_mechanism, a_wrong_password_is_named_on_both_sides) {
  REQUIRE_MECHANISM(GetParam());
  cyrus_pair p = make(GetParam(), wrong_password);
  p.run(/*accept=*/true);
  EXPECT_EQ(cyrus_pair::failure(p.client_events),
            "amqp:unauthorized-access: authentication failed: sasl-outcome auth (1) for user "
            "'alice' with mechanism " +
                std::string(GetParam()));
  const std::string server = cyrus_pair::failure(p.server_events);
  EXPECT_EQ(server.rfind("amqp:unauthorized-access: authentication failed", 0), 0u) << server;
  EXPECT_NE(server.find("Cyrus SASL"), std::string::npos) << server;
  EXPECT_EQ(server.find(wrong_password), std::string::npos) << server;
  EXPECT_FALSE(cyrus_pair::find<sasl_auth_requested>(p.server_events));
  EXPECT_FALSE(cyrus_pair::find<peer_opened>(p.server_events));
}

TEST_P(cyrus_engine_mechanism, the_application_may_still_refuse_a_user_cyrus_accepted) {
  REQUIRE_MECHANISM(GetParam());
  cyrus_pair p = make(GetParam(), alice_password);
  p.run(/*accept=*/false);
  EXPECT_NE(cyrus_pair::failure(p.client_events).find("sasl-outcome auth (1)"), std::string::npos)
      << cyrus_pair::failure(p.client_events);
  EXPECT_NE(cyrus_pair::failure(p.server_events).find("(rejected by the application)"),
            std::string::npos)
      << cyrus_pair::failure(p.server_events);
}

INSTANTIATE_TEST_SUITE_P(mechanisms, cyrus_engine_mechanism,
                         ::testing::Values("CRAM-MD5", "DIGEST-MD5"));

TEST_F(cyrus_engine, a_mechanism_cyrus_lacks_is_not_offered) {
  cyrus_pair p = make("NO-SUCH-MECHANISM", alice_password);
  p.run(/*accept=*/true);
  EXPECT_EQ(cyrus_pair::failure(p.server_events),
            "amqp:unauthorized-access: no SASL mechanism can be offered on this connection: "
            "configured [NO-SUCH-MECHANISM] (PLAIN needs TLS or allow_insecure_mechs, EXTERNAL a "
            "client certificate, the others built in or from Cyrus SASL)");
  EXPECT_NE(cyrus_pair::failure(p.client_events).find("during SASL authentication"),
            std::string::npos)
      << cyrus_pair::failure(p.client_events);
}

}  // namespace
}  // namespace amqp::test
