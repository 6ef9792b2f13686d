// The TLS stage's handshake: versions, ciphers, what is learnt about the peer, and input that
// is not TLS at all.
#include <gtest/gtest.h>

#include "tls_pair.hpp"

namespace amqp::test {
namespace {

TEST(tls_handshake, completes_and_carries_data_both_ways) {
  tls_pair p(client_context(), server_context());
  // The client's first flight is ready before any input.
  EXPECT_FALSE(p.client.pending_output().empty());
  EXPECT_EQ(p.client.state(), tls_state::handshaking);
  EXPECT_TRUE(p.client.protocol_version().empty());
  ASSERT_TRUE(p.handshake()) << p.client.error() << " / " << p.server.error();
  EXPECT_EQ(p.client.protocol_version(), "TLSv1.3");
  EXPECT_EQ(p.server.protocol_version(), "TLSv1.3");
  EXPECT_FALSE(p.client.cipher().empty());
  EXPECT_EQ(p.client.cipher(), p.server.cipher());
  EXPECT_FALSE(p.client.resumed());
  EXPECT_TRUE(p.client.is_client());
  EXPECT_FALSE(p.server.is_client());

  p.write_all(p.client, "hello from the client");
  p.write_all(p.server, "hello from the server");
  p.run();
  EXPECT_EQ(p.server_received, "hello from the client");
  EXPECT_EQ(p.client_received, "hello from the server");
  EXPECT_TRUE(p.client.error().empty());
  EXPECT_TRUE(p.server.error().empty());
}

TEST(tls_handshake, the_client_learns_the_server_certificate) {
  tls_pair p(client_context(), server_context());
  ASSERT_TRUE(p.handshake());
  EXPECT_EQ(p.client.peer_subject(), "CN=localhost,O=Example");
  EXPECT_EQ(p.client.peer_fingerprint_sha256(), fingerprint_sha256(test_certs().server_chain));
  EXPECT_EQ(p.client.peer_fingerprint_sha256().size(), 32u * 3 - 1);
  EXPECT_FALSE(p.client.peer_certificate_der().empty());
  EXPECT_EQ(p.client.peer_certificate_der()[0], 0x30);  // a DER SEQUENCE
  // No client certificate was asked for.
  EXPECT_EQ(p.server.peer_subject(), "");
  EXPECT_EQ(p.server.peer_fingerprint_sha256(), "");
  EXPECT_TRUE(p.server.peer_certificate_der().empty());
}

TEST(tls_handshake, the_server_sees_the_requested_name_through_sni) {
  tls_pair p(client_context(), server_context(), "broker.example");
  ASSERT_TRUE(p.handshake()) << p.client.error();
  EXPECT_EQ(p.server.requested_server_name(), "broker.example");
}

TEST(tls_handshake, buffers_writes_made_during_the_handshake) {
  tls_pair p(client_context(), server_context());
  EXPECT_EQ(p.client.write(as_bytes("early")), 5u);
  EXPECT_EQ(p.server.write(as_bytes("also early")), 10u);
  ASSERT_TRUE(p.handshake());
  EXPECT_EQ(p.server_received, "early");
  EXPECT_EQ(p.client_received, "also early");
}

TEST(tls_handshake, bounds_what_is_written_during_the_handshake) {
  tls_buffer_limits limits;
  limits.max_early_write = 1000;
  tls_pair p(client_context(), server_context(), {}, limits);
  const std::string big(1500, 'x');
  EXPECT_EQ(p.client.write(as_bytes(big)), 1000u);
  EXPECT_EQ(p.client.write(as_bytes(big)), 0u);
  ASSERT_TRUE(p.handshake());
  EXPECT_EQ(p.server_received, std::string(1000, 'x'));
}

TEST(tls_handshake, tls_1_2_when_either_side_allows_no_more) {
  auto c = client_options();
  c.max_version = tls_version::tls1_2;
  tls_pair p(client_context(c), server_context());
  ASSERT_TRUE(p.handshake()) << p.client.error() << " / " << p.server.error();
  EXPECT_EQ(p.client.protocol_version(), "TLSv1.2");
  EXPECT_EQ(p.server.protocol_version(), "TLSv1.2");
  EXPECT_EQ(p.client.peer_subject(), "CN=localhost,O=Example");
  p.write_all(p.server, "over 1.2");
  p.run();
  EXPECT_EQ(p.client_received, "over 1.2");

  auto s = server_options();
  s.max_version = tls_version::tls1_2;
  tls_pair q(client_context(), server_context(s));
  ASSERT_TRUE(q.handshake());
  EXPECT_EQ(q.client.protocol_version(), "TLSv1.2");
}

TEST(tls_handshake, fails_when_no_version_is_allowed_by_both) {
  auto c = client_options();
  c.min_version = tls_version::tls1_3;
  auto s = server_options();
  s.max_version = tls_version::tls1_2;
  tls_pair p(client_context(c), server_context(s));
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.server.state(), tls_state::failed);
  EXPECT_EQ(p.client.state(), tls_state::failed);
  EXPECT_NE(p.server.error().find("TLS handshake failed: unsupported protocol"), std::string::npos)
      << p.server.error();
}

TEST(tls_handshake, chosen_ciphers_are_used) {
  auto c = client_options();
  c.max_version = tls_version::tls1_2;
  c.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  tls_pair p(client_context(c), server_context());
  ASSERT_TRUE(p.handshake()) << p.client.error() << " / " << p.server.error();
  EXPECT_EQ(p.client.cipher(), "ECDHE-ECDSA-AES128-GCM-SHA256");

  auto c13 = client_options();
  c13.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
  tls_pair q(client_context(c13), server_context());
  ASSERT_TRUE(q.handshake()) << q.client.error() << " / " << q.server.error();
  EXPECT_EQ(q.client.cipher(), "TLS_CHACHA20_POLY1305_SHA256");
}

TEST(tls_handshake, no_shared_cipher) {
  auto c = client_options();
  c.max_version = tls_version::tls1_2;
  c.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  auto s = server_options();
  s.ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384";
  tls_pair p(client_context(c), server_context(s));
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.server.error(), "TLS handshake failed: no shared cipher");
  // The server's alert tells the client why it ended.
  EXPECT_EQ(p.client.state(), tls_state::failed);
  EXPECT_NE(p.client.error().find("alert handshake failure (alert from the peer)"),
            std::string::npos)
      << p.client.error();
}

