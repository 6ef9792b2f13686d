// The case clients' helper layer: a case is written as the straight sequence its text
// describes (connect, attach, send, wait for the messages), on a thread of its own, while the
// container runs its connections on another. Every handler call is written down; the case
// waits for what it expects, within the time the case may take, and the first error it did
// not expect, or the deadline, ends it as a failure that names what was seen.
//
//   verdict link_credit(script& s) {
//     amqp::connection c = s.open();
//     s.put(c, s.p.address, numbered(10));
//     amqp::receiver r = s.open_receiver(c, s.p.address, {.credit_window = 0});
//     s.call(c, [&] { return r.add_credit(4); });
//     auto first = s.receive(c, r, 4);
//     ...
//   }
//
// Handles are used on their connection's thread only: s.call(c, f) runs f there and returns
// its result.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "amqp/messaging/container.hpp"
#include "wire.hpp"

namespace conformance {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// What the runner passes (conformance/lib/cases.py): where and how to connect, fresh
// addresses, the time the whole case may take, and the case's own parameters.
struct params {
  std::string url, ca, server_name, cert, key, user, password, mechs;
  bool sasl = true;
  std::string address, address2;
  std::chrono::milliseconds timeout{30'000};
  nlohmann::json all;  // every parameter, the case's own among them

  static params from_json(const nlohmann::json& j);
  template <class T>
  T get(const char* name, T fallback) const {
    return all.contains(name) ? all.at(name).get<T>() : fallback;
  }
};

struct verdict {
  enum class kind : std::uint8_t { pass, fail, not_applicable };
  kind result = kind::fail;
  std::string evidence;
};
inline verdict pass(std::string evidence) { return {verdict::kind::pass, std::move(evidence)}; }
inline verdict fail(std::string evidence) { return {verdict::kind::fail, std::move(evidence)}; }
inline verdict not_applicable(std::string evidence) {
  return {verdict::kind::not_applicable, std::move(evidence)};
}

// Ends the case from anywhere inside it with a verdict.
struct case_over : std::exception {
  explicit case_over(verdict given) : v(std::move(given)) {}
  const char* what() const noexcept override { return v.evidence.c_str(); }
  verdict v;
};
[[noreturn]] inline void fail_now(std::string evidence) {
  throw case_over(fail(std::move(evidence)));
}

// One handler call, as the case's thread sees it.
struct happening {
  std::string what;  // the handler's name: "on_message", "on_link_error" ...
  amqp::connection connection;
  amqp::session session;
  amqp::link link;
  amqp::tracker tracker;
  amqp::delivery delivery;
  amqp::transaction transaction;
  std::optional<amqp::condition> error;
  bool by_peer = false;  // the error came in the peer's close, end or detach
  std::optional<amqp::message> message;
  bool settled_on_arrival = false;  // on_message: the sender sent it settled
  bool taken = false;               // on_message: a receive() returned it
};

// "session ended by the peer: amqp:internal-error: ...": an error happening, for the evidence.
std::string describe(const happening& h);
// "amqp:not-found: no such queue", without what a transport's error says of host and port.
std::string condition_text(const std::optional<amqp::condition>& c);

class script final : public amqp::messaging_handler {
 public:
  // Starts the container of the binding `io` ("asio" or "libevent") on its own thread.
  script(params p, const std::string& io);
  ~script() override;
  script(const script&) = delete;
  script& operator=(const script&) = delete;

  const params p;

  // --- connections ------------------------------------------------------------------------------
  // Options from the parameters: SASL and TLS as given, no reconnect, a short close timeout.
  amqp::connection_options options() const;
  // Connects to the URL with `o`; each connection gets a container id and a frame trace of its
  // own (the container id is made from the address, so it is unique to the run).
  amqp::connection connect(amqp::connection_options o);
  // Connects and waits for the peer's open.
  amqp::connection open(amqp::connection_options o);
  amqp::connection open() { return open(options()); }
  void wait_opened(const amqp::connection& c);
  // Closes (with `error`) and waits for the peer's close; an error in it ends the case.
  void close(const amqp::connection& c, std::optional<amqp::condition> error = std::nullopt);

  // Runs `f` on the connection's thread and returns what it returned.
  template <class F>
  auto call(const amqp::connection& c, F f) -> decltype(f());

