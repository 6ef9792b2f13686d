// Realms through the engine: a server whose users Cyrus checks names each one with its realm
// ("alice@example.org") in sasl_auth_requested, sasl_authenticated and authentication(), so the
// alice of another realm in the same sasldb is never taken for the local one, and its errors
// name user and realm. The test sasldb (cyrus_users.hpp) has alice in example.org and in
// other.org, with different passwords, and carol in the server's host realm.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "cyrus_pair.hpp"

namespace amqp::test {
namespace {

bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class cyrus_engine_realm : public cyrus_engine, public ::testing::WithParamInterface<const char*> {
 protected:
  cyrus_pair make(std::string user, const char* password, std::string server_realm = realm) {
    return cyrus_engine::make(
        {.user = std::move(user), .password = password, .allowed_mechs = {GetParam()}},
        {.sasldb_path = users().sasldb(), .realm = std::move(server_realm)});
  }
  // What the server engine reported about the client, all three of which must agree.
  static std::string server_user(const cyrus_pair& p) {
    const auto* r = cyrus_pair::find<sasl_auth_requested>(p.server_events);
    const auto* a = cyrus_pair::find<sasl_authenticated>(p.server_events);
    if (!r || !a || !p.server.authentication()) return "(not authenticated)";
    EXPECT_EQ(r->user, a->user);
    EXPECT_EQ(r->user, p.server.authentication()->user);
    EXPECT_EQ(r->authzid, "");
    return r->user;
  }
};

TEST_P(cyrus_engine_realm, the_server_realm_completes_a_user_name_without_one) {
  REQUIRE_MECHANISM(GetParam());
  for (const char* user : {"alice", alice_at_realm}) {
    cyrus_pair p = make(user, alice_password);
    p.run(/*accept=*/true);
    EXPECT_EQ(server_user(p), alice_at_realm) << user;
    // The client reports the name it was given.
    const auto* client = cyrus_pair::find<sasl_authenticated>(p.client_events);
    ASSERT_TRUE(client) << cyrus_pair::failure(p.client_events);
    EXPECT_EQ(client->user, user);
  }
}

TEST_P(cyrus_engine_realm, a_user_of_another_realm_is_that_realms_user) {
  REQUIRE_MECHANISM(GetParam());
  cyrus_pair p = make("alice@other.org", other_alice_password);
  p.run(/*accept=*/true);
  EXPECT_EQ(server_user(p), "alice@other.org");
  EXPECT_TRUE(cyrus_pair::find<peer_opened>(p.client_events));
}

TEST_P(cyrus_engine_realm, the_application_may_keep_other_realms_out) {
  REQUIRE_MECHANISM(GetParam());
  cyrus_pair p = make("alice@other.org", other_alice_password);
  std::string asked;
  p.run([&asked](const sasl_auth_requested& r) {
    asked = r.user;
    return r.user.ends_with("@example.org");
  });
  EXPECT_EQ(asked, "alice@other.org");
  EXPECT_EQ(cyrus_pair::failure(p.server_events),
            "amqp:unauthorized-access: authentication failed for user 'alice@other.org' with "
            "mechanism " +
                std::string(GetParam()) + " (rejected by the application)");
  EXPECT_TRUE(has(cyrus_pair::failure(p.client_events), "sasl-outcome auth (1)"))
      << cyrus_pair::failure(p.client_events);
  EXPECT_FALSE(p.server.authentication());
}

TEST_P(cyrus_engine_realm, another_realms_password_does_not_open_the_local_user) {
  REQUIRE_MECHANISM(GetParam());
  cyrus_pair p = make("alice", other_alice_password);
  p.run(/*accept=*/true);
  const std::string server = cyrus_pair::failure(p.server_events);
  EXPECT_TRUE(has(server, "Cyrus SASL " + std::string(GetParam()) + " for user '" + alice_at_realm +
                              "': authentication failure"))
      << server;
  expect_no_password(server);
  EXPECT_FALSE(cyrus_pair::find<sasl_auth_requested>(p.server_events));
  EXPECT_EQ(cyrus_pair::failure(p.client_events),
            "amqp:unauthorized-access: authentication failed: sasl-outcome auth (1) for user "
            "'alice' with mechanism " +
                std::string(GetParam()));
}

TEST_P(cyrus_engine_realm, an_unknown_user_is_named_with_the_realm_searched) {
  REQUIRE_MECHANISM(GetParam());
  cyrus_pair p = make("mallory", alice_password);
  p.run(/*accept=*/true);
  const std::string server = cyrus_pair::failure(p.server_events);
  EXPECT_TRUE(has(server, "for user 'mallory@example.org': user not found")) << server;
}

// Cyrus looks a name without a realm up in the server's host name when the server sets no realm
// of its own; the engine names that realm too, so "carol" cannot pass for a realm-less account.
TEST_P(cyrus_engine_realm, without_a_server_realm_names_carry_the_host_realm) {
  REQUIRE_MECHANISM(GetParam());
  cyrus_pair carol = make("carol", carol_password, "");
  carol.run(/*accept=*/true);
  EXPECT_EQ(server_user(carol), std::string("carol@") + server_host);

  cyrus_pair alice = make("alice", alice_password, "");
  alice.run(/*accept=*/true);
  const std::string server = cyrus_pair::failure(alice.server_events);
  EXPECT_TRUE(has(server, "for user 'alice@broker.example.org': user not found")) << server;

  cyrus_pair qualified = make(alice_at_realm, alice_password, "");
  qualified.run(/*accept=*/true);
  EXPECT_EQ(server_user(qualified), alice_at_realm);
}

INSTANTIATE_TEST_SUITE_P(mechanisms, cyrus_engine_realm,
                         ::testing::Values("CRAM-MD5", "DIGEST-MD5"));

// DIGEST-MD5 carries an authorization identity, which Cyrus completes with the server's realm:
// the alice of other.org asking to act as "alice" asks for alice@example.org, and Cyrus' default
// policy (an identity may act only as itself) refuses. The error names both.
TEST_F(cyrus_engine, a_user_of_another_realm_cannot_act_as_the_local_one) {
  REQUIRE_MECHANISM("DIGEST-MD5");
  cyrus_pair p = make({.user = "alice@other.org",
                       .password = other_alice_password,
                       .authzid = "alice",
                       .allowed_mechs = {"DIGEST-MD5"}},
                      {.sasldb_path = users().sasldb(), .realm = realm});
  p.run(/*accept=*/true);
  const std::string server = cyrus_pair::failure(p.server_events);
  EXPECT_TRUE(has(server,
                  "Cyrus SASL DIGEST-MD5 for user 'alice@other.org' acting as "
                  "'alice@example.org': authentication failure"))
      << server;
  EXPECT_TRUE(has(server, "Requested identity not authenticated identity")) << server;
  EXPECT_FALSE(cyrus_pair::find<sasl_auth_requested>(p.server_events));
  EXPECT_FALSE(p.server.authentication());
}

}  // namespace
}  // namespace amqp::test
