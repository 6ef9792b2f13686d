// The user file: both line forms, every error with its line, base64, the SASL decisions, and
// whole SCRAM and PLAIN exchanges between two engines decided by the store.
#include <gtest/gtest.h>

#include <string>

#include "engine/handshake.hpp"
#include "users.hpp"

namespace broker::test {
namespace {

// A predictable source, so that salts are the same on every run.
struct counting_random final : amqp::random_source {
  std::uint8_t next = 0;
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next++;
  }
};

amqp::sasl_auth_requested request(std::string mechanism, std::string user,
                                  std::string password = {}, std::string authzid = {}) {
  return {.mechanism = std::move(mechanism), .user = std::move(user), .authzid = std::move(authzid),
          .password = std::move(password), .hostname = {}};
}

using kind = amqp::sasl_verdict::kind;

TEST(user_file, clear_passwords_become_scram_sha_256_credentials) {
  counting_random random;
  auto store = user_store::parse("# users\n\nalice:secret\r\nbob:pass:with:colons\n", random);
  ASSERT_TRUE(store) << store.error();
  EXPECT_EQ(store->size(), 2u);
  const user* alice = store->find("alice");
  ASSERT_TRUE(alice);
  ASSERT_EQ(alice->credentials.size(), 1u);
  const amqp::scram_credentials& c = alice->credentials[0];
  EXPECT_EQ(c.mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(c.salt.size(), 16u);
  EXPECT_EQ(c.iterations, 4096u);
  auto expected = amqp::make_scram_credentials("SCRAM-SHA-256", "secret", c.salt, 4096);
  ASSERT_TRUE(expected);
  EXPECT_EQ(c.stored_key, expected->stored_key);
  EXPECT_EQ(c.server_key, expected->server_key);
  // The rest of the line after the first colon is the password.
  EXPECT_EQ(store->authenticate(request("PLAIN", "bob", "pass:with:colons")).decision,
            kind::accept);
  EXPECT_EQ(store->mechanisms(), (std::vector<std::string>{"SCRAM-SHA-256", "PLAIN"}));
}

TEST(user_file, scram_lines_are_read_as_they_are_and_made_by_make_user_line) {
  counting_random random;
  auto line = make_user_line("carol", "pencil", "scram-sha-512", random, 2048);
  ASSERT_TRUE(line) << line.error().message;
  EXPECT_TRUE(line->starts_with("carol:scram-sha-512:AAECAwQFBgcICQoLDA0ODw==:2048:")) << *line;
  auto store = user_store::parse(*line + "\ncarol:scram-sha-1:AAEC:1:" +
                                     std::string(27, 'A') + "=:" + std::string(27, 'A') + "=",
                                 random);
  ASSERT_TRUE(store) << store.error();
  const user* carol = store->find("carol");
  ASSERT_TRUE(carol);
  ASSERT_EQ(carol->credentials.size(), 2u);
  EXPECT_EQ(carol->credentials[0].mechanism, "SCRAM-SHA-512");
  EXPECT_EQ(carol->credentials[0].iterations, 2048u);
  EXPECT_EQ(carol->credentials[1].mechanism, "SCRAM-SHA-1");
  EXPECT_EQ(store->mechanisms(),
            (std::vector<std::string>{"SCRAM-SHA-256", "SCRAM-SHA-512", "SCRAM-SHA-1", "PLAIN"}));
  // PLAIN is checked against whichever keys the user has.
  EXPECT_EQ(store->authenticate(request("PLAIN", "carol", "pencil")).decision, kind::accept);
  EXPECT_EQ(store->authenticate(request("PLAIN", "carol", "pencil!")).decision, kind::reject);
  const amqp::sasl_verdict v = store->authenticate(request("SCRAM-SHA-512", "carol"));
  ASSERT_EQ(v.decision, kind::scram);
  EXPECT_EQ(v.credentials.stored_key, carol->credentials[0].stored_key);
  // No keys for that mechanism.
  EXPECT_EQ(store->authenticate(request("SCRAM-SHA-256", "carol")).decision, kind::reject);
}

TEST(user_file, make_user_line_refuses_what_the_file_cannot_hold) {
  counting_random random;
  EXPECT_EQ(make_user_line("a:b", "x", "SCRAM-SHA-256", random).error().message,
            "the user name is empty or has ':' or control characters");
  EXPECT_EQ(make_user_line("a", "x", "SCRAM-MD5", random).error().message,
            "unknown mechanism 'SCRAM-MD5'");
  EXPECT_EQ(make_user_line("a", "x", "SCRAM-SHA-256", random, 0).error().message,
            "iterations must be 1 to 1000000");
}

TEST(user_file, every_error_names_its_line_and_never_the_password) {
  const std::string key32(44, 'A');  // base64 of 32 zero bytes, unpadded length 43 + '='
  const std::string good_keys = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  struct row {
    std::string text;
    std::string error;
  };
  const row rows[] = {
      {"alice", "line 1: expected name:password or name:scram-sha-256:salt:iterations:"
                "stored-key:server-key"},
      {"# c\n:secret", "line 2: the user name is empty or has control characters"},
      {"al\tice:secret", "line 1: the user name is empty or has control characters"},
      {"alice:", "line 1: empty password"},
      {"alice:scram-sha-3:AA==:1:AA==:AA==", "line 1: unknown mechanism 'scram-sha-3'"},
      {"alice:scram-sha-256:AA==:1:AA==",
       "line 1: a SCRAM line has six fields: name:mechanism:salt:iterations:stored-key:"
       "server-key"},
      {"alice:scram-sha-256:A*==:1:" + good_keys + ":" + good_keys,
       "line 1: the salt is not base64"},
      {"alice:scram-sha-256:AAAA:0:" + good_keys + ":" + good_keys,
       "line 1: iterations must be 1 to 1000000"},
      {"alice:scram-sha-256:AAAA:2000000:" + good_keys + ":" + good_keys,
       "line 1: iterations must be 1 to 1000000"},
      {"alice:scram-sha-256:AAAA:12x:" + good_keys + ":" + good_keys,
       "line 1: iterations must be 1 to 1000000"},
      {"alice:scram-sha-256:AAAA:1:AAAA:" + good_keys,
       "line 1: the stored key is not 32 bytes of base64"},
      {"alice:scram-sha-256:AAAA:1:" + good_keys + ":AAAA",
       "line 1: the server key is not 32 bytes of base64"},
      {"alice:secret\nalice:other", "line 2: a second SCRAM-SHA-256 entry for user 'alice'"},
      {"alice:secret\nalice:scram-sha-256:AAAA:1:" + good_keys + ":" + good_keys,
       "line 2: a second SCRAM-SHA-256 entry for user 'alice'"},
  };
  for (const row& r : rows) {
    counting_random random;
    auto store = user_store::parse(r.text, random);
    ASSERT_FALSE(store) << r.text;
    EXPECT_EQ(store.error(), r.error) << r.text;
    EXPECT_EQ(store.error().find("secret"), std::string::npos);
  }
  counting_random random;
  auto ok = user_store::parse("alice:scram-sha-256:AAAA:1:" + good_keys + ":" + good_keys,
                              random);
  EXPECT_TRUE(ok) << ok.error();
}

TEST(user_file, a_missing_file_is_named) {
  counting_random random;
  auto store = user_store::load("/nonexistent/users.txt", random);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error(), "cannot read the user file /nonexistent/users.txt");
}

TEST(user_file, an_empty_file_has_no_users) {
  counting_random random;
  auto store = user_store::parse("", random);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->size(), 0u);
  EXPECT_EQ(store->authenticate(request("PLAIN", "", "")).decision, kind::reject);
}

