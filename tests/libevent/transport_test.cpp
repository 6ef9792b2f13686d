// The libevent transport over both kinds of socket pair, a UNIX socketpair and loopback TCP:
// whole conversations (plain, with tiny buffers and credit, over TLS), the end of a peer's
// stream in the middle of one, heartbeats that keep an idle connection open, and a handler
// that leaves events unpolled.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>

#include "amqp/trace.hpp"
#include "peer.hpp"
#include "support/test_tls.hpp"

namespace amqp::test {
namespace {

using amqp::libevent::stream_errc;

class transport : public ::testing::TestWithParam<socket_kind> {};

TEST_P(transport, carries_ten_thousand_messages_each_way_in_order) {
  connection_pair c(GetParam(), {.messages = 10'000, .credit = 500});
  c.start();
  c.run();
  expect_clean_conversation(c.client, 10'000, "client");
  expect_clean_conversation(c.server, 10'000, "server");
}

// Read-ahead of at most 61 bytes and at most 97 bytes of output in the bufferevent at a time
// keep output waiting in the engine nearly always, while the hooks send a message for every
// credit granted and settle every delivery.
TEST_P(transport, sends_from_the_hook_while_output_waits_in_the_engine) {
  connection_pair c(GetParam(), {.messages = 3'000, .credit = 3});
  c.start({.max_input_buffer = 61, .max_write_size = 97});
  c.run();
  expect_clean_conversation(c.client, 3'000, "client");
  expect_clean_conversation(c.server, 3'000, "server");
}

TEST_P(transport, carries_a_conversation_over_tls) {
  engine_config client = client_config();
  client.tls = tls_options{.context = client_tls(), .server_name = "localhost"};
  engine_config server = server_config();
  server.tls = tls_options{.context = server_tls()};
  connection_pair c(GetParam(), {.messages = 2'000, .credit = 300}, client, server);
  c.start();
  c.run();
  expect_clean_conversation(c.client, 2'000, "client");
  expect_clean_conversation(c.server, 2'000, "server");
  EXPECT_NE(c.client.engine.tls(), nullptr);
  EXPECT_NE(c.server.engine.tls(), nullptr);
}

// How a write or a read fails once the peer's socket is gone.
bool is_reset_or_broken_pipe(std::error_code ec) {
  return ec == std::errc::connection_reset || ec == std::errc::broken_pipe;
}

// The client shuts its sending side down in the middle of the transfers. The server reads the
// end of stream before the client's close: its engine reports the transport closed with an
// error, and its end hook names stream_errc::eof. The client learns it when its next write
// fails or when it reads the server's end, whichever comes first. Over TCP the client's socket
// then closes with the server's messages unread, which resets the connection: the server may
// see that reset (on a write) before it reads the end of stream.
TEST_P(transport, a_stream_that_ends_mid_conversation_ends_both_sides_with_an_error) {
  connection_pair c(GetParam(), {.messages = 10'000, .credit = 100});
  c.client.when_received = [](peer& p) {
    if (p.received == 200) {
      EXPECT_EQ(::shutdown(p.fd(), SHUT_WR), 0);
    }
  };
  c.start();
  c.run();

  EXPECT_EQ(c.server.end_calls, 1u);
  if (GetParam() == socket_kind::unix_pair) {
    EXPECT_EQ(c.server.end_error, stream_errc::eof) << c.server.end_error.message();
  } else {
    EXPECT_TRUE(c.server.end_error == stream_errc::eof ||
                is_reset_or_broken_pipe(c.server.end_error))
        << c.server.end_error.message();
  }
  ASSERT_TRUE(c.server.closed.has_value());
  ASSERT_TRUE(c.server.closed->has_value());
  EXPECT_NE((*c.server.closed)->description.find("connection aborted"), std::string::npos)
      << (*c.server.closed)->to_string();
  EXPECT_LT(c.server.received, 10'000u);

  EXPECT_EQ(c.client.end_calls, 1u);
  EXPECT_TRUE(c.client.end_error == stream_errc::eof ||
              c.client.end_error == std::errc::broken_pipe)
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
// 125 ms, written when the transport's timer fires) crosses for 1.5 s, after which a timer of
// the client's own closes from outside the events hook and flush() writes the close.
TEST_P(transport, heartbeats_keep_an_idle_connection_open) {
  heartbeat_counter heartbeats;
  engine_config server = server_config();
  server.trace = &heartbeats;
  connection_pair c(GetParam(), {.messages = 0, .close_when_done = false}, client_config(), server,
                    {.idle_timeout = 500ms});
  auto close_later = [&] {
    c.client.close();
    c.client.transport->flush();
  };
  c.client.when_linked = [&](peer&) { run_later(*c.base, 1500ms, close_later); };
  c.start();
  c.run();
  expect_clean_conversation(c.client, 0, "client");
  expect_clean_conversation(c.server, 0, "server");
  EXPECT_GE(heartbeats.sent.load(), 3);
}

// An application that leaves events in the engine (it polls a few in the hook and the rest
// later, from an event of its own, polling none meanwhile): the engine, limited to 8 waiting
// events, stops taking input, and the transport stops reading, without spinning, until the
// later poll's flush() says events were polled.
TEST_P(transport, events_polled_later_resume_the_input) {
  engine_config server = server_config();
  server.limits.max_pending_events = 8;
  connection_pair c(GetParam(), {.messages = 2'000, .credit = 200}, client_config(), server);
  c.server.max_events_per_hook = 3;
  c.start();
  c.run();
  expect_clean_conversation(c.client, 2'000, "client");
  expect_clean_conversation(c.server, 2'000, "server");
  EXPECT_GT(c.server.deferred_polls, 0u);
}

INSTANTIATE_TEST_SUITE_P(, transport,
                         ::testing::Values(socket_kind::unix_pair, socket_kind::tcp_loopback),
                         socket_kind_name);

}  // namespace
}  // namespace amqp::test