TEST(tls_handshake, an_amqp_header_instead_of_a_client_hello) {
  auto s = server_context();
  tls_stage server(s);
  const char header[] = {'A', 'M', 'Q', 'P', 0, 1, 0, 0};
  const std::string amqp(header, sizeof header);
  EXPECT_EQ(server.feed(as_bytes(amqp)), amqp.size());
  EXPECT_EQ(server.state(), tls_state::failed);
  EXPECT_EQ(server.error(),
            "TLS handshake failed: wrong version number (is the peer speaking TLS?)");
  // More input after the failure is taken and dropped.
  EXPECT_EQ(server.feed(as_bytes(amqp)), amqp.size());
  EXPECT_FALSE(server.want_input());
}

TEST(tls_handshake, an_amqp_header_instead_of_a_server_hello) {
  tls_stage client(client_context());
  EXPECT_FALSE(client.pending_output().empty());
  const char header[] = {'A', 'M', 'Q', 'P', 0, 1, 0, 0};
  client.feed(as_bytes(std::string(header, sizeof header)));
  EXPECT_EQ(client.state(), tls_state::failed);
  EXPECT_EQ(client.error(),
            "TLS handshake failed: wrong version number (is the peer speaking TLS?)");
}

TEST(tls_handshake, an_http_request_instead_of_a_client_hello) {
  tls_stage server(server_context());
  server.feed(as_bytes("GET / HTTP/1.1\r\nHost: broker.example\r\n\r\n"));
  EXPECT_EQ(server.state(), tls_state::failed);
  EXPECT_EQ(server.error(), "TLS handshake failed: http request (is the peer speaking TLS?)");
}

TEST(tls_handshake, garbage_fed_one_byte_at_a_time_fails_the_same_way) {
  tls_stage server(server_context());
  const char header[] = {'A', 'M', 'Q', 'P', 0, 1, 0, 0};
  for (char c : header) server.feed(as_bytes(std::string_view(&c, 1)));
  EXPECT_EQ(server.error(),
            "TLS handshake failed: wrong version number (is the peer speaking TLS?)");
}

TEST(tls_handshake, the_transport_closing_during_the_handshake) {
  tls_pair p(client_context(), server_context());
  p.server.feed(p.client.pending_output());
  p.client.consume_output(p.client.pending_output().size());
  p.client.feed_eof();
  EXPECT_EQ(p.client.state(), tls_state::failed);
  EXPECT_EQ(
      p.client.error(),
      "TLS handshake failed: the connection closed during the handshake (server 'localhost')");
  p.server.feed_eof();
  EXPECT_EQ(p.server.error(),
            "TLS handshake failed: the connection closed during the handshake, after our "
            "certificate went out: the client may not trust it or expect another host name");
}

TEST(tls_handshake, the_transport_closing_before_the_client_hello) {
  tls_pair p(client_context(), server_context());
  p.server.feed_eof();
  EXPECT_EQ(p.server.error(), "TLS handshake failed: the connection closed during the handshake");
}

class tls_handshake_bytewise : public ::testing::TestWithParam<tls_version> {};

TEST_P(tls_handshake_bytewise, handshake_client_certificate_and_data_one_byte_at_a_time) {
  auto c = client_options();
  c.max_version = GetParam();
  c.certificate_chain.pem = test_certs().client_cert;
  c.private_key.pem = test_certs().client_key;
  auto s = server_options();
  s.client_certificates = tls_client_certificates::required;
  s.client_ca_pem = test_certs().ca_cert;
  tls_pair p(client_context(c), server_context(s), "broker.example");
  p.chunk = 1;
  ASSERT_TRUE(p.handshake()) << p.client.error() << " / " << p.server.error();
  EXPECT_EQ(p.server.peer_subject(), "CN=client-1,O=Example Clients");
  p.write_all(p.client, "one byte at a time, client to server");
  p.write_all(p.server, "and server to client");
  p.run();
  EXPECT_EQ(p.server_received, "one byte at a time, client to server");
  EXPECT_EQ(p.client_received, "and server to client");
  p.client.close();
  p.run();
  p.server.close();
  p.run();
  EXPECT_EQ(p.client.state(), tls_state::closed);
  EXPECT_EQ(p.server.state(), tls_state::closed);
}

INSTANTIATE_TEST_SUITE_P(versions, tls_handshake_bytewise,
                         ::testing::Values(tls_version::tls1_2, tls_version::tls1_3),
                         [](const auto& param_info) {
                           return param_info.param == tls_version::tls1_2 ? "tls1_2" : "tls1_3";
                         });

}  // namespace
}  // namespace amqp::test
