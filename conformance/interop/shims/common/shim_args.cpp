#include "shim_args.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

namespace interop {

std::vector<std::string> shim_args::mech_list() const {
  std::vector<std::string> out;
  std::string word;
  for (char c : mechs + ' ') {
    if (c != ' ' && c != ',') {
      word += c;
    } else if (!word.empty()) {
      out.push_back(std::move(word));
      word.clear();
    }
  }
  return out;
}

std::string parse(int argc, char** argv, shim_role role, shim_args& out,
                  const std::vector<std::string_view>& io_choices) {
  std::string count_text, timeout_text;
  std::map<std::string, std::string*, std::less<>> options{
      {"--url", &out.url},           {"--address", &out.address},
      {"--ca", &out.ca},             {"--cert", &out.cert},
      {"--key", &out.key},           {"--server-name", &out.server_name},
      {"--user", &out.user},         {"--password", &out.password},
      {"--mechs", &out.mechs}};
  if (role == shim_role::sender) {
    options.emplace("--values", &out.values);
  } else {
    options.emplace("--count", &count_text);
    options.emplace("--timeout", &timeout_text);
  }
  if (!io_choices.empty()) {
    out.io = std::string(io_choices.front());
    options.emplace("--io", &out.io);
  }

  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    auto it = options.find(name);
    if (it == options.end()) return "unknown option '" + std::string(name) + "'";
    if (i + 1 == argc) return std::string(name) + " needs a value";
    *it->second = argv[++i];
  }

  if (out.url.empty()) return "--url is required";
  if (!out.url.starts_with("amqp://") && !out.url.starts_with("amqps://"))
    return "--url must be amqp://host:port or amqps://host:port";
  if (out.address.empty()) return "--address is required";
  if (!io_choices.empty() && std::ranges::find(io_choices, out.io) == io_choices.end())
    return "--io: unknown binding '" + out.io + "'";
  if (role == shim_role::sender) {
    if (out.values.empty()) return "--values is required";
    return {};
  }
  const char* end = count_text.data() + count_text.size();
  auto [p, ec] = std::from_chars(count_text.data(), end, out.count);
  if (count_text.empty() || ec != std::errc() || p != end) return "--count takes a number";
  double seconds = 0;
  end = timeout_text.data() + timeout_text.size();
  auto [q, ec2] = std::from_chars(timeout_text.data(), end, seconds);
  if (timeout_text.empty() || ec2 != std::errc() || q != end || !(seconds > 0))
    return "--timeout takes a positive number of seconds";
  out.timeout = std::chrono::milliseconds(std::llround(seconds * 1000));
  return {};
}

}  // namespace interop
