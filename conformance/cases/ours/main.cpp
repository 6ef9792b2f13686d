// amqp-conformance-client: plays one conformance case on our library and prints the verdict.
//
//   amqp-conformance-client --case NAME --params JSON [--io asio|libevent]
//
// The command line, the parameters and the output are those of conformance/lib/cases.py. The
// exit status is 0 whatever the verdict; 2 for a bad command line or parameters.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cases.hpp"

namespace {

using namespace conformance;

const case_entry* find_case(std::string_view name) {
  for (auto suite : {connection_cases(), session_cases(), link_cases(), transfer_cases(),
                     delivery_cases(), security_cases(), transaction_cases(), reconnect_cases()})
    for (const case_entry& c : suite)
      if (c.name == name) return &c;
  return nullptr;
}

int usage(std::string_view problem) {
  std::cerr << "amqp-conformance-client: " << problem << "\n"
            << "usage: amqp-conformance-client --case NAME --params JSON [--io asio|libevent]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string name, text, io = "asio";
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string* target = args[i] == "--case"     ? &name
                          : args[i] == "--params" ? &text
                          : args[i] == "--io"     ? &io
                                                  : nullptr;
    if (!target) return usage("unknown argument " + std::string(args[i]));
    if (++i == args.size()) return usage(std::string(args[i - 1]) + " needs a value");
    *target = std::string(args[i]);
  }
  if (io != "asio" && io != "libevent") return usage("--io takes asio or libevent");
  const case_entry* entry = find_case(name);
  if (!entry) return usage("no case named \"" + name + "\"");
  params p;
  try {
    p = params::from_json(nlohmann::json::parse(text.empty() ? "{}" : text));
  } catch (const nlohmann::json::exception& e) {
    return usage(std::string("bad --params: ") + e.what());
  }

  script s(p, io);
  verdict v;
  try {
    v = entry->run(s);
  } catch (const case_over& over) {
    v = over.v;
  } catch (const std::exception& e) {
    v = fail(std::string("client error: ") + e.what());
  }
  // Printed before the container closes what is still open: that may take the close timeout.
  print_verdict(v, p);
  s.finish();
  return 0;
}
