// The one TCP connection amqp-peer plays its script over: made by connecting or by accepting,
// read and written with deadlines, and broken on purpose (half close, close, reset).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "amqp/codec/types.hpp"
#include "amqp/errors.hpp"

namespace amqp::peer {

using clock = std::chrono::steady_clock;

class connection {
 public:
  // Connects to HOST:PORT ([v6]:PORT for IPv6 literals) within `timeout`.
  static result<connection, std::string> connect(std::string_view host_port,
                                                 std::chrono::milliseconds timeout);
  // Listens on HOST:PORT (port 0: any free one), calls `listening` with the address it got,
  // then accepts one connection and stops listening.
  static result<connection, std::string> accept_one(
      std::string_view host_port, const std::function<void(const std::string&)>& listening);

  connection(connection&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  connection& operator=(connection&& o) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  enum class read_status : std::uint8_t { data, timeout, eof, reset, closed, error };
  // Appends what arrives to `out`, waiting until `deadline` at most. `error` says why on
  // read_status::error; `closed` means the script closed the socket itself.
  read_status read(std::vector<std::uint8_t>& out, clock::time_point deadline, std::string& error);
  // Writes all of `bytes` before `deadline`; an error message, or empty on success.
  std::string write(bytes_view bytes, clock::time_point deadline);

  void shutdown_write() noexcept;
  void close() noexcept;
  // Closes with SO_LINGER 0, which makes the kernel send a RST.
  void reset() noexcept;

 private:
  explicit connection(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace amqp::peer
