// TLS through the connection options: amqps URLs, the TLS header on amqp ones, SASL PLAIN
// inside TLS, and a server certificate the client does not accept.
#include <gtest/gtest.h>

#include "fixture.hpp"
#include "support/test_tls.hpp"

namespace amqp::test {
namespace {

using calls = std::vector<std::string>;

TEST(tls_messaging, an_amqps_url_connects_over_tls_and_messages_flow) {
  messaging_pair p;
  connection_options so;
  so.tls = server_tls();
  p.listen(so, "amqps://broker.example:5671");
  connection_options co;
  co.tls = client_tls("broker.example");
  auto c = p.connect(co, "amqps://broker.example/q");
  auto s = c.open_sender("q");
  p.net.run();
  EXPECT_EQ(p.net.attempts, (std::vector<std::string>{"0ms broker.example:5671 connected"}));
  ASSERT_EQ(s.state(), endpoint_state::active);
  EXPECT_TRUE(c.tls());
  EXPECT_TRUE(p.server_connection().tls());
  ASSERT_TRUE(s.send(text_message("secret")));
  p.net.pump();
  EXPECT_EQ(p.client_h.count("on_accepted"), 1u);
}

TEST(tls_messaging, plain_inside_tls_needs_no_insecure_flag) {
  messaging_pair p;
  connection_options so{.allowed_mechs = {"PLAIN"}};
  so.tls = server_tls();
  so.authenticate = [](const sasl_auth_requested& r) {
    return r.password == "pw" ? sasl_verdict::accept() : sasl_verdict::reject();
  };
  p.listen(so, "amqps://broker.example:5671");
  connection_options co;
  co.tls = client_tls("broker.example");
  auto c = p.connect(co, "amqps://alice:pw@broker.example");
  p.net.run();
  EXPECT_EQ(c.state(), endpoint_state::active);
  ASSERT_TRUE(c.authentication());
  EXPECT_EQ(c.authentication()->mechanism, "PLAIN");
}

TEST(tls_messaging, the_tls_header_upgrades_an_amqp_url_when_asked) {
  messaging_pair p;
  connection_options so;
  so.tls = server_tls();
  p.listen(so, "amqp://broker.example:5672");
  connection_options co{.tls_start_mode = tls_start::after_header};
  co.tls = client_tls("broker.example");
  auto c = p.connect(co, "amqp://broker.example");
  p.net.run();
  EXPECT_EQ(c.state(), endpoint_state::active);
  EXPECT_TRUE(c.tls());
}

TEST(tls_messaging, a_server_name_the_certificate_lacks_is_a_transport_error) {
  messaging_pair p;
  connection_options so;
  so.tls = server_tls();
  p.listen(so, "amqps://elsewhere.example:5671");
  connection_options co{.reconnect = false};
  co.tls = client_tls("elsewhere.example");
  auto c = p.connect(co, "amqps://elsewhere.example");
  p.net.run();
  EXPECT_EQ(
      p.client_h.only({"on_connection_opened", "on_transport_error", "on_disconnected"}).size(),
      2u);
  const seen_event* err = p.client_h.last("on_transport_error");
  ASSERT_TRUE(err);
  EXPECT_NE(err->error->description.find("elsewhere.example"), std::string::npos)
      << err->error->description;
  EXPECT_TRUE(p.net.finished(c));
}

}  // namespace
}  // namespace amqp::test
