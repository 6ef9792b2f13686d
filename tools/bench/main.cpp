// amqp-bench: benchmarks of the engine beside Qpid Proton (see --help). Each figure is one
// line, `NAME VALUE`, with the units in the name, so that runs can be compared with diff,
// grep or a spreadsheet.
#include <charconv>
#include <cstdio>
#include <exception>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench/memory_bench.hpp"
#include "bench/tcp_bench.hpp"
#include "bench/tls_files.hpp"

namespace {

using amqp::bench::memory_impl;
using amqp::bench::mode;

// The implementations compiled in, each once. Ratios divide the figure of "amqp" by that of
// "proton".
const std::vector<memory_impl> implementations = {
    {"amqp", amqp::bench::run_amqp_memory, amqp::bench::run_amqp_handshakes},
#ifdef AMQP_BENCH_HAVE_PROTON
    {"proton", amqp::bench::run_proton_memory, amqp::bench::run_proton_handshakes},
#endif
};

constexpr std::uint64_t default_messages = 200'000;

std::string usage() {
  std::string s =
      "usage: amqp-bench memory [-n|--messages N] [--mode MODE] [--impl IMPL]\n"
      "       amqp-bench --help\n"
      "\n"
      "memory: a sender and a receiver engine of one implementation in one process, the\n"
      "bytes each writes fed to the other without sockets. Prints one figure per line,\n"
      "NAME VALUE, for each implementation and mode, then amqp/proton ratios.\n"
      "\n"
      "  -n, --messages N  messages of the 100-byte modes (default 200000); the large modes\n"
      "                    move N/20 messages, at least 1000; the handshake modes make N/200\n"
      "                    connections, at least 100. Each mode first runs a warm-up of a\n"
      "                    tenth of its count (at most 10000 messages, 1 to 100\n"
      "                    connections), not measured.\n"
      "  --mode MODE       one of the modes below, or all (default)\n"
      "  --impl IMPL       amqp, proton or all (default)\n"
      "  -h, --help        show this text\n"
      "\n"
      "modes:\n"
      "  presettled               100-byte messages, settled by the sender as it sends\n"
      "  at_least_once            100-byte messages, accepted and settled by the receiver,\n"
      "                           then settled by the sender\n"
      "  large_at_least_once      at_least_once with 64 KiB messages\n"
      "  tls_at_least_once        at_least_once over TLS (direct TLS, as on port 5671)\n"
      "  tls_large_at_least_once  large_at_least_once over TLS\n"
      "  tls_handshake            connections: a full TLS handshake (TLS 1.3, EC P-256\n"
      "                           server certificate, the client checking the chain and\n"
      "                           the host name), the open exchange, the close exchange\n"
      "  tls_resumed_handshake    the same, each connection resuming the TLS session of\n"
      "                           the one before\n"
      "\n"
      "implementations compiled in:";
  // The tcp mode's line goes under the memory mode's.
  s.insert(s.find('\n') + 1, amqp::bench::tcp_synopsis());
  for (const memory_impl& impl : implementations) {
    s += ' ';
    s += impl.name;
  }
  s += "\n\n";
  s += amqp::bench::tcp_help();
  return s;
}

struct command_line {
  std::uint64_t messages = default_messages;
  std::vector<mode> modes{std::begin(amqp::bench::all_modes), std::end(amqp::bench::all_modes)};
  std::string_view impl = "all";
};

// Parses the arguments after "memory"; returns an error text, empty when they are valid.
std::string parse(const std::vector<std::string_view>& args, command_line& cl) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const bool takes_value =
        arg == "-n" || arg == "--messages" || arg == "--mode" || arg == "--impl";
    if (!takes_value) return "unknown option " + std::string(arg);
    if (i + 1 == args.size()) return std::string(arg) + " needs a value";
    const std::string_view value = args[++i];
    if (arg == "--mode") {
      cl.modes.clear();
      for (mode m : amqp::bench::all_modes)
        if (value == "all" || amqp::bench::mode_name(m) == value) cl.modes.push_back(m);
      if (cl.modes.empty()) return "unknown mode " + std::string(value);
    } else if (arg == "--impl") {
      if (value != "all" && value != "amqp" && value != "proton")
        return "unknown implementation " + std::string(value);
      cl.impl = value;
    } else {
      const auto [end, ec] =
          std::from_chars(value.data(), value.data() + value.size(), cl.messages);
      if (ec != std::errc() || end != value.data() + value.size() || cl.messages == 0)
        return "the message count must be a positive integer, not " + std::string(value);
    }
  }
  return {};
}

void print(std::string_view prefix, std::string_view name, double value, int decimals) {
  std::printf("%.*s.%.*s %.*f\n", static_cast<int>(prefix.size()), prefix.data(),
              static_cast<int>(name.size()), name.data(), decimals, value);
}

// The names of a mode's figures: per message, or per connection in the handshake modes.
struct units {
  std::string_view count, rate, per, out, back;
};
constexpr units message_units{"messages", "msgs_per_s", "msg", "sender_to_receiver",
                              "receiver_to_sender"};
