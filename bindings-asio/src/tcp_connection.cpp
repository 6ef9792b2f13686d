// A connection's attempts and transports: resolve, connect, hand the socket to a transport,
// and when it ends ask the driver whether and where to try again.
#include "tcp_connection.hpp"

#include <asio/connect.hpp>
#include <asio/post.hpp>

#include "amqp/asio/container.hpp"

namespace amqp::asio::detail {

tcp_connection::tcp_connection(container& owner, strand executor, connection_driver driver)
    : owner_(&owner),
      strand_(std::move(executor)),
      driver_(std::move(driver)),
      retry_timer_(strand_),
      resolver_(strand_) {}

void tcp_connection::install_hooks() {
  std::weak_ptr<tcp_connection> weak = weak_from_this();
  // Commands given outside the handler calls (a scheduled task, another connection's handler)
  // are written by a flush posted to this strand, one per burst of commands.
  driver_.on_output([weak] {
    if (auto self = weak.lock()) ::asio::post(self->strand_, [self] { self->flush(); });
  });
  driver_.on_post([weak](std::function<void()> work) {
    auto self = weak.lock();
    if (!self || self->finished_) return false;
    // Work taken runs, even if the connection finishes before its turn comes: the handles it
    // uses then answer as for a closed connection, and what waits on it (an async_send) hears
    // so instead of waiting for ever.
    ::asio::post(self->strand_, [self, work = std::move(work)] {
      work();
      self->flush();
    });
    return true;
  });
}

void tcp_connection::start_client() {
  if (abandoned()) return;
  attempt(driver_.first_attempt());
}

bool tcp_connection::abandoned() {
  if (finished_) return true;
  if (!driver_.is_finished()) return false;
  finish();
  return true;
}

void tcp_connection::start_server(tcp::socket socket) {
  connected(std::move(socket));
}

void tcp_connection::attempt(std::optional<connect_attempt> next) {
  if (!next) {
    finish();
    return;
  }
  if (next->delay.count() == 0) {
    resolve(next->address);
    return;
  }
  retry_timer_.expires_after(next->delay);
  retry_timer_.async_wait([self = shared_from_this(), address = next->address](std::error_code ec) {
    if (ec || self->abandoned()) return;
    self->resolve(address);
  });
}

void tcp_connection::resolve(const url& address) {
  // An IP address needs no lookup: Asio's asynchronous resolver runs getaddrinfo on a thread
  // of its own, which would be started (with its stack and its malloc arena) for nothing.
  std::error_code not_ip;
  const auto ip = ::asio::ip::make_address(address.host, not_ip);
  if (!not_ip) {
    connect(address, {tcp::endpoint(ip, address.port)});
    return;
  }
  resolver_.async_resolve(
      address.host, std::to_string(address.port),
      [self = shared_from_this(), address](std::error_code ec, tcp::resolver::results_type r) {
        if (self->abandoned()) return;
        if (ec) {
          self->failed("cannot resolve " + address.host + ": " + ec.message());
          return;
        }
        std::vector<tcp::endpoint> endpoints;
        for (const auto& entry : r) endpoints.push_back(entry.endpoint());
        self->connect(address, endpoints);
      });
}

void tcp_connection::connect(const url& address, const std::vector<tcp::endpoint>& endpoints) {
  auto socket = std::make_shared<tcp::socket>(strand_);
  connecting_ = socket;
  // The operation keeps a copy of the sequence.
  ::asio::async_connect(*socket, endpoints,
                        [self = shared_from_this(), socket, address](std::error_code ec,
                                                                     const tcp::endpoint&) {
                          self->connecting_.reset();
                          if (self->abandoned()) return;
                          if (ec) {
                            self->failed(ec.message());
                            return;
                          }
                          self->connected(std::move(*socket));
                        });
}

void tcp_connection::failed(const std::string& reason) {
  attempt(driver_.connect_failed(reason));
}

void tcp_connection::connected(tcp::socket socket) {
  std::error_code ignored;
  // Small frames (flows, dispositions) must not wait for Nagle's algorithm.
  socket.set_option(tcp::no_delay(true), ignored);
  driver_.transport_started();
  transport_ = tcp_transport::create(std::move(socket), driver_.engine(), *this);
  transport_->start();
}

void tcp_connection::on_engine_events() {
  driver_.dispatch();
  driver_.flushed();  // the transport writes once this returns
}

void tcp_connection::on_transport_end(std::error_code error) {
  // Clean ends (both closes exchanged) and the peer's end of stream after its close come
  // without a socket error worth naming.
  std::string io_error = error && error != ::asio::error::eof ? error.message() : std::string();
  if (error == ::asio::error::eof) io_error = "the peer closed the TCP connection";
  auto self = shared_from_this();  // the transport's last reference may go with it
  transport_.reset();
  attempt(driver_.transport_ended(std::chrono::steady_clock::now(), io_error));
}

void tcp_connection::flush() {
  driver_.flushed();
  if (transport_)
    transport_->flush();
  else if (!finished_ && driver_.is_finished())
    give_up();  // closed between transports: the driver's on_output hook says so too
}

void tcp_connection::close() {
  if (finished_) return;
  driver_.connection().close();
  if (!transport_ && driver_.is_finished()) give_up();
}

void tcp_connection::give_up() {
  // Between attempts, or during one: nothing to close on the wire, only waits to end, so that
  // run() need not wait for a retry timer or a slow connect.
  retry_timer_.cancel();
  resolver_.cancel();
  if (connecting_) {
    std::error_code ignored;
    connecting_->close(ignored);  // the attempt completes with operation_aborted
  }
  finish();
}

void tcp_connection::finish() {
  if (finished_) return;
  finished_ = true;
  owner_->forget(this);
}

}  // namespace amqp::asio::detail