  // --- links ------------------------------------------------------------------------------------
  // Opens a link on `on` (the connection's default session when unset) and waits for the
  // peer's attach; a refusal ends the case.
  amqp::sender open_sender(const amqp::connection& c, const std::string& address,
                           const amqp::sender_options& o = {}, amqp::session on = {});
  amqp::receiver open_receiver(const amqp::connection& c, const std::string& address,
                               const amqp::receiver_options& o = {}, amqp::session on = {});
  void wait_link(const amqp::connection& c, const amqp::link& l);
  // Closes the link (or only detaches it) and waits for the peer's detach, without error.
  void close_link(const amqp::connection& c, const amqp::link& l, bool detach_only = false);
  void close_session(const amqp::connection& c, const amqp::session& s);

  // --- messages ---------------------------------------------------------------------------------
  // Hands the messages to the sender as its credit allows; returns once all are sent.
  std::vector<amqp::tracker> send(const amqp::connection& c, const amqp::sender& s,
                                  std::vector<amqp::message> messages);
  // Waits until each was accepted and settled; another outcome ends the case.
  void confirm(const amqp::connection& c, const std::vector<amqp::tracker>& trackers);
  // Sends the messages to `address` at least once through a sender of its own, and closes it.
  void put(const amqp::connection& c, const std::string& address,
           std::vector<amqp::message> messages);
  // Waits for `n` messages on `r` not returned before, and returns them. `what` names them in
  // the evidence of a timeout ("A again after it was released").
  std::vector<happening> receive(const amqp::connection& c, const amqp::receiver& r,
                                 std::size_t n, const std::string& what = "");
  // Waits `d` (less when the deadline is nearer) and returns what arrived on `r` meanwhile.
  std::vector<happening> extras(const amqp::connection& c, const amqp::receiver& r,
                                std::chrono::milliseconds d);

  // --- waiting ----------------------------------------------------------------------------------
  // Waits until `done` holds, called under the lock each time something happened. An error on
  // `c`, or an end of it or of one of its endpoints that the case did not ask for, ends the case
  // naming it; the deadline ends it as "timed out waiting for <what>".
  void wait(const amqp::connection& c, const std::string& what, const std::function<bool()>& done);
  // The same without watching any connection.
  void wait_any(const std::string& what, const std::function<bool()>& done);
  // What happened to `c` so far ends the case no more (the errors a reconnect got over).
  void forget_errors(const amqp::connection& c);
  // Waits until `done` holds (true) or `until` (or the deadline) passed (false); errors on `c`
  // end the case when `c` is given.
  bool await(const amqp::connection* c, clock_type::time_point until,
             const std::function<bool()>& done);
  // Stays idle for `d` (less when the deadline is nearer), failing on errors on `c`.
  void idle(const amqp::connection& c, std::chrono::milliseconds d);
  // The same, watching no connection.
  void pause(std::chrono::milliseconds d);
  // The first happening named `what` concerning `c` (and `l` when set); null if none. Under the
  // lock (inside a `done`).
  happening* find(const amqp::connection& c, const std::string& what, const amqp::link& l = {});
  // What was seen so far; under the lock.
  std::vector<happening>& log() { return log_; }
  // The frame trace of `c`; under the lock.
  const wire& wire_of(const amqp::connection& c);
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }
  clock_type::time_point deadline() const { return deadline_; }

  // Called on the connection's thread at each handler call, before it is written down (under
  // no lock): what a case does inside the handler. Set before connecting, never reset: it may
  // be called until finish(), so it owns what it uses.
  std::function<void(const std::string& what, amqp::messaging_event& e)> hook;

  // Stops the container and waits for its thread; the destructor does it otherwise.
  void finish();

 private:
  void record(const char* what, amqp::messaging_event& e);
  void pump(amqp::sender s);  // sends what waits for `s`, as its credit allows
  // The first error or end on `c` the case did not ask for, described; under the lock.
  std::optional<std::string> fatal(const amqp::connection& c);

