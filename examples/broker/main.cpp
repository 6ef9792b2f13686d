// The example broker: in-memory queues for the other examples (and any AMQP 1.0 client).
//
//   broker [-a HOST:PORT] [--cert FILE --key FILE [--ca FILE]] [--mechs LIST]
//          [--users FILE [--allow-insecure]] [--queue-limit N] [--max-queues N] [--memory-limit MIB] [--confirm-on-consume] [-v]
//          [--io asio|libevent]
//   broker --hash-user NAME:PASSWORD      prints a SCRAM-SHA-256 line for the user file
//
// On start it prints one line, "broker listening on HOST:PORT" with the port actually bound
// (ask for port 0 to get a free one), and runs until SIGINT or SIGTERM, then exits with 0.
// With --cert and --key clients may use TLS (or not, on the same port; an amqps:// address
// takes TLS only). With --users, clients authenticate with SCRAM-SHA-256 or PLAIN (PLAIN only
// over TLS, unless --allow-insecure); without it, with ANONYMOUS. --mechs chooses what is
// offered; listed beside a user file, ANONYMOUS and EXTERNAL (a client certificate signed by
// --ca) are let in as well. See broker.hpp for what clients can do and users.hpp for the file.
#include <charconv>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>

#include "amqp/random.hpp"
#include "broker/broker.hpp"
#include "broker/stop_on_signals.hpp"
#include "broker/users.hpp"
#include "common/io.hpp"
#include "common/options.hpp"

namespace {

// A positive count from the command line, or nullopt.
std::optional<std::size_t> to_count(const std::string& text) {
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0) return std::nullopt;
  return v;
}

// The address to listen on. URLs name a port to connect to, so they refuse port 0; a
// listener takes it to mean any free port.
amqp::result<amqp::url, amqp::url_error> listen_url(const std::string& text) {
  if (!text.ends_with(":0")) return amqp::parse_url(text);
  auto u = amqp::parse_url(text.substr(0, text.size() - 1) + "1");
  if (u) u->port = 0;
  return u;
}

}  // namespace

int main(int argc, char** argv) {
  broker::stop_on_signals::block();
  example::options opts("broker", "An AMQP 1.0 broker with in-memory queues, for the examples.");
  opts.address = "127.0.0.1:5672";
  std::string users_file, queue_limit = "100000", max_queues = "10000", memory_limit = "1024";
  std::string hash_user;
  bool verbose = false, confirm_on_consume = false;
  opts.add_value("users", 0, "FILE", "authenticate clients against the user file FILE",
                 users_file);
  opts.add_value("queue-limit", 0, "N", "messages a queue holds at most (default 100000)",
                 queue_limit);
  opts.add_value("max-queues", 0, "N", "queues at most (default 10000)", max_queues);
  opts.add_value("memory-limit", 0, "MIB", "message bytes held at most, in MiB (default 1024)",
                 memory_limit);
  opts.add_value("hash-user", 0, "NAME:PASSWORD",
                 "print the user-file line for NAME (SCRAM-SHA-256) and exit", hash_user);
  opts.add_flag("confirm-on-consume", 0,
                "settle a producer's message only once a consumer accepted or rejected it",
                confirm_on_consume);
  opts.add_flag("verbose", 'v', "log connections and links to stderr", verbose);
  if (int status = opts.parse(argc, argv); status >= 0) return status;

  if (!hash_user.empty()) {
    const auto colon = hash_user.find(':');
    if (colon == std::string::npos) {
      std::cerr << "broker: --hash-user takes NAME:PASSWORD\n";
      return 2;
    }
    auto line = broker::make_user_line(hash_user.substr(0, colon), hash_user.substr(colon + 1),
                                       "SCRAM-SHA-256", amqp::system_random());
    if (!line) {
      std::cerr << "broker: " << line.error().message << '\n';
      return 1;
    }
    std::cout << *line << '\n';
    return 0;
  }

  broker::broker_options bo;
  const auto limit = to_count(queue_limit), queues = to_count(max_queues),
             memory = to_count(memory_limit);
  if (!limit || !queues || !memory || *memory > (std::size_t{1} << 40)) {
    std::cerr << "broker: --queue-limit, --max-queues and --memory-limit take positive counts\n";
    return 2;
  }
  bo.queue_limit = *limit;
  bo.max_queues = *queues;
  bo.memory_limit = *memory << 20;
  bo.confirm_on_consume = confirm_on_consume;
  if (verbose) bo.log = &std::cerr;

  auto address = listen_url(opts.address);
  if (!address) {
    std::cerr << "broker: " << address.error().message << '\n';
    return 2;
  }

  broker::broker_handler handler(bo);
  amqp::connection_options co = handler.connection_options(opts.server_options());
  std::optional<broker::user_store> users;
  if (!users_file.empty()) {
    auto loaded = broker::user_store::load(users_file, amqp::system_random());
    if (!loaded) {
      std::cerr << "broker: " << loaded.error() << '\n';
      return 1;
    }
    users = std::move(*loaded);
    if (co.allowed_mechs.empty()) co.allowed_mechs = users->mechanisms();
    co.authenticate = [&users](const amqp::sasl_auth_requested& r) {
      // Only offered when --mechs lists them: ANONYMOUS names no user, and EXTERNAL's client
      // was already verified by TLS against --ca.
      if (r.mechanism == "ANONYMOUS" || r.mechanism == "EXTERNAL")
        return amqp::sasl_verdict::accept();
      return users->authenticate(r);
    };
  }

  // One thread: the handler moves messages between connections in one call (broker.hpp).
  std::unique_ptr<amqp::container> c = example::make_container(opts, handler, "broker");
  auto listening = c->listen(*address, co);
  if (!listening) {
    std::cerr << "broker: " << listening.error() << '\n';
    return 1;
  }
  amqp::url actual = *address;
  actual.port = listening->port();
  std::cout << "broker listening on " << actual.host_port() << std::endl;

  broker::stop_on_signals stopper(*c);
  c->run();
  return 0;
}
