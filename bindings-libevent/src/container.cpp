// The libevent container: connections, listeners, scheduled work, and the start and end of
// the run.
#include "amqp/libevent/container.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "tcp_connection.hpp"
#include "timeval.hpp"
#include "wakeup.hpp"

namespace amqp::libevent {

void enable_threads() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (evthread_use_pthreads() != 0)
      throw std::runtime_error("libevent: evthread_use_pthreads failed");
  });
}

namespace detail {

// Accepts connections on one listening socket.
class tcp_listener final : public listener_base, public std::enable_shared_from_this<tcp_listener> {
 public:
  tcp_listener(container& owner, url address, connection_options options,
               messaging_handler& handler, std::uint16_t port)
      : owner_(&owner),
        address_(std::move(address)),
        options_(std::move(options)),
        handler_(&handler),
        port_(port) {}

  // Starts accepting on `fd` (which it now owns); false when libevent cannot.
  bool start(int fd) {
    listener_ = evconnlistener_new(&owner_->base(), &tcp_listener::on_accept, this,
                                   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (!listener_) return false;
    // A failed accept (out of descriptors, a client gone at once) does not stop the listener:
    // the next client may well succeed.
    evconnlistener_set_error_cb(listener_, [](evconnlistener*, void*) {});
    return true;
  }

  std::uint16_t port() const noexcept override { return port_; }

  // From any thread: the loop's thread stops listening soon.
  void close() override {
    std::lock_guard lock(mutex_);
    if (!owner_) return;
    owner_->post([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->release();
    });
  }

  // On the loop's thread: stops listening.
  void release() noexcept {
    if (listener_) evconnlistener_free(std::exchange(listener_, nullptr));
  }

  // The container goes away with its event_base: a listener handle the application still
  // holds refers to nothing of either (port() still works, close() does nothing).
  void detach() noexcept {
    release();
    std::lock_guard lock(mutex_);
    owner_ = nullptr;
  }

 private:
  static void on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* p) {
    auto* self = static_cast<tcp_listener*>(p);
    self->owner_->adopt_server(fd, self->address_, self->options_, *self->handler_);
  }

  std::mutex mutex_;  // guards owner_ for close() from other threads
  container* owner_;
  evconnlistener* listener_ = nullptr;
  url address_;
  connection_options options_;
  messaging_handler* handler_;
  std::uint16_t port_;
};

}  // namespace detail

namespace {

event_base* new_base() {
  enable_threads();
  event_base* base = event_base_new();
  if (!base) throw std::runtime_error("libevent: event_base_new failed");
  return base;
}

void no_free(event_base*) {}

// A listening socket on `address`, or why there is none ("bind: Address already in use").
result<int, std::string> open_listening_socket(const url& address, std::uint16_t& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int status = ::getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(),
                                   &hints, &found);
  if (status != 0) return std::string(::gai_strerror(status));
  // What it resolves to first, as the Asio container does.
  const auto fail = [&](const char* what, int fd) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    ::freeaddrinfo(found);
    return std::string(what) + ": " + std::system_category().message(error);
  };
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("open", fd);
  const int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) return fail("option", fd);
  if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0) return fail("bind", fd);
  if (::listen(fd, SOMAXCONN) != 0) return fail("listen", fd);
  ::freeaddrinfo(found);
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                           : reinterpret_cast<sockaddr_in&>(bound).sin_port);
  return fd;
}

}  // namespace

container::container(messaging_handler& handler, std::string id)
    : amqp::container(handler, std::move(id)),
      own_base_(new_base(), &event_base_free),
      base_(own_base_.get()) {
  init();
}

container::container(messaging_handler& handler, event_base& base, std::string id)
    : amqp::container(handler, std::move(id)), own_base_(nullptr, &no_free), base_(&base) {
  init();
}

void container::init() {
  wakeup_ = std::make_shared<detail::wakeup>(*base_, nullptr);
  task_timer_ = evtimer_new(
      base_, [](evutil_socket_t, short, void* self) { static_cast<container*>(self)->run_due_tasks(); },
      this);
  if (!task_timer_) throw std::bad_alloc();
}

container::~container() {
  std::vector<std::shared_ptr<detail::tcp_listener>> listeners;
  std::vector<std::shared_ptr<detail::tcp_connection>> connections;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    listeners.swap(listeners_);
    connections.swap(connections_);
    tasks_.clear();
  }
  for (auto& l : listeners) l->detach();
  connections.clear();  // their sockets close, their events go
  event_free(task_timer_);
  wakeup_->close();  // what was handed over still runs: the handles it uses answer as closed
}

