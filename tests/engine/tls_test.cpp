// TLS below AMQP between two engines (spec Part 5, 5.2): direct and after the TLS header, a
// server telling them apart and refusing plain clients, named verification failures, SASL over
// TLS (PLAIN allowed, EXTERNAL from the client certificate), a clean close_notify, the whole
// conversation cut into small chunks, and the output backlog counting frames not yet
// encrypted.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <ostream>
#include <string>

#include "handshake.hpp"
#include "links.hpp"
#include "pki/test_certs.hpp"
#include "support/test_tls.hpp"

namespace amqp::test {
namespace {

using namespace std::chrono_literals;

engine_config tls_client(tls_start start = tls_start::direct,
                         std::shared_ptr<const tls_context> ctx = client_tls()) {
  engine_config c = client_config();
  c.tls = tls_options{.context = std::move(ctx), .start = start};
  return c;
}

engine_config tls_server(std::shared_ptr<const tls_context> ctx = server_tls(),
                         bool allow_plain = false) {
  engine_config c = server_config();
  c.tls = tls_options{.context = std::move(ctx), .allow_plain = allow_plain};
  return c;
}

// Closes from the client and checks both ends finish cleanly, TLS close_notify included.
void close_cleanly(engine_pair& p) {
  ASSERT_FALSE(p.client.close());
  p.pump();
  if (p.server_side.find<peer_closed>()) (void)p.server.close();
  p.pump();
  EXPECT_EQ(failure_of(p.client_side), "");
  EXPECT_EQ(failure_of(p.server_side), "");
  EXPECT_TRUE(p.client.is_finished());
  EXPECT_TRUE(p.server.is_finished());
}

TEST(tls, direct_tls_carries_the_whole_conversation) {
  engine_pair p(tls_client(), tls_server());
  open_both(p);
  ASSERT_TRUE(p.client_side.find<peer_opened>());
  ASSERT_TRUE(p.server_side.find<peer_opened>());
  ASSERT_TRUE(p.client.tls());
  EXPECT_TRUE(p.client.tls()->protocol.starts_with("TLSv1."));
  EXPECT_NE(p.client.tls()->peer_subject.find("CN=localhost"), std::string::npos)
      << p.client.tls()->peer_subject;
  EXPECT_EQ(p.client.tls()->peer_fingerprint_sha256, fingerprint_sha256(test_certs().server_chain));
  ASSERT_TRUE(p.server.tls());
  EXPECT_EQ(p.server.tls()->peer_subject, "");  // the client sent no certificate
  // The frames cross as usual above TLS.
  auto s = p.client.begin_session();
  ASSERT_TRUE(s);
  p.pump();
  EXPECT_TRUE(p.server_side.find<peer_began_session>());
  close_cleanly(p);
}

TEST(tls, tls_after_the_protocol_header) {
  engine_pair p(tls_client(tls_start::after_header), tls_server());
  open_both(p);
  EXPECT_TRUE(p.client_side.find<peer_opened>());
  EXPECT_TRUE(p.server_side.find<peer_opened>());
  ASSERT_TRUE(p.server.tls());
  close_cleanly(p);
}

TEST(tls, the_client_hello_follows_the_tls_header_without_waiting) {
  connection_engine client(tls_client(tls_start::after_header));
  const bytes_view header = client.pending_output();
  const std::uint8_t tls_header[] = {'A', 'M', 'Q', 'P', 2, 1, 0, 0};
  ASSERT_EQ(header.size(), 8u);
  EXPECT_TRUE(std::equal(std::begin(tls_header), std::end(tls_header), header.begin()));
  client.consume_output(8);
  const bytes_view hello = client.pending_output();
  ASSERT_FALSE(hello.empty());
  EXPECT_EQ(hello[0], 0x16);  // a TLS handshake record: the ClientHello
}

TEST(tls, a_server_without_tls_answering_the_tls_header_is_named) {
  engine_pair p(tls_client(tls_start::after_header), server_config());
  ASSERT_FALSE(p.client.open({.container_id = "client"}));
  p.pump();
  EXPECT_EQ(failure_of(p.client_side),
            "amqp:unauthorized-access: the server answered the TLS header with AMQP 0.1.0.0: it "
            "does not offer TLS this way");
  EXPECT_NE(failure_of(p.server_side).find("AMQP 2.1.0.0"), std::string::npos)
      << failure_of(p.server_side);
  EXPECT_TRUE(p.client.is_finished());
  EXPECT_TRUE(p.server.is_finished());
}

TEST(tls, a_server_that_allows_plain_clients_serves_both) {
  engine_pair plain(client_config(), tls_server(server_tls(), /*allow_plain=*/true));
  open_both(plain);
  EXPECT_TRUE(plain.server_side.find<peer_opened>());
  EXPECT_FALSE(plain.server.tls());
  engine_pair secured(tls_client(), tls_server(server_tls(), /*allow_plain=*/true));
  open_both(secured);
  EXPECT_TRUE(secured.server_side.find<peer_opened>());
  EXPECT_TRUE(secured.server.tls());
}

TEST(tls, a_server_that_requires_tls_refuses_a_plain_client_by_name) {
  engine_pair p(client_config(), tls_server());
  ASSERT_FALSE(p.client.open({.container_id = "client"}));
  p.pump();
  EXPECT_EQ(failure_of(p.server_side),
            "amqp:unauthorized-access: the client sent AMQP 0.1.0.0, but this server requires "
            "TLS (AMQP 2.1.0.0, or TLS at once)");
  EXPECT_NE(failure_of(p.client_side).find("AMQP 2.1.0.0"), std::string::npos)
      << failure_of(p.client_side);
  EXPECT_TRUE(p.client.is_finished());
  EXPECT_TRUE(p.server.is_finished());
}

TEST(tls, a_wrong_host_name_fails_the_handshake_with_the_name_expected) {
  engine_pair p(tls_client(tls_start::direct, client_tls("other.example")), tls_server());
  ASSERT_FALSE(p.client.open({.container_id = "client"}));
  p.pump();
  EXPECT_NE(failure_of(p.client_side)
                .find("TLS handshake failed: certificate verify failed: "
                      "hostname mismatch (expected 'other.example')"),
            std::string::npos)
      << failure_of(p.client_side);
  EXPECT_EQ(failure_of(p.client_side).rfind("amqp:unauthorized-access: ", 0), 0u);
  EXPECT_FALSE(p.server_side.find<peer_opened>());
  EXPECT_NE(failure_of(p.server_side), "");
  EXPECT_TRUE(p.client.is_finished());
  EXPECT_TRUE(p.server.is_finished());
}

// Each server certificate a client refuses, with the error it names.
struct refused_certificate {
  std::string cert;
  std::string key;
  std::string error;
  friend std::ostream& operator<<(std::ostream& os, const refused_certificate& r) {
    return os << r.error;
  }
};

class tls_refused : public testing::TestWithParam<refused_certificate> {};

TEST_P(tls_refused, the_server_certificate_by_name) {
  const refused_certificate& r = GetParam();
  for (tls_start start : {tls_start::direct, tls_start::after_header}) {
    engine_pair p(tls_client(start, client_tls("broker.example")),
                  tls_server(server_tls(tls_client_certificates::none, r.cert, r.key)));
    ASSERT_FALSE(p.client.open({.container_id = "client"}));
    p.pump();
    EXPECT_EQ(failure_of(p.client_side), r.error);
    // The server hears the client's alert.
    EXPECT_NE(failure_of(p.server_side).find("TLS handshake failed: "), std::string::npos)
        << failure_of(p.server_side);
    EXPECT_FALSE(p.server_side.find<peer_opened>());
    EXPECT_TRUE(p.client.is_finished());
    EXPECT_TRUE(p.server.is_finished());
  }
}

INSTANTIATE_TEST_SUITE_P(
    certificates, tls_refused,
    testing::Values(
        refused_certificate{test_certs().expired_cert, test_certs().expired_key,
                            "amqp:unauthorized-access: TLS handshake failed: certificate verify "
                            "failed: certificate has expired (server 'broker.example')"},
        refused_certificate{test_certs().untrusted_cert, test_certs().untrusted_key,
                            "amqp:unauthorized-access: TLS handshake failed: certificate verify "
                            "failed: unable to get local issuer certificate (untrusted CA, "
                            "server 'broker.example')"},
        refused_certificate{test_certs().wrong_host_cert, test_certs().wrong_host_key,
                            "amqp:unauthorized-access: TLS handshake failed: certificate verify "
                            "failed: hostname mismatch (expected 'broker.example')"}));

TEST(tls, sasl_plain_is_allowed_over_tls_without_the_insecure_flag) {
  engine_config c = tls_client();
  c.sasl_client =
      sasl_client_options{.user = "alice", .password = "secret", .allowed_mechs = {"PLAIN"}};
  engine_config s = tls_server();
  s.sasl_server = sasl_server_options{.mechanisms = {"PLAIN"}};
  engine_pair p(std::move(c), std::move(s));
  open_both(p, [](connection_engine& e, const sasl_auth_requested& r) {
    return r.user == "alice" && r.password == "secret" ? e.sasl_accept() : e.sasl_reject();
  });
  EXPECT_EQ(failure_of(p.client_side), "");
  EXPECT_TRUE(p.client_side.find<peer_opened>());
  ASSERT_TRUE(p.server.authentication());
  EXPECT_EQ(p.server.authentication()->user, "alice");
}

TEST(tls, sasl_external_names_the_client_certificate) {
  engine_config c = tls_client(tls_start::direct, client_tls("localhost", /*certificate=*/true));
  c.sasl_client = sasl_client_options{};
  engine_config s = tls_server(server_tls(tls_client_certificates::required));
  s.sasl_server = sasl_server_options{.mechanisms = {"EXTERNAL", "ANONYMOUS"}};
  engine_pair p(std::move(c), std::move(s));
  open_both(p);
  const auto* r = p.server_side.find<sasl_auth_requested>();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mechanism, "EXTERNAL");
  EXPECT_NE(r->user.find("CN=client-1"), std::string::npos) << r->user;
  EXPECT_TRUE(p.client_side.find<peer_opened>());
  ASSERT_TRUE(p.server.tls());
  EXPECT_EQ(p.server.tls()->peer_subject, r->user);
}

TEST(tls, external_is_not_offered_without_a_client_certificate) {
  engine_config c = tls_client();
  c.sasl_client = sasl_client_options{.allowed_mechs = {"EXTERNAL"}};
  engine_config s = tls_server();
  s.sasl_server = sasl_server_options{.mechanisms = {"EXTERNAL", "ANONYMOUS"}};
  engine_pair p(std::move(c), std::move(s));
  open_both(p);
  EXPECT_EQ(failure_of(p.client_side),
            "amqp:unauthorized-access: no mutually acceptable SASL mechanism: server offers "
            "[ANONYMOUS], allowed [EXTERNAL]");
}

TEST(tls, a_required_client_certificate_that_is_missing_is_named) {
  engine_pair p(tls_client(), tls_server(server_tls(tls_client_certificates::required)));
  ASSERT_FALSE(p.client.open({.container_id = "client"}));
  p.pump();
  EXPECT_NE(failure_of(p.server_side).find("peer did not return a certificate"), std::string::npos)
      << failure_of(p.server_side);
  EXPECT_NE(failure_of(p.client_side), "");
  EXPECT_TRUE(p.client.is_finished());
  EXPECT_TRUE(p.server.is_finished());
}

TEST(tls, scram_over_tls_at_small_chunk_sizes) {
  const std::uint8_t salt[] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
  const auto creds = make_scram_credentials("SCRAM-SHA-256", "secret", salt, 4096);
  ASSERT_TRUE(creds);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 511u}) {
    engine_config c = tls_client(tls_start::after_header);
    c.sasl_client = sasl_client_options{.user = "alice", .password = "secret"};
    engine_config s = tls_server();
    s.sasl_server = sasl_server_options{.mechanisms = {"SCRAM-SHA-256"}};
    engine_pair p(std::move(c), std::move(s));
    p.chunk = chunk;
    open_both(p, [&](connection_engine& e, const sasl_auth_requested&) {
      return e.sasl_scram_credentials(*creds);
    });
    EXPECT_EQ(failure_of(p.client_side), "") << "chunk " << chunk;
    EXPECT_TRUE(p.client_side.find<peer_opened>()) << "chunk " << chunk;
    EXPECT_TRUE(p.server_side.find<peer_opened>()) << "chunk " << chunk;
    close_cleanly(p);
  }
}