  void on_connection_opened(amqp::messaging_event& e) override { record("on_connection_opened", e); }
  void on_connection_closed(amqp::messaging_event& e) override { record("on_connection_closed", e); }
  void on_connection_error(amqp::messaging_event& e) override { record("on_connection_error", e); }
  void on_session_opened(amqp::messaging_event& e) override { record("on_session_opened", e); }
  void on_session_closed(amqp::messaging_event& e) override { record("on_session_closed", e); }
  void on_session_error(amqp::messaging_event& e) override { record("on_session_error", e); }
  void on_link_opened(amqp::messaging_event& e) override { record("on_link_opened", e); }
  void on_link_closed(amqp::messaging_event& e) override { record("on_link_closed", e); }
  void on_link_error(amqp::messaging_event& e) override { record("on_link_error", e); }
  void on_sendable(amqp::messaging_event& e) override;
  void on_receiver_drained(amqp::messaging_event& e) override { record("on_receiver_drained", e); }
  void on_message(amqp::messaging_event& e) override { record("on_message", e); }
  void on_accepted(amqp::messaging_event& e) override { record("on_accepted", e); }
  void on_rejected(amqp::messaging_event& e) override { record("on_rejected", e); }
  void on_released(amqp::messaging_event& e) override { record("on_released", e); }
  void on_modified(amqp::messaging_event& e) override { record("on_modified", e); }
  void on_settled(amqp::messaging_event& e) override { record("on_settled", e); }
  void on_in_doubt(amqp::messaging_event& e) override { record("on_in_doubt", e); }
  void on_transport_error(amqp::messaging_event& e) override { record("on_transport_error", e); }
  void on_disconnected(amqp::messaging_event& e) override { record("on_disconnected", e); }
  void on_reconnected(amqp::messaging_event& e) override { record("on_reconnected", e); }
  void on_transaction_declared(amqp::messaging_event& e) override {
    record("on_transaction_declared", e);
  }
  void on_transaction_committed(amqp::messaging_event& e) override {
    record("on_transaction_committed", e);
  }
  void on_transaction_aborted(amqp::messaging_event& e) override {
    record("on_transaction_aborted", e);
  }
  void on_transaction_declare_failed(amqp::messaging_event& e) override {
    record("on_transaction_declare_failed", e);
  }
  void on_transaction_commit_failed(amqp::messaging_event& e) override {
    record("on_transaction_commit_failed", e);
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  clock_type::time_point deadline_;
  // Declared before the container: the engines trace into them until it is gone.
  std::map<std::string, std::unique_ptr<wire>> wires_;  // by container id
  int connections_ = 0;
  std::unique_ptr<amqp::container> container_;
  std::thread loop_;
  bool finished_ = false;
  // Handles: released before the container goes.
  std::vector<happening> log_;
  std::vector<amqp::link> closing_links_;
  std::vector<amqp::session> closing_sessions_;
  std::vector<amqp::connection> closing_connections_;
  std::map<std::string, std::size_t> watched_from_;  // by container id: where fatal() looks
  struct outbox {
    amqp::sender sender;
    std::deque<amqp::message> waiting;
    std::vector<amqp::tracker> sent;
    std::string failure;  // why sender::send refused one
  };
  std::vector<outbox> outboxes_;
};

template <class F>
auto script::call(const amqp::connection& c, F f) -> decltype(f()) {
  using result_type = decltype(f());
  auto task = std::make_shared<std::packaged_task<result_type()>>(std::move(f));
  std::future<result_type> done = task->get_future();
  if (!c.post([task] { (*task)(); })) {
    std::optional<std::string> why;
    {
      std::lock_guard<std::mutex> hold(mutex_);
      why = fatal(c);
    }
    fail_now(why ? *why : "the connection is closed");
  }
  if (done.wait_until(deadline_) == std::future_status::timeout)
    fail_now("timed out waiting for the connection's thread");
  return done.get();
}

// --- output --------------------------------------------------------------------------------------

// {"progress": "sent", "count": N}, unless the verdict was printed already.
void print_progress(int count);
// The verdict line, its evidence without the run's fresh names and the broker's port.
void print_verdict(const verdict& v, const params& p);

// --- messages the cases send ---------------------------------------------------------------------

// A message whose body is the amqp-value `text`.
amqp::message text_message(std::string_view text);
// A message with a binary body of `size` bytes, byte i being (i*31+7) mod 256.
amqp::message binary_message(std::size_t size);
// Whether `m` has that binary body.
bool has_pattern_body(const amqp::message& m, std::size_t size);
// The amqp-value string body of `m`; empty when it has another.
std::string body_text(const amqp::message& m);
// Messages with the texts "m-0", "m-1" ...
std::vector<amqp::message> numbered(int count);
// The bodies of received messages, "m-0, m-1" (a binary one as "<N-byte binary>").
std::string bodies(const std::vector<happening>& got);

}  // namespace conformance
