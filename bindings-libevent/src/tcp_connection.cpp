// A connection's attempts and transports: resolve, connect, hand the socket to a transport,
// and when it ends ask the driver whether and where to try again.
#include "tcp_connection.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include <event2/event.h>
#include <event2/util.h>

#include "amqp/libevent/container.hpp"
#include "timeval.hpp"

namespace amqp::libevent::detail {

namespace {

std::string system_error_text(int error) { return std::system_category().message(error); }

// getaddrinfo's answers for `address`, or why there are none.
std::vector<endpoint> lookup(const url& address, int flags, int& status) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags;
  addrinfo* found = nullptr;
  status = ::getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints,
                         &found);
  std::vector<endpoint> endpoints;
  if (status != 0) return endpoints;
  for (const addrinfo* a = found; a; a = a->ai_next) {
    endpoint e;
    std::memcpy(&e.address, a->ai_addr, a->ai_addrlen);
    e.length = a->ai_addrlen;
    endpoints.push_back(e);
  }
  ::freeaddrinfo(found);
  return endpoints;
}

}  // namespace

tcp_connection::tcp_connection(container& owner, connection_driver driver)
    : owner_(&owner), driver_(std::move(driver)) {
  retry_timer_ = evtimer_new(&owner_->base(), &tcp_connection::on_retry, this);
  if (!retry_timer_) throw std::bad_alloc();
}

tcp_connection::~tcp_connection() {
  stop_connecting();
  transport_.reset();  // closes its socket; no callback of it runs after this
  event_free(retry_timer_);
  if (wakeup_) wakeup_->close();
}

void tcp_connection::install_hooks() {
  std::weak_ptr<tcp_connection> weak = weak_from_this();
  // Commands given outside the handler calls (a scheduled task, another connection's handler)
  // are written by one flush on the loop, for each burst of commands.
  wakeup_ = std::make_shared<wakeup>(owner_->base(), [weak] {
    if (auto self = weak.lock()) self->flush();
  });
  driver_.on_output([w = std::weak_ptr<wakeup>(wakeup_)] {
    if (auto up = w.lock()) up->poke();
  });
  driver_.on_post([w = std::weak_ptr<wakeup>(wakeup_)](std::function<void()> work) {
    auto up = w.lock();
    return up && up->post(std::move(work));
  });
}

void tcp_connection::start_client() {
  if (abandoned()) return;
  attempt(driver_.first_attempt());
}

void tcp_connection::start_server(int fd) { connected(fd); }

bool tcp_connection::abandoned() {
  if (finished_) return true;
  if (!driver_.is_finished()) return false;
  finish();
  return true;
}

void tcp_connection::attempt(std::optional<connect_attempt> next) {
  if (!next) {
    finish();
    return;
  }
  attempt_address_ = next->address;
  if (next->delay.count() == 0) {
    resolve(attempt_address_);
    return;
  }
  arm_timer(retry_timer_, next->delay);
}

void tcp_connection::on_retry(int, short, void* p) {
  auto* self = static_cast<tcp_connection*>(p);
  if (self->abandoned()) return;
  self->resolve(self->attempt_address_);
}

void tcp_connection::resolve(const url& address) {
  const std::uint64_t number = ++attempt_number_;
  // An IP address needs no lookup and no thread.
  int status = 0;
  auto numeric = lookup(address, AI_NUMERICHOST | AI_NUMERICSERV, status);
  if (status == 0) {
    resolved(address, std::move(numeric), {});
    return;
  }
  // getaddrinfo blocks: it runs on a thread of its own, and its answer comes back through the
  // wakeup. Meanwhile the retry timer, armed far ahead, keeps the loop from running out of
  // work (run() returns when nothing is pending).
  const timeval far = {.tv_sec = 24 * 3600, .tv_usec = 0};
  evtimer_add(retry_timer_, &far);
  std::thread([weak = weak_from_this(), up = std::weak_ptr<wakeup>(wakeup_), address, number] {
    int found = 0;
    auto endpoints = lookup(address, AI_NUMERICSERV, found);
    std::string error = found == 0 ? std::string() : ::gai_strerror(found);
    auto w = up.lock();
    if (!w) return;
    w->post([weak, address, number, endpoints = std::move(endpoints),
             error = std::move(error)]() mutable {
      auto self = weak.lock();
      if (!self || number != self->attempt_number_) return;
      evtimer_del(self->retry_timer_);
      if (self->abandoned()) return;
      self->resolved(address, std::move(endpoints), std::move(error));
    });
  }).detach();
}

void tcp_connection::resolved(const url& address, std::vector<endpoint> endpoints,
                              std::string error) {
  if (!error.empty() || endpoints.empty()) {
    failed("cannot resolve " + address.host + ": " + (error.empty() ? "no address" : error));
    return;
  }
  endpoints_ = std::move(endpoints);
  next_endpoint_ = 0;
  connect_next({});
}

void tcp_connection::connect_next(std::string last_error) {
  while (next_endpoint_ < endpoints_.size()) {
    const endpoint& e = endpoints_[next_endpoint_++];
    const int fd = ::socket(e.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last_error = system_error_text(errno);
      continue;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&e.address), e.length) == 0) {
      connected(fd);
      return;
    }
    if (errno != EINPROGRESS) {
      last_error = system_error_text(errno);
      ::close(fd);
      continue;
    }
    connecting_fd_ = fd;
    connect_event_ = event_new(&owner_->base(), fd, EV_WRITE, &tcp_connection::on_connect, this);
    if (!connect_event_ || event_add(connect_event_, nullptr) != 0) {
      stop_connecting();
      last_error = "cannot wait for the connection (libevent)";
      continue;
    }
    return;
  }
  failed(last_error.empty() ? std::string("no address to connect to") : last_error);
}

void tcp_connection::on_connect(int fd, short, void* p) {
  auto* self = static_cast<tcp_connection*>(p);
  const auto keep = self->shared_from_this();
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  event_free(std::exchange(self->connect_event_, nullptr));
  self->connecting_fd_ = -1;
  if (self->abandoned()) {
    ::close(fd);
    return;
  }
  if (error != 0) {
    ::close(fd);
    self->connect_next(system_error_text(error));
    return;
  }
  self->connected(fd);
}

void tcp_connection::failed(const std::string& reason) { attempt(driver_.connect_failed(reason)); }

void tcp_connection::connected(int fd) {
  // Small frames (flows, dispositions) must not wait for Nagle's algorithm.
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  driver_.transport_started();
  transport_ = transport::create(owner_->base(), fd, driver_.engine(), *this);
  transport_->start();
}

void tcp_connection::on_engine_events() {
  driver_.dispatch();
  driver_.flushed();  // the transport writes once this returns
}

void tcp_connection::on_transport_end(std::error_code error) {
  // Clean ends (both closes exchanged) come without a socket error worth naming.
  const std::string io_error = error ? error.message() : std::string();
  const auto self = shared_from_this();  // the owner may let go of this connection below
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
  // run() need not wait for a retry timer, a lookup or a slow connect.
  evtimer_del(retry_timer_);
  ++attempt_number_;  // a lookup still running is answered to no one
  stop_connecting();
  finish();
}

void tcp_connection::stop_connecting() {
  if (connect_event_) event_free(std::exchange(connect_event_, nullptr));
  if (connecting_fd_ >= 0) ::close(std::exchange(connecting_fd_, -1));
}

void tcp_connection::finish() {
  if (finished_) return;
  finished_ = true;
  owner_->forget(this);
}

}  // namespace amqp::libevent::detail
