// Two applications talking AMQP through amqp::asio transports: the conversation of
// support/conversation.hpp, each side pumped by a transport over an Asio stream (the in-memory
// pair or loopback TCP), the two on one io_context, each on a strand of its own.
//
//   test::connection_pair<test::memory_link> c({.messages = 1000});
//   c.start();
//   c.run();
//   EXPECT_EQ(c.client.received, 1000u);
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>

#include "amqp/asio/memory_stream.hpp"
#include "amqp/asio/transport.hpp"
#include "support/conversation.hpp"

namespace amqp::test {

using namespace std::chrono_literals;

template <class Stream>
class peer final : public conversation<peer<Stream>>, public amqp::asio::transport_handler {
 public:
  using transport_type = amqp::asio::basic_transport<Stream>;
  using conversation<peer<Stream>>::conversation;

  // Opens (a client) and starts a transport over `stream`; before the io_context runs.
  void start(Stream stream, amqp::asio::transport_options options = {}) {
    this->open_if_client();
    transport = transport_type::create(std::move(stream), this->engine, *this, options);
    transport->start();
  }

  void on_engine_events() override {
    if (!this->poll_events()) return;
    ::asio::post(transport->get_executor(), [this] {
      if (this->poll_rest()) transport->flush();
    });
  }
  void on_transport_end(std::error_code error) override { this->note_end(error); }

  std::shared_ptr<transport_type> transport;
};

// --- the streams under test ------------------------------------------------------------------

struct memory_link {
  using stream = amqp::asio::memory_stream;
  static std::pair<stream, stream> connect(::asio::io_context&, const ::asio::any_io_executor& a,
                                           const ::asio::any_io_executor& b) {
    return amqp::asio::memory_stream::make_pair(a, b);
  }
};

struct tcp_link {
  using stream = ::asio::ip::tcp::socket;
  // A connected pair over loopback: the kernel completes the handshake from the listen backlog,
  // so a blocking connect then accept needs no running io_context.
  static std::pair<stream, stream> connect(::asio::io_context& io, const ::asio::any_io_executor& a,
                                           const ::asio::any_io_executor& b) {
    ::asio::ip::tcp::acceptor acceptor(io, {::asio::ip::address_v4::loopback(), 0});
    stream client(a);
    stream server(b);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    client.set_option(::asio::ip::tcp::no_delay(true));
    server.set_option(::asio::ip::tcp::no_delay(true));
    return {std::move(client), std::move(server)};
  }
};

// Runs `io` on `threads` threads until it runs out of work; `limit` only stops a hung test.
inline void run_io(::asio::io_context& io, int threads, std::chrono::seconds limit = 120s) {
  std::vector<std::thread> more;
  for (int i = 1; i < threads; ++i) more.emplace_back([&] { io.run_for(limit); });
  io.run_for(limit);
  for (std::thread& t : more) t.join();
}

// A client and a server on one io_context, each on its own strand.
template <class Link>
struct connection_pair {
  using stream = typename Link::stream;

  explicit connection_pair(plan p, engine_config client_cfg = client_config(),
                           engine_config server_cfg = server_config(),
                           open_options client_open = {})
      : client(std::move(client_cfg), p, std::move(client_open)),
        server(std::move(server_cfg), p) {}

  void start(amqp::asio::transport_options options = {}) {
    auto [a, b] = Link::connect(io, client_strand, server_strand);
    client.start(std::move(a), options);
    server.start(std::move(b), options);
  }
  void run(int threads = 1) { run_io(io, threads); }

  // Declared first: destroyed after the transports and streams that use it.
  ::asio::io_context io;
  ::asio::any_io_executor client_strand = ::asio::make_strand(io);
  ::asio::any_io_executor server_strand = ::asio::make_strand(io);
  peer<stream> client;
  peer<stream> server;
};

}  // namespace amqp::test
