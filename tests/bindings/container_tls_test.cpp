// TLS and SASL through the container of every binding over loopback TCP: an amqps listener with the
// test PKI, PLAIN checked by the server's authenticator, and refusals (a wrong password, a server
// certificate the client does not trust) that end the connection instead of reconnecting.
#include <gtest/gtest.h>

#include "binding.hpp"
#include "container_support.hpp"
#include "messaging/recorder.hpp"
#include "support/test_tls.hpp"

namespace amqp::test {
namespace {

using calls = std::vector<std::string>;

class container_tls : public binding_test {};

// Quick retries, at most `rounds` of them: a test that should not retry ends soon if it does.
std::shared_ptr<reconnect_policy> few_retries(std::uint32_t rounds = 3) {
  return std::make_shared<exponential_backoff>(backoff_options{
      .initial = 10ms, .multiplier = 1.0, .max_delay = 10ms, .max_attempts = rounds});
}

// A broker on amqps://127.0.0.1:0 that lets alice in with her password, over PLAIN.
struct tls_server {
  test_broker broker;
  std::vector<sasl_auth_requested> asked;  // on the container's one thread
  connection_options options() {
    connection_options o{.allowed_mechs = {"PLAIN"}};
    o.tls = server_tls();
    o.authenticate = [this](const sasl_auth_requested& r) {
      asked.push_back(r);
      return r.user == "alice" && r.password == "secret" ? sasl_verdict::accept()
                                                         : sasl_verdict::reject();
    };
    return o;
  }
};

std::string amqps_url(std::string_view credentials, std::uint16_t port) {
  std::string u = "amqps://";
  u += credentials;
  u += "@127.0.0.1:";
  u += std::to_string(port);
  return u;
}

TEST_P(container_tls, plain_over_tls_lets_the_right_user_in_and_messages_flow) {
  recorder h;
  tls_server server;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("amqps://127.0.0.1:0", server.options(), &server.broker);
  ASSERT_TRUE(l) << l.error();
  std::string server_user;
  server.broker.after_open = [&](messaging_event& e) {
    ASSERT_TRUE(e.connection().authentication());
    server_user = e.connection().authentication()->user;
    EXPECT_TRUE(e.connection().tls());
  };
  int accepted = 0;
  h.on("on_connection_opened", [&](messaging_event& e) {
    EXPECT_TRUE(e.connection().tls());
    ASSERT_TRUE(e.connection().authentication());
    EXPECT_EQ(e.connection().authentication()->mechanism, "PLAIN");
  });
  h.on("on_sendable", [&](messaging_event& e) {
    if (h.count("on_sendable") != 1) return;
    for (int i = 0; i < 100; ++i) (void)e.sender().send(numbered_message(i));
  });
  h.on("on_accepted", [&](messaging_event& e) {
    if (++accepted < 100) return;
    e.connection().close();
    l->close();
  });
  connection_options co{.reconnect = false};
  co.tls = client_tls("127.0.0.1");
  auto conn = c->connect(amqps_url("alice:secret", l->port()), co);
  conn.open_sender("q", {.mode = delivery_mode::at_least_once});
  c->run();

  EXPECT_EQ(accepted, 100);
  EXPECT_EQ(server.broker.stored("q"), 100u);
  EXPECT_EQ(server.broker.out_of_order, 0u);
  EXPECT_EQ(server_user, "alice");
  ASSERT_EQ(server.asked.size(), 1u);
  EXPECT_EQ(server.asked[0].mechanism, "PLAIN");
  EXPECT_EQ(h.count("on_transport_error"), 0u);
  EXPECT_EQ(h.count("on_connection_closed"), 1u);
}

TEST_P(container_tls, a_wrong_password_is_reported_once_and_not_retried) {
  recorder h;
  tls_server server;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("amqps://127.0.0.1:0", server.options(), &server.broker);
  ASSERT_TRUE(l) << l.error();
  // Reconnect is on: only the nature of the failure stops it.
  connection_options co{.reconnect_policy = few_retries()};
  co.tls = client_tls("127.0.0.1");
  h.on("on_disconnected", [&](messaging_event&) { l->close(); });
  auto conn = c->connect(amqps_url("alice:wrong", l->port()), co);
  auto s = conn.open_sender("q");
  c->run();

  EXPECT_EQ(h.only({"on_connection_opened", "on_transport_error", "on_disconnected",
                    "on_connection_closed"}),
            (calls{"on_transport_error amqp:unauthorized-access", "on_disconnected"}));
  const seen_event* err = h.last("on_transport_error");
  ASSERT_TRUE(err && err->error);
  EXPECT_TRUE(has(err->error->description, "127.0.0.1:" + std::to_string(l->port())))
      << err->error->description;
  EXPECT_TRUE(has(err->error->description, "authentication failed")) << err->error->description;
  EXPECT_EQ(server.asked.size(), 1u);
  EXPECT_EQ(server.broker.opened, 0u);
  EXPECT_EQ(conn.state(), endpoint_state::closed);
  EXPECT_EQ(s.state(), endpoint_state::closed);
}

TEST_P(container_tls, an_untrusted_server_certificate_is_final_too) {
  recorder h;
  tls_server server;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("amqps://127.0.0.1:0", server.options(), &server.broker);
  ASSERT_TRUE(l) << l.error();
  h.on("on_disconnected", [&](messaging_event&) { l->close(); });
  // No context: the system's trust store, which does not know the test CA.
  auto conn = c->connect(amqps_url("alice:secret", l->port()), {.reconnect_policy = few_retries()});
  c->run();

  EXPECT_EQ(h.only({"on_connection_opened", "on_transport_error", "on_disconnected"}),
            (calls{"on_transport_error amqp:unauthorized-access", "on_disconnected"}));
  const seen_event* err = h.last("on_transport_error");
  ASSERT_TRUE(err && err->error);
  EXPECT_TRUE(has(err->error->description, "127.0.0.1:" + std::to_string(l->port())))
      << err->error->description;
  EXPECT_TRUE(server.asked.empty());
  EXPECT_EQ(conn.state(), endpoint_state::closed);
}

TEST_P(container_tls, a_plain_client_cannot_reach_a_tls_listener) {
  recorder h;
  tls_server server;
  auto c = make_container(h);
  watchdog dog(*c);
  auto l = c->listen("amqps://127.0.0.1:0", server.options(), &server.broker);
  ASSERT_TRUE(l) << l.error();
  h.on("on_disconnected", [&](messaging_event&) { l->close(); });
  c->connect(local_url(l->port()), {.reconnect = false});
  c->run();
  EXPECT_EQ(h.count("on_connection_opened"), 0u);
  EXPECT_EQ(h.count("on_transport_error"), 1u);
  EXPECT_EQ(server.broker.opened, 0u);
}

INSTANTIATE_TEST_SUITE_P(, container_tls, every_binding(), binding_name);

}  // namespace
}  // namespace amqp::test
