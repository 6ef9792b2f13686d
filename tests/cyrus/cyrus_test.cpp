// The Cyrus SASL adapter (engine/src/sasl/cyrus.hpp): Cyrus client against Cyrus server for each
// installed mechanism, the failures a deployment meets (wrong password, unknown user, refused
// proxying, excluded mechanisms, bad configuration, limits), and SCRAM interop in both directions
// with the engine's own implementation (sasl/scram.hpp).
//
// Users live in a sasldb made by saslpasswd2 (Debian package sasl2-bin) in a temporary folder,
// next to an amqp.conf; nothing under /etc is read or written. Tests skip, saying why, when the
// engine was built without Cyrus or a plugin or tool is missing.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "amqp/random.hpp"
#include "cyrus_users.hpp"
#include "sasl/cyrus.hpp"
#include "sasl/scram.hpp"
#include "support/hex.hpp"

namespace amqp::test {
namespace {

using namespace amqp::detail;

bytes_view bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
std::string text_of(const std::vector<std::uint8_t>& b) {
  return {b.begin(), b.end()};
}

// How one exchange ended.
struct outcome {
  std::optional<cyrus_success> success;  // the server accepted and the client agreed
  std::optional<cyrus_error> client_error;
  std::optional<cyrus_error> server_error;
  int challenges = 0;
};

outcome run(cyrus_client& client, cyrus_server& server) {
  outcome out;
  auto first = client.initial_response();
  if (!first) {
    out.client_error = first.error();
    return out;
  }
  std::optional<bytes_view> initial;
  if (first->has_value()) initial = bytes_view(**first);
  cyrus_server_step step = server.start(client.mechanism(), initial);
  while (true) {
    if (auto* failure = std::get_if<cyrus_failure>(&step)) {
      out.server_error = failure->error;
      return out;
    }
    if (auto* ok = std::get_if<cyrus_success>(&step)) {
      auto done =
          client.on_success(ok->additional_data ? bytes_view(*ok->additional_data) : bytes_view());
      if (done)
        out.success = *ok;
      else
        out.client_error = done.error();
      return out;
    }
    ++out.challenges;
    auto response = client.on_challenge(std::get<cyrus_challenge>(step).data);
    if (!response) {
      out.client_error = response.error();
      return out;
    }
    step = server.step(*response);
  }
}

void expect_clean(const outcome& o) {
  if (o.client_error) expect_no_password(o.client_error->message);
  if (o.server_error) expect_no_password(o.server_error->message);
}

// -- Without Cyrus -----------------------------------------------------------------------------

TEST(cyrus_unavailable, ObjectsSayTheEngineWasBuiltWithoutCyrus) {
  if (cyrus_available()) GTEST_SKIP() << "the engine was built with Cyrus SASL";
  EXPECT_TRUE(cyrus_mechanisms(cyrus_role::client).empty());
  cyrus_client client({.mechanism = "DIGEST-MD5", .username = "alice"}, alice_password);
  auto first = client.initial_response();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, cyrus_errc::unavailable);
  EXPECT_NE(first.error().message.find("built without Cyrus SASL"), std::string::npos);
  cyrus_server server(cyrus_server_config{});
  auto step = server.start("DIGEST-MD5", std::nullopt);
  ASSERT_TRUE(std::holds_alternative<cyrus_failure>(step));
  EXPECT_EQ(std::get<cyrus_failure>(step).error.code, cyrus_errc::unavailable);
}

// -- Cyrus against Cyrus -----------------------------------------------------------------------

class cyrus_mechanism : public cyrus, public ::testing::WithParamInterface<const char*> {
 protected:
  // The exchange of `user` with `password` against a server configured by `config`.
  outcome exchange(std::string user, const char* password, const cyrus_server_config& config) {
    cyrus_server server(config);
    cyrus_client client(client_config(GetParam(), std::move(user)), password);
    const outcome o = run(client, server);
    expect_clean(o);
    return o;
  }
};

TEST_P(cyrus_mechanism, ClientAndServerAgree) {
  REQUIRE_MECHANISM(GetParam());
  cyrus_server server(server_config());
  cyrus_client client(client_config(GetParam()), alice_password);
  const outcome o = run(client, server);
  expect_clean(o);
  ASSERT_TRUE(o.success) << (o.client_error ? o.client_error->message : "")
                         << (o.server_error ? o.server_error->message : "");
  // Cyrus names users with their realm.
  EXPECT_EQ(o.success->username, alice_at_realm);
  EXPECT_EQ(o.success->authid, alice_at_realm);
}

TEST_P(cyrus_mechanism, WrongPasswordFailsWithANamedError) {
  REQUIRE_MECHANISM(GetParam());
  cyrus_server server(server_config());
  cyrus_client client(client_config(GetParam()), wrong_password);
  const outcome o = run(client, server);
  expect_clean(o);
  ASSERT_FALSE(o.success);
  ASSERT_TRUE(o.server_error) << o.client_error->message;
  EXPECT_EQ(o.server_error->code, cyrus_errc::authentication_failed) << o.server_error->message;
  EXPECT_NE(o.server_error->message.find(std::string("Cyrus SASL ") + GetParam()),
            std::string::npos)
      << o.server_error->message;
  EXPECT_NE(o.server_error->message.find("SASL(-13)"), std::string::npos)
      << o.server_error->message;
}

TEST_P(cyrus_mechanism, UnknownUserFailsWithANamedError) {
  REQUIRE_MECHANISM(GetParam());
  cyrus_server server(server_config());
  cyrus_client client(client_config(GetParam(), "mallory"), alice_password);
  const outcome o = run(client, server);
  expect_clean(o);
  ASSERT_FALSE(o.success);
  ASSERT_TRUE(o.server_error) << o.client_error->message;
  EXPECT_EQ(o.server_error->code, cyrus_errc::authentication_failed) << o.server_error->message;
  EXPECT_NE(o.server_error->message.find(std::string("Cyrus SASL ") + GetParam()),
            std::string::npos)
      << o.server_error->message;
}

// -- Realms: "alice" is alice@<server realm>, "alice@other.org" the alice of other.org --------

TEST_P(cyrus_mechanism, AUserOfAnotherRealmIsNamedInIt) {
  REQUIRE_MECHANISM(GetParam());
  const outcome o = exchange("alice@other.org", other_alice_password, server_config());
  ASSERT_TRUE(o.success) << (o.server_error ? o.server_error->message : "");
  EXPECT_EQ(o.success->username, "alice@other.org");
  EXPECT_EQ(o.success->authid, "alice@other.org");
}

TEST_P(cyrus_mechanism, AnotherRealmsPasswordDoesNotOpenTheLocalUser) {
  REQUIRE_MECHANISM(GetParam());
  const outcome o = exchange("alice", other_alice_password, server_config());
  ASSERT_TRUE(o.server_error) << (o.client_error ? o.client_error->message : "");
  EXPECT_EQ(o.server_error->code, cyrus_errc::authentication_failed) << o.server_error->message;
  EXPECT_NE(o.server_error->message.find(std::string("for user '") + alice_at_realm + "'"),
            std::string::npos)
      << o.server_error->message;
}

// Without a realm of its own a server looks names up in its host name's realm, as Cyrus does,
// and names them with it, which Cyrus alone would not.
TEST_P(cyrus_mechanism, WithoutAServerRealmNamesCarryTheHostRealm) {
  REQUIRE_MECHANISM(GetParam());
  auto config = server_config();
  config.realm.clear();
  const outcome o = exchange("carol", carol_password, config);
  ASSERT_TRUE(o.success) << (o.server_error ? o.server_error->message : "");
  EXPECT_EQ(o.success->username, std::string("carol@") + server_host);
  EXPECT_EQ(o.success->authid, std::string("carol@") + server_host);
}

INSTANTIATE_TEST_SUITE_P(each, cyrus_mechanism,
                         ::testing::Values("PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5",
                                           "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"),
                         [](const auto& p) {
                           std::string name = p.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST_F(cyrus, ServerFirstMechanismsHaveNoInitialResponse) {
  REQUIRE_MECHANISM("DIGEST-MD5");
  cyrus_client client(client_config("DIGEST-MD5"), alice_password);
  auto first = client.initial_response();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->has_value());
  // DIGEST-MD5's rspauth (RFC 2831 section 2.1.3) comes with the success, not as a challenge.
  cyrus_server server(server_config());
  cyrus_client again(client_config("DIGEST-MD5"), alice_password);
  const outcome o = run(again, server);
  ASSERT_TRUE(o.success);
  EXPECT_EQ(o.challenges, 1);
  ASSERT_TRUE(o.success->additional_data);
  EXPECT_EQ(text_of(*o.success->additional_data).rfind("rspauth=", 0), 0u);
}

// A DIGEST-MD5 response (RFC 2831 section 2.1.2, qop "auth") to `challenge`, made by hand: Cyrus'
// client always answers with the server's realm when only one is offered, and this one names
// another.
std::string digest_md5_response(std::string_view challenge, const std::string& username,
                                const std::string& realm_value, const std::string& password) {
  const auto md5 = [](std::string_view text) {
    std::string digest(16, '\0');
    EVP_Digest(text.data(), text.size(), reinterpret_cast<unsigned char*>(digest.data()), nullptr,
               EVP_md5(), nullptr);
    return digest;
  };
  const auto hex_of = [](std::string_view bytes) {
    std::string text = to_hex(bytes_of(bytes));  // "0a 1b ..."
    std::erase(text, ' ');
    return text;
  };
  const auto at = challenge.find("nonce=\"") + 7;
  const std::string nonce(challenge.substr(at, challenge.find('"', at) - at));
  const std::string cnonce = "OA6MHXh6VqTrRk", nc = "00000001";
  const std::string uri = std::string("amqp/") + server_host;
  const std::string a1 =
      md5(username + ":" + realm_value + ":" + password) + ":" + nonce + ":" + cnonce;
  const std::string a2 = "AUTHENTICATE:" + uri;
  const std::string response = hex_of(
      md5(hex_of(md5(a1)) + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + hex_of(md5(a2))));
  return "username=\"" + username + "\",realm=\"" + realm_value + "\",nonce=\"" + nonce +
         "\",cnonce=\"" + cnonce + "\",nc=" + nc + ",qop=auth,digest-uri=\"" + uri +
         "\",response=" + response + ",charset=utf-8";
}

// DIGEST-MD5 carries a realm of its own. Cyrus offers only the server's, yet takes the one the
// client names: "alice" in realm other.org is the alice of other.org, never the local one.
TEST_F(cyrus, DigestMd5RealmDirectiveNamesTheUsersRealm) {
  REQUIRE_MECHANISM("DIGEST-MD5");
  for (const char* password : {other_alice_password, alice_password}) {
    cyrus_server server(server_config());
    auto step = server.start("DIGEST-MD5", std::nullopt);
    ASSERT_TRUE(std::holds_alternative<cyrus_challenge>(step));
    const std::string challenge = text_of(std::get<cyrus_challenge>(step).data);
    EXPECT_NE(challenge.find(std::string("realm=\"") + realm + "\""), std::string::npos);
    step = server.step(bytes_of(digest_md5_response(challenge, "alice", other_realm, password)));
    if (password == other_alice_password) {
      ASSERT_TRUE(std::holds_alternative<cyrus_success>(step))
          << std::get<cyrus_failure>(step).error.message;
      EXPECT_EQ(std::get<cyrus_success>(step).username, "alice@other.org");
    } else {
      ASSERT_TRUE(std::holds_alternative<cyrus_failure>(step));
      const cyrus_error& e = std::get<cyrus_failure>(step).error;
      EXPECT_EQ(e.code, cyrus_errc::authentication_failed) << e.message;
      EXPECT_NE(e.message.find("for user 'alice@other.org'"), std::string::npos) << e.message;
    }
  }
}

TEST_F(cyrus, ClientRefusesAServerThatCannotProveItself) {
  REQUIRE_MECHANISM("DIGEST-MD5");
  cyrus_server server(server_config());
  cyrus_client client(client_config("DIGEST-MD5"), alice_password);
  ASSERT_TRUE(client.initial_response());
  auto step = server.start("DIGEST-MD5", std::nullopt);
  ASSERT_TRUE(std::holds_alternative<cyrus_challenge>(step));
  auto response = client.on_challenge(std::get<cyrus_challenge>(step).data);
  ASSERT_TRUE(response) << response.error().message;
  auto forged = client.on_success(bytes_of("rspauth=00000000000000000000000000000000"));
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().code, cyrus_errc::authentication_failed) << forged.error().message;
  expect_no_password(forged.error().message);
}

TEST_F(cyrus, SuccessWithoutTheServersLastStepIsRefused) {
  REQUIRE_MECHANISM("DIGEST-MD5");
  cyrus_client client(client_config("DIGEST-MD5"), alice_password);
  ASSERT_TRUE(client.initial_response());
  auto done = client.on_success({});
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().code, cyrus_errc::wrong_state);
}

