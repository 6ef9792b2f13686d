// The Asio container: connections on strands, listeners, timers, and the start and end of
// the run.
#include "amqp/asio/container.hpp"

#include <algorithm>
#include <iostream>
#include <optional>
#include <thread>

#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>

#include "tcp_connection.hpp"

namespace amqp::asio {

namespace detail {

// Accepts connections on one address, each on a strand of its own.
class tcp_listener final : public listener_base, public std::enable_shared_from_this<tcp_listener> {
 public:
  // `acceptor` works on a strand of its own: the accept loop and close() may otherwise run on
  // two threads at once when the io_context does.
  tcp_listener(container& owner, tcp::acceptor acceptor, url address, connection_options options,
               messaging_handler& handler)
      : owner_(&owner),
        acceptor_(std::move(acceptor)),
        address_(std::move(address)),
        options_(std::move(options)),
        handler_(&handler),
        port_(acceptor_->local_endpoint().port()) {}

  std::uint16_t port() const noexcept override { return port_; }

  void close() override {
    if (!acceptor_) return;
    ::asio::post(acceptor_->get_executor(), [self = shared_from_this()] {
      std::error_code ignored;
      if (self->acceptor_) self->acceptor_->close(ignored);
    });
  }

  // The container is going away with its io_context: the acceptor goes first, so that a
  // listener handle the application still holds refers to no I/O object (port() still works).
  void release() noexcept { acceptor_.reset(); }

  void accept() {
    if (!acceptor_) return;
    auto s = std::make_shared<strand>(::asio::make_strand(owner_->io_context()));
    acceptor_->async_accept(*s, [self = shared_from_this(), s](std::error_code ec,
                                                               tcp::socket socket) {
      if (ec == ::asio::error::operation_aborted || !self->acceptor_ ||
          !self->acceptor_->is_open())
        return;
      if (!ec) self->owner_->adopt_server(*s, std::move(socket), self->address_, self->options_,
                                          *self->handler_);
      // A failed accept (out of descriptors, a client gone at once) does not stop the
      // listener: the next client may well succeed.
      self->accept();
    });
  }

 private:
  container* owner_;
  std::optional<tcp::acceptor> acceptor_;
  url address_;
  connection_options options_;
  messaging_handler* handler_;
  std::uint16_t port_;
};

}  // namespace detail

container::container(messaging_handler& handler, std::string id)
    : amqp::container(handler, std::move(id)),
      own_io_(std::make_unique<::asio::io_context>()),
      io_(own_io_.get()) {}

container::container(messaging_handler& handler, ::asio::io_context& io, std::string id)
    : amqp::container(handler, std::move(id)), io_(&io) {}

container::~container() {
  std::vector<std::weak_ptr<detail::tcp_listener>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(every_listener_);
  }
  for (auto& weak : all)
    if (auto l = weak.lock()) l->release();
}

connection container::connect(const url& address, const connection_options& options,
                              messaging_handler* handler) {
  auto c = std::make_shared<detail::tcp_connection>(
      *this, ::asio::make_strand(*io_),
      connection_driver::client(*this, handler ? *handler : this->handler(), address, options));
  c->install_hooks();
  bool stopping;
  {
    std::lock_guard lock(mutex_);
    stopping = stopping_;
    connections_.push_back(c);
  }
  // After stop(), a connection is closed before it is attempted: run() is ending.
  ::asio::post(c->executor(), [c, stopping] {
    if (stopping)
      c->close();
    else
      c->start_client();
  });
  return c->handle();
}

void container::adopt_server(const detail::strand& s, ::asio::ip::tcp::socket socket,
                             const url& address, const connection_options& options,
                             messaging_handler& handler) {
  auto c = std::make_shared<detail::tcp_connection>(
      *this, s, connection_driver::server(*this, handler, address, options));
  c->install_hooks();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    connections_.push_back(c);
  }
  ::asio::post(c->executor(), [c, socket = std::move(socket)]() mutable {
    c->start_server(std::move(socket));
  });
}

connection container::adopt_failed(connection_driver driver) {
  connection c = driver.connection();
  auto d = std::make_shared<connection_driver>(std::move(driver));
  ::asio::post(*io_, [d] { d->dispatch(); });
  return c;
}

