// A Qpid Proton client against our server over TLS and SASL, in memory: ANONYMOUS, PLAIN and
// EXTERNAL, session resumption, and each failure named by our server with what Proton said.
#include <gtest/gtest.h>

#include "security_fixture.hpp"

namespace amqp::test {
namespace {

proton_options proton_client(std::shared_ptr<proton_tls_domain> domain, proton_sasl sasl = {},
                             std::string host = "broker.example") {
  return {.container_id = "proton-client",
          .tls = {.domain = std::move(domain), .peer_hostname = std::move(host)},
          .sasl = std::move(sasl)};
}

proton_sasl alice(std::string password = "secret") {
  return {.allowed_mechs = "PLAIN", .user = "alice", .password = std::move(password)};
}

TEST(security_server_interop, anonymous_over_tls) {
  interop i(our_server(server_tls()), proton_client(proton_client_domain()));
  open_with_proton_client(i);
  ASSERT_TRUE(i.find<peer_opened>()) << our_failure(i);
  EXPECT_EQ(i.theirs.state().remote, endpoint::active);
  EXPECT_EQ(i.theirs.sasl_outcome(), "ok");
  ASSERT_TRUE(i.ours.authentication());
  EXPECT_EQ(i.ours.authentication()->mechanism, "ANONYMOUS");
  ASSERT_TRUE(i.ours.tls());
  EXPECT_EQ(i.ours.tls()->protocol, i.theirs.tls_protocol());
  EXPECT_EQ(i.ours.tls()->peer_subject, "");
  EXPECT_NE(i.theirs.tls_peer_subject().find("CN=localhost"), std::string::npos);
  close_cleanly(i);
}

TEST(security_server_interop, plain_over_tls_whole_and_one_byte_at_a_time) {
  for (std::size_t chunk : {SIZE_MAX, std::size_t{1}}) {
    SCOPED_TRACE(chunk);
    interop i(our_server(server_tls()), proton_client(proton_client_domain(), alice()));
    i.chunk = chunk;
    open_with_proton_client(i);
    ASSERT_TRUE(i.find<peer_opened>()) << our_failure(i);
    const auto* r = i.find<sasl_auth_requested>();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->mechanism, "PLAIN");
    EXPECT_EQ(r->user, "alice");
    ASSERT_TRUE(i.ours.authentication());
    EXPECT_EQ(i.ours.authentication()->user, "alice");
    EXPECT_EQ(i.theirs.sasl_outcome(), "ok");
    EXPECT_EQ(i.theirs.state().remote, endpoint::active);
    close_cleanly(i);
  }
}

TEST(security_server_interop, a_wrong_password_is_refused_by_name) {
  interop i(our_server(server_tls()), proton_client(proton_client_domain(), alice("guess")));
  open_with_proton_client(i);
  EXPECT_EQ(our_failure(i),
            "amqp:unauthorized-access: authentication failed for user 'alice' with mechanism "
            "PLAIN (rejected by the application)");
  EXPECT_EQ(i.theirs.sasl_outcome(), "auth");
  EXPECT_EQ(their_failure(i.theirs),
            "amqp:unauthorized-access: Authentication failed [mech=PLAIN]");
  EXPECT_FALSE(i.find<peer_opened>());
  EXPECT_TRUE(i.ours.is_finished());
  EXPECT_TRUE(i.theirs.finished());
}

TEST(security_server_interop, plain_in_clear_is_not_offered) {
  // Proton would send PLAIN in clear when allowed; our server still does not offer it.
  proton_sasl insecure = alice();
  insecure.allow_insecure_mechs = true;
  interop i(our_server(nullptr), {.container_id = "proton-client", .sasl = insecure});
  open_with_proton_client(i);
  EXPECT_FALSE(i.find<sasl_auth_requested>());
  EXPECT_FALSE(i.find<peer_opened>());
  EXPECT_EQ(i.theirs.transport_condition().name, "amqp:unauthorized-access");
  EXPECT_EQ(our_failure(i),
            "amqp:connection:framing-error: connection aborted: the input ended during SASL "
            "authentication: the client left after our offer [ANONYMOUS] without choosing a "
            "mechanism (it may allow none of them)");
  EXPECT_TRUE(i.ours.is_finished());
}

TEST(security_server_interop, external_from_the_proton_client_certificate) {
  interop i(our_server(server_tls(tls_client_certificates::required), {"EXTERNAL"}),
            proton_client(proton_client_domain(/*with_certificate=*/true),
                          proton_sasl{.allowed_mechs = "EXTERNAL"}));
  open_with_proton_client(i);
  ASSERT_TRUE(i.find<peer_opened>()) << our_failure(i);
  const auto* r = i.find<sasl_auth_requested>();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mechanism, "EXTERNAL");
  EXPECT_NE(r->user.find("CN=client-1"), std::string::npos) << r->user;
  EXPECT_EQ(i.ours.tls()->peer_subject, r->user);
  close_cleanly(i);
}

TEST(security_server_interop, a_missing_client_certificate_is_named) {
  interop i(our_server(server_tls(tls_client_certificates::required)),
            proton_client(proton_client_domain()));
  open_with_proton_client(i);
  EXPECT_NE(our_failure(i).find("peer did not return a certificate"), std::string::npos)
      << our_failure(i);
  EXPECT_NE(their_failure(i.theirs).find("alert certificate required"), std::string::npos)
      << their_failure(i.theirs);
  EXPECT_FALSE(i.find<peer_opened>());
  EXPECT_TRUE(i.ours.is_finished());
}

TEST(security_server_interop, proton_refusing_our_certificate_is_named_by_its_alert) {
  // A client checking another name, and one that does not trust our CA.
  for (auto options : {proton_client(proton_client_domain(), {}, "other.example"),
                       proton_client(proton_client_domain(false, "untrusted-ca.pem"))}) {
    interop i(our_server(server_tls()), options);
    open_with_proton_client(i);
    // Proton sends no alert: it closes.
    EXPECT_EQ(our_failure(i),
              "amqp:unauthorized-access: TLS handshake failed: the connection closed during the "
              "handshake, after our certificate went out: the client may not trust it or expect "
              "another host name");
    EXPECT_NE(their_failure(i.theirs).find("certificate verify failed"), std::string::npos)
        << their_failure(i.theirs);
    EXPECT_FALSE(i.find<peer_opened>());
    EXPECT_TRUE(i.ours.is_finished());
  }
}

TEST(security_server_interop, a_second_proton_connection_resumes_the_tls_session) {
  auto domain = proton_client_domain();
  auto tls = server_tls();
  const auto make = [&] {
    proton_options o = proton_client(domain);
    o.tls.session_id = "proton-client-session";
    return interop(our_server(tls), std::move(o));
  };
  EXPECT_EQ(tls_resumptions(make, open_with_proton_client), (std::vector<bool>{false, true}));
}

}  // namespace
}  // namespace amqp::test
