// Sockets for amqp-peer (connection.hpp): POSIX, blocking calls bounded by poll().
#include "peer/connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

namespace amqp::peer {
namespace {

struct host_port {
  std::string host;
  std::string port;
};

result<host_port, std::string> split(std::string_view s) {
  const std::size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == s.size())
    return std::string("expected HOST:PORT, not '") + std::string(s) + "'";
  std::string_view host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host_port{std::string(host), std::string(s.substr(colon + 1))};
}

using addrinfo_ptr = std::unique_ptr<addrinfo, decltype(&freeaddrinfo)>;

result<addrinfo_ptr, std::string> resolve(const host_port& hp, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  const int rc =
      getaddrinfo(hp.host.empty() ? nullptr : hp.host.c_str(), hp.port.c_str(), &hints, &found);
  if (rc != 0) return hp.host + ":" + hp.port + ": " + gai_strerror(rc);
  return addrinfo_ptr(found, freeaddrinfo);
}

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

int millis_until(clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, 1 << 30));
}

// Waits for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error (errno set).
int wait_for(int fd, short events, clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, millis_until(deadline));
    if (rc < 0 && errno == EINTR) continue;
    return rc;
  }
}

std::string address_text(const sockaddr_storage& a) {
  char host[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (a.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
  inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
  port = ntohs(in6->sin6_port);
  std::string out = "[";  // appended piece by piece: g++ 12 misreads "[" + string (PR 105651)
  out += host;
  out += "]:";
  out += std::to_string(port);
  return out;
}

// Small frames go out at once: a test peer's timing is part of what it tests.
void no_delay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

result<connection, std::string> connection::connect(std::string_view address,
                                                    std::chrono::milliseconds timeout) {
  auto hp = split(address);
  if (!hp) return hp.error();
  auto ai = resolve(*hp, false);
  if (!ai) return ai.error();
  const clock::time_point deadline = clock::now() + timeout;
  std::string why = "no address for " + std::string(address);
  for (const addrinfo* a = ai->get(); a; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = errno_text("socket");
      continue;
    }
    connection c(fd);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = errno_text("connect to " + std::string(address));
      continue;
    }
    const int ready = wait_for(fd, POLLOUT, deadline);
    int err = 0;
    socklen_t len = sizeof err;
    if (ready <= 0) {
      why = "connect to " + std::string(address) + ": no answer within " +
            std::to_string(timeout.count()) + "ms";
      continue;
    }
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      why = "connect to " + std::string(address) + ": " + std::strerror(err);
      continue;
    }
    no_delay(fd);
    return c;
  }
  return why;
}

result<connection, std::string> connection::accept_one(
    std::string_view address, const std::function<void(const std::string&)>& listening) {
  auto hp = split(address);
  if (!hp) return hp.error();
  auto ai = resolve(*hp, true);
  if (!ai) return ai.error();
  const addrinfo* a = ai->get();
  connection listener(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
  if (listener.fd_ < 0) return errno_text("socket");
  const int one = 1;
  setsockopt(listener.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listener.fd_, a->ai_addr, a->ai_addrlen) != 0)
    return errno_text("bind " + std::string(address));
  if (::listen(listener.fd_, 1) != 0) return errno_text("listen");
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(listener.fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  listening(address_text(bound));
  int fd;
  do fd = ::accept4(listener.fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno_text("accept");
  no_delay(fd);
  return connection(fd);
}

connection& connection::operator=(connection&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

connection::~connection() {
  close();
}

connection::read_status connection::read(std::vector<std::uint8_t>& out, clock::time_point deadline,
                                         std::string& error) {
  if (fd_ < 0) return read_status::closed;
  for (;;) {
    std::uint8_t buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      out.insert(out.end(), buf, buf + n);
      return read_status::data;
    }
    if (n == 0) return read_status::eof;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return read_status::reset;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      error = errno_text("read");
      return read_status::error;
    }
    const int ready = wait_for(fd_, POLLIN, deadline);
    if (ready == 0) return read_status::timeout;
    if (ready < 0) {
      error = errno_text("poll");
      return read_status::error;
    }
  }
}

std::string connection::write(bytes_view bytes, clock::time_point deadline) {
  if (fd_ < 0) return "the script closed the connection before this";
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return errno_text("write");
    const int ready = wait_for(fd_, POLLOUT, deadline);
    if (ready == 0) return "the peer took nothing more within the timeout";
    if (ready < 0) return errno_text("poll");
  }
  return {};
}

void connection::shutdown_write() noexcept {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void connection::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

void connection::reset() noexcept {
  if (fd_ < 0) return;
  const linger l{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close();
}

}  // namespace amqp::peer
