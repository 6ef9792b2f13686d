// One messaging connection over TCP on the container's event_base: its driver, the attempts
// to connect (resolve, connect, wait between attempts) and the transport of the current
// socket. Everything here runs on the loop's thread, except the hooks the driver calls
// (connection::post), which hand their work over through a wakeup.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "amqp/libevent/transport.hpp"
#include "amqp/messaging/connection_driver.hpp"
#include "wakeup.hpp"

namespace amqp::libevent {
class container;
}

namespace amqp::libevent::detail {

// A resolved address to try.
struct endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
};

class tcp_connection final : public transport_handler,
                             public std::enable_shared_from_this<tcp_connection> {
 public:
  tcp_connection(container& owner, connection_driver driver);
  ~tcp_connection();
  tcp_connection(const tcp_connection&) = delete;
  tcp_connection& operator=(const tcp_connection&) = delete;

  amqp::connection handle() const { return driver_.connection(); }

  // Lets the driver reach the loop's thread (connection::post, output to write): right after
  // construction, before the handle is given out.
  void install_hooks();
  // A client: the first attempt.
  void start_client();
  // A server: the accepted socket, which this connection now owns.
  void start_server(int fd);
  // Closes the connection without reconnecting.
  void close();

  void on_engine_events() override;
  void on_transport_end(std::error_code error) override;

 private:
  static void on_retry(int fd, short what, void* self);
  static void on_connect(int fd, short what, void* self);

  void attempt(std::optional<connect_attempt> next);
  void resolve(const url& address);
  void resolved(const url& address, std::vector<endpoint> endpoints, std::string error);
  // Tries endpoints_[next_endpoint_], then the ones after it.
  void connect_next(std::string last_error);
  void connect_done();
  void failed(const std::string& reason);
  bool abandoned();
  void give_up();
  void stop_connecting();
  void connected(int fd);
  void flush();
  void finish();

  container* owner_;
  connection_driver driver_;
  std::shared_ptr<wakeup> wakeup_;
  ::event* retry_timer_ = nullptr;
  // The address being attempted and what it resolved to.
  url attempt_address_;
  std::vector<endpoint> endpoints_;
  std::size_t next_endpoint_ = 0;
  // The socket of the connect under way, and the event that hears it complete.
  int connecting_fd_ = -1;
  ::event* connect_event_ = nullptr;
  // Which attempt a resolution on another thread belongs to: a stale answer is dropped.
  std::uint64_t attempt_number_ = 0;
  std::shared_ptr<transport> transport_;
  bool finished_ = false;
};

}  // namespace amqp::libevent::detail
