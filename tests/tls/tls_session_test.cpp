// Session resumption through a shared client context, and OpenSSL's per-thread error queue
// kept clean between connections.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tls_pair.hpp"

namespace amqp::test {
namespace {

// A full connection: handshake, a message each way (so that TLS 1.3 tickets, which arrive
// after the handshake, are read), and close_notify both ways.
void converse(tls_pair& p) {
  ASSERT_TRUE(p.handshake()) << p.client.error() << " / " << p.server.error();
  p.write_all(p.client, "ping");
  p.write_all(p.server, "pong");
  p.client.close();
  p.server.close();
  p.run();
  EXPECT_EQ(p.server_received, "ping");
  EXPECT_EQ(p.client_received, "pong");
  EXPECT_EQ(p.client.state(), tls_state::closed);
  EXPECT_EQ(p.server.state(), tls_state::closed);
}

class tls_resumption : public ::testing::TestWithParam<tls_version> {
 protected:
  tls_client_options client() const {
    auto c = client_options();
    c.max_version = GetParam();
    return c;
  }
};

TEST_P(tls_resumption, a_second_connection_resumes) {
  auto c = client_context(client());
  auto s = server_context();
  tls_pair first(c, s);
  converse(first);
  EXPECT_FALSE(first.client.resumed());
  EXPECT_EQ(c->cached_sessions(), 1u);

  for (int i = 0; i < 2; ++i) {  // TLS 1.3 tickets are used once; fresh ones keep it going
    tls_pair again(c, s);
    converse(again);
    EXPECT_TRUE(again.client.resumed()) << i;
    EXPECT_TRUE(again.server.resumed()) << i;
    // A resumed session still knows the server's certificate.
    EXPECT_EQ(again.client.peer_subject(), "CN=localhost,O=Example");
    EXPECT_EQ(c->cached_sessions(), 1u);
  }
}

TEST_P(tls_resumption, sessions_are_kept_per_server_name) {
  auto c = client_context(client());
  auto s = server_context();
  tls_pair first(c, s, "localhost");
  converse(first);
  tls_pair other(c, s, "broker.example");
  converse(other);
  EXPECT_FALSE(other.client.resumed());
  EXPECT_EQ(c->cached_sessions(), 2u);
  tls_pair again(c, s, "localhost");
  converse(again);
  EXPECT_TRUE(again.client.resumed());
}

TEST_P(tls_resumption, the_oldest_name_is_dropped_beyond_the_bound) {
  auto o = client();
  o.max_cached_sessions = 2;
  auto c = client_context(o);
  auto s = server_context();
  for (const char* name : {"localhost", "broker.example", "127.0.0.1"}) {
    tls_pair p(c, s, name);
    converse(p);
  }
  EXPECT_EQ(c->cached_sessions(), 2u);
  tls_pair dropped(c, s, "localhost");
  converse(dropped);
  EXPECT_FALSE(dropped.client.resumed());
  tls_pair kept(c, s, "127.0.0.1");
  converse(kept);
  EXPECT_TRUE(kept.client.resumed());
}

TEST_P(tls_resumption, can_be_turned_off_on_either_side) {
  auto o = client();
  o.session_resumption = false;
  auto c = client_context(o);
  auto s = server_context();
  tls_pair first(c, s);
  converse(first);
  EXPECT_EQ(c->cached_sessions(), 0u);
  tls_pair again(c, s);
  converse(again);
  EXPECT_FALSE(again.client.resumed());

  auto so = server_options();
  so.session_resumption = false;
  auto c2 = client_context(client());
  auto s2 = server_context(so);
  tls_pair one(c2, s2);
  converse(one);
  tls_pair two(c2, s2);
  converse(two);
  EXPECT_FALSE(two.client.resumed());
}

TEST_P(tls_resumption, a_resumed_connection_keeps_the_client_certificate) {
  auto o = client();
  o.certificate_chain.pem = test_certs().client_cert;
  o.private_key.pem = test_certs().client_key;
  auto so = server_options();
  so.client_certificates = tls_client_certificates::required;
  so.client_ca_pem = test_certs().ca_cert;
  auto c = client_context(o);
  auto s = server_context(so);
  tls_pair first(c, s);
  converse(first);
  tls_pair again(c, s);
  converse(again);
  EXPECT_TRUE(again.server.resumed());
  EXPECT_EQ(again.server.peer_subject(), "CN=client-1,O=Example Clients");
}

TEST_P(tls_resumption, a_failed_connection_forgets_the_session) {
  auto c = client_context(client());
  tls_pair first(c, server_context());
  converse(first);
  EXPECT_EQ(c->cached_sessions(), 1u);
  // Another server under the same name, which cannot resume and presents an expired
  // certificate.
  tls_server_options expired;
  expired.certificate_chain.pem = test_certs().expired_cert;
  expired.private_key.pem = test_certs().expired_key;
  tls_pair failing(c, server_context(expired));
  EXPECT_FALSE(failing.handshake());
  EXPECT_EQ(c->cached_sessions(), 0u);
}

TEST_P(tls_resumption, contexts_are_shared_by_connections_on_several_threads) {
  auto c = client_context(client());
  auto s = server_context();
  std::atomic<int> resumed{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const char* names[] = {"localhost", "broker.example"};
      for (int i = 0; i < 5; ++i) {
        tls_pair p(c, s, names[(t + i) % 2]);
        p.run();
        p.write_all(p.client, "ping");
        p.client.close();
        p.server.close();
        p.run();
        if (p.server_received != "ping" || p.client.state() != tls_state::closed) ++failed;
        if (p.client.resumed()) ++resumed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(resumed.load(), 0);
  EXPECT_LE(c->cached_sessions(), 2u);
}

INSTANTIATE_TEST_SUITE_P(versions, tls_resumption,
                         ::testing::Values(tls_version::tls1_2, tls_version::tls1_3),
                         [](const auto& param_info) {
                           return param_info.param == tls_version::tls1_2 ? "tls1_2" : "tls1_3";
                         });

// ---- The error queue ----

const char amqp_header[] = {'A', 'M', 'Q', 'P', 0, 1, 0, 0};

TEST(tls_error_queue, a_failing_connection_leaves_nothing_behind) {
  ERR_clear_error();
  tls_stage server(server_context());
  server.feed(as_bytes(std::string_view(amqp_header, sizeof amqp_header)));
  ASSERT_EQ(server.state(), tls_state::failed);
  EXPECT_EQ(ERR_peek_error(), 0u);
  tls_pair p(client_context(), server_context(), "wrong.example");
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(tls_error_queue, errors_left_by_others_on_the_thread_are_not_ours) {
  // Another library (or the application) leaves an error on this thread's queue.
  ERR_raise(ERR_LIB_SSL, SSL_R_NO_SHARED_CIPHER);
  tls_pair good(client_context(), server_context());
  EXPECT_TRUE(good.handshake()) << good.client.error() << " / " << good.server.error();
  ERR_raise(ERR_LIB_SSL, SSL_R_NO_SHARED_CIPHER);
  tls_stage bad(server_context());
  bad.feed(as_bytes(std::string_view(amqp_header, sizeof amqp_header)));
  EXPECT_EQ(bad.error(), "TLS handshake failed: wrong version number (is the peer speaking TLS?)");
}

TEST(tls_error_queue, interleaved_connections_keep_their_own_errors) {
  auto c = client_context();
  auto s = server_context();
  tls_pair good(c, s);
  tls_pair wrong_host(c, s, "wrong.example");
  tls_stage not_tls(s);
  good.chunk = 50;
  wrong_host.chunk = 50;
  // One step of each in turn, so that the failures happen between the good connection's
  // calls, in the middle of its handshake.
  int steps = 0;
  for (bool moved = true; moved; ++steps) {
    moved = good.step();
    moved = wrong_host.step() || moved;
    if (steps == 3) not_tls.feed(as_bytes(std::string_view(amqp_header, sizeof amqp_header)));
  }
  EXPECT_GT(steps, 10);
  EXPECT_EQ(not_tls.state(), tls_state::failed);
  EXPECT_EQ(good.client.state(), tls_state::open) << good.client.error();
  EXPECT_EQ(good.server.state(), tls_state::open) << good.server.error();
  EXPECT_TRUE(good.client.error().empty());
  EXPECT_TRUE(good.server.error().empty());
  EXPECT_EQ(wrong_host.client.error(),
            "TLS handshake failed: certificate verify failed: hostname mismatch (expected "
            "'wrong.example')");
  EXPECT_EQ(not_tls.error(),
            "TLS handshake failed: wrong version number (is the peer speaking TLS?)");
  good.write_all(good.client, "still fine");
  good.run();
  EXPECT_EQ(good.server_received, "still fine");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace amqp::test
