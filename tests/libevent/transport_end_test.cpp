// How the libevent transport ends when its peer does not end it the AMQP way: a peer that
// resets the connection, an owner that aborts (and drops everything from inside the end
// hook), and a peer that never speaks.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <variant>

#include "peer.hpp"

namespace amqp::test {
namespace {

using amqp::libevent::stream_errc;

// A bare socket on the loop that reads the client's protocol header, then closes with
// SO_LINGER 0, which sends a reset instead of an orderly end.
struct resetting_socket {
  int fd;
  std::array<char, 8> header{};
  std::size_t have = 0;
  ::event* readable = nullptr;

  resetting_socket(event_base& base, int socket) : fd(socket) {
    readable = event_new(&base, fd, EV_READ | EV_PERSIST, &resetting_socket::on_readable, this);
    event_add(readable, nullptr);
  }
  ~resetting_socket() { event_free(readable); }
  resetting_socket(const resetting_socket&) = delete;
  resetting_socket& operator=(const resetting_socket&) = delete;

  static void on_readable(evutil_socket_t, short, void* self) {
    auto& s = *static_cast<resetting_socket*>(self);
    const ssize_t n = ::read(s.fd, s.header.data() + s.have, s.header.size() - s.have);
    ASSERT_GT(n, 0);
    s.have += static_cast<std::size_t>(n);
    if (s.have < s.header.size()) return;
    event_del(s.readable);
    const linger abrupt{1, 0};
    EXPECT_EQ(::setsockopt(s.fd, SOL_SOCKET, SO_LINGER, &abrupt, sizeof abrupt), 0);
    ::close(s.fd);
  }
};

// The client has written its header and open and waits for an answer, so its read is what
// fails: the end hook names the socket's errno.
TEST(transport_end, a_peer_reset_is_named_in_the_end_hook) {
  base_ptr base = new_base();
  auto [client_fd, server_fd] = connected_pair(socket_kind::tcp_loopback);
  peer client(client_config(), {});
  resetting_socket server(*base, server_fd);
  client.start(*base, client_fd);
  dispatch(*base);

  EXPECT_EQ(std::string(server.header.data(), 4), "AMQP");
  EXPECT_EQ(client.end_calls, 1u);
  EXPECT_EQ(client.end_error, std::errc::connection_reset) << client.end_error.message();
  EXPECT_EQ(&client.end_error.category(), &std::system_category());
  ASSERT_TRUE(client.closed.has_value());
  ASSERT_TRUE(client.closed->has_value());
  EXPECT_NE((*client.closed)->description.find("connection aborted"), std::string::npos)
      << (*client.closed)->to_string();
}

// An owner that aborts once the server's open arrived (from an event of the loop's own, outside
// the events hook), then destroys its engine and drops the transport from inside the end hook
// (AddressSanitizer watches that nothing of either is touched afterwards). The server has said
// all it had to by then, so it reads the end of stream instead of writing into it.
struct aborting_owner final : amqp::libevent::transport_handler {
  event_base* base = nullptr;
  std::unique_ptr<connection_engine> engine = std::make_unique<connection_engine>(client_config());
  std::shared_ptr<amqp::libevent::transport> transport;
  std::size_t ends = 0;
  std::size_t ends_when_abort_returned = 0;
  std::error_code end_error;
  std::function<void()> abort_now = [this] {
    ASSERT_TRUE(transport);
    transport->abort();
    ends_when_abort_returned = ends;
  };

  void on_engine_events() override {
    while (auto e = engine->poll_event())
      if (std::holds_alternative<peer_opened>(*e)) run_later(*base, 0ms, abort_now);
  }
  void on_transport_end(std::error_code ec) override {
    ++ends;
    end_error = ec;
    engine.reset();
    transport.reset();
  }
};

TEST(transport_end, abort_reports_aborted_at_once_and_the_peer_reads_the_end_of_stream) {
  base_ptr base = new_base();
  auto [client_fd, server_fd] = connected_pair(socket_kind::unix_pair);
  aborting_owner client;
  client.base = base.get();
  peer server(server_config(), {});
  ASSERT_FALSE(client.engine->open({.container_id = "client"}));
  client.transport = amqp::libevent::transport::create(*base, client_fd, *client.engine, client);
  std::weak_ptr<amqp::libevent::transport> watch = client.transport;
  client.transport->start();
  server.start(*base, server_fd);
  dispatch(*base);

  EXPECT_EQ(client.ends, 1u);
  EXPECT_EQ(client.ends_when_abort_returned, 1u);
  EXPECT_EQ(client.end_error, stream_errc::aborted) << client.end_error.message();
  EXPECT_EQ(client.engine, nullptr);
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(server.end_calls, 1u);
  EXPECT_EQ(server.end_error, stream_errc::eof) << server.end_error.message();
  ASSERT_TRUE(server.closed.has_value());
  EXPECT_TRUE(server.closed->has_value());
}

// A server that never speaks: the client's handshake timeout counts from start(), with no
// byte ever read, and the engine ends the connection by itself.
TEST(transport_end, the_handshake_timeout_counts_from_start) {
  base_ptr base = new_base();
  auto [client_fd, silent_fd] = connected_pair(socket_kind::unix_pair);
  engine_config cfg = client_config();
  cfg.limits.handshake_timeout = 100ms;
  peer client(cfg, {});
  client.start(*base, client_fd);
  dispatch(*base);
  ::close(silent_fd);

  EXPECT_EQ(client.end_calls, 1u);
  EXPECT_FALSE(client.end_error) << client.end_error.message();
  ASSERT_TRUE(client.closed.has_value());
  ASSERT_TRUE(client.closed->has_value());
  EXPECT_EQ((*client.closed)->name, "amqp:resource-limit-exceeded");
}

}  // namespace
}  // namespace amqp::test