constexpr units handshake_units{"handshakes", "handshakes_per_s", "handshake", "client_to_server",
                                "server_to_client"};
const units& units_of(const amqp::bench::workload& w) {
  return w.handshakes() ? handshake_units : message_units;
}

// Runs one implementation on one workload and prints its figures; returns its rate: messages
// or handshakes per second.
double run(const memory_impl& impl, const amqp::bench::workload& w) {
  amqp::bench::reset_heap_peak();
  const amqp::bench::figures f = w.handshakes() ? impl.run_handshakes(w) : impl.run(w);
  const std::uint64_t peak = amqp::bench::heap_peak_bytes();
  if (w.tls() && f.tls_protocol.empty()) throw std::runtime_error("no TLS session was reported");

  const std::string prefix =
      std::string(impl.name) + ".memory." + std::string(amqp::bench::mode_name(w.mode));
  const units& u = units_of(w);
  const std::string per = "_per_" + std::string(u.per);
  const auto n = static_cast<double>(w.handshakes() ? w.connections : w.messages);
  const double rate = n / f.measured.seconds;
  print(prefix, u.count, n, 0);
  print(prefix, u.rate, rate, 0);
  print(prefix, "wire_bytes" + per + "." + std::string(u.out),
        static_cast<double>(f.wire.to_receiver) / n, 2);
  print(prefix, "wire_bytes" + per + "." + std::string(u.back),
        static_cast<double>(f.wire.to_sender) / n, 2);
  if (amqp::bench::counters_available()) {
    print(prefix, "peak_heap_bytes", static_cast<double>(peak), 0);
    print(prefix, "heap_allocs" + per, static_cast<double>(f.measured.allocations) / n, 2);
    // Bytes in large copies per body byte. 100-byte bodies are never copied alone in calls
    // that large: what counts there are copies of whole batches of frames.
    if (!w.handshakes())
      print(prefix, "payload_copies_per_msg",
            static_cast<double>(f.measured.copied_bytes) / (n * static_cast<double>(w.body_size)),
            2);
  }
  // Text, not a figure: it shows that both libraries negotiated the same TLS.
  if (w.tls())
    std::printf("%s.tls %s %s\n", prefix.c_str(), f.tls_protocol.c_str(), f.tls_cipher.c_str());
  std::fflush(stdout);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" ||
      ((args[0] == "memory" || args[0] == "tcp") && args.size() == 2 &&
       (args[1] == "-h" || args[1] == "--help"))) {
    const std::string text = usage();
    std::fputs(text.c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "tcp")
    return amqp::bench::run_tcp(std::span<const std::string_view>(args).subspan(1));
  // The two halves of a tcp run, started by it: not for use by hand.
  if (args[0] == "tcp-sender" || args[0] == "tcp-receiver")
    return amqp::bench::run_tcp_child(args[0], std::span<const std::string_view>(args).subspan(1));
  command_line cl;
  std::string err = args[0] == "memory"
                        ? parse(std::vector<std::string_view>(args.begin() + 1, args.end()), cl)
                        : "unknown benchmark " + std::string(args[0]);
  if (!err.empty()) {
    std::fprintf(stderr, "amqp-bench: %s (see --help)\n", err.c_str());
    return 2;
  }

#ifndef AMQP_BENCH_HAVE_PROTON
  std::fputs(
      "amqp-bench: Qpid Proton was not found at build time; its implementation is not "
      "compiled in\n",
      stderr);
#endif
  std::vector<memory_impl> chosen;
  for (const memory_impl& impl : implementations)
    if (cl.impl == "all" || impl.name == cl.impl) chosen.push_back(impl);
  if (chosen.empty()) {
    std::fprintf(stderr, "amqp-bench: no implementation of --impl %s is compiled in\n",
                 std::string(cl.impl).c_str());
    return 2;
  }
  if (!amqp::bench::counters_available())
    std::fputs(
        "amqp-bench: built with AddressSanitizer, which owns malloc and memcpy: heap "
        "and copy counts are unavailable\n",
        stderr);

  // The test PKI is made before anything is measured, and outside every heap peak.
  for (mode m : cl.modes)
    if (amqp::bench::make_workload(m, cl.messages).tls()) amqp::bench::prepare_tls_files();

  for (mode m : cl.modes) {
    const amqp::bench::workload w = amqp::bench::make_workload(m, cl.messages);
    std::optional<double> ours, proton;
    for (const memory_impl& impl : chosen) {
      double per_s = 0;
      try {
        per_s = run(impl, w);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "amqp-bench: %s %s: %s\n", std::string(impl.name).c_str(),
                     std::string(amqp::bench::mode_name(m)).c_str(), e.what());
        return 1;
      }
      if (impl.name == "amqp") ours = per_s;
      if (impl.name == "proton") proton = per_s;
    }
    if (ours && proton) {
      print("ratio.memory",
            std::string(amqp::bench::mode_name(m)) + "." + std::string(units_of(w).rate),
            *ours / *proton, 2);
      std::fflush(stdout);
    }
  }
  return 0;
}
