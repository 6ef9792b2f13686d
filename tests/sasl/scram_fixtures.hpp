// Helpers for the SCRAM tests: a scripted random source, byte/text conversions, and a client
// and server driven against each other.
//
// The engine's internal headers are not on the test include path; they are reached relative
// to this folder.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/scram.hpp"
#include "util/base64.hpp"
#include "amqp/random.hpp"

namespace amqp::test {

using detail::scram_client;
using detail::scram_credentials;
using detail::scram_errc;
using detail::scram_error;
using detail::scram_hash;
using detail::scram_server;

inline bytes_view bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::vector<std::uint8_t> unbase64(std::string_view s) {
  auto r = detail::base64_decode(s);
  EXPECT_TRUE(r.has_value()) << s;
  return r ? *r : std::vector<std::uint8_t>{};
}

// The byte that the nonce generator turns into character `c`: its index in RFC 5802's
// "printable" (U+0021..U+007E without ','), in ASCII order.
inline std::uint8_t nonce_byte(char c) {
  EXPECT_TRUE(c >= 0x21 && c <= 0x7e && c != ',') << "not a nonce character: " << c;
  return static_cast<std::uint8_t>(c < ',' ? c - 0x21 : c - 0x22);
}

// Hands out scripted bytes first; after that, bytes from a seeded generator (or a test
// failure when `strict`).
class scripted_random final : public random_source {
 public:
  explicit scripted_random(bool strict = true, std::uint32_t seed = 1)
      : strict_(strict), rng_(seed) {}

  void push(std::uint8_t b) { script_.push_back(b); }
  // Script the nonce characters `chars` (one byte each).
  void push_nonce(std::string_view chars) {
    for (char c : chars) push(nonce_byte(c));
  }
  std::size_t drawn() const { return drawn_; }
  std::size_t left() const { return script_.size(); }

  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) {
      ++drawn_;
      if (!script_.empty()) {
        b = script_.front();
        script_.pop_front();
      } else {
        if (strict_) ADD_FAILURE() << "the scripted random source ran dry";
        b = static_cast<std::uint8_t>(rng_());
      }
    }
  }

 private:
  bool strict_;
  std::mt19937 rng_;
  std::deque<std::uint8_t> script_;
  std::size_t drawn_ = 0;
};

// The error code of a result, or nullopt on success (so a test fails instead of reading the
// error of a success).
template <class T>
std::optional<scram_errc> code_of(const detail::scram_result<T>& r) {
  if (r) return std::nullopt;
  return r.error().code;
}

// Credentials with a fixed salt, for tests that do not care about the salt.
inline scram_credentials credentials(scram_hash h, std::string_view password,
                                     std::uint32_t iterations = 4096) {
  static constexpr std::uint8_t salt[] = {0x5a, 0x17, 0x7e, 0x21, 0x90, 0x03, 0xbb, 0x4c,
                                          0x61, 0xd2, 0x0f, 0x38, 0xee, 0x45, 0x96, 0xa1};
  auto c = detail::make_scram_credentials(h, password, salt, iterations);
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
  return c ? *c : scram_credentials{};
}

// The outcome of one client/server exchange.
struct exchange_result {
  std::string client_first, server_first, client_final, server_final;
  std::optional<scram_error> client_error;  // the first error the client reported
  std::optional<scram_error> server_error;  // the first error the server reported
  std::string username, authzid;            // what the server saw
};

// Runs one exchange. `known`: the server has credentials for the user (else the unknown-user
// path with `secret`). The client's on_outcome is given the server's final message, or its
// e= error when the server failed in on_client_final.
inline exchange_result run_exchange(scram_client& client, scram_server& server,
                                    const std::optional<scram_credentials>& known,
                                    bytes_view secret = {}) {
  exchange_result r;
  auto first = client.initial_response();
  if (!first) {
    r.client_error = first.error();
    return r;
  }
  r.client_first = *first;
  auto who = server.on_client_first(bytes_of(r.client_first));
  if (!who) {
    r.server_error = who.error();
    return r;
  }
  r.username = who->username;
  r.authzid = who->authzid;
  auto challenge = known ? server.challenge(*known) : server.challenge_unknown_user(secret);
  if (!challenge) {
    r.server_error = challenge.error();
    return r;
  }
  r.server_first = *challenge;
  auto response = client.on_challenge(bytes_of(r.server_first));
  if (!response) {
    r.client_error = response.error();
    return r;
  }
  r.client_final = *response;
  auto outcome = server.on_client_final(bytes_of(r.client_final));
  if (!outcome) {
    r.server_error = outcome.error();
    r.server_final = outcome.error().server_final;
  } else {
    r.server_final = *outcome;
  }
  if (r.server_final.empty()) return r;
  auto done = client.on_outcome(bytes_of(r.server_final));
  if (!done) r.client_error = done.error();
  return r;
}

}  // namespace amqp::test
