// One messaging connection over TCP: its strand, its driver, the attempts to connect (resolve,
// connect, wait between attempts) and the transport of the current socket.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "amqp/asio/transport.hpp"
#include "amqp/messaging/connection_driver.hpp"

namespace amqp::asio {
class container;
}

namespace amqp::asio::detail {

using strand = ::asio::strand<::asio::io_context::executor_type>;
using tcp = ::asio::ip::tcp;

class tcp_connection final : public transport_handler,
                             public std::enable_shared_from_this<tcp_connection> {
 public:
  tcp_connection(container& owner, strand executor, connection_driver driver);

  amqp::connection handle() const { return driver_.connection(); }
  const strand& executor() const noexcept { return strand_; }

  // Lets the driver reach this connection's strand (connection::post, output to write): right
  // after construction, before the handle is given out.
  void install_hooks();
  // A client: the first attempt (on the strand).
  void start_client();
  // A server: the accepted socket (on the strand).
  void start_server(tcp::socket socket);
  // Closes the connection without reconnecting (on the strand).
  void close();

  void on_engine_events() override;
  void on_transport_end(std::error_code error) override;

 private:
  void attempt(std::optional<connect_attempt> next);
  void resolve(const url& address);
  void connect(const url& address, const std::vector<tcp::endpoint>& endpoints);
  void failed(const std::string& reason);
  // The application closed the connection while no transport was up: finishes it (once).
  bool abandoned();
  // Ends what an attempt is waiting for (the retry timer, a resolve, a connect) and finishes.
  void give_up();
  void connected(tcp::socket socket);
  // Writes what commands outside the handler calls left (the driver's on_output hook).
  void flush();
  void finish();

  container* owner_;
  strand strand_;
  connection_driver driver_;
  ::asio::steady_timer retry_timer_;
  tcp::resolver resolver_;
  // Every I/O object of a connection is made on its strand, so their handlers run on it.
  std::shared_ptr<tcp_transport> transport_;
  // The socket of the attempt under way, until it connects: close() cancels it.
  std::shared_ptr<tcp::socket> connecting_;
  // Written on the strand, read by the post hook from any thread.
  std::atomic<bool> finished_{false};
};

}  // namespace amqp::asio::detail
