// A TCP relay on 127.0.0.1 to `target`, for cutting connections the way a failed network does.
// It runs on an io_context and a thread of its own, so it works beside a container of any
// binding.
//
//   test::tcp_proxy relay(listener.port());
//   c.connect(test::local_url(relay.port()));
//   relay.cut();                                  // from any thread
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>

namespace amqp::test {

// Each client the relay accepts gets a connection of its own to the target, and bytes flow
// both ways until either side closes. cut() closes every relayed connection at once, without
// a word to either side; close() stops accepting and cuts what is relayed. Both may be called
// from any thread.
class tcp_proxy {
 public:
  explicit tcp_proxy(std::uint16_t target)
      : acceptor_(strand_, {::asio::ip::make_address("127.0.0.1"), 0}), target_(target) {
    port_ = acceptor_.local_endpoint().port();
    ::asio::post(strand_, [this] { accept(); });
    thread_ = std::thread([this] { io_.run(); });
  }
  ~tcp_proxy() {
    close();
    work_.reset();
    thread_.join();
  }
  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::size_t accepted() const noexcept { return accepted_; }
  std::size_t cuts() const noexcept { return cuts_; }

  void cut() {
    ::asio::post(strand_, [this] { cut_now(); });
  }
  void close() {
    ::asio::post(strand_, [this] {
      std::error_code ignored;
      acceptor_.close(ignored);
      for (auto& p : pairs_) p->close();
      pairs_.clear();
    });
  }

 private:
  using tcp = ::asio::ip::tcp;
  struct pair : std::enable_shared_from_this<pair> {
    explicit pair(::asio::strand<::asio::io_context::executor_type> s) : client(s), server(s) {}
    tcp::socket client;
    tcp::socket server;
    std::array<std::uint8_t, 16384> up{};
    std::array<std::uint8_t, 16384> down{};
    void close() {
      std::error_code ignored;
      client.close(ignored);
      server.close(ignored);
    }
    void relay(tcp::socket& from, tcp::socket& to, std::array<std::uint8_t, 16384>& buffer) {
      from.async_read_some(::asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer](
                                                       std::error_code ec, std::size_t n) {
        if (ec) {
          self->close();
          return;
        }
        ::asio::async_write(to, ::asio::buffer(buffer.data(), n),
                            [self, &from, &to, &buffer](std::error_code wec, std::size_t) {
                              if (wec) {
                                self->close();
                                return;
                              }
                              self->relay(from, to, buffer);
                            });
      });
    }
  };

  void accept() {
    auto p = std::make_shared<pair>(strand_);
    acceptor_.async_accept(p->client, [this, p](std::error_code ec) {
      if (ec) return;  // closed
      ++accepted_;
      pairs_.push_back(p);
      p->server.async_connect({::asio::ip::make_address("127.0.0.1"), target_},
                              [p](std::error_code cec) {
                                if (cec) {
                                  p->close();
                                  return;
                                }
                                p->relay(p->client, p->server, p->up);
                                p->relay(p->server, p->client, p->down);
                              });
      accept();
    });
  }

  void cut_now() {
    ++cuts_;
    for (auto& p : pairs_) {
      std::error_code ignored;
      // A reset rather than an orderly end: the peers learn of it on their next read.
      p->client.set_option(::asio::socket_base::linger(true, 0), ignored);
      p->server.set_option(::asio::socket_base::linger(true, 0), ignored);
      p->close();
    }
    pairs_.clear();
  }

  // Declared first: destroyed after everything that works on it.
  ::asio::io_context io_;
  ::asio::executor_work_guard<::asio::io_context::executor_type> work_ =
      ::asio::make_work_guard(io_);
  ::asio::strand<::asio::io_context::executor_type> strand_ = ::asio::make_strand(io_);
  tcp::acceptor acceptor_;
  std::uint16_t target_;
  std::uint16_t port_ = 0;
  std::vector<std::shared_ptr<pair>> pairs_;
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> cuts_{0};
  std::thread thread_;
};

}  // namespace amqp::test
