// Fuzz target: the example broker's selector parser and evaluator (examples/broker/selector.hpp)
// on arbitrary text.
//
// Oracles (a mismatch traps):
// - an error has a non-empty one-line message of printable ASCII and a position within the
//   input (exactly max_length for a selector refused for its length);
// - a parsed selector evaluates against a few fixed messages (with and without properties,
//   every value type a property can have) without trapping, and matches() agrees with
//   evaluate();
// - its printed form parses again, prints the same (a fixed point), and evaluates the same
//   against every message.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/message.hpp"
#include "selector.hpp"

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "selector oracle broken: %s\n", what);
  std::fflush(stderr);
  __builtin_trap();
}
void check(bool ok, const char* what) {
  if (!ok) broken(what);
}

struct fixed_message {
  std::vector<std::uint8_t> bytes;
  amqp::message_view view;
};

std::unique_ptr<fixed_message> make(const amqp::message& m) {
  auto out = std::make_unique<fixed_message>();
  amqp::writer w;
  if (amqp::encode_message(w, m)) broken("a fixed message does not encode");
  out->bytes.assign(w.view().begin(), w.view().end());
  auto v = amqp::decode_message({out->bytes.data(), out->bytes.size()});
  if (!v) broken("a fixed message does not decode");
  out->view = *v;
  return out;
}

const std::vector<std::unique_ptr<fixed_message>>& messages() {
  static const auto all = [] {
    std::vector<std::unique_ptr<fixed_message>> out;
    amqp::message rich;
    rich.set_value(amqp::value("body"));
    rich.header = amqp::spec::header{.durable = true, .priority = 9};
    rich.properties.message_id = std::uint64_t{7};
    rich.properties.correlation_id = "corr";
    rich.properties.subject = "type";
    rich.properties.creation_time = amqp::timestamp{-5};
    rich.application_properties = {
        {"a", std::int32_t{1}},
        {"b", "text"},
        {"c", true},
        {"d", 2.5},
        {"e", std::numeric_limits<std::int64_t>::min()},
        {"f", std::numeric_limits<std::uint64_t>::max()},
        {"g", amqp::value::sym("sym")},
        {"h", std::numeric_limits<double>::quiet_NaN()},
        {"i", std::uint8_t{200}},
        {"j", amqp::value::bin({})},
        {"k", "\xc3\xa9t\xc3\xa9%_"},
        {"colour", "green"},
        {"x", 0.0f},
    };
    out.push_back(make(rich));
    amqp::message sparse;
    sparse.application_properties = {{"a", std::int64_t{-3}}, {"b", ""}, {"c", false}};
    out.push_back(make(sparse));
    out.push_back(make(amqp::message{}));
    return out;
  }();
  return all;
}

bool printable_line(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const broker::selector_limits limits{};
  auto s = broker::selector::parse(text, limits);
  if (!s) {
    const broker::selector_error& e = s.error();
    check(printable_line(e.message), "an error message is not one printable line");
    if (size > limits.max_length)
      check(e.position == limits.max_length, "a long selector's error is not at the limit");
    else
      check(e.position <= size, "an error position is past the input");
    return 0;
  }

  std::array<broker::truth, 3> truths{};
  for (std::size_t i = 0; i < messages().size(); ++i) {
    const amqp::message_view& m = messages()[i]->view;
    truths[i] = s->evaluate(m);
    check(s->matches(m) == (truths[i] == broker::truth::true_), "matches disagrees");
  }

  const std::string printed = s->to_string();
  auto again = broker::selector::parse(printed, {.max_length = printed.size() + 1,
                                                 .max_depth = limits.max_depth});
  if (!again) {
    std::fprintf(stderr, "printed: %s\nerror: %s\n", printed.c_str(),
                 again.error().to_string().c_str());
    broken("the printed selector does not parse");
  }
  check(again->to_string() == printed, "printing is not a fixed point");
  for (std::size_t i = 0; i < messages().size(); ++i)
    check(again->evaluate(messages()[i]->view) == truths[i],
          "the printed selector evaluates differently");
  return 0;
}
