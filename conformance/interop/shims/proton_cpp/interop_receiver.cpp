// The receiver of the interoperability matrix on Qpid Proton C++
// (conformance/interop/README.md): takes --count messages, accepting each, and prints one line
// per message as it arrives:
//
//   {"index": 7, "body": TYPED, "property": TYPED}      ("property" null when absent)
//
//   proton-cpp-interop-receiver --url URL --address ADDRESS --count N --timeout SECONDS
//                               [connection options]
//
// On a timeout or failure it prints {"error": ...} and exits 1.
#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/error.hpp>
#include <proton/error_condition.hpp>
#include <proton/message.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/receiver_options.hpp>
#include <proton/transport.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "options.hpp"
#include "typed_json.hpp"

namespace {

interop::json line_of(proton::message& m) {
  interop::json line;
  // Proton decodes the application properties into scalars only when asked: a property that
  // is no scalar makes that throw.
  try {
    const proton::scalar index = m.properties().exists("index") ? m.properties().get("index")
                                                                 : proton::scalar();
    if (index.type() == proton::INT)
      line["index"] = proton::get<std::int32_t>(index);
    else
      line["index"] = nullptr;
  } catch (const proton::error&) {
    line["index"] = nullptr;
  }
  // Proton keeps no record of the body's sections, only whether it inferred the body from
  // data or amqp-sequence sections.
  line["body"] = m.inferred() ? interop::unrepresentable(
                                    "the body is data or amqp-sequence sections, not an amqp-value")
                              : interop::proton_cpp::to_json(m.body());
  try {
    line["property"] = m.properties().exists("value")
                           ? interop::proton_cpp::to_json(m.properties().get("value"))
                           : interop::json();
  } catch (const proton::error& e) {
    line["property"] = interop::unrepresentable(std::string("Proton: ") + e.what());
  }
  return line;
}

class interop_receiver : public proton::messaging_handler {
 public:
  explicit interop_receiver(const interop::shim_args& args) : args_(args) {}

  // Why the run failed; empty when --count messages arrived.
  const std::string& error() const { return error_; }

  void on_container_start(proton::container& c) override {
    proton::connection conn = c.connect(args_.url, interop::proton_cpp::connection_options(args_));
    // Credit for exactly --count, granted once (on_receiver_open): no message beyond it is
    // taken from the queue, and no top-up races the broker's transfers.
    conn.open_receiver(args_.address, proton::receiver_options()
                                          .delivery_mode(proton::delivery_mode::AT_LEAST_ONCE)
                                          .credit_window(0));
  }

  // The watchdog stopped the run: a timeout, unless every message had arrived. It is the
  // reason, rather than the aborted connection the stop made.
  void timed_out() {
    if (received_ != args_.count)
      error_ = "timed out after " + std::to_string(args_.timeout.count()) + " ms with " +
               std::to_string(received_) + " of " + std::to_string(args_.count) + " messages";
  }

  void on_receiver_open(proton::receiver& r) override {
    if (args_.count == 0) return r.connection().close();
    r.add_credit(static_cast<std::uint32_t>(args_.count));
  }

  void on_message(proton::delivery& d, proton::message& m) override {
    std::cout << line_of(m).dump() << std::endl;
    d.accept();
    if (++received_ == args_.count) d.connection().close();
  }

  void on_transport_error(proton::transport& t) override {
    fail("transport: " + t.error().what());
  }
  void on_connection_error(proton::connection& c) override {
    fail("peer closed the connection with " + c.error().what());
  }
  void on_session_error(proton::session& s) override {
    fail("peer closed the session with " + s.error().what());
    s.connection().close();
  }
  void on_receiver_error(proton::receiver& r) override {
    fail("peer closed the link with " + r.error().what());
    r.connection().close();
  }
  void on_connection_close(proton::connection&) override {
    if (received_ != args_.count)
      fail("connection closed after " + std::to_string(received_) + " of " +
           std::to_string(args_.count) + " messages");
  }

 private:
  // Keeps the first reason: what follows it is its echo.
  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }

  const interop::shim_args& args_;
  std::size_t received_ = 0;
  std::string error_;
};

// Runs the container until it stops, or stops it after `timeout`; true when it timed out.
// (container::schedule would not do: a stopped container still waits for scheduled work to
// come due.)
bool run_with_timeout(proton::container& c, std::chrono::milliseconds timeout) {
  std::atomic<bool> timed_out{false};
  std::mutex mutex;
  std::condition_variable_any run_ended;
  {
    std::jthread watchdog([&](std::stop_token stop) {
      std::unique_lock lock(mutex);
      run_ended.wait_for(lock, stop, timeout, [] { return false; });
      if (stop.stop_requested()) return;
      timed_out = true;
      c.stop();
    });
    c.run();
  }  // asks the watchdog to stop and joins it
  return timed_out;
}

int fail(const std::string& why) {
  std::cout << interop::error_line(why) << std::endl;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  interop::shim_args args;
  if (std::string why = interop::parse(argc, argv, interop::shim_role::receiver, args);
      !why.empty())
    return fail(why);
  interop_receiver handler(args);
  try {
    proton::container container(handler);
    if (run_with_timeout(container, args.timeout)) handler.timed_out();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  if (!handler.error().empty()) return fail(handler.error());
  return 0;
}
