// Two applications talking AMQP through amqp::libevent transports: the conversation of
// support/conversation.hpp, each side pumped by a transport over one end of a connected pair
// of sockets (a UNIX socketpair or loopback TCP), both on one event_base that this thread runs.
//
//   test::connection_pair c(test::socket_kind::unix_pair, {.messages = 1000});
//   c.start();
//   c.run();
//   EXPECT_EQ(c.client.received, 1000u);
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "amqp/libevent/container.hpp"
#include "amqp/libevent/transport.hpp"
#include "support/conversation.hpp"

namespace amqp::test {

using namespace std::chrono_literals;

using base_ptr = std::unique_ptr<event_base, void (*)(event_base*)>;

// An event_base that other threads may wake or break out of (the loop's watchdog does).
inline base_ptr new_base() {
  amqp::libevent::enable_threads();
  base_ptr base(event_base_new(), &event_base_free);
  EXPECT_NE(base, nullptr);
  return base;
}

// Runs `base` on this thread until it has nothing left to wait for. After `limit` a hung test
// fails and the loop is broken off.
inline void dispatch(event_base& base, std::chrono::seconds limit = 120s) {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  std::thread watch([&] {
    std::unique_lock lock(mutex);
    if (cv.wait_for(lock, limit, [&] { return done; })) return;
    ADD_FAILURE() << "the event loop still ran after " << limit.count() << " s";
    event_base_loopbreak(&base);
  });
  EXPECT_EQ(event_base_dispatch(&base), 1) << "the loop ended for another reason than no events";
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  cv.notify_all();
  watch.join();
}

// Runs `work` (which must live until then) once on the loop's thread after `delay`.
template <class Work>
void run_later(event_base& base, std::chrono::milliseconds delay, Work& work) {
  const timeval when{static_cast<time_t>(delay.count() / 1000),
                     static_cast<suseconds_t>(delay.count() % 1000 * 1000)};
  EXPECT_EQ(event_base_once(
                &base, -1, EV_TIMEOUT,
                [](evutil_socket_t, short, void* w) { (*static_cast<Work*>(w))(); }, &work, &when),
            0);
}

class peer final : public conversation<peer>, public amqp::libevent::transport_handler {
 public:
  using conversation<peer>::conversation;
  ~peer() {
    if (later_) event_free(later_);
  }
  peer(const peer&) = delete;
  peer& operator=(const peer&) = delete;

  // Opens (a client) and starts a transport over the connected socket `fd`.
  void start(event_base& base, int fd, const amqp::libevent::transport_options& options = {}) {
    open_if_client();
    later_ = event_new(&base, -1, 0, &peer::poll_later, this);
    transport = amqp::libevent::transport::create(base, fd, engine, *this, options);
    transport->start();
  }
  int fd() { return bufferevent_getfd(transport->buffer_event()); }

  void on_engine_events() override {
    if (poll_events()) event_active(later_, EV_TIMEOUT, 0);
  }
  void on_transport_end(std::error_code error) override { note_end(error); }

  std::shared_ptr<amqp::libevent::transport> transport;

 private:
  static void poll_later(evutil_socket_t, short, void* self) {
    peer& p = *static_cast<peer*>(self);
    if (p.poll_rest()) p.transport->flush();
  }

  ::event* later_ = nullptr;
};

// --- the sockets under test ------------------------------------------------------------------

enum class socket_kind { unix_pair, tcp_loopback };

inline std::string to_string(socket_kind k) {
  return k == socket_kind::unix_pair ? "unix_socketpair" : "tcp_loopback";
}
inline void PrintTo(socket_kind k, std::ostream* os) {
  *os << to_string(k);
}
inline std::string socket_kind_name(const ::testing::TestParamInfo<socket_kind>& info) {
  return to_string(info.param);
}

inline void no_delay(int fd) {
  const int on = 1;
  EXPECT_EQ(::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on), 0);
}

// Two connected sockets, blocking: the kernel completes a loopback TCP handshake from the
// listen backlog, so connect then accept needs no loop.
inline std::pair<int, int> connected_pair(socket_kind kind) {
  if (kind == socket_kind::unix_pair) {
    int fds[2] = {-1, -1};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    return {fds[0], fds[1]};
  }
  const int listening = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  EXPECT_EQ(::bind(listening, reinterpret_cast<sockaddr*>(&a), size), 0);
  EXPECT_EQ(::getsockname(listening, reinterpret_cast<sockaddr*>(&a), &size), 0);
  EXPECT_EQ(::listen(listening, 1), 0);
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&a), size), 0);
  const int server = ::accept4(listening, nullptr, nullptr, SOCK_CLOEXEC);
  EXPECT_GE(server, 0);
  ::close(listening);
  no_delay(client);
  no_delay(server);
  return {client, server};
}

// A client and a server on one event_base.
struct connection_pair {
  explicit connection_pair(socket_kind k, plan p, engine_config client_cfg = client_config(),
                           engine_config server_cfg = server_config(),
                           open_options client_open = {})
      : kind(k),
        client(std::move(client_cfg), p, std::move(client_open)),
        server(std::move(server_cfg), p) {}

  void start(const amqp::libevent::transport_options& options = {}) {
    auto [a, b] = connected_pair(kind);
    client.start(*base, a, options);
    server.start(*base, b, options);
  }
  void run() { dispatch(*base); }

  socket_kind kind;
  // Before the peers: destroyed after the transports and events on it.
  base_ptr base = new_base();
  peer client;
  peer server;
};

}  // namespace amqp::test