TEST(user_decisions, unknown_users_wrong_passwords_and_other_identities_are_refused) {
  counting_random random;
  auto store = user_store::parse("alice:secret", random);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->authenticate(request("PLAIN", "alice", "secret")).decision, kind::accept);
  EXPECT_EQ(store->authenticate(request("PLAIN", "alice", "secret", "alice")).decision,
            kind::accept);
  EXPECT_EQ(store->authenticate(request("PLAIN", "alice", "Secret")).decision, kind::reject);
  EXPECT_EQ(store->authenticate(request("PLAIN", "mallory", "secret")).decision, kind::reject);
  EXPECT_EQ(store->authenticate(request("PLAIN", "alice", "secret", "root")).decision,
            kind::reject);
  EXPECT_EQ(store->authenticate(request("SCRAM-SHA-256", "alice", "", "root")).decision,
            kind::reject);
  EXPECT_EQ(store->authenticate(request("ANONYMOUS", "")).decision, kind::reject);
  EXPECT_EQ(store->authenticate(request("SCRAM-SHA-256", "alice")).decision, kind::scram);
}

TEST(base64, round_trips_and_refuses_what_is_not_base64) {
  std::vector<std::uint8_t> out;
  for (std::size_t n = 0; n < 10; ++n) {
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i < n; ++i) bytes.push_back(static_cast<std::uint8_t>(i * 37 + 200));
    const std::string text = encode_base64(bytes);
    EXPECT_EQ(text.size() % 4, 0u);
    ASSERT_TRUE(decode_base64(text, out)) << text;
    EXPECT_EQ(out, bytes);
    std::string unpadded = text;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    ASSERT_TRUE(decode_base64(unpadded, out)) << unpadded;
    EXPECT_EQ(out, bytes);
  }
  EXPECT_EQ(encode_base64({'f', 'o', 'o', 'b'}), "Zm9vYg==");
  for (const char* bad : {"A", "AB=", "A===", "AB C", "Zm9vYh==", "Zm9v\n"})
    EXPECT_FALSE(decode_base64(bad, out)) << bad;
}