connection container::connect(const url& address, const connection_options& options,
                              messaging_handler* handler) {
  auto c = std::make_shared<detail::tcp_connection>(
      *this, connection_driver::client(*this, handler ? *handler : this->handler(), address,
                                       options));
  c->install_hooks();
  bool stopping;
  {
    std::lock_guard lock(mutex_);
    stopping = stopping_;
    connections_.push_back(c);
  }
  // After stop(), a connection is closed before it is attempted: run() is ending.
  post([c, stopping] {
    if (stopping)
      c->close();
    else
      c->start_client();
  });
  return c->handle();
}

void container::adopt_server(int fd, const url& address, const connection_options& options,
                             messaging_handler& handler) {
  auto c = std::make_shared<detail::tcp_connection>(
      *this, connection_driver::server(*this, handler, address, options));
  c->install_hooks();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    connections_.push_back(c);
  }
  c->start_server(fd);
}

connection container::adopt_failed(connection_driver driver) {
  connection c = driver.connection();
  auto d = std::make_shared<connection_driver>(std::move(driver));
  post([d] { d->dispatch(); });
  return c;
}

result<listener, std::string> container::listen(const url& address,
                                                const connection_options& options,
                                                messaging_handler* handler) {
  const std::string where = "cannot listen on " + address.host_port() + ": ";
  if (address.tls() && !options.tls)
    return "cannot listen on " + address.to_string() + ": amqps needs a TLS server context "
           "(connection_options::tls)";
  std::uint16_t port = 0;
  auto fd = open_listening_socket(address, port);
  if (!fd) return where + fd.error();
  auto l = std::make_shared<detail::tcp_listener>(*this, address, options,
                                                  handler ? *handler : this->handler(), port);
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(*fd);
      return where + "the container stopped";
    }
    if (!l->start(*fd)) {
      ::close(*fd);
      return where + "libevent cannot accept on it";
    }
    listeners_.push_back(l);
  }
  return listener(l);
}

scheduled_task container::schedule(std::chrono::milliseconds delay, std::function<void()> work) {
  std::lock_guard lock(mutex_);
  if (stopping_) return {};
  // Tasks due at the same time run in the order they were scheduled: the map orders them by
  // due time, then by number.
  const task_key key(clock::now() + delay, next_task_++);
  scheduled_task task([weak = std::weak_ptr<container*>(self_), key] {
    if (auto self = weak.lock()) (*self)->drop_task(key);
  });
  tasks_.emplace(key, [task, work = std::move(work)] {
    if (!task.cancelled()) work();  // cancelled while it was being taken to run
  });
  arm_task_timer();
  return task;
}

void container::drop_task(task_key key) {
  std::lock_guard lock(mutex_);
  if (tasks_.erase(key) != 0) arm_task_timer();
}

// Under mutex_: the timer is armed at the earliest task. Arming from several threads at once
// under the lock keeps the latest arming the right one.
void container::arm_task_timer() {
  if (tasks_.empty()) {
    evtimer_del(task_timer_);
    return;
  }
  detail::arm_timer(task_timer_, tasks_.begin()->first.first - clock::now());
}

void container::run_due_tasks() {
  // One task at a time, without the lock: a task may schedule more, or stop the container.
  for (;;) {
    std::function<void()> work;
    {
      std::lock_guard lock(mutex_);
      if (tasks_.empty() || tasks_.begin()->first.first > clock::now()) {
        arm_task_timer();
        return;
      }
      work = std::move(tasks_.begin()->second);
      tasks_.erase(tasks_.begin());
    }
    work();
  }
}

void container::post(std::function<void()> work) { wakeup_->post(std::move(work)); }

void container::start() {
  std::call_once(started_, [this] { amqp::container::start(); });
}

void container::run() {
  start();
  event_base_dispatch(base_);
}

void container::stop() {
  std::vector<std::shared_ptr<detail::tcp_connection>> connections;
  std::vector<std::shared_ptr<detail::tcp_listener>> listeners;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    connections = connections_;
    listeners = listeners_;
    tasks_.clear();  // a task already due when stop() came is dropped too
    evtimer_del(task_timer_);
  }
  post([connections = std::move(connections), listeners = std::move(listeners)] {
    for (auto& l : listeners) l->release();
    for (auto& c : connections) c->close();
  });
}

void container::report_error(std::string_view line) {
  std::string text(line);
  text += '\n';
  std::cerr << text << std::flush;
}

void container::forget(const detail::tcp_connection* c) {
  std::shared_ptr<detail::tcp_connection> gone;
  {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(connections_.begin(), connections_.end(),
                           [c](const auto& p) { return p.get() == c; });
    if (it == connections_.end()) return;
    gone = std::move(*it);
    connections_.erase(it);
  }
  // The connection is on the stack of its own callback: it goes once that returned.
  post([gone = std::move(gone)] {});
}

}  // namespace amqp::libevent
