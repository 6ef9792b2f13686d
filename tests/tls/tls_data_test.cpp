// Application data through the TLS stage: bounded buffering with large transfers, closing
// with close_notify both ways, and truncation.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include "tls_pair.hpp"

namespace amqp::test {
namespace {

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// The most a stage may hold beyond each limit: one record.
constexpr std::size_t record = SSL3_RT_MAX_PLAIN_LENGTH;
constexpr std::size_t encrypted_record = SSL3_RT_HEADER_LENGTH + SSL3_RT_MAX_ENCRYPTED_LENGTH;

class tls_large_transfer : public ::testing::TestWithParam<tls_version> {};

// 1 MiB each way at once, the readers taking at most 5000 bytes per round: the writers are
// held back by the readers, and no buffer grows past its limit.
TEST_P(tls_large_transfer, one_mebibyte_each_way_within_the_buffer_limits) {
  auto c = client_options();
  c.max_version = GetParam();
  const tls_buffer_limits limits;  // the defaults
  tls_pair p(client_context(c), server_context(), {}, limits);
  ASSERT_TRUE(p.handshake());
  p.read_plaintext = false;
  const std::string up = pattern(1 << 20, 1);
  const std::string down = pattern(1 << 20, 2);
  std::size_t up_sent = 0;
  std::size_t down_sent = 0;
  std::string up_received;
  std::string down_received;
  bool client_refused_input = false;
  bool client_refused_writes = false;
  for (int round = 0; round < 100000; ++round) {
    const std::size_t w1 = p.client.write(as_bytes(std::string_view(up).substr(up_sent)));
    const std::size_t w2 = p.server.write(as_bytes(std::string_view(down).substr(down_sent)));
    client_refused_writes = client_refused_writes || (up_sent + w1 < up.size() && w1 == 0);
    up_sent += w1;
    down_sent += w2;
    p.run();
    for (tls_stage* s : {&p.client, &p.server}) {
      EXPECT_LE(s->plaintext().size(), limits.max_plaintext + record);
      EXPECT_LE(s->buffered_input(), encrypted_record);
      EXPECT_LE(s->pending_output().size(), limits.max_output + encrypted_record);
    }
    client_refused_input = client_refused_input || !p.client.want_input();
    const auto read_some = [](tls_stage& s, std::string& sink) {
      const bytes_view b = s.plaintext();
      const std::size_t n = std::min<std::size_t>(b.size(), 5000);
      sink += as_string(b.first(n));
      s.consume_plaintext(n);
    };
    read_some(p.client, down_received);
    read_some(p.server, up_received);
    if (up_received.size() == up.size() && down_received.size() == down.size()) break;
  }
  EXPECT_TRUE(up_received == up);
  EXPECT_TRUE(down_received == down);
  EXPECT_TRUE(client_refused_input);
  EXPECT_TRUE(client_refused_writes);
  EXPECT_EQ(p.client.state(), tls_state::open);
  EXPECT_EQ(p.server.state(), tls_state::open);
}

INSTANTIATE_TEST_SUITE_P(versions, tls_large_transfer,
                         ::testing::Values(tls_version::tls1_2, tls_version::tls1_3),
                         [](const auto& param_info) {
                           return param_info.param == tls_version::tls1_2 ? "tls1_2" : "tls1_3";
                         });

TEST(tls_data, a_reader_that_does_not_read_stops_the_input) {
  tls_buffer_limits limits;
  limits.max_plaintext = 4096;
  tls_pair p(client_context(), server_context(), {}, limits);
  ASSERT_TRUE(p.handshake());
  p.read_plaintext = false;
  const std::string data = pattern(100000, 3);
  std::size_t sent = p.client.write(as_bytes(data));
  p.run();
  EXPECT_FALSE(p.server.want_input());
  EXPECT_GE(p.server.plaintext().size(), limits.max_plaintext);
  EXPECT_LE(p.server.plaintext().size(), limits.max_plaintext + record);
  EXPECT_FALSE(p.client.pending_output().empty());  // the server takes no more
  // Offered again, nothing is taken.
  EXPECT_EQ(p.server.feed(p.client.pending_output()), 0u);
  // Reading lets the rest through.
  p.read_plaintext = true;
  p.run();
  while (sent < data.size()) {
    sent += p.client.write(as_bytes(std::string_view(data).substr(sent)));
    p.run();
  }
  EXPECT_TRUE(p.server_received == data);
}

TEST(tls_data, writes_stop_when_the_output_is_not_sent) {
  tls_buffer_limits limits;
  limits.max_output = 20000;
  tls_pair p(client_context(), server_context(), {}, limits);
  ASSERT_TRUE(p.handshake());
  const std::string data = pattern(200000, 4);
  const std::size_t taken = p.client.write(as_bytes(data));
  EXPECT_LT(taken, data.size());
  EXPECT_GE(p.client.pending_output().size(), limits.max_output);
  EXPECT_LE(p.client.pending_output().size(), limits.max_output + encrypted_record);
  EXPECT_EQ(p.client.write(as_bytes(data)), 0u);
  p.run();
  p.write_all(p.client, std::string_view(data).substr(taken));
  p.run();
  EXPECT_TRUE(p.server_received == data);
}

class tls_close : public ::testing::TestWithParam<tls_version> {
 protected:
  tls_pair open_pair() {
    auto c = client_options();
    c.max_version = GetParam();
    tls_pair p(client_context(c), server_context());
    EXPECT_TRUE(p.handshake());
    return p;
  }
};

TEST_P(tls_close, close_notify_both_ways) {
  tls_pair p = open_pair();
  p.write_all(p.client, "last words");
  p.client.close();
  EXPECT_EQ(p.client.state(), tls_state::closing);
  EXPECT_EQ(p.client.write(as_bytes("too late")), 0u);
  p.run();
  EXPECT_EQ(p.server_received, "last words");
  EXPECT_TRUE(p.server.peer_closed());
  EXPECT_EQ(p.server.state(), tls_state::closing);
  EXPECT_FALSE(p.server.want_input());
  // The server's half is still open: it can answer before closing it.
  p.write_all(p.server, "an answer");
  p.server.close();
  p.run();
  EXPECT_EQ(p.client_received, "an answer");
  EXPECT_EQ(p.client.state(), tls_state::closed);
  EXPECT_EQ(p.server.state(), tls_state::closed);
  EXPECT_TRUE(p.client.error().empty());
  EXPECT_TRUE(p.server.error().empty());
  // The transport's end after both close_notify alerts is no error.
  p.client.feed_eof();
  p.server.feed_eof();
  EXPECT_EQ(p.client.state(), tls_state::closed);
  EXPECT_EQ(p.server.state(), tls_state::closed);
}

TEST_P(tls_close, the_server_closes_first) {
  tls_pair p = open_pair();
  p.server.close();
  p.server.close();  // idempotent
  p.run();
  EXPECT_TRUE(p.client.peer_closed());
  p.client.close();
  p.run();
  EXPECT_EQ(p.client.state(), tls_state::closed);
  EXPECT_EQ(p.server.state(), tls_state::closed);
}

TEST_P(tls_close, the_transport_ending_after_the_peers_close_notify_is_clean) {
  tls_pair p = open_pair();
  p.client.close();
  p.run();
  p.server.feed_eof();
  EXPECT_EQ(p.server.state(), tls_state::closing);  // our half may still send
  EXPECT_TRUE(p.server.error().empty());
  p.server.close();
  EXPECT_EQ(p.server.state(), tls_state::closed);
  EXPECT_FALSE(p.server.pending_output().empty());  // the close_notify, still to be sent
}

TEST_P(tls_close, no_answer_is_needed_after_our_close_notify) {
  tls_pair p = open_pair();
  p.client.close();
  p.run();
  p.client.feed_eof();  // the server closed its socket without a close_notify
  EXPECT_EQ(p.client.state(), tls_state::closed);
  EXPECT_TRUE(p.client.error().empty());
}

TEST_P(tls_close, a_transport_end_without_close_notify_is_a_truncation) {
  tls_pair p = open_pair();
  p.write_all(p.client, "cut short");
  p.run();
  p.server.feed_eof();
  EXPECT_EQ(p.server.state(), tls_state::failed);
  EXPECT_EQ(p.server.error(),
            "TLS connection truncated: the transport closed without close_notify");
  EXPECT_FALSE(p.server.want_input());
}

TEST_P(tls_close, a_server_that_ends_before_sending_data_may_have_refused_the_client) {
  tls_pair p = open_pair();
  p.client.feed_eof();
  EXPECT_EQ(p.client.state(), tls_state::failed);
  EXPECT_EQ(p.client.error(),
            "TLS connection truncated: the transport closed without close_notify, before the "
            "server sent any data (it may have refused our client certificate, or the lack of "
            "one)");
}

TEST_P(tls_close, a_truncation_inside_a_record_fed_byte_by_byte) {
  tls_pair p = open_pair();
  p.client.write(as_bytes("a record that never arrives whole"));
  const bytes_view out = p.client.pending_output();
  for (std::size_t i = 0; i + 1 < out.size(); ++i) EXPECT_EQ(p.server.feed(out.subspan(i, 1)), 1u);
  EXPECT_TRUE(p.server.plaintext().empty());
  p.server.feed_eof();
  EXPECT_EQ(p.server.state(), tls_state::failed);
  EXPECT_EQ(p.server.error(),
            "TLS connection truncated: the transport closed without close_notify");
}

TEST_P(tls_close, close_notify_behind_unread_plaintext_is_found_after_the_end) {
  tls_buffer_limits limits;
  limits.max_plaintext = 1000;
  auto c = client_options();
  c.max_version = GetParam();
  tls_pair p(client_context(c), server_context(), {}, limits);
  ASSERT_TRUE(p.handshake());
  const std::string data = pattern(3000, 5);
  p.write_all(p.client, data);
  p.client.close();
  // Everything fits in the read buffer at once, but only the first record is decrypted.
  const bytes_view out = p.client.pending_output();
  ASSERT_EQ(p.server.feed(out), out.size());
  p.client.consume_output(out.size());
  EXPECT_GT(p.server.buffered_input(), 0u);
  p.server.feed_eof();
  EXPECT_NE(p.server.state(), tls_state::failed) << p.server.error();
  std::string got;
  while (!p.server.plaintext().empty()) {
    got += as_string(p.server.plaintext());
    p.server.consume_plaintext(p.server.plaintext().size());
  }
  EXPECT_TRUE(got == data);
  EXPECT_TRUE(p.server.peer_closed());
  EXPECT_EQ(p.server.state(), tls_state::closing) << p.server.error();
}

TEST_P(tls_close, close_during_the_handshake_waits_for_it) {
  auto c = client_options();
  c.max_version = GetParam();
  tls_pair p(client_context(c), server_context());
  p.client.write(as_bytes("before close"));
  p.client.close();
  EXPECT_EQ(p.client.state(), tls_state::handshaking);
  p.run();
  EXPECT_EQ(p.server_received, "before close");
  EXPECT_TRUE(p.server.peer_closed());
  EXPECT_EQ(p.client.state(), tls_state::closing);
}

TEST_P(tls_close, plaintext_read_before_a_failure_stays_readable) {
  tls_pair p = open_pair();
  p.read_plaintext = false;
  p.write_all(p.client, "authentic");
  p.run();
  p.server.feed_eof();
  EXPECT_EQ(p.server.state(), tls_state::failed);
  EXPECT_EQ(as_string(p.server.plaintext()), "authentic");
}

INSTANTIATE_TEST_SUITE_P(versions, tls_close,
                         ::testing::Values(tls_version::tls1_2, tls_version::tls1_3),
                         [](const auto& param_info) {
                           return param_info.param == tls_version::tls1_2 ? "tls1_2" : "tls1_3";
                         });

TEST(tls_data, a_stage_can_be_moved) {
  tls_pair p(client_context(), server_context());
  ASSERT_TRUE(p.handshake());
  tls_stage moved(std::move(p.client));
  moved.write(as_bytes("after a move"));
  p.server.feed(moved.pending_output());
  EXPECT_EQ(as_string(p.server.plaintext()), "after a move");
}

}  // namespace
}  // namespace amqp::test
