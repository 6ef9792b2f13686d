// The sender of the interoperability matrix on this library (conformance/interop/README.md):
// one message per value of the values file, in order, sent unsettled; exits 0 once the peer
// accepted every one.
//
//   amqp-interop-sender --url URL --address ADDRESS --values FILE [connection options]
//                       [--io asio|libevent]
//
// Prints {"sent": N, "unsupported": []}, or {"error": ...} and exits 1. Every type of the
// README has a value here, so nothing is ever unsupported.
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "options.hpp"
#include "typed_json.hpp"

namespace {

// The message of values[index] (README "Messages").
amqp::message make_message(std::size_t index, const interop::json& typed) {
  amqp::message m;
  m.properties.message_id = "interop-" + std::to_string(index);
  m.application_properties.emplace_back("index", static_cast<std::int32_t>(index));
  amqp::value v = interop::ours::to_value(typed);
  if (interop::property_allowed(typed)) m.application_properties.emplace_back("value", v);
  m.set_value(std::move(v));
  return m;
}

// Its error() is empty when every message was accepted.
class interop_sender : public interop::ours::shim_handler {
 public:
  interop_sender(const interop::ours::start_up& start, std::vector<amqp::message> messages)
      : start_(start), messages_(std::move(messages)) {}

  void on_start(amqp::messaging_event& e) override {
    amqp::connection c = e.container().connect(start_.url, start_.options);
    c.open_sender(start_.args.address, {.mode = amqp::delivery_mode::at_least_once});
  }

  void on_link_opened(amqp::messaging_event& e) override {
    if (messages_.empty()) finish(e);
  }

  void on_sendable(amqp::messaging_event& e) override {
    amqp::sender s = e.sender();
    while (s.credit() > 0 && next_ < messages_.size()) {
      auto t = s.send(messages_[next_]);
      if (!t) return fail(e, "sending " + id(next_) + ": " + t.error().message());
      in_flight_.emplace(*t, next_++);
    }
  }

  void on_accepted(amqp::messaging_event& e) override {
    in_flight_.erase(e.tracker());
    if (++accepted_ == messages_.size()) finish(e);
  }
  void on_rejected(amqp::messaging_event& e) override { refused(e, "rejected"); }
  void on_released(amqp::messaging_event& e) override { refused(e, "released"); }
  void on_modified(amqp::messaging_event& e) override { refused(e, "modified"); }
  void on_in_doubt(amqp::messaging_event& e) override {
    fail(e, id(index_of(e.tracker())) + " was left in doubt: the link or connection ended first");
  }

  void on_connection_closed(amqp::messaging_event&) override {
    if (!done_)
      note("connection closed after " + std::to_string(accepted_) + " of " +
           std::to_string(messages_.size()) + " messages were accepted");
  }

 private:
  static std::string id(std::size_t index) { return "interop-" + std::to_string(index); }

  std::size_t index_of(const amqp::tracker& t) const {
    auto it = in_flight_.find(t);
    return it == in_flight_.end() ? next_ : it->second;
  }

  void refused(amqp::messaging_event& e, const char* outcome) {
    std::string why = id(index_of(e.tracker())) + " was " + outcome;
    if (e.error()) why += ": " + e.error()->to_string();
    fail(e, why);
  }

  void finish(amqp::messaging_event& e) {
    done_ = true;
    e.connection().close();
  }

  const interop::ours::start_up& start_;
  std::vector<amqp::message> messages_;
  std::size_t next_ = 0;
  std::size_t accepted_ = 0;
  std::unordered_map<amqp::tracker, std::size_t> in_flight_;
  bool done_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  using interop::ours::fail;
  const auto start = interop::ours::start(argc, argv, interop::shim_role::sender);
  if (!start) return 1;
  const std::string& values_file = start->args.values;

  interop::json values;
  try {
    values = interop::load_values(values_file);
  } catch (const interop::bad_value& e) {
    return fail(e.what());
  }
  std::vector<amqp::message> messages;
  for (std::size_t i = 0; i < values.size(); ++i) {
    try {
      messages.push_back(make_message(i, values[i]));
    } catch (const interop::bad_value& e) {
      return fail(values_file + ", value " + std::to_string(i) + ": " + e.what());
    }
  }
  values = {};  // the messages hold the large values now

  const std::size_t count = messages.size();
  interop_sender handler(*start, std::move(messages));
  interop::ours::make_container(start->args, handler)->run();
  if (!handler.error().empty()) return fail(handler.error());
  std::cout << interop::json{{"sent", count}, {"unsupported", interop::json::array()}}.dump()
            << std::endl;
  return 0;
}
