// The transport over both kinds of stream, the in-memory pair and loopback TCP: whole
// conversations (one thread, two threads with a strand per connection, TLS, tiny buffers and
// credit), the end of a peer's stream in the middle of one, and heartbeats that keep an idle
// connection open.
#include <gtest/gtest.h>

#include <asio/steady_timer.hpp>
#include <atomic>

#include "amqp/trace.hpp"
#include "peer.hpp"
#include "support/test_tls.hpp"

namespace amqp::test {
namespace {

template <class Link>
class transport : public ::testing::Test {};

struct link_names {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, memory_link> ? "memory" : "tcp";
  }
};
using links = ::testing::Types<memory_link, tcp_link>;
TYPED_TEST_SUITE(transport, links, link_names);

TYPED_TEST(transport, carries_ten_thousand_messages_each_way_in_order) {
  connection_pair<TypeParam> c({.messages = 10'000, .credit = 500});
  c.start();
  c.run();
  expect_clean_conversation(c.client, 10'000, "client");
  expect_clean_conversation(c.server, 10'000, "server");
}

TYPED_TEST(transport, runs_on_two_threads_with_a_strand_per_connection) {
  connection_pair<TypeParam> c({.messages = 10'000, .credit = 500});
  c.start();
  c.run(2);
  expect_clean_conversation(c.client, 10'000, "client");
  expect_clean_conversation(c.server, 10'000, "server");
}

// Writes of at most 97 bytes and reads of at most 61 keep a write in flight nearly always,
// while the hooks send a message for every credit granted and settle every delivery: the
// engine's output grows and moves under the transport all the time.
TYPED_TEST(transport, sends_from_the_hook_while_writes_are_in_flight) {
  connection_pair<TypeParam> c({.messages = 3'000, .credit = 3});
  c.start({.read_buffer_size = 61, .max_write_size = 97});
  c.run(2);
  expect_clean_conversation(c.client, 3'000, "client");
  expect_clean_conversation(c.server, 3'000, "server");
}

TYPED_TEST(transport, carries_a_conversation_over_tls) {
  engine_config client = client_config();
  client.tls = tls_options{.context = client_tls(), .server_name = "localhost"};
  engine_config server = server_config();
  server.tls = tls_options{.context = server_tls()};
  connection_pair<TypeParam> c({.messages = 2'000, .credit = 300}, client, server);
  c.start();
  c.run(2);
  expect_clean_conversation(c.client, 2'000, "client");
  expect_clean_conversation(c.server, 2'000, "server");
  EXPECT_NE(c.client.engine.tls(), nullptr);
  EXPECT_NE(c.server.engine.tls(), nullptr);
}

// The client shuts its sending side down in the middle of the transfers. The server reads the
// end of stream before the client's close: its engine reports the transport closed with an
// error, and its end hook names asio::error::eof. The client learns it when its next write
// fails or when it reads the server's end, whichever comes first. Over TCP the client's socket
// then closes with the server's messages unread, which resets the connection: the server may
// see that reset (on a write) before it reads the end of stream.
TYPED_TEST(transport, a_stream_that_ends_mid_conversation_ends_both_sides_with_an_error) {
  connection_pair<TypeParam> c({.messages = 10'000, .credit = 100});
  c.client.when_received = [](auto& p) {
    if (p.received != 200) return;
    std::error_code ec;
    p.transport->stream().shutdown(::asio::socket_base::shutdown_send, ec);
    EXPECT_FALSE(ec);
  };
  c.start();
  c.run(2);

  EXPECT_EQ(c.server.end_calls, 1u);
  if constexpr (std::is_same_v<TypeParam, memory_link>) {
    EXPECT_EQ(c.server.end_error, ::asio::error::eof) << c.server.end_error.message();
  } else {
    EXPECT_TRUE(c.server.end_error == ::asio::error::eof ||
                c.server.end_error == ::asio::error::connection_reset ||
                c.server.end_error == ::asio::error::broken_pipe)
        << c.server.end_error.message();
  }
  ASSERT_TRUE(c.server.closed.has_value());
  ASSERT_TRUE(c.server.closed->has_value());
  EXPECT_NE((*c.server.closed)->description.find("connection aborted"), std::string::npos)
      << (*c.server.closed)->to_string();
  EXPECT_LT(c.server.received, 10'000u);

  EXPECT_EQ(c.client.end_calls, 1u);
  EXPECT_TRUE(c.client.end_error == ::asio::error::eof ||
              c.client.end_error == ::asio::error::broken_pipe)
      << c.client.end_error.message();
  ASSERT_TRUE(c.client.closed.has_value());
  EXPECT_TRUE(c.client.closed->has_value());
  EXPECT_EQ(c.client.events_after_closed, 0u);
  EXPECT_EQ(c.server.events_after_closed, 0u);
}

// Counts the heartbeats (empty frames) an engine writes.
struct heartbeat_counter final : trace_sink {
  void on_protocol_header(trace_direction, const protocol_header&, std::uint64_t) override {}
  void on_frame(trace_direction dir, const frame_view& f) override {
    if (dir == trace_direction::outgoing && f.is_empty()) ++sent;
  }
  std::atomic<int> sent{0};
};

// The client asks for 500 ms of idle timeout; nothing but the server's heartbeats (every
// 125 ms) crosses for 1.5 s, after which a timer of the client's own closes from outside the
// events hook and flush() writes the close.
TYPED_TEST(transport, heartbeats_keep_an_idle_connection_open) {
  heartbeat_counter heartbeats;
  engine_config server = server_config();
  server.trace = &heartbeats;
  connection_pair<TypeParam> c({.messages = 0, .close_when_done = false}, client_config(), server,
                               {.idle_timeout = 500ms});
  ::asio::steady_timer later(c.client_strand);
  c.client.when_linked = [&](auto& p) {
    later.expires_after(1500ms);
    later.async_wait([&p](std::error_code ec) {
      ASSERT_FALSE(ec);
      p.close();
      p.transport->flush();
    });
  };
  c.start();
  c.run(2);
  expect_clean_conversation(c.client, 0, "client");
  expect_clean_conversation(c.server, 0, "server");
  EXPECT_GE(heartbeats.sent.load(), 3);
}

}  // namespace
}  // namespace amqp::test