TEST(tls, a_transport_cut_after_the_handshake_is_a_truncation) {
  engine_pair p(tls_client(), tls_server());
  open_both(p);
  ASSERT_TRUE(p.client_side.find<peer_opened>());
  p.client.feed_eof(p.now);  // no close_notify, no close
  p.client_side.drain_events();
  EXPECT_NE(failure_of(p.client_side).find("truncated"), std::string::npos)
      << failure_of(p.client_side);
}

// An application that bounds what waits to be written needs the frames TLS has not taken yet:
// pending_output() shows only the records encrypted so far.
TEST(tls, the_output_backlog_counts_frames_not_yet_encrypted) {
  linked_pair p(tls_client(), tls_server());
  auto [sender, receiver] = p.attach_pair({.name = "l", .target = terminus{}});
  ASSERT_FALSE(p.server.grant_credit(receiver, 4));
  p.pump();
  const std::string body(64 * 1024, 'x');
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(p.client.send(sender, as_bytes(body)));
  const std::size_t backlog = p.client.output_backlog();
  EXPECT_GT(backlog, 4 * body.size());
  EXPECT_LT(p.client.pending_output().size(), body.size() * 2);
  // Encrypting moves bytes from frames to records, which only adds their overhead.
  EXPECT_GE(p.client.output_backlog(), backlog);
  p.pump();
  EXPECT_EQ(p.client.output_backlog(), 0u);
  EXPECT_EQ(linked_pair::received(p.server_side).size(), 4u);

  // Without TLS the backlog is what pending_output() shows.
  linked_pair plain;
  auto [plain_sender, plain_receiver] = plain.attach_pair({.name = "l", .target = terminus{}});
  ASSERT_FALSE(plain.server.grant_credit(plain_receiver, 1));
  plain.pump();
  ASSERT_TRUE(plain.client.send(plain_sender, as_bytes(body)));
  EXPECT_GT(plain.client.output_backlog(), body.size());
  EXPECT_EQ(plain.client.output_backlog(), plain.client.pending_output().size());
}

}  // namespace
}  // namespace amqp::test