TEST_F(cyrus, AuthorizationIdentity) {
  REQUIRE_MECHANISM("PLAIN");
  {
    cyrus_server server(server_config());
    auto config = client_config("PLAIN");
    config.authzid = "alice";
    cyrus_client client(config, alice_password);
    const outcome o = run(client, server);
    ASSERT_TRUE(o.success);
    EXPECT_EQ(o.success->username, alice_at_realm);
  }
  // Cyrus' default policy lets a user act only as itself.
  cyrus_server server(server_config());
  auto config = client_config("PLAIN");
  config.authzid = "bob";
  cyrus_client client(config, alice_password);
  const outcome o = run(client, server);
  expect_clean(o);
  ASSERT_TRUE(o.server_error);
  EXPECT_EQ(o.server_error->code, cyrus_errc::authentication_failed) << o.server_error->message;
  EXPECT_NE(o.server_error->message.find("Requested identity not authenticated identity"),
            std::string::npos)
      << o.server_error->message;
}

TEST_F(cyrus, MechListLimitsWhatTheServerOffers) {
  REQUIRE_MECHANISM("DIGEST-MD5");
  cyrus_server server(server_config("DIGEST-MD5"));
  auto mechanisms = server.mechanisms();
  ASSERT_TRUE(mechanisms) << mechanisms.error().message;
  EXPECT_EQ(*mechanisms, std::vector<std::string>{"DIGEST-MD5"});
  auto step = server.start("PLAIN", bytes_of(std::string("\0alice\0", 7) + alice_password));
  ASSERT_TRUE(std::holds_alternative<cyrus_failure>(step));
  EXPECT_EQ(std::get<cyrus_failure>(step).error.code, cyrus_errc::no_mechanism);
  expect_no_password(std::get<cyrus_failure>(step).error.message);
}

