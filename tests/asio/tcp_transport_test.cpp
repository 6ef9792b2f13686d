// The transport over loopback TCP where only a real socket will do: a peer that resets the
// connection.
#include <gtest/gtest.h>

#include <array>

#include <asio/read.hpp>

#include "peer.hpp"

namespace amqp::test {
namespace {

// The server is a bare socket: it reads the client's protocol header, then closes with
// SO_LINGER 0, which sends a reset instead of an orderly end. The client has written its
// header and open and waits for an answer, so its pending read is what fails.
TEST(tcp_transport, a_peer_reset_is_named_in_the_end_hook) {
  ::asio::io_context io;
  auto sockets = tcp_link::connect(io, ::asio::make_strand(io), ::asio::make_strand(io));
  ::asio::ip::tcp::socket& server_socket = sockets.second;
  peer<::asio::ip::tcp::socket> client(client_config(), {});
  client.start(std::move(sockets.first));

  std::array<char, 8> header{};
  ::asio::async_read(server_socket, ::asio::buffer(header), [&](std::error_code ec, std::size_t) {
    ASSERT_FALSE(ec);
    server_socket.set_option(::asio::socket_base::linger(true, 0));
    server_socket.close();
  });
  run_io(io, 2);

  EXPECT_EQ(std::string(header.data(), 4), "AMQP");
  EXPECT_EQ(client.end_calls, 1u);
  EXPECT_EQ(client.end_error, ::asio::error::connection_reset) << client.end_error.message();
  ASSERT_TRUE(client.closed.has_value());
  ASSERT_TRUE(client.closed->has_value());
  EXPECT_NE((*client.closed)->description.find("connection aborted"), std::string::npos)
      << (*client.closed)->to_string();
}

}  // namespace
}  // namespace amqp::test
