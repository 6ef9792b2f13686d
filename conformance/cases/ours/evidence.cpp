#include <iostream>
#include <mutex>
#include <regex>

#include "script.hpp"

namespace conformance {

std::string condition_text(const std::optional<amqp::condition>& c) {
  if (!c) return {};
  std::string description = c->description;
  // A transport's error names the host and port it went to: not part of the evidence.
  if (description.starts_with("connection to ")) {
    if (auto colon = description.find(": "); colon != std::string::npos)
      description.erase(0, colon + 2);
  }
  return description.empty() ? c->name : c->name + ": " + description;
}

std::string describe(const happening& h) {
  const std::string cond = condition_text(h.error);
  const std::string by = h.by_peer ? " by the peer: " : " by us: ";
  if (h.what == "on_transport_error") return "connection failed: " + cond;
  if (h.what == "on_disconnected") return "connection lost";
  if (h.what == "on_connection_error") return "connection closed" + by + cond;
  if (h.what == "on_connection_closed") return "connection closed by the peer";
  if (h.what == "on_session_error") return "session ended" + by + cond;
  if (h.what == "on_session_closed") return "session ended by the peer";
  if (h.what == "on_link_error")
    return (h.by_peer ? "link detached by the peer: " : "link closed by us: ") + cond;
  if (h.what == "on_link_closed") return "link detached by the peer";
  if (h.what == "on_transaction_declare_failed") return "transaction declare failed: " + cond;
  if (h.what == "on_transaction_commit_failed") return "transaction commit failed: " + cond;
  return h.what + (cond.empty() ? "" : ": " + cond);
}

namespace {

std::mutex output_mutex;
bool verdict_printed = false;

void replace_all(std::string& s, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
    s.replace(at, what.size(), with);
}

// The forms a broker may quote an address in: as given, its last path segment (RabbitMQ's
// "/queue/q" is queue "q"), and that as an Erlang binary ("<<113>>").
std::vector<std::string> forms_of(const std::string& address) {
  std::vector<std::string> out{address};
  const std::string name = address.substr(address.rfind('/') + 1);
  if (name != address) out.push_back(name);
  std::string erlang = "<<";
  for (unsigned char ch : name) {
    if (erlang.size() > 2) erlang += ',';
    erlang += std::to_string(ch);
  }
  out.push_back(erlang + ">>");
  return out;
}

// Evidence that reads the same on every run: without the run's fresh names, the broker's port,
// Erlang process ids, runs of white space, and at most 300 characters of it.
std::string stable(std::string evidence, const params& p) {
  for (const std::string* a : {&p.address2, &p.address}) {
    if (a->empty()) continue;
    const char* placeholder = a == &p.address ? "<address>" : "<address2>";
    for (const std::string& form : forms_of(*a)) replace_all(evidence, form, placeholder);
  }
  if (auto u = amqp::parse_url(p.url)) replace_all(evidence, u->host_port(), "<broker>");
  evidence = std::regex_replace(evidence, std::regex(R"(<\d+\.\d+\.\d+>)"), "<pid>");
  evidence = std::regex_replace(evidence, std::regex(R"(\s+)"), " ");
  if (evidence.size() > 300) evidence = evidence.substr(0, 297) + "...";
  return evidence;
}

}  // namespace

void print_progress(int count) {
  std::lock_guard<std::mutex> hold(output_mutex);
  if (verdict_printed) return;
  std::cout << nlohmann::json{{"progress", "sent"}, {"count", count}}.dump() << std::endl;
}

void print_verdict(const verdict& v, const params& p) {
  static const char* const names[] = {"pass", "fail", "n/a"};
  const std::string evidence = stable(v.evidence, p);
  std::lock_guard<std::mutex> hold(output_mutex);
  verdict_printed = true;
  // A description cut short may end inside a UTF-8 sequence: replaced, not thrown over.
  std::cout << nlohmann::json{{"result", names[static_cast<int>(v.result)]},
                              {"evidence", evidence}}
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << std::endl;
}

}  // namespace conformance