TEST_F(cyrus, ConfigFolderSuppliesTheOptions) {
  REQUIRE_MECHANISM("CRAM-MD5");
  cyrus_server server({.realm = realm, .config_dir = users().dir()});
  auto mechanisms = server.mechanisms();
  ASSERT_TRUE(mechanisms) << mechanisms.error().message;
  EXPECT_TRUE(contains(*mechanisms, "CRAM-MD5"));
  EXPECT_FALSE(contains(*mechanisms, "DIGEST-MD5"));
  cyrus_client client(client_config("CRAM-MD5", "bob"), bob_password);
  const outcome o = run(client, server);
  ASSERT_TRUE(o.success) << (o.server_error ? o.server_error->message : "");
  EXPECT_EQ(o.success->username, std::string("bob@") + realm);
}

TEST_F(cyrus, MissingConfigFolderIsNamed) {
  cyrus_server server({.config_dir = users().dir() + "/nowhere"});
  auto step = server.start("PLAIN", std::nullopt);
  ASSERT_TRUE(std::holds_alternative<cyrus_failure>(step));
  const auto& e = std::get<cyrus_failure>(step).error;
  EXPECT_EQ(e.code, cyrus_errc::invalid_argument);
  EXPECT_NE(e.message.find("nowhere/amqp.conf"), std::string::npos) << e.message;
}

