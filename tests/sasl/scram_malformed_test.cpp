// SCRAM messages a peer got wrong, on purpose or not: every truncation of every message,
// missing and misplaced attributes, bad escaping, oversized fields, channel binding and
// mandatory extensions. And the rule above all: no error text carries a secret.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "sasl/scram_internal.hpp"
#include "scram_fixtures.hpp"

namespace amqp::test {
namespace {

// RFC 5802 section 5.
const std::string rfc_client_nonce = "fyko+d2lbbFgONRv9qkxdawL";
const std::string rfc_server_nonce = "3rfcNHYJY1ZVvWVs7j";
const std::string rfc_client_first = "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL";
const std::string rfc_server_first =
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
const std::string rfc_client_final =
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
const std::string rfc_server_final = "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=";
const std::string rfc_full_nonce = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j";

// A client that has sent the RFC's first message.
struct fresh_client {
  scripted_random rng;
  scram_client client{scram_hash::sha1, "user", "pencil", "", rng, {.nonce_length = 24}};
  fresh_client() {
    rng.push_nonce(rfc_client_nonce);
    EXPECT_TRUE(client.initial_response());
  }
};

// A client that has also answered the RFC's server-first-message.
struct answered_client : fresh_client {
  answered_client() { EXPECT_TRUE(client.on_challenge(bytes_of(rfc_server_first))); }
};

// A server that has sent the RFC's server-first-message.
struct challenged_server {
  scripted_random rng;
  scram_server server{scram_hash::sha1, rng, {.nonce_length = 18}};
  challenged_server() {
    rng.push_nonce(rfc_server_nonce);
    EXPECT_TRUE(server.on_client_first(bytes_of(rfc_client_first)));
    auto creds = detail::make_scram_credentials(scram_hash::sha1, "pencil",
                                                unbase64("QSXCR+Q6sek8bf92"), 4096);
    EXPECT_TRUE(creds);
    if (creds) {
      EXPECT_TRUE(server.challenge(*creds));
    }
  }
};

std::optional<scram_errc> server_reads_first(std::string_view message) {
  scram_server server(scram_hash::sha1, system_random());
  return code_of(server.on_client_first(bytes_of(message)));
}
std::optional<scram_errc> client_reads_first(std::string_view message) {
  fresh_client c;
  return code_of(c.client.on_challenge(bytes_of(message)));
}
std::optional<scram_errc> server_reads_final(std::string_view message) {
  challenged_server s;
  return code_of(s.server.on_client_final(bytes_of(message)));
}
std::optional<scram_errc> client_reads_final(std::string_view message) {
  answered_client c;
  return code_of(c.client.on_outcome(bytes_of(message)));
}

// -- Every truncation ------------------------------------------------------------------------

TEST(scram_malformed, ClientFirstTruncatedAnywhere) {
  // Only cuts inside the nonce, after at least one character of it, leave a valid message.
  const std::size_t first_valid = rfc_client_first.find(",r=") + 4;
  for (std::size_t n = 0; n < rfc_client_first.size(); ++n) {
    const auto code = server_reads_first(rfc_client_first.substr(0, n));
    if (n >= first_valid)
      EXPECT_FALSE(code) << n;
    else
      EXPECT_TRUE(code) << "a truncation to " << n << " bytes was accepted";
  }
  EXPECT_FALSE(server_reads_first(rfc_client_first));
}

TEST(scram_malformed, ServerFirstTruncatedAnywhere) {
  // "i=409", "i=40" and "i=4" are valid (smaller) iteration counts; every other cut is not.
  for (std::size_t n = 0; n < rfc_server_first.size(); ++n) {
    const auto code = client_reads_first(rfc_server_first.substr(0, n));
    if (n + 3 >= rfc_server_first.size())
      EXPECT_FALSE(code) << n;
    else
      EXPECT_TRUE(code) << "a truncation to " << n << " bytes was accepted";
  }
  EXPECT_FALSE(client_reads_first(rfc_server_first));
}

TEST(scram_malformed, ClientFinalTruncatedAnywhere) {
  for (std::size_t n = 0; n < rfc_client_final.size(); ++n)
    EXPECT_TRUE(server_reads_final(rfc_client_final.substr(0, n)))
        << "a truncation to " << n << " bytes was accepted";
  EXPECT_FALSE(server_reads_final(rfc_client_final));
}

TEST(scram_malformed, ServerFinalTruncatedAnywhere) {
  for (std::size_t n = 0; n < rfc_server_final.size(); ++n)
    EXPECT_TRUE(client_reads_final(rfc_server_final.substr(0, n)))
        << "a truncation to " << n << " bytes was accepted";
  EXPECT_FALSE(client_reads_final(rfc_server_final));
}

// -- The client-first-message, as a server reads it ------------------------------------------

struct case_t {
  std::string message;
  std::optional<scram_errc> expected;  // nullopt: accepted
};

std::string fields(std::size_t extensions) {
  std::string s;
  for (std::size_t k = 0; k < extensions; ++k) s += ",x=1";
  return s;
}

TEST(scram_malformed, ClientFirstCases) {
  using enum scram_errc;
  const std::string nonce = "r=abcdefgh";
  const case_t cases[] = {
      {"", malformed},
      {"n,,n=user," + nonce, std::nullopt},
      {"y,,n=user," + nonce, std::nullopt},  // section 6: "y" is fine for a server without -PLUS
      {"x,,n=user," + nonce, malformed},
      {"N,,n=user," + nonce, malformed},
      {"p=tls-unique,,n=user," + nonce, unsupported},
      {"p=tls-server-end-point,a=bob,n=user," + nonce, unsupported},
      {"n,a=admin,n=user," + nonce, std::nullopt},
      {"n,a=,n=user," + nonce, malformed},
      {"n,b=admin,n=user," + nonce, malformed},
      {"n,,m=must-know,n=user," + nonce, unsupported},
      {"n,,n=user", malformed},
      {"n,,", malformed},
      {"n", malformed},
      {"n,," + nonce + ",n=user", malformed},
      {"n,,n=," + nonce, malformed},
      {"n,,n=user,r=", malformed},
      {"n,,n=user,r=ab cd", malformed},
      {"n,,n=user,r=ab\x7f", malformed},
      {"n,,n=user,r=ab\xC3\xA9", malformed},  // the nonce is ASCII printable only
      {"n,,n=us=er," + nonce, invalid_name},
      {"n,,n=us=2cer," + nonce, invalid_name},  // the escapes are upper case
      {"n,,n=user=," + nonce, invalid_name},
      {"n,,n=user=3," + nonce, invalid_name},
      {"n,a=ad=min,n=user," + nonce, invalid_name},
      {"n,,n=us\ter," + nonce, invalid_name},    // SASLprep: a control character
      {"n,,n=\xC2\xAD," + nonce, invalid_name},  // SASLprep: nothing left
      {"n,,n=us\xFF"
       "er," +
           nonce,
       malformed},  // not UTF-8
      {std::string("n,,n=us\0er,", 11) + nonce, malformed},
      {"n,,n=user," + nonce + ",x", malformed},
      {"n,,n=user," + nonce + ",x=", malformed},
      {"n,,n=user," + nonce + ",1=2", malformed},
      {"n,,n=user," + nonce + ",r=again", malformed},
      {"n,,n=user," + nonce + ",x=ok", std::nullopt},     // unknown extensions are ignored
      {"n,,n=user," + nonce + fields(12), std::nullopt},  // 16 fields
      {"n,,n=user," + nonce + fields(13), malformed},     // 17 fields
      {"n,,n=user,r=" + std::string(384, 'a'), std::nullopt},
      {"n,,n=user,r=" + std::string(385, 'a'), malformed},
      {"n,,n=" + std::string(8192 - 9, 'u') + ",r=a", std::nullopt},  // 8192 bytes
      {"n,,n=" + std::string(8193 - 9, 'u') + ",r=a", malformed},
  };
  for (const case_t& c : cases)
    EXPECT_EQ(server_reads_first(c.message), c.expected) << c.message.substr(0, 80);
}

TEST(scram_malformed, ClientFirstErrorsSayWhat) {
  scram_server a(scram_hash::sha256, system_random());
  auto cb = a.on_client_first(bytes_of("p=tls-unique,,n=user,r=abc"));
  ASSERT_FALSE(cb);
  EXPECT_EQ(cb.error().message,
            "SCRAM-SHA-256: the client requires channel binding (p=tls-unique), which is not "
            "supported");
  EXPECT_EQ(cb.error().server_final, "");  // nothing to answer with before server-first
  scram_server b(scram_hash::sha256, system_random());
  auto m = b.on_client_first(bytes_of("n,,m=x,n=user,r=abc"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message,
            "SCRAM-SHA-256: the client requires an extension (m=) that is not supported");
  scram_server c(scram_hash::sha256, system_random());
  auto e = c.on_client_first(bytes_of("n,,n=a=b,r=abc"));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "SCRAM-SHA-256: the username has '=' not followed by 2C or 3D");
}

// -- The server-first-message, as a client reads it ------------------------------------------

TEST(scram_malformed, ServerFirstCases) {
  using enum scram_errc;
  const std::string salt = ",s=QSXCR+Q6sek8bf92";
  const case_t cases[] = {
      {"", malformed},
      {rfc_full_nonce + salt + ",i=4096", std::nullopt},
      {rfc_full_nonce + salt + ",i=4096,x=future", std::nullopt},
      {rfc_full_nonce + salt, malformed},
      {rfc_full_nonce + ",i=4096", malformed},
      {salt.substr(1) + "," + rfc_full_nonce + ",i=4096", malformed},
      {rfc_full_nonce + ",i=4096" + salt, malformed},
      {rfc_full_nonce + ",s=,i=4096", malformed},
      {rfc_full_nonce + ",s====,i=4096", malformed},
      {rfc_full_nonce + ",s=QSXCR+Q6sek8bf92==,i=4096", malformed},
      {rfc_full_nonce + ",s=QSXC R+Q6sek8bf9,i=4096", malformed},
      {rfc_full_nonce + salt + ",i=", malformed},
      {rfc_full_nonce + salt + ",i=4096,s=QSXC", malformed},  // a duplicate
      {rfc_full_nonce + salt + ",i=4096,x", malformed},
      {rfc_full_nonce + salt + ",i=4096" + fields(13), std::nullopt},  // 16 fields
      {rfc_full_nonce + salt + ",i=4096" + fields(14), malformed},
      {"m=x," + rfc_full_nonce + salt + ",i=4096", unsupported},
      {rfc_full_nonce + std::string(512 - 42, 'z') + salt + ",i=4096", std::nullopt},
      {rfc_full_nonce + std::string(513 - 42, 'z') + salt + ",i=4096", malformed},
      {rfc_full_nonce + ",z" + salt + ",i=4096", malformed},
      {rfc_full_nonce + "\xC3\xA9" + salt + ",i=4096", malformed},
      {rfc_full_nonce + std::string(1, '\0') + salt + ",i=4096", malformed},
      {rfc_full_nonce + salt + ",i=4096,x=" + std::string(8192, 'v'), malformed},
  };
  for (const case_t& c : cases)
    EXPECT_EQ(client_reads_first(c.message), c.expected) << c.message.substr(0, 100);
}

// -- The client-final-message, as a server reads it ------------------------------------------

TEST(scram_malformed, ClientFinalCases) {
  using enum scram_errc;
  const std::string proof = ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
  const case_t cases[] = {
      {"", malformed},
      {"c=biws," + rfc_full_nonce + proof, std::nullopt},
      {rfc_full_nonce + ",c=biws" + proof, malformed},
      {"c=biws" + proof, malformed},
      {"c=biws," + rfc_full_nonce, malformed},
      {"c=biws," + rfc_full_nonce + proof + ",x=1", malformed},  // the proof comes last
      {"c=," + rfc_full_nonce + proof, malformed},
      {"c=biws," + rfc_full_nonce + ",p=", malformed},
      {"c=biws," + rfc_full_nonce + proof + proof, malformed},
      {"c=biws," + rfc_full_nonce + ",r=again" + proof, malformed},
      {"c=biws," + rfc_full_nonce + ",x" + proof, malformed},
      {"c=biws," + rfc_full_nonce + fields(14) + proof, malformed},  // 17 fields
      {"c=biws," + rfc_full_nonce + std::string(3000, 'n') + proof, malformed},
      {"c=biws," + rfc_full_nonce + ",x=" + std::string(8200, 'v') + proof, malformed},
      {"c=biws," + rfc_full_nonce + ",x=\xFF" + proof, malformed},
  };
  for (const case_t& c : cases)
    EXPECT_EQ(server_reads_final(c.message), c.expected) << c.message.substr(0, 100);
}

// -- The server-final-message, as a client reads it ------------------------------------------

TEST(scram_malformed, ServerFinalCases) {
  using enum scram_errc;
  const case_t cases[] = {
      {"", malformed},
      {rfc_server_final, std::nullopt},
      {rfc_server_final + ",x=later", std::nullopt},
      {"v=", malformed},
      {"e=", malformed},
      {"x=rmF9pqV8S7suAoZWja4dJRkFsKQ=", malformed},
      {"V=rmF9pqV8S7suAoZWja4dJRkFsKQ=", malformed},
      {rfc_server_final + "," + rfc_server_final, malformed},
      {rfc_server_final + ",x", malformed},
      {"v=rmF9pqV8S7suAoZWja4dJRkFsK*=", malformed},
      {"v=rmF9pqV8S7suAoZWja4dJRkFsKQ", malformed},
      {"v=" + std::string(88, 'A'), malformed},  // 66 bytes: longer than any hash
      {"v=" + std::string(86, 'A') + "==", authentication_failed},  // 64 bytes: SHA-512 size
      {"e=invalid-proof", server_error},
      {"e=other-error,x=1", server_error},
      {"e=invalid-proof," + rfc_server_final, malformed},
  };
  for (const case_t& c : cases)
    EXPECT_EQ(client_reads_final(c.message), c.expected) << c.message.substr(0, 100);
}

TEST(scram_malformed, ServerErrorTextIsSanitized) {
  answered_client c;
  auto r = c.client.on_outcome(bytes_of("e=bad\x01thing\xC3\xA9" + std::string(100, 'z')));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, scram_errc::server_error);
  EXPECT_EQ(r.error().message, "SCRAM-SHA-1: the server refused the authentication: e=bad?thing??" +
                                   std::string(64 - 11, 'z') + "...");
}

// -- Random mutations: no crash, no read past the input (ASan), no accidental success ---------

TEST(scram_malformed, RandomMutationsNeverCrashOrPass) {
  std::mt19937 rng(20240601);
  const auto mutate = [&](std::string s) {
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = s.empty() ? 0 : rng() % s.size();
      switch (rng() % 4) {
        case 0:
          if (!s.empty()) s[at] = static_cast<char>(rng());
          break;
        case 1:
          if (!s.empty()) s.erase(at, 1 + rng() % 3);
          break;
        case 2:
          s.insert(at, 1, ",=\0a"[rng() % 4]);
          break;
        default:
          if (!s.empty()) s[at] = static_cast<char>(s[at] ^ (1u << (rng() % 8)));
      }
    }
    return s;
  };
  for (int round = 0; round < 300; ++round) {
    const std::string cf = mutate(rfc_client_final);
    if (cf != rfc_client_final) {
      EXPECT_TRUE(server_reads_final(cf)) << cf;
    }
    const std::string sf = mutate(rfc_server_final);
    if (sf != rfc_server_final && sf != rfc_server_final + ",") {
      // Either refused, or an extension was appended that does not touch v=.
      const auto code = client_reads_final(sf);
      if (!code) {
        EXPECT_EQ(sf.substr(0, rfc_server_final.size() + 1), rfc_server_final + ",") << sf;
      }
    }
    (void)server_reads_first(mutate(rfc_client_first));
    (void)client_reads_first(mutate(rfc_server_first));
  }
}

