// The receiver of the interoperability matrix on this library (conformance/interop/README.md):
// takes --count messages, accepting each, and prints one line per message as it arrives:
//
//   {"index": 7, "body": TYPED, "property": TYPED}      ("property" null when absent)
//
//   amqp-interop-receiver --url URL --address ADDRESS --count N --timeout SECONDS
//                         [connection options] [--io asio|libevent]
//
// On a timeout or failure it prints {"error": ...} and exits 1.
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "options.hpp"
#include "typed_json.hpp"

namespace {

// The application property `name`, if present (map_view::find cannot tell an absent property
// from a null one, and null is one of the values sent).
std::optional<amqp::value_view> property(const amqp::message_view& m, std::string_view name) {
  if (m.application_properties.type() != amqp::kind::map) return std::nullopt;
  for (auto [key, value] : m.application_properties.as_map())
    if (key.type() == amqp::kind::string && key.as_string() == name) return value;
  return std::nullopt;
}

interop::json body_json(const amqp::message_view& m) {
  if (m.body == amqp::body_kind::amqp_value) return interop::ours::to_json(m.value());
  if (m.body == amqp::body_kind::none) return interop::unrepresentable("no body section");
  const char* what = m.body == amqp::body_kind::data ? " data" : " amqp-sequence";
  return interop::unrepresentable("the body is " + std::to_string(m.body_count) + what +
                                  " section(s), not an amqp-value");
}

interop::json line_of(const amqp::message_view& m) {
  interop::json line;
  const auto index = property(m, "index");
  if (index && index->type() == amqp::kind::int_)
    line["index"] = index->as_int();
  else
    line["index"] = nullptr;
  line["body"] = body_json(m);
  const auto value = property(m, "value");
  line["property"] = value ? interop::ours::to_json(*value) : interop::json();
  return line;
}

// Its error() is empty when --count messages arrived.
class interop_receiver : public interop::ours::shim_handler {
 public:
  explicit interop_receiver(const interop::ours::start_up& start)
      : start_(start), args_(start.args) {}

  void on_start(amqp::messaging_event& e) override {
    amqp::connection c = e.container().connect(start_.url, start_.options);
    // Credit for exactly --count, granted once (on_link_opened): no message beyond it is
    // taken from the queue, and no top-up races the broker's transfers (RabbitMQ 3.10 sends
    // one transfer too many when credit is re-granted while it is sending).
    c.open_receiver(args_.address,
                    {.mode = amqp::delivery_mode::at_least_once, .credit_window = 0});
    amqp::container& container = e.container();
    container.schedule(args_.timeout, [this, &container] {
      if (received_ != args_.count)
        note("timed out after " + std::to_string(args_.timeout.count()) + " ms with " +
             std::to_string(received_) + " of " + std::to_string(args_.count) + " messages");
      container.stop();
    });
  }

  void on_link_opened(amqp::messaging_event& e) override {
    if (args_.count == 0) return e.connection().close();
    (void)e.receiver().add_credit(static_cast<std::uint32_t>(args_.count));
  }

  void on_message(amqp::messaging_event& e) override {
    std::cout << line_of(*e.view()).dump() << std::endl;
    (void)e.delivery().accept();
    if (++received_ == args_.count) e.connection().close();
  }

  // The last event of the run: the timeout is not waited for.
  void on_connection_closed(amqp::messaging_event& e) override {
    if (received_ != args_.count)
      note("connection closed after " + std::to_string(received_) + " of " +
           std::to_string(args_.count) + " messages");
    e.container().stop();
  }
  // The transport is gone without a close (after a transport error): nothing more will come.
  void on_disconnected(amqp::messaging_event& e) override { e.container().stop(); }

 private:
  const interop::ours::start_up& start_;
  const interop::shim_args& args_;
  std::size_t received_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const auto start = interop::ours::start(argc, argv, interop::shim_role::receiver);
  if (!start) return 1;
  interop_receiver handler(*start);
  interop::ours::make_container(start->args, handler)->run();
  if (!handler.error().empty()) return interop::ours::fail(handler.error());
  return 0;
}