TEST_F(cyrus, MissingSasldbIsNamed) {
  // Cyrus itself would report "user not found" for every user.
  cyrus_server server({.realm = realm, .sasldb_path = users().dir() + "/no-sasldb"});
  auto step = server.start("PLAIN", std::nullopt);
  ASSERT_TRUE(std::holds_alternative<cyrus_failure>(step));
  const auto& e = std::get<cyrus_failure>(step).error;
  EXPECT_EQ(e.code, cyrus_errc::invalid_argument);
  EXPECT_NE(e.message.find("cannot read the sasldb " + users().dir() + "/no-sasldb"),
            std::string::npos)
      << e.message;
}

TEST_F(cyrus, OptionsReachThePlugins) {
  REQUIRE_MECHANISM("SCRAM-SHA-256");
  auto config = server_config();
  config.options = {{"scram_iteration_counter", "4321"}};
  cyrus_server server(config);
  scram_client client(scram_hash::sha256, "alice", alice_password, "", system_random());
  auto first = client.initial_response();
  ASSERT_TRUE(first);
  auto step = server.start("SCRAM-SHA-256", bytes_of(*first));
  ASSERT_TRUE(std::holds_alternative<cyrus_challenge>(step));
  EXPECT_NE(text_of(std::get<cyrus_challenge>(step).data).find(",i=4321"), std::string::npos);
}

