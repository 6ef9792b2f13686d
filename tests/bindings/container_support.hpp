// What the container tests of every binding share: a watchdog that fails a test instead of
// letting it hang, numbered messages, and a small broker handler. Nothing here names a binding;
// the relay that cuts connections is in tcp_proxy.hpp.
//
//   test::test_broker broker;
//   auto c = make_container(client_handler);      // binding.hpp
//   test::watchdog dog(*c);                       // stop() and a failure after 20 s
//   auto l = c->listen("127.0.0.1:0", {}, &broker);
//   ...
//   c->run();                                     // returns once everything closed
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "amqp/message.hpp"
#include "amqp/messaging/container.hpp"
#include "amqp/messaging/handler.hpp"

namespace amqp::test {

using namespace std::chrono_literals;

// Watches containers from a thread of its own (a scheduled task would keep their loop busy,
// and run() could not end by itself): if the test is still running after `limit`, it fails
// the test and stops the containers; if even that does not end it, it aborts the process.
class watchdog {
 public:
  explicit watchdog(std::vector<amqp::container*> watched, std::chrono::seconds limit = 20s)
      : watched_(std::move(watched)), thread_([this, limit] { watch(limit); }) {}
  explicit watchdog(amqp::container& c, std::chrono::seconds limit = 20s)
      : watchdog(std::vector<amqp::container*>{&c}, limit) {}
  ~watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (fired_) ADD_FAILURE() << "the watchdog fired: the test did not finish in time";
  }
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

  bool fired() const noexcept { return fired_; }

 private:
  void watch(std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
    fired_ = true;
    for (amqp::container* c : watched_) c->stop();
    if (cv_.wait_for(lock, 10s, [this] { return done_; })) return;
    std::fprintf(stderr, "watchdog: the containers did not stop\n");
    std::abort();
  }

  std::vector<amqp::container*> watched_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};

// A message whose amqp-value body is the number `n`.
inline message numbered_message(std::int64_t n) {
  message m;
  m.set_value(value(n));
  return m;
}

inline message text_message(std::string_view text) {
  message m;
  m.set_value(value(text));
  return m;
}

// The number of a numbered_message; -1 for anything else.
inline std::int64_t number_of(const message& m) {
  if (m.body.size() != 1) return -1;
  const std::int64_t* n = m.body[0].get_if<std::int64_t>();
  return n ? *n : -1;
}

inline std::string text_of(const message& m) {
  if (m.body.size() != 1) return {};
  const std::string* s = m.body[0].get_if<std::string>();
  return s ? *s : std::string();
}

inline bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

inline std::string error_text(const messaging_event& e) {
  return e.error() ? e.error()->to_string() : std::string();
}

// A free port on 127.0.0.1 that nothing listens on (one the system just gave and took back).
inline std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), size), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size), 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// "<prefix><n>", without the operator+ that g++ 12 warns about wrongly (-Wrestrict).
inline std::string numbered(std::string_view prefix, long long n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

inline std::string local_url(std::uint16_t port, std::string_view address = {}) {
  std::string u = "amqp://127.0.0.1:" + std::to_string(port);
  if (!address.empty()) {
    u += '/';
    u += address;
  }
  return u;
}

// A broker for tests: every connection, session and link is answered. Messages sent to an
// address are stored in its queue in order and accepted; bodies "reject" and "release" get
// those outcomes instead; on the address "hold" nothing is settled, and on "nocredit" no
// credit is given. A link that reads from an address gets its queue, as credit allows. Server
// connections may run on several threads: its state is behind a mutex.
class test_broker : public messaging_handler {
 public:
  std::mutex mutex;
  std::map<std::string, std::deque<message>> queues;
  std::map<std::string, std::int64_t> next_number;  // the number expected next, by address
  std::size_t received = 0;
  std::size_t out_of_order = 0;
  std::size_t opened = 0;
  std::size_t closed = 0;
  std::vector<std::string> errors;
  std::uint32_t credit_window = 100;
  // Runs after a message was stored, on its connection's thread, without the mutex.
  std::function<void(messaging_event&, std::size_t received)> after_message;
  std::function<void(messaging_event&)> after_open;

  void on_connection_opened(messaging_event& e) override {
    {
      std::lock_guard lock(mutex);
      ++opened;
    }
    if (after_open) after_open(e);
  }
  void on_connection_closed(messaging_event&) override {
    std::lock_guard lock(mutex);
    ++closed;
  }
  void on_transport_error(messaging_event& e) override { note(e); }
  void on_connection_error(messaging_event& e) override { note(e); }
  void on_link_error(messaging_event& e) override { note(e); }

  void on_link_opened(messaging_event& e) override {
    const std::string address = e.link().address();
    if (e.receiver().is_set()) {
      const bool hold = address == "hold";
      e.receiver().open({.credit_window = address == "nocredit" ? 0 : credit_window,
                         .auto_accept = !hold,
                         .auto_settle = !hold});
      return;
    }
    e.sender().open();
    std::lock_guard lock(mutex);
    readers_.emplace_back(address, e.sender());
  }
  void on_link_closed(messaging_event& e) override {
    if (!e.sender().is_set()) return;
    std::lock_guard lock(mutex);
    std::erase_if(readers_, [&](const auto& r) { return r.second == e.sender(); });
  }
  void on_sendable(messaging_event& e) override { pump(e.sender()); }

  void on_message(messaging_event& e) override {
    const message& m = e.message();
    const std::string address = e.receiver().address();
    const std::string text = text_of(m);
    if (text == "reject") {
      (void)e.delivery().reject(condition{"amqp:precondition-failed", "rejected on request", {}});
      return;
    }
    if (text == "release") {
      (void)e.delivery().release();
      return;
    }
    std::vector<amqp::sender> to_pump;
    std::size_t count = 0;
    {
      std::lock_guard lock(mutex);
      count = ++received;
      const std::int64_t n = number_of(m);
      if (n >= 0) {
        std::int64_t& expected = next_number[address];
        if (n != expected) ++out_of_order;
        expected = n + 1;
      }
      queues[address].push_back(m);
      for (auto& [where, s] : readers_)
        if (where == address) to_pump.push_back(s);
    }
    for (amqp::sender& s : to_pump) {
      if (s.connection() == e.connection()) {
        pump(s);
      } else {
        (void)s.connection().post([this, s]() mutable { pump(s); });
      }
    }
    if (after_message) after_message(e, count);
  }

  std::size_t stored(const std::string& address) {
    std::lock_guard lock(mutex);
    return queues[address].size();
  }

 private:
  void note(messaging_event& e) {
    std::lock_guard lock(mutex);
    errors.push_back(error_text(e));
  }
  // On the sender's connection thread.
  void pump(amqp::sender s) {
    std::lock_guard lock(mutex);
    std::deque<message>& q = queues[s.address()];
    while (!q.empty() && s.credit() > 0) {
      if (!s.send(q.front())) break;
      q.pop_front();
    }
  }

  std::vector<std::pair<std::string, amqp::sender>> readers_;
};

}  // namespace amqp::test