result<listener, std::string> container::listen(const url& address,
                                                const connection_options& options,
                                                messaging_handler* handler) {
  if (address.tls() && !options.tls)
    return "cannot listen on " + address.to_string() + ": amqps needs a TLS server context "
           "(connection_options::tls)";
  std::error_code ec;
  auto ip = ::asio::ip::make_address(address.host, ec);
  if (ec) {
    // A host name: listen on what it resolves to first.
    ::asio::ip::tcp::resolver r(*io_);
    auto found = r.resolve(address.host, std::to_string(address.port), ec);
    if (ec || found.empty())
      return "cannot listen on " + address.host_port() + ": " +
             (ec ? ec.message() : std::string("no address"));
    ip = found.begin()->endpoint().address();
  }
  ::asio::ip::tcp::endpoint endpoint(ip, address.port);
  ::asio::ip::tcp::acceptor acceptor(::asio::make_strand(*io_));
  const auto fail = [&](const char* what) {
    return "cannot listen on " + address.host_port() + ": " + what + ": " + ec.message();
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor.set_option(::asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("option");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(::asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  auto l = std::make_shared<detail::tcp_listener>(*this, std::move(acceptor), address, options,
                                                  handler ? *handler : this->handler());
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return "cannot listen on " + address.host_port() + ": the container stopped";
    listeners_.push_back(l);
    every_listener_.push_back(l);
  }
  ::asio::post(*io_, [l] { l->accept(); });
  return listener(l);
}

scheduled_task container::schedule(std::chrono::milliseconds delay, std::function<void()> work) {
  auto timer = std::make_shared<::asio::steady_timer>(*io_);
  // A timer is its loop's: it is cancelled there, and its handler, called at once with
  // operation_aborted, drops the work, so that the io_context holds nothing of it.
  scheduled_task task([weak = std::weak_ptr<::asio::steady_timer>(timer)] {
    if (auto t = weak.lock()) ::asio::post(t->get_executor(), [t] { t->cancel(); });
  });
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return {};
    // Tasks due at the same time run in the order they were scheduled: the timers' queue
    // orders by expiry alone, so no two tasks get the same one.
    auto now = std::chrono::steady_clock::now();
    if (now <= last_scheduled_) now = last_scheduled_ + std::chrono::nanoseconds(1);
    last_scheduled_ = now;
    timer->expires_at(now + delay);
    std::erase_if(timers_, [](const auto& t) { return t.expired(); });
    timers_.push_back(timer);
  }
  timer->async_wait([stopped = stopped_, timer, task, work = std::move(work)](std::error_code ec) {
    // A task already due when stop() or cancel() came is dropped too.
    if (!ec && !*stopped && !task.cancelled()) work();
  });
  return task;
}

void container::start() {
  std::call_once(started_, [this] { amqp::container::start(); });
}

void container::run() { run(1); }

void container::run(std::size_t threads) {
  if (io_->stopped()) io_->restart();  // it ran out of work before (an earlier run())
  // on_start runs before any other thread runs the loop: what it does with the handles that
  // connect() and open_sender() return cannot race with those connections' strands.
  start();
  std::vector<std::thread> others;
  for (std::size_t i = 1; i < threads; ++i) others.emplace_back([this] { io_->run(); });
  io_->run();
  for (std::thread& t : others) t.join();
}

void container::stop() {
  std::vector<std::shared_ptr<detail::tcp_connection>> connections;
  std::vector<std::shared_ptr<detail::tcp_listener>> listeners;
  std::vector<std::weak_ptr<::asio::steady_timer>> timers;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    *stopped_ = true;
    connections = connections_;
    listeners.swap(listeners_);
    timers.swap(timers_);
  }
  for (auto& l : listeners) l->close();
  for (auto& t : timers)
    if (auto timer = t.lock()) ::asio::post(*io_, [timer] { timer->cancel(); });
  for (auto& c : connections) ::asio::post(c->executor(), [c] { c->close(); });
}

void container::report_error(std::string_view line) {
  // One write per line, so lines from connections on several threads do not interleave.
  std::string text(line);
  text += '\n';
  std::cerr << text << std::flush;
}

void container::forget(const detail::tcp_connection* c) {
  std::lock_guard lock(mutex_);
  std::erase_if(connections_, [c](const auto& p) { return p.get() == c; });
}

}  // namespace amqp::asio