// -- Secrets never reach an error text ---------------------------------------------------------

// Everything secret about `password` in the RFC 5802 exchange, base64 and raw.
std::vector<std::string> secrets_of(std::string_view password) {
  namespace s = detail::scram;
  std::vector<std::string> out{std::string(password)};
  const auto salt = unbase64("QSXCR+Q6sek8bf92");
  s::key_buffer salted, client_key, stored_key, server_key;
  EXPECT_TRUE(s::hi(scram_hash::sha1, password, salt, 4096, salted));
  EXPECT_TRUE(s::hmac(scram_hash::sha1, salted.view(), bytes_of("Client Key"), client_key));
  EXPECT_TRUE(s::digest(scram_hash::sha1, client_key.view(), stored_key));
  EXPECT_TRUE(s::hmac(scram_hash::sha1, salted.view(), bytes_of("Server Key"), server_key));
  for (const auto* k : {&salted, &client_key, &stored_key, &server_key}) {
    out.push_back(detail::base64_encode(k->view()));
    out.emplace_back(reinterpret_cast<const char*>(k->view().data()), k->view().size());
  }
  return out;
}

TEST(scram_malformed, NoErrorTextContainsASecret) {
  const std::string password = "Tr0ub4dor&3";
  std::vector<std::string> texts;
  const auto collect = [&](const auto& r) {
    if (!r) {
      texts.push_back(r.error().message);
      texts.push_back(r.error().server_final);
    }
  };
  // The password is wrong from the server's point of view (it knows "pencil").
  {
    scripted_random rng;
    rng.push_nonce(rfc_client_nonce);
    scram_client client(scram_hash::sha1, "user", password, "", rng);
    EXPECT_TRUE(client.initial_response());
    auto final_message = client.on_challenge(bytes_of(rfc_server_first));
    ASSERT_TRUE(final_message);
    texts.push_back(*final_message);  // carries the proof: the texts check must see it...
    challenged_server s;
    collect(s.server.on_client_final(bytes_of(*final_message)));
    collect(client.on_outcome(bytes_of(rfc_server_final)));  // a signature for "pencil"
  }
  const std::string proof = texts.front().substr(texts.front().find(",p=") + 3);
  texts.erase(texts.begin());  // ...but it is a message, not an error: only the proof is kept
  // A prohibited character in a password that otherwise looks like this one.
  {
    scram_client client(scram_hash::sha1, "user", password + "\x01", "", system_random());
    collect(client.initial_response());
    collect(detail::make_scram_credentials(scram_hash::sha1, password + "\x7f",
                                           unbase64("QSXCR+Q6sek8bf92"), 4096));
  }
  // A tampered nonce and a malformed outcome after the keys were derived.
  {
    scripted_random rng;
    rng.push_nonce(rfc_client_nonce);
    scram_client client(scram_hash::sha1, "user", password, "", rng);
    EXPECT_TRUE(client.initial_response());
    ASSERT_TRUE(client.on_challenge(bytes_of(rfc_server_first)));
    collect(client.on_outcome(bytes_of("v=AAAA")));
  }
  ASSERT_GE(texts.size(), 8u);
  std::vector<std::string> secrets = secrets_of(password);
  secrets.push_back(proof);
  secrets.push_back("Tr0ub");  // not even a part of it
  for (const std::string& t : texts)
    for (const std::string& secret : secrets)
      EXPECT_EQ(t.find(secret), std::string::npos) << "error text \"" << t << "\" leaks a secret";
}

}  // namespace
}  // namespace amqp::test
