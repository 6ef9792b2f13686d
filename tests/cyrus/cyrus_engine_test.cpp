// Cyrus SASL mechanisms through the engine: a client naming one in allowed_mechs, a server
// offering it with the users of a sasldb, the server application still deciding, and the
// failures named on both sides.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "cyrus_pair.hpp"

namespace amqp::test {
namespace {

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
