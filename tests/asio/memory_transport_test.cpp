// The transport over the in-memory stream, where a test can cut the bytes anywhere, reset the
// connection, silence a peer, watch the write buffers and replace how the stream closes.
#include <gtest/gtest.h>

#include <asio/post.hpp>
#include <cstring>
#include <string>

#include "peer.hpp"

namespace amqp::test {
namespace {

using amqp::asio::memory_stream;

TEST(memory_transport, reads_of_one_byte_carry_a_whole_conversation) {
  connection_pair<memory_link> c({.messages = 300, .credit = 7});
  auto [a, b] = memory_stream::make_pair(c.client_strand, c.server_strand);
  a.set_max_read_size(1);
  b.set_max_read_size(1);
  c.client.start(std::move(a));
  c.server.start(std::move(b));
  c.run(2);
  expect_clean_conversation(c.client, 300, "client");
  expect_clean_conversation(c.server, 300, "server");
}

// The client's stream fails as after a TCP reset: its end hook names connection_reset and its
// engine reports the transport closed with an error; the server then reads the end of stream.
TEST(memory_transport, a_reset_is_named_in_the_end_hook) {
  connection_pair<memory_link> c({.messages = 10'000, .credit = 100});
  c.client.when_received = [](auto& p) {
    if (p.received == 500) p.transport->stream().inject_error(::asio::error::connection_reset);
  };
  c.start();
  c.run(2);

  EXPECT_EQ(c.client.end_calls, 1u);
  EXPECT_EQ(c.client.end_error, ::asio::error::connection_reset) << c.client.end_error.message();
  ASSERT_TRUE(c.client.closed.has_value());
  ASSERT_TRUE(c.client.closed->has_value());
  EXPECT_NE((*c.client.closed)->description.find("connection aborted"), std::string::npos);
  EXPECT_GE(c.client.received, 500u);
  EXPECT_LT(c.client.received, 10'000u);

  EXPECT_EQ(c.server.end_calls, 1u);
  EXPECT_EQ(c.server.end_error, ::asio::error::eof) << c.server.end_error.message();
  ASSERT_TRUE(c.server.closed.has_value());
  EXPECT_TRUE(c.server.closed->has_value());
}

// Once open, the server's bytes stop reaching the client (its reads are paused): after its
// 200 ms idle timeout the client closes with amqp:resource-limit-exceeded, waits 300 ms for
// an answer that cannot arrive, and ends. The server got the close and answered it. Both ends
// come from the engines, not from the streams.
TEST(memory_transport, a_silent_peer_trips_the_idle_timeout) {
  engine_config client = client_config();
  client.limits.close_timeout = 300ms;
  connection_pair<memory_link> c({.close_when_done = false}, client, server_config(),
                                 {.idle_timeout = 200ms});
  c.client.when_opened = [](auto& p) { p.transport->stream().set_read_paused(true); };
  c.start();
  c.run(2);

  EXPECT_EQ(c.client.count<idle_timeout_expired>(), 1u);
  ASSERT_TRUE(c.client.closed.has_value());
  ASSERT_TRUE(c.client.closed->has_value());
  EXPECT_EQ((*c.client.closed)->name, "amqp:resource-limit-exceeded");
  EXPECT_EQ(c.client.end_calls, 1u);
  EXPECT_FALSE(c.client.end_error) << c.client.end_error.message();

  EXPECT_EQ(c.server.count<peer_closed>(), 1u);
  EXPECT_TRUE(c.server.closed.has_value());
  EXPECT_EQ(c.server.end_calls, 1u);
  EXPECT_FALSE(c.server.end_error) << c.server.end_error.message();
}

// An application that leaves events in the engine (it polls a few in the hook and the rest
// later, from a posted task, polling none meanwhile): the engine, limited to 8 waiting events,
// stops taking input, and the transport keeps the bytes it could not feed, without spinning,
// until the task's flush() says events were polled.
TEST(memory_transport, events_polled_later_resume_the_input) {
  engine_config server = server_config();
  server.limits.max_pending_events = 8;
  connection_pair<memory_link> c({.messages = 2'000, .credit = 200}, client_config(), server);
  c.server.max_events_per_hook = 3;
  c.start();
  c.run(2);
  expect_clean_conversation(c.client, 2'000, "client");
  expect_clean_conversation(c.server, 2'000, "server");
  EXPECT_GT(c.server.deferred_polls, 0u);
}

// A stream that checks that the bytes of each write stay as they were until the write
// completes (a socket may read them at any time until then), and that closes through its own
// close_stream().
class watched_stream {
 public:
  using executor_type = memory_stream::executor_type;
  struct record {
    std::size_t writes = 0;
    std::size_t changed = 0;
    bool closed_by_hook = false;
  };

  watched_stream(memory_stream inner, record& r) : inner_(std::move(inner)), record_(&r) {}
  executor_type get_executor() const { return inner_.get_executor(); }
  memory_stream& inner() { return inner_; }
  record& records() { return *record_; }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    inner_.async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <class Buffers, class Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    const ::asio::const_buffer first = *::asio::buffer_sequence_begin(buffers);
    ++record_->writes;
    inner_.async_write_some(
        ::asio::buffer(first),
        checked_write<std::decay_t<Handler>>{
            this, first, std::string(static_cast<const char*>(first.data()), first.size()),
            std::forward<Handler>(handler)});
  }

 private:
  // Completes a write one round through the executor late, so that the transport runs in
  // between, then compares the bytes with what they were when the write started.
  template <class Handler>
  struct checked_write {
    watched_stream* stream;
    ::asio::const_buffer bytes;
    std::string before;
    Handler handler;

    void operator()(std::error_code ec, std::size_t n) {
      auto executor = stream->inner_.get_executor();
      ::asio::post(executor, [w = std::move(*this), ec, n]() mutable { w.finish(ec, n); });
    }
    void finish(std::error_code ec, std::size_t n) {
      if (std::memcmp(bytes.data(), before.data(), before.size()) != 0) ++stream->record_->changed;
      std::move(handler)(ec, n);
    }
  };

  memory_stream inner_;
  record* record_;
};

void close_stream(watched_stream& s) noexcept {
  s.records().closed_by_hook = true;
  std::error_code ignored;
  s.inner().shutdown(::asio::socket_base::shutdown_send, ignored);
  s.inner().close(ignored);
}

TEST(memory_transport, write_buffers_stay_untouched_until_the_write_completes) {
  ::asio::io_context io;
  auto client_strand = ::asio::make_strand(io);
  auto server_strand = ::asio::make_strand(io);
  peer<watched_stream> client(client_config(), {.messages = 3'000, .credit = 5});
  peer<watched_stream> server(server_config(), {.messages = 3'000, .credit = 5});
  watched_stream::record client_record;
  watched_stream::record server_record;
  auto [a, b] = memory_stream::make_pair(client_strand, server_strand);
  a.set_max_read_size(50);
  b.set_max_read_size(50);
  const amqp::asio::transport_options small{.read_buffer_size = 100, .max_write_size = 200};
  client.start(watched_stream(std::move(a), client_record), small);
  server.start(watched_stream(std::move(b), server_record), small);
  run_io(io, 2);
  expect_clean_conversation(client, 3'000, "client");
  expect_clean_conversation(server, 3'000, "server");
  EXPECT_GT(client_record.writes, 100u);
  EXPECT_EQ(client_record.changed, 0u);
  EXPECT_EQ(server_record.changed, 0u);
  EXPECT_TRUE(client_record.closed_by_hook);
  EXPECT_TRUE(server_record.closed_by_hook);
}

// An owner that aborts, then destroys its engine and drops the transport from inside the end
// hook while the transport's read is still pending: the read completes later without touching
// either (AddressSanitizer watches).
struct aborting_owner final : amqp::asio::transport_handler {
  std::unique_ptr<connection_engine> engine = std::make_unique<connection_engine>(client_config());
  std::shared_ptr<amqp::asio::basic_transport<memory_stream>> transport;
  std::size_t ends = 0;
  std::error_code end_error;

  void on_engine_events() override {
    while (engine->poll_event()) {
    }
  }
  void on_transport_end(std::error_code ec) override {
    ++ends;
    end_error = ec;
    engine.reset();
    transport.reset();
  }
};

TEST(memory_transport, abort_ends_at_once_and_pending_operations_finish_harmlessly) {
  ::asio::io_context io;
  auto client_strand = ::asio::make_strand(io);
  auto server_strand = ::asio::make_strand(io);
  aborting_owner client;
  peer<memory_stream> server(server_config(), {});
  auto [a, b] = memory_stream::make_pair(client_strand, server_strand);
  ASSERT_FALSE(client.engine->open({.container_id = "client"}));
  client.transport =
      amqp::asio::basic_transport<memory_stream>::create(std::move(a), *client.engine, client);
  std::weak_ptr<amqp::asio::basic_transport<memory_stream>> watch = client.transport;
  client.transport->start();
  server.start(std::move(b));
  // Once the server's open arrived the client aborts.
  server.when_opened = [&](auto&) {
    ::asio::post(client_strand, [&] {
      ASSERT_TRUE(client.transport);
      client.transport->abort();
      EXPECT_EQ(client.ends, 1u);  // before abort() returned
    });
  };
  run_io(io, 2);
  EXPECT_EQ(client.ends, 1u);
  EXPECT_EQ(client.end_error, ::asio::error::operation_aborted);
  EXPECT_EQ(client.engine, nullptr);
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(server.end_calls, 1u);
  EXPECT_EQ(server.end_error, ::asio::error::eof);
  ASSERT_TRUE(server.closed.has_value());
  EXPECT_TRUE(server.closed->has_value());
}

// A server that never speaks: the client's handshake timeout counts from start(), with no
// byte ever read, and ends the connection.
TEST(memory_transport, the_handshake_timeout_counts_from_start) {
  ::asio::io_context io;
  engine_config cfg = client_config();
  cfg.limits.handshake_timeout = 100ms;
  peer<memory_stream> client(cfg, {});
  auto [a, b] = memory_stream::make_pair(io.get_executor());
  client.start(std::move(a));
  run_io(io, 1);
  EXPECT_EQ(client.end_calls, 1u);
  EXPECT_FALSE(client.end_error);
  ASSERT_TRUE(client.closed.has_value());
  ASSERT_TRUE(client.closed->has_value());
  EXPECT_EQ((*client.closed)->name, "amqp:resource-limit-exceeded");
}

}  // namespace
}  // namespace amqp::test