TEST_F(cyrus, RoundsAndSizesAreBounded) {
  REQUIRE_MECHANISM("LOGIN");
  auto config = server_config();
  config.limits.max_rounds = 1;  // LOGIN asks for the user name, then the password
  cyrus_server server(config);
  cyrus_client client(client_config("LOGIN"), alice_password);
  outcome o = run(client, server);
  ASSERT_TRUE(o.server_error);
  EXPECT_EQ(o.server_error->code, cyrus_errc::limit_exceeded) << o.server_error->message;

  REQUIRE_MECHANISM("DIGEST-MD5");
  cyrus_server digest_server(server_config());
  auto small = client_config("DIGEST-MD5");
  small.limits.max_message_size = 16;  // a DIGEST-MD5 challenge is well over 100 bytes
  cyrus_client digest_client(small, alice_password);
  o = run(digest_client, digest_server);
  ASSERT_TRUE(o.client_error);
  EXPECT_EQ(o.client_error->code, cyrus_errc::limit_exceeded) << o.client_error->message;
}

TEST_F(cyrus, CallsOutOfTurnChangeNothing) {
  REQUIRE_MECHANISM("CRAM-MD5");
  cyrus_server server(server_config());
  auto early = server.step(bytes_of("x"));
  ASSERT_TRUE(std::holds_alternative<cyrus_failure>(early));
  EXPECT_EQ(std::get<cyrus_failure>(early).error.code, cyrus_errc::wrong_state);
  cyrus_client client(client_config("CRAM-MD5"), alice_password);
  auto too_early = client.on_challenge(bytes_of("<1.2@x>"));
  ASSERT_FALSE(too_early);
  EXPECT_EQ(too_early.error().code, cyrus_errc::wrong_state);
  const outcome o = run(client, server);  // both still usable
  EXPECT_TRUE(o.success);
  auto twice = client.initial_response();
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, cyrus_errc::wrong_state);
}

TEST_F(cyrus, ExchangesOnSeveralThreadsAtOnce) {
  REQUIRE_MECHANISM("DIGEST-MD5");
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&successes] {
      for (int i = 0; i < 10; ++i) {
        cyrus_server server(server_config());
        cyrus_client client(client_config("DIGEST-MD5"), alice_password);
        if (run(client, server).success) ++successes;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(successes.load(), 40);
}

TEST_F(cyrus, BadArgumentsAreNamed) {
  cyrus_client bad_mechanism(client_config("digest md5"), alice_password);
  auto first = bad_mechanism.initial_response();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, cyrus_errc::invalid_argument);

  cyrus_client nul_password(client_config("PLAIN"), std::string("a\0b", 3));
  first = nul_password.initial_response();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, cyrus_errc::invalid_argument);
  EXPECT_NE(first.error().message.find("the password contains a NUL byte"), std::string::npos);

  cyrus_client missing(client_config("NO-SUCH-MECH"), alice_password);
  first = missing.initial_response();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, cyrus_errc::no_mechanism) << first.error().message;
}

// -- SCRAM interop with the engine's own implementation ----------------------------------------

class scram_interop : public cyrus, public ::testing::WithParamInterface<scram_hash> {
 protected:
  std::string mechanism() const { return std::string(mechanism_name(GetParam())); }
};

// The engine's client against Cyrus' server: returns the server's error, or nothing.
std::optional<cyrus_error> native_client_cyrus_server(scram_hash hash, const char* user,
                                                      const char* password, cyrus_server& server) {
  scram_client client(hash, user, password, "", system_random());
  auto first = client.initial_response();
  EXPECT_TRUE(first) << first.error().message;
  if (!first) return std::nullopt;
  auto step = server.start(mechanism_name(hash), bytes_of(*first));
  if (auto* f = std::get_if<cyrus_failure>(&step)) return f->error;
  auto final_message = client.on_challenge(std::get<cyrus_challenge>(step).data);
  EXPECT_TRUE(final_message) << final_message.error().message;
  if (!final_message) return std::nullopt;
  step = server.step(bytes_of(*final_message));
  if (auto* f = std::get_if<cyrus_failure>(&step)) return f->error;
  const auto& ok = std::get<cyrus_success>(step);
  const std::string name(user);
  EXPECT_EQ(ok.username, name.find('@') == std::string::npos ? name + "@" + realm : name);
  EXPECT_TRUE(ok.additional_data);
  auto verified =
      client.on_outcome(ok.additional_data ? bytes_view(*ok.additional_data) : bytes_view());
  EXPECT_TRUE(verified) << verified.error().message;  // Cyrus' v= checks out
  return std::nullopt;
}

TEST_P(scram_interop, NativeClientAgainstCyrusServer) {
  REQUIRE_MECHANISM(mechanism());
  cyrus_server server(server_config());
  auto e = native_client_cyrus_server(GetParam(), "alice", alice_password, server);
  EXPECT_FALSE(e) << e->message;
}

