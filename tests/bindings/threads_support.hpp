// What the tests of a container's threads share. overlap_check counts the handler calls in
// progress per connection (a second one entering while one is under way on the same connection
// is an overlap, which no binding may allow) and notes every thread a call came on;
// checked_broker is the test broker with every call checked; busy_sender sends until stopped
// and posted_sender sends what other threads hand it through connection::post.
#pragma once

#include <atomic>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "container_support.hpp"

namespace amqp::test {

// The handler calls in progress per connection, and the threads they came on. Each call
// lingers a little so that an overlap, if possible, has time to happen.
class overlap_check {
 public:
  class scope {
   public:
    scope(overlap_check& check, const connection& c) : check_(check), busy_(check.flag(c)) {
      if (busy_->fetch_add(1) != 0) ++check_.overlaps;
      check_.note_thread();
      for (int i = 0; i < 20; ++i) std::this_thread::yield();
    }
    ~scope() { busy_->fetch_sub(1); }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    overlap_check& check_;
    std::shared_ptr<std::atomic<int>> busy_;
  };

  std::atomic<int> overlaps{0};
  std::size_t threads() {
    std::lock_guard lock(mutex_);
    return threads_.size();
  }

 private:
  std::shared_ptr<std::atomic<int>> flag(const connection& c) {
    std::lock_guard lock(mutex_);
    for (auto& [known, f] : flags_)
      if (known == c) return f;
    flags_.emplace_back(c, std::make_shared<std::atomic<int>>(0));
    return flags_.back().second;
  }
  void note_thread() {
    std::lock_guard lock(mutex_);
    threads_.insert(std::this_thread::get_id());
  }

  std::mutex mutex_;
  std::vector<std::pair<connection, std::shared_ptr<std::atomic<int>>>> flags_;
  std::set<std::thread::id> threads_;
};

// The test broker, every call checked.
struct checked_broker : test_broker {
  overlap_check& check;
  explicit checked_broker(overlap_check& c) : check(c) {}
  void on_connection_opened(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    test_broker::on_connection_opened(e);
  }
  void on_connection_closed(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    test_broker::on_connection_closed(e);
  }
  void on_link_opened(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    test_broker::on_link_opened(e);
  }
  void on_sendable(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    test_broker::on_sendable(e);
  }
  void on_message(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    test_broker::on_message(e);
  }
};

// Senders that send until told to stop, one per connection; the handler's state is per
// connection or atomic, since a loop on several threads may call it on two threads at once.
struct busy_sender : messaging_handler {
  overlap_check& check;
  std::atomic<int> opened{0};
  std::atomic<int> closed{0};
  std::atomic<int> accepted{0};
  std::atomic<int> errors{0};
  std::promise<void> all_open;
  int connections = 0;
  std::uint16_t port = 0;
  explicit busy_sender(overlap_check& c) : check(c) {}

  // The handles connect() returns are used at once: on_start runs before the loop's threads.
  void on_start(messaging_event& e) override {
    for (int i = 0; i < connections; ++i)
      e.container().open_sender(local_url(port, numbered("q", i)));
  }

  void on_link_opened(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    if (++opened == connections) all_open.set_value();
  }
  void on_sendable(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    amqp::sender snd = e.sender();
    while (snd.credit() > 0)
      if (!snd.send(numbered_message(1))) break;
  }
  void on_accepted(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    ++accepted;
  }
  void on_connection_closed(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    ++closed;
  }
  void on_transport_error(messaging_event&) override { ++errors; }
  void on_connection_error(messaging_event&) override { ++errors; }
};

// Each connection's sender sends what other threads hand it through connection::post: a
// queue per connection, touched only where that connection's handler calls run (its posted
// work and on_sendable).
struct posted_sender : messaging_handler {
  struct link_state {
    amqp::sender sender;
    std::deque<std::int64_t> waiting;
    int accepted = 0;
  };
  overlap_check& check;
  int per_connection = 0;
  std::vector<std::unique_ptr<link_state>> links;
  std::atomic<int> closed{0};
  std::atomic<int> errors{0};
  std::function<void()> all_closed;
  explicit posted_sender(overlap_check& c) : check(c) {}

  link_state& state_of(const amqp::sender& s) {
    for (auto& l : links)
      if (l->sender == s) return *l;
    std::abort();  // every sender is made before run
  }
  // Where the connection's handler calls run.
  void give(link_state& l, std::int64_t n) {
    overlap_check::scope s(check, l.sender.connection());
    l.waiting.push_back(n);
    drain(l);
  }
  void drain(link_state& l) {
    while (!l.waiting.empty() && l.sender.credit() > 0) {
      if (!l.sender.send(numbered_message(l.waiting.front()))) {
        ++errors;
        return;
      }
      l.waiting.pop_front();
    }
  }
  void on_sendable(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    drain(state_of(e.sender()));
  }
  void on_accepted(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    if (++state_of(e.sender()).accepted == per_connection) e.connection().close();
  }
  void on_connection_closed(messaging_event& e) override {
    overlap_check::scope s(check, e.connection());
    if (++closed == static_cast<int>(links.size()) && all_closed) all_closed();
  }
  void on_transport_error(messaging_event&) override { ++errors; }
  void on_connection_error(messaging_event&) override { ++errors; }
  void on_link_error(messaging_event&) override { ++errors; }
};

}  // namespace amqp::test
