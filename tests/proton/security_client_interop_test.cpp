// Our client against a Qpid Proton server over TLS and SASL, in memory: ANONYMOUS, PLAIN and
// EXTERNAL, the TLS modes Proton serves, session resumption, and each failure named by our
// client with what Proton did on its side.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>

#include "security_fixture.hpp"

namespace amqp::test {
namespace {

proton_options proton_server(std::shared_ptr<proton_tls_domain> domain,
                             std::optional<proton_sasl> sasl = proton_sasl{}) {
  return {.container_id = "proton-server",
          .auto_answer = true,
          .tls = {.domain = std::move(domain)},
          .sasl = std::move(sasl)};
}

proton_sasl plain_logins() {
  return {.plain_logins = {{"alice", "secret"}}};
}

sasl_client_options alice(std::string password = "secret") {
  return {.user = "alice", .password = std::move(password), .allowed_mechs = {"PLAIN"}};
}

TEST(security_client_interop, anonymous_over_tls) {
  interop i(our_client(client_tls("broker.example")), proton_server(proton_server_domain()));
  open_with_proton_server(i);
  ASSERT_TRUE(i.find<peer_opened>()) << our_failure(i);
  ASSERT_TRUE(i.ours.tls());
  EXPECT_EQ(i.ours.tls()->protocol, "TLSv1.3");
  EXPECT_EQ(i.theirs.tls_protocol(), "TLSv1.3");
  EXPECT_NE(i.ours.tls()->peer_subject.find("CN=localhost"), std::string::npos);
  ASSERT_TRUE(i.ours.authentication());
  EXPECT_EQ(i.ours.authentication()->mechanism, "ANONYMOUS");
  EXPECT_EQ(i.theirs.sasl_mechanism(), "ANONYMOUS");
  EXPECT_EQ(i.theirs.sasl_outcome(), "ok");
  close_cleanly(i);
}

TEST(security_client_interop, plain_over_tls_whole_and_one_byte_at_a_time) {
  for (std::size_t chunk : {SIZE_MAX, std::size_t{1}}) {
    SCOPED_TRACE(chunk);
    interop i(our_client(client_tls("broker.example"), alice()),
              proton_server(proton_server_domain(), plain_logins()));
    i.chunk = chunk;
    open_with_proton_server(i);
    ASSERT_TRUE(i.find<peer_opened>()) << our_failure(i);
    EXPECT_EQ(i.theirs.sasl_mechanism(), "PLAIN");
    EXPECT_EQ(i.theirs.sasl_user(), "alice");
    EXPECT_EQ(i.theirs.sasl_outcome(), "ok");
    ASSERT_TRUE(i.ours.authentication());
    EXPECT_EQ(i.ours.authentication()->user, "alice");
    close_cleanly(i);
  }
}

TEST(security_client_interop, a_wrong_password_is_named_without_the_password) {
  interop i(our_client(client_tls("broker.example"), alice("not-the-secret")),
            proton_server(proton_server_domain(), plain_logins()));
  open_with_proton_server(i);
  EXPECT_EQ(our_failure(i),
            "amqp:unauthorized-access: authentication failed: sasl-outcome auth (1) for user "
            "'alice' with mechanism PLAIN");
  EXPECT_EQ(our_failure(i).find("not-the-secret"), std::string::npos);
  EXPECT_EQ(i.theirs.sasl_outcome(), "auth");
  EXPECT_FALSE(i.find<peer_opened>());
  EXPECT_TRUE(i.ours.is_finished());
}

TEST(security_client_interop, plain_without_tls_is_refused_by_both_unless_allowed) {
  // Proton's server does not offer PLAIN in clear, and our client would not use it.
  interop refused(our_client(nullptr, alice()), proton_server(nullptr, plain_logins()));
  open_with_proton_server(refused);
  EXPECT_EQ(our_failure(refused),
            "amqp:unauthorized-access: no mutually acceptable SASL mechanism: server offers [], "
            "allowed [PLAIN]");

  sasl_client_options insecure = alice();
  insecure.allow_insecure_mechs = true;
  proton_sasl insecure_server = plain_logins();
  insecure_server.allow_insecure_mechs = true;
  interop allowed(our_client(nullptr, insecure), proton_server(nullptr, insecure_server));
  open_with_proton_server(allowed);
  EXPECT_TRUE(allowed.find<peer_opened>()) << our_failure(allowed);
  EXPECT_EQ(allowed.theirs.sasl_user(), "alice");
}

TEST(security_client_interop, external_from_our_client_certificate) {
  interop i(our_client(client_tls("broker.example", /*with_certificate=*/true),
                       sasl_client_options{.allowed_mechs = {"EXTERNAL"}}),
            proton_server(proton_server_domain("server", /*client_certificates=*/true)));
  open_with_proton_server(i);
  ASSERT_TRUE(i.find<peer_opened>()) << our_failure(i);
  EXPECT_EQ(i.theirs.sasl_mechanism(), "EXTERNAL");
  EXPECT_NE(i.theirs.sasl_user().find("CN=client-1"), std::string::npos) << i.theirs.sasl_user();
  EXPECT_NE(i.theirs.tls_peer_subject().find("CN=client-1"), std::string::npos);
  close_cleanly(i);
}

TEST(security_client_interop, a_missing_client_certificate) {
  interop i(our_client(client_tls("broker.example")),
            proton_server(proton_server_domain("server", /*client_certificates=*/true)));
  open_with_proton_server(i);
  // TLS 1.3: our handshake is done before Proton checks; Proton closes without an alert.
  EXPECT_EQ(our_failure(i),
            "amqp:connection:framing-error: TLS connection truncated: the transport closed "
            "without close_notify, before the server sent any data (it may have refused our "
            "client certificate, or the lack of one)");
  EXPECT_NE(their_failure(i.theirs).find("peer did not return a certificate"), std::string::npos)
      << their_failure(i.theirs);
  EXPECT_FALSE(i.find<peer_opened>());
  EXPECT_TRUE(i.ours.is_finished());
}

// Each certificate the server may present that our client must refuse, with the error it names.
struct refused_certificate {
  const char* identity;
  const char* error;
  const char* their_alert;  // the alert Proton received from us
  friend std::ostream& operator<<(std::ostream& os, const refused_certificate& r) {
    return os << r.identity;
  }
};

class security_client_refuses : public testing::TestWithParam<refused_certificate> {};

TEST_P(security_client_refuses, the_server_certificate) {
  interop i(our_client(client_tls("broker.example")),
            proton_server(proton_server_domain(GetParam().identity)));
  open_with_proton_server(i);
  EXPECT_EQ(our_failure(i), GetParam().error);
  EXPECT_FALSE(i.find<peer_opened>());
  // Proton hears our alert and ends too.
  EXPECT_NE(their_failure(i.theirs).find(GetParam().their_alert), std::string::npos)
      << their_failure(i.theirs);
  EXPECT_TRUE(i.ours.is_finished());
}

INSTANTIATE_TEST_SUITE_P(
    certificates, security_client_refuses,
    testing::Values(
        refused_certificate{"wrong-host",
                            "amqp:unauthorized-access: TLS handshake failed: certificate "
                            "verify failed: hostname mismatch (expected 'broker.example')",
                            "alert bad certificate"},
        refused_certificate{"expired",
                            "amqp:unauthorized-access: TLS handshake failed: certificate "
                            "verify failed: certificate has expired (server 'broker.example')",
                            "alert certificate expired"},
        refused_certificate{"untrusted",
                            "amqp:unauthorized-access: TLS handshake failed: certificate "
                            "verify failed: unable to get local issuer certificate (untrusted "
                            "CA, server 'broker.example')",
                            "alert unknown ca"}),
    [](const auto& param_info) {
      std::string name = param_info.param.identity;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

// Proton reads our TLS header but answers with its ServerHello, not the header (spec Part 5,
// 5.2.1 has both peers send it); our client, which sent its ClientHello after the header
// without waiting, goes on.
TEST(security_client_interop, tls_after_the_tls_protocol_header) {
  engine_config c = our_client(client_tls("broker.example"));
  c.tls->start = tls_start::after_header;
  interop i(std::move(c), proton_server(proton_server_domain()));
  open_with_proton_server(i);
  ASSERT_TRUE(i.find<peer_opened>()) << our_failure(i);
  EXPECT_EQ(i.theirs.tls_protocol(), "TLSv1.3");
  EXPECT_EQ(i.ours.tls()->protocol, "TLSv1.3");
  const std::vector<std::uint8_t> tls_header = {'A', 'M', 'Q', 'P', 2, 1, 0, 0};
  EXPECT_TRUE(std::equal(tls_header.begin(), tls_header.end(), i.theirs.bytes_fed().begin()));
  EXPECT_EQ(i.theirs.bytes_written().at(0), 0x16);  // a TLS handshake record
  close_cleanly(i);
}

TEST(security_client_interop, a_server_that_requires_tls) {
  // Proton takes SASL in clear, then closes before its AMQP header.
  interop refused(our_client(nullptr), proton_server(proton_server_domain()));
  open_with_proton_server(refused);
  EXPECT_EQ(our_failure(refused),
            "amqp:connection:framing-error: connection aborted: the input ended before the "
            "peer's protocol header (after our open, on a connection without TLS: does the "
            "server require TLS?)");
  EXPECT_EQ(their_failure(refused.theirs),
            "amqp:connection:policy-error: Client connection unencrypted - forbidden");
  EXPECT_TRUE(refused.ours.is_finished());

  // The same server allowing unencrypted clients serves ours.
  auto domain = std::make_shared<proton_tls_domain>(
      proton_role::server, proton_tls_settings{.certificate_file = cert_file("server.pem"),
                                               .key_file = cert_file("server.key"),
                                               .verify = proton_verify::none,
                                               .allow_unsecured_client = true});
  interop served(our_client(nullptr), proton_server(domain));
  open_with_proton_server(served);
  EXPECT_TRUE(served.find<peer_opened>()) << our_failure(served);
  EXPECT_FALSE(served.ours.tls());
  close_cleanly(served);
}

TEST(security_client_interop, a_second_connection_resumes_the_tls_session) {
  auto domain = proton_server_domain();
  auto tls = client_tls("broker.example");
  EXPECT_EQ(tls_resumptions([&] { return interop(our_client(tls), proton_server(domain)); },
                            open_with_proton_server),
            (std::vector<bool>{false, true}));
}

}  // namespace
}  // namespace amqp::test
