// The sender of the interoperability matrix on Qpid Proton C++ (conformance/interop/README.md):
// one message per value of the values file, in order, sent unsettled; exits 0 once the peer
// accepted every one.
//
//   proton-cpp-interop-sender --url URL --address ADDRESS --values FILE [connection options]
//
// Prints {"sent": N, "unsupported": [...]} (a value Proton's encoder refuses is not sent), or
// {"error": ...} and exits 1.
#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/error.hpp>
#include <proton/error_condition.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/sender.hpp>
#include <proton/sender_options.hpp>
#include <proton/tracker.hpp>
#include <proton/transport.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <iostream>
#include <map>
#include <string>
#include <utility>

#include "options.hpp"
#include "typed_json.hpp"

namespace {

// Makes `m` the message of values[index] (README "Messages"). In place: a copy of a
// proton::message loses a null body (it holds no value, and the copy sends no body section).
void fill_message(proton::message& m, std::size_t index, const interop::json& typed) {
  m.id("interop-" + std::to_string(index));
  m.properties().put("index", static_cast<std::int32_t>(index));
  if (interop::property_allowed(typed))
    m.properties().put("value", interop::proton_cpp::to_scalar(typed));
  interop::proton_cpp::encode(typed, m.body());
}

// A deque, whose elements stay where they were made: a vector would copy them as it grows.
using message_store = std::deque<proton::message>;

class interop_sender : public proton::messaging_handler {
 public:
  interop_sender(const interop::shim_args& args, message_store messages)
      : args_(args), messages_(std::move(messages)) {}

  // Why the run failed; empty when every message was accepted.
  const std::string& error() const { return error_; }

  void on_container_start(proton::container& c) override {
    proton::connection conn = c.connect(args_.url, interop::proton_cpp::connection_options(args_));
    conn.open_sender(args_.address,
                     proton::sender_options().delivery_mode(proton::delivery_mode::AT_LEAST_ONCE));
  }

  void on_sender_open(proton::sender& s) override {
    if (messages_.empty()) finish(s.connection());
  }

  void on_sendable(proton::sender& s) override {
    while (s.credit() > 0 && next_ < messages_.size()) {
      const proton::tracker t = s.send(messages_[next_]);
      in_flight_.emplace(t, next_++);
    }
  }

  void on_tracker_accept(proton::tracker& t) override {
    in_flight_.erase(t);
    if (++accepted_ == messages_.size()) finish(t.connection());
  }
  void on_tracker_reject(proton::tracker& t) override { refused(t, "rejected"); }
  // Released or modified: Proton reports both here.
  void on_tracker_release(proton::tracker& t) override { refused(t, "released"); }

  void on_transport_error(proton::transport& t) override { fail("transport: " + t.error().what()); }
  void on_connection_error(proton::connection& c) override {
    fail("peer closed the connection with " + c.error().what());
  }
  void on_session_error(proton::session& s) override {
    fail("peer closed the session with " + s.error().what());
  }
  void on_sender_error(proton::sender& s) override {
    fail("peer closed the link with " + s.error().what());
  }
  void on_connection_close(proton::connection&) override {
    if (!done_ && error_.empty())
      error_ = "connection closed after " + std::to_string(accepted_) + " of " +
               std::to_string(messages_.size()) + " messages were accepted";
  }

 private:
  void refused(proton::tracker& t, const char* outcome) {
    auto it = in_flight_.find(t);
    const std::size_t index = it == in_flight_.end() ? next_ : it->second;
    fail("interop-" + std::to_string(index) + " was " + outcome);
    t.connection().close();
  }

  void finish(proton::connection c) {
    done_ = true;
    c.close();
  }

  // Keeps the first reason: what follows it is its echo. Proton closes what failed itself.
  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }

  const interop::shim_args& args_;
  message_store messages_;
  std::size_t next_ = 0;
  std::size_t accepted_ = 0;
  std::map<proton::tracker, std::size_t> in_flight_;
  bool done_ = false;
  std::string error_;
};

int fail(const std::string& why) {
  std::cout << interop::error_line(why) << std::endl;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  interop::shim_args args;
  if (std::string why = interop::parse(argc, argv, interop::shim_role::sender, args); !why.empty())
    return fail(why);

  interop::json values;
  try {
    values = interop::load_values(args.values);
  } catch (const interop::bad_value& e) {
    return fail(e.what());
  }
  message_store messages;
  interop::json unsupported = interop::json::array();
  for (std::size_t i = 0; i < values.size(); ++i) {
    try {
      fill_message(messages.emplace_back(), i, values[i]);
    } catch (const interop::bad_value& e) {
      return fail(args.values + ", value " + std::to_string(i) + ": " + e.what());
    } catch (const proton::error& e) {
      // Proton's encoder refused it: a value this API cannot express.
      messages.pop_back();
      unsupported.push_back(
          {{"index", i}, {"type", interop::type_of(values[i])}, {"why", e.what()}});
    }
  }
  values = {};  // the messages hold the large values now

  const std::size_t count = messages.size();
  interop_sender handler(args, std::move(messages));
  try {
    proton::container(handler).run();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  if (!handler.error().empty()) return fail(handler.error());
  std::cout << interop::json{{"sent", count}, {"unsupported", std::move(unsupported)}}.dump()
            << std::endl;
  return 0;
}
