#include "common/options.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>

#include "amqp/tls.hpp"

namespace example {

namespace {

bool to_int(std::string_view text, int& out) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) return false;
  out = v;
  return true;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == ',') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

[[noreturn]] void fatal(const std::string& what) {
  std::cerr << what << '\n';
  std::exit(1);
}

}  // namespace

options::options(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {
  add_value("address", 'a', "URL", "the AMQP URL: [amqp[s]://][user[:password]@]host[:port]/address",
            address);
  std::string bindings;
  for (std::string_view b : io_bindings) {
    if (!bindings.empty()) bindings += '|';
    bindings += b;
  }
  options_.push_back({"io", 0, "BINDING", "the I/O binding: " + bindings + " (default " + io + ")",
                      [this](std::string_view v) {
                        if (std::ranges::find(io_bindings, v) == io_bindings.end()) return false;
                        io = std::string(v);
                        return true;
                      },
                      bindings});
  add_value("ca", 0, "FILE", "trust the CA certificates in FILE (PEM) for TLS", ca);
  add_value("cert", 0, "FILE", "this side's TLS certificate chain (PEM)", cert);
  add_value("key", 0, "FILE", "the private key of --cert (PEM)", key);
  add_value("user", 'u', "USER", "authenticate as USER (SASL)", user);
  add_value("password", 'p', "PASSWORD", "authenticate with PASSWORD", password);
  add_value("mechs", 0, "LIST", "SASL mechanisms allowed, by preference (\"SCRAM-SHA-256 PLAIN\")",
            mechs);
  add_flag("allow-insecure", 0, "allow PLAIN without TLS", insecure);
  add_flag("trace", 0, "print every frame sent and received to stderr", trace);
}

void options::add_common(amqp::connection_options& co) const {
  if (!trace) return;
  if (!trace_sink_) {
    // One sink for every connection of the program: fine on one thread, which the examples use.
    auto& self = const_cast<options&>(*this);
    self.trace_sink_ = std::make_unique<amqp::text_trace_sink>(
        [](std::string_view line) { std::cerr << line << '\n'; });
  }
  co.trace = trace_sink_.get();
}

void options::add_messages() {
  options_.push_back({"messages", 'm', "COUNT", "how many messages (default 100)",
                      [this](std::string_view v) { return to_int(v, messages); }});
}

void options::add_batch_size() {
  options_.push_back({"batch-size", 'b', "COUNT", "messages per batch (default 10)",
                      [this](std::string_view v) { return to_int(v, batch_size) && batch_size > 0; }});
}

void options::add_abort_every() {
  options_.push_back({"abort-every", 0, "K", "roll back every Kth batch instead of committing it",
                      [this](std::string_view v) { return to_int(v, abort_every) && abort_every >= 0; }});
}

void options::add_at_most_once() {
  add_flag("at-most-once", 0, "send settled: no acknowledgements, nothing resent", at_most_once);
}

void options::add_flag(std::string long_name, char short_name, std::string help, bool& target) {
  options_.push_back({std::move(long_name), short_name, "", std::move(help),
                      [&target](std::string_view) { return target = true; }});
}

void options::add_value(std::string long_name, char short_name, std::string metavar,
                        std::string help, std::string& target) {
  options_.push_back({std::move(long_name), short_name, std::move(metavar), std::move(help),
                      [&target](std::string_view v) {
                        target = std::string(v);
                        return true;
                      }});
}

void options::usage(std::ostream& out) const {
  out << "usage: " << program_ << " [options]\n" << summary_ << "\n\noptions:\n";
  for (const option& o : options_) {
    std::string names = o.short_name ? std::string("-") + o.short_name + ", " : "    ";
    names += "--" + o.long_name;
    if (!o.metavar.empty()) names += " " + o.metavar;
    out << "  " << names;
    for (std::size_t i = names.size(); i < 28; ++i) out << ' ';
    out << ' ' << o.help << '\n';
  }
  out << "  -h, --help                   this text\n";
}

int options::parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(std::cout);
      return 0;
    }
    const option* found = nullptr;
    std::string_view inline_value;
    bool has_inline = false;
    if (arg.starts_with("--")) {
      std::string_view name = arg.substr(2);
      if (auto eq = name.find('='); eq != std::string_view::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      for (const option& o : options_)
        if (o.long_name == name) found = &o;
    } else if (arg.size() >= 2 && arg[0] == '-') {
      for (const option& o : options_)
        if (o.short_name == arg[1]) found = &o;
      if (arg.size() > 2) {
        inline_value = arg.substr(2);
        has_inline = true;
      }
    }
    if (!found) {
      std::cerr << program_ << ": unknown option '" << arg << "'\n";
      usage(std::cerr);
      return 2;
    }
    std::string_view value = inline_value;
    if (!found->metavar.empty() && !has_inline) {
      if (i + 1 >= argc) {
        std::cerr << program_ << ": --" << found->long_name << " needs " << found->metavar << '\n';
        return 2;
      }
      value = argv[++i];
    }
    if (!found->set(value)) {
      std::cerr << program_ << ": bad value '" << value << "' for --" << found->long_name;
      if (!found->choices.empty()) std::cerr << " (choices: " << found->choices << ')';
      std::cerr << '\n';
      return 2;
    }
  }
  return -1;
}

amqp::connection_options options::connection_options() const {
  amqp::connection_options co;
  add_common(co);
  if (!user.empty()) co.user = user;
  if (!password.empty()) co.password = password;
  co.allowed_mechs = split_words(mechs);
  co.allow_insecure_mechs = insecure;
  if (!ca.empty() || !cert.empty()) {
    amqp::tls_client_options t;
    t.ca_file = ca;
    t.certificate_chain.file = cert;
    t.private_key.file = key.empty() ? cert : key;
    auto ctx = amqp::tls_context::client(t);
    if (!ctx) fatal(program_ + ": TLS: " + ctx.error());
    co.tls = *ctx;
  }
  return co;
}

amqp::connection_options options::server_options() const {
  amqp::connection_options co;
  add_common(co);
  co.allowed_mechs = split_words(mechs);
  co.allow_insecure_mechs = insecure;
  if (!cert.empty()) {
    amqp::tls_server_options t;
    t.certificate_chain.file = cert;
    t.private_key.file = key.empty() ? cert : key;
    if (!ca.empty()) {
      t.client_certificates = amqp::tls_client_certificates::optional;
      t.client_ca_file = ca;
    }
    auto ctx = amqp::tls_context::server(t);
    if (!ctx) fatal(program_ + ": TLS: " + ctx.error());
    co.tls = *ctx;
    co.tls_allow_plain = true;
  }
  return co;
}

}  // namespace example