// Whole exchanges: a client engine against a server engine whose decisions are the store's.
class exchange : public ::testing::Test {
 protected:
  void SetUp() override {
    counting_random random;
    auto line = make_user_line("alice", "pencil-42", "SCRAM-SHA-256", random);
    ASSERT_TRUE(line);
    auto store = user_store::parse(*line + "\nbob:clear-pass\n", random);
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
  }

  // "" when both sides opened, else the client's failure.
  std::string run(amqp::sasl_client_options client, bool plain_in_clear = false) {
    amqp::engine_config c = amqp::test::client_config();
    c.sasl_client = std::move(client);
    amqp::engine_config s = amqp::test::server_config();
    s.sasl_server = amqp::sasl_server_options{.mechanisms = store_.mechanisms(),
                                              .allow_insecure_mechs = plain_in_clear};
    amqp::test::engine_pair p(c, s);
    amqp::test::open_both(p, [&](amqp::connection_engine& e, const amqp::sasl_auth_requested& r) {
      const amqp::sasl_verdict v = store_.authenticate(r);
      switch (v.decision) {
        case kind::accept: return e.sasl_accept();
        case kind::scram: return e.sasl_scram_credentials(v.credentials);
        case kind::reject: break;
      }
      return e.sasl_reject();
    });
    if (p.client_side.find<amqp::peer_opened>() && p.server_side.find<amqp::peer_opened>())
      return "";
    return amqp::test::failure_of(p.client_side);
  }

  user_store store_;
};

TEST_F(exchange, scram_sha_256_with_stored_keys_and_with_a_clear_password_line) {
  EXPECT_EQ(run({.user = "alice", .password = "pencil-42"}), "");
  EXPECT_EQ(run({.user = "bob", .password = "clear-pass"}), "");
}

TEST_F(exchange, scram_with_a_wrong_password_or_an_unknown_user_fails) {
  EXPECT_NE(run({.user = "alice", .password = "pencil-43"}), "");
  EXPECT_NE(run({.user = "mallory", .password = "pencil-42"}), "");
}

TEST_F(exchange, plain_against_scram_keys_when_plain_is_allowed) {
  EXPECT_EQ(run({.user = "alice", .password = "pencil-42", .allowed_mechs = {"PLAIN"},
                 .allow_insecure_mechs = true},
                true),
            "");
  EXPECT_NE(run({.user = "alice", .password = "wrong", .allowed_mechs = {"PLAIN"},
                 .allow_insecure_mechs = true},
                true),
            "");
}

}  // namespace
}  // namespace broker::test
