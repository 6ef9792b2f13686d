// The Cyrus test users: a sasldb made by saslpasswd2 (Debian package sasl2-bin) in a temporary
// folder, next to an amqp.conf, and a fixture that skips, saying why, when the engine was built
// without Cyrus or a plugin or tool is missing. Nothing under /etc is read or written.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/cyrus.hpp"

namespace amqp::test {

using namespace amqp::detail;

constexpr const char* realm = "example.org";
constexpr const char* alice_at_realm = "alice@example.org";
constexpr const char* alice_password = "Tea-Party-1865";
constexpr const char* bob_password = "Looking-Glass-1871";
constexpr const char* wrong_password = "Off-With-Her-Head";
// Another alice, in another realm of the same sasldb, with her own password.
constexpr const char* other_realm = "other.org";
constexpr const char* other_alice_password = "Queen-Of-Hearts-1865";
// The realm Cyrus looks users up in when the server names none: its host name, the one every
// test server has.
constexpr const char* server_host = "broker.example.org";
constexpr const char* carol_password = "Cheshire-Cat-1865";

inline bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Every error text the tests see: none may contain a password.
inline void expect_no_password(const std::string& text) {
  for (const char* p :
       {alice_password, bob_password, wrong_password, other_alice_password, carol_password})
    EXPECT_EQ(text.find(p), std::string::npos) << "password in: " << text;
}

// The saslpasswd2 program, if installed.
inline std::optional<std::string> saslpasswd2() {
  for (const char* p : {"/usr/sbin/saslpasswd2", "/usr/bin/saslpasswd2"})
    if (::access(p, X_OK) == 0) return p;
  return std::nullopt;
}

// A temporary folder with a sasldb (alice and bob in `realm`, another alice in `other_realm`,
// carol in the server's host realm) and an amqp.conf pointing at it.
class cyrus_users {
 public:
  inline static cyrus_users* instance = nullptr;

  cyrus_users() {
    std::string pattern = ::testing::TempDir() + "amqp-cyrus-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      problem_ = "cannot create a temporary folder";
      return;
    }
    dir_ = pattern;
    const account accounts[] = {{"alice", realm, alice_password},
                                {"bob", realm, bob_password},
                                {"alice", other_realm, other_alice_password},
                                {"carol", server_host, carol_password}};
    for (const account& a : accounts)
      if (!add_user(a)) return;
    std::ofstream conf(dir_ + "/amqp.conf");
    conf << "# written by cyrus_test\npwcheck_method: auxprop\nauxprop_plugin: sasldb\n"
         << "sasldb_path: " << sasldb() << "\nmech_list: CRAM-MD5 PLAIN\n";
  }
  ~cyrus_users() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  const std::string& problem() const { return problem_; }
  const std::string& dir() const { return dir_; }
  std::string sasldb() const { return dir_ + "/sasldb2"; }

 private:
  struct account {
    const char* user;
    const char* realm;
    const char* password;
  };
  // saslpasswd2 -p reads the password from stdin, so it never shows in a process listing.
  bool add_user(const account& a) {
    const std::string command = *saslpasswd2() + " -c -p -f '" + sasldb() + "' -u " + a.realm +
                                " -a amqp " + a.user + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "w");
    if (pipe == nullptr) {
      problem_ = "cannot run " + command;
      return false;
    }
    std::fputs(a.password, pipe);
    if (::pclose(pipe) != 0) {
      problem_ = "saslpasswd2 failed for " + std::string(a.user) + "@" + a.realm;
      return false;
    }
    return true;
  }

  std::string dir_;
  std::string problem_;
};

class cyrus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (cyrus_available() && saslpasswd2()) cyrus_users::instance = new cyrus_users;
  }
  static void TearDownTestSuite() {
    delete cyrus_users::instance;
    cyrus_users::instance = nullptr;
  }
  void SetUp() override {
    if (!cyrus_available())
      GTEST_SKIP() << "the engine was built without Cyrus SASL (AMQP_CYRUS_SASL=OFF or no "
                      "libsasl2-dev)";
    if (!saslpasswd2()) GTEST_SKIP() << "saslpasswd2 is not installed (Debian package sasl2-bin)";
    // saslpasswd2 is there, so a sasldb it cannot make is a failure, not a reason to skip.
    if (!users().problem().empty()) FAIL() << "cannot make the test sasldb: " << users().problem();
  }
  static const cyrus_users& users() { return *cyrus_users::instance; }

  // Skips unless the Cyrus plugins offer `mechanism` on both sides.
  static bool have(std::string_view mechanism) {
    return contains(cyrus_mechanisms(cyrus_role::server), mechanism) &&
           contains(cyrus_mechanisms(cyrus_role::client), mechanism);
  }

  static cyrus_server_config server_config(std::string mech_list = {}) {
    return {.server_host = server_host,
            .realm = realm,
            .sasldb_path = users().sasldb(),
            .mech_list = std::move(mech_list)};
  }
  static cyrus_client_config client_config(std::string mechanism, std::string user = "alice") {
    return {
        .mechanism = std::move(mechanism), .server_host = server_host, .username = std::move(user)};
  }
};

#define REQUIRE_MECHANISM(m) \
  if (!have(m)) GTEST_SKIP() << "no Cyrus plugin for " << (m) << " (Debian libsasl2-modules)"

}  // namespace amqp::test