TEST_P(scram_interop, NativeClientWithWrongPasswordIsRefusedByCyrus) {
  REQUIRE_MECHANISM(mechanism());
  cyrus_server server(server_config());
  auto e = native_client_cyrus_server(GetParam(), "alice", wrong_password, server);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, cyrus_errc::authentication_failed) << e->message;
  EXPECT_NE(e->message.find("Cyrus SASL " + mechanism()), std::string::npos) << e->message;
  expect_no_password(e->message);
}

TEST_P(scram_interop, NativeClientOfAnotherRealmIsNamedInIt) {
  REQUIRE_MECHANISM(mechanism());
  cyrus_server server(server_config());
  auto e = native_client_cyrus_server(GetParam(), "alice@other.org", other_alice_password, server);
  EXPECT_FALSE(e) << e->message;
}

// Cyrus' client against the engine's server, whose stored credentials the test derives from
// the same password with its own salt and iteration count.
struct native_server_run {
  std::optional<scram_error> server_error;
  std::optional<cyrus_error> client_error;
  bool success = false;
};

native_server_run cyrus_client_native_server(scram_hash hash, const char* password,
                                             bool forge_signature = false) {
  native_server_run out;
  const std::string mechanism(mechanism_name(hash));
  cyrus_client client(
      {.mechanism = mechanism, .server_host = "broker.example.org", .username = "alice"}, password);
  auto first = client.initial_response();
  EXPECT_TRUE(first && first->has_value())
      << (first ? "no initial response" : first.error().message);
  if (!first || !first->has_value()) return out;
  scram_server server(hash, system_random());
  auto who = server.on_client_first(**first);
  EXPECT_TRUE(who) << who.error().message;
  if (!who) return out;
  EXPECT_EQ(who->username, "alice");
  const std::string salt = "salt chosen by the test";
  auto credentials = make_scram_credentials(hash, alice_password, bytes_of(salt), 4096);
  EXPECT_TRUE(credentials);
  auto challenge = server.challenge(*credentials);
  EXPECT_TRUE(challenge) << challenge.error().message;
  auto response = client.on_challenge(bytes_of(*challenge));
  if (!response) {
    out.client_error = response.error();
    return out;
  }
  auto final_message = server.on_client_final(*response);
  if (!final_message) {
    out.server_error = final_message.error();
    return out;
  }
  if (forge_signature) *final_message = "v=" + std::string(final_message->size() - 2, 'A');
  auto done = client.on_success(bytes_of(*final_message));
  if (!done)
    out.client_error = done.error();
  else
    out.success = true;
  return out;
}

TEST_P(scram_interop, CyrusClientAgainstNativeServer) {
  REQUIRE_MECHANISM(mechanism());
  const auto r = cyrus_client_native_server(GetParam(), alice_password);
  EXPECT_TRUE(r.success) << (r.server_error ? r.server_error->message : "")
                         << (r.client_error ? r.client_error->message : "");
}

TEST_P(scram_interop, CyrusClientWithWrongPasswordIsRefusedByNativeServer) {
  REQUIRE_MECHANISM(mechanism());
  const auto r = cyrus_client_native_server(GetParam(), wrong_password);
  EXPECT_FALSE(r.success);
  ASSERT_TRUE(r.server_error);
  EXPECT_EQ(r.server_error->code, scram_errc::authentication_failed) << r.server_error->message;
  EXPECT_EQ(r.server_error->server_final, "e=invalid-proof");
  expect_no_password(r.server_error->message);
}

TEST_P(scram_interop, CyrusClientRefusesAForgedServerSignature) {
  REQUIRE_MECHANISM(mechanism());
  const auto r = cyrus_client_native_server(GetParam(), alice_password, true);
  EXPECT_FALSE(r.success);
  ASSERT_TRUE(r.client_error);
  EXPECT_NE(r.client_error->code, cyrus_errc::wrong_state) << r.client_error->message;
  EXPECT_NE(r.client_error->message.find("Cyrus SASL " + mechanism() + " for user 'alice'"),
            std::string::npos)
      << r.client_error->message;
  expect_no_password(r.client_error->message);
}

INSTANTIATE_TEST_SUITE_P(hashes, scram_interop,
                         ::testing::Values(scram_hash::sha1, scram_hash::sha256,
                                           scram_hash::sha512),
                         [](const auto& p) {
                           std::string name(mechanism_name(p.param));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace amqp::test
