// `amqp-bench tcp`: starts a receiver and a sender of each implementation as two children of
// this executable, pinned to different CPUs, and prints what they cost: the sender's
// messages per second from its first send to the last acceptance, and for each process its
// CPU time per message and its peak resident memory (wait4's rusage, the whole process
// life), plus its user-space instructions per message where the CPU's counters can be read.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/measure.hpp"
#include "bench/tcp_bench.hpp"

namespace amqp::bench {
namespace {

const std::vector<tcp_impl> implementations = {
    {"amqp", "asio", amqp_asio_tcp_receive, amqp_asio_tcp_send},
    {"amqp", "libevent", amqp_libevent_tcp_receive, amqp_libevent_tcp_send},
#ifdef AMQP_BENCH_HAVE_PROTON_CPP
    {"proton-cpp", "", proton_cpp_tcp_receive, proton_cpp_tcp_send},
#endif
#ifdef AMQP_BENCH_HAVE_PROTON_PROACTOR
    {"proton-c", "", proton_c_tcp_receive, proton_c_tcp_send},
#endif
};

// The name figures carry: amqp/asio, amqp/libevent, proton-cpp, proton-c.
std::string name_of(const tcp_impl& impl) {
  std::string name(impl.library);
  if (!impl.io.empty()) name.append("/").append(impl.io);
  return name;
}

bool ours(const tcp_impl& impl) {
  return impl.library == "amqp";
}

// --- the command line ---------------------------------------------------------------------------

struct command_line {
  std::vector<const tcp_impl*> impls;
  tcp_options options;
  std::vector<std::uint32_t> windows{1000, 10000};
  unsigned runs = 3;
  bool pin = true;
};

template <class T>
bool parse_number(std::string_view text, T& out, T min) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min) return false;
  out = value;
  return true;
}

// Parses the options of the parent (`child` false) or of a child, which is given one
// implementation (and, for ours, one binding); returns an error text, empty when they are
// valid.
std::string parse(std::span<const std::string_view> args, command_line& cl, bool child) {
  std::string_view impl = child ? "" : "all";
  std::string_view io = child ? "" : "all";
  bool window_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--no-pin" && !child) {
      cl.pin = false;
      continue;
    }
    if (i + 1 == args.size()) return std::string(arg) + " needs a value";
    const std::string_view value = args[++i];
    const std::string bad = "bad value " + std::string(value) + " for " + std::string(arg);
    if (arg == "--impl") {
      impl = value;
    } else if (arg == "--io") {
      if (value != "asio" && value != "libevent" && (value != "all" || child)) return bad;
      io = value;
    } else if (arg == "-n" || arg == "--messages") {
      if (!parse_number<std::uint64_t>(value, cl.options.messages, 1)) return bad;
    } else if (arg == "--window") {
      std::uint32_t w = 0;
      if (!parse_number<std::uint32_t>(value, w, 1) || w > 0x7fffffffu) return bad;
      if (!window_given) cl.windows.clear();
      window_given = true;
      cl.windows.push_back(w);
      cl.options.window = w;
    } else if (arg == "--size") {
      if (!parse_number<std::size_t>(value, cl.options.body_size, 0) ||
          cl.options.body_size > (64u << 20))
        return bad;
    } else if (arg == "--runs" && !child) {
      if (!parse_number<unsigned>(value, cl.runs, 1)) return bad;
    } else if (arg == "--port" && child) {
      if (!parse_number<std::uint16_t>(value, cl.options.port, 1)) return bad;
    } else {
      return "unknown option " + std::string(arg);
    }
  }
  for (const tcp_impl& i : implementations) {
    if ((impl != "all" || child) && i.library != impl) continue;
    if (child && !i.io.empty() && io.empty()) return std::string(impl) + " needs --io";
    if (i.io.empty() || (io == "all" && !child) || i.io == io) cl.impls.push_back(&i);
  }
  if (cl.impls.empty()) return "no implementation " + std::string(impl) + " is compiled in";
  return {};
}

// --- the children -------------------------------------------------------------------------------

void print_port(std::uint16_t port) {
  std::printf("port %u\n", static_cast<unsigned>(port));
  std::fflush(stdout);
}

// --- the parent ---------------------------------------------------------------------------------

// A child's output, read from a pipe: `NAME VALUE` lines.
class child {
 public:
  // Starts this executable with `args`, its standard output a pipe to this process, pinned to
  // `cpu` when it is set.
  child(const std::vector<std::string>& args, std::optional<int> cpu) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::strerror(errno));
    std::vector<char*> argv;
    std::string self = "/proc/self/exe";
    argv.push_back(self.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error(std::strerror(errno));
    if (pid_ == 0) {
      if (cpu) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(*cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
      }
      dup2(fds[1], STDOUT_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
  }
  ~child() {
    if (out_ >= 0) close(out_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  // The value of the next line named `name`; empty at the end of the output.
  std::optional<std::string> next(std::string_view name) {
    for (;;) {
      const std::size_t nl = text_.find('\n');
      if (nl == std::string::npos) {
        char buf[512];
        const ssize_t n = read(out_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        text_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      std::string line = text_.substr(0, nl);
      text_.erase(0, nl + 1);
      if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
          line[name.size()] == ' ')
        return line.substr(name.size() + 1);
    }
  }

  // Reads the rest of the output and waits for the end; throws when the child failed.
  struct ended {
    std::string output;
    rusage usage;
  };
  ended wait(const char* what) {
    char buf[512];
    for (ssize_t n; (n = read(out_, buf, sizeof buf)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      text_.append(buf, static_cast<std::size_t>(n));
    }
    ended e{};
    int status = 0;
    while (wait4(pid_, &status, 0, &e.usage) < 0)
      if (errno != EINTR) throw std::runtime_error(std::strerror(errno));
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error(std::string("the ") + what + " failed");
    e.output = std::move(text_);
    return e;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string text_;
};

// `NAME VALUE` in a child's output, or nullopt.
std::optional<double> figure(std::string_view output, std::string_view name) {
  while (!output.empty()) {
    const std::size_t nl = std::min(output.find('\n'), output.size());
    const std::string_view line = output.substr(0, nl);
    output.remove_prefix(std::min(nl + 1, output.size()));
    if (line.size() <= name.size() || line.substr(0, name.size()) != name ||
        line[name.size()] != ' ')
      continue;
    return std::strtod(std::string(line.substr(name.size() + 1)).c_str(), nullptr);
  }
  return std::nullopt;
}

struct process_figures {
  double cpu_seconds = 0;     // user + system
  double kernel_seconds = 0;  // system
  long peak_rss_kb = 0;
  std::optional<double> instructions;
};

struct run_figures {
  double seconds = 0;
  process_figures sender, receiver;
};

process_figures of(const child::ended& e) {
  const auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return {.cpu_seconds = secs(e.usage.ru_utime) + secs(e.usage.ru_stime),
          .kernel_seconds = secs(e.usage.ru_stime),
          .peak_rss_kb = e.usage.ru_maxrss,
          .instructions = figure(e.output, "instructions")};
}

// The first two CPUs this process may run on: the sender's and the receiver's, or none when
// there is only one.
std::optional<std::pair<int, int>> pick_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return std::nullopt;
  std::vector<int> cpus;
  for (int i = 0; i < CPU_SETSIZE && cpus.size() < 2; ++i)
    if (CPU_ISSET(i, &set)) cpus.push_back(i);
  if (cpus.size() < 2) return std::nullopt;
  return std::pair{cpus[0], cpus[1]};
}

run_figures run_once(const tcp_impl& impl, const tcp_options& o, bool pin) {
  std::vector<std::string> common = {"--impl", std::string(impl.library),
                                     "-n",     std::to_string(o.messages),
                                     "--size", std::to_string(o.body_size)};
  if (!impl.io.empty()) common.insert(common.end(), {"--io", std::string(impl.io)});
  const auto cpus = pin ? pick_cpus() : std::nullopt;
  std::vector<std::string> r = {"tcp-receiver", "--window", std::to_string(o.window)};
  r.insert(r.end(), common.begin(), common.end());
  child receiver(r, cpus ? std::optional<int>(cpus->second) : std::nullopt);
  const std::optional<std::string> port = receiver.next("port");
  if (!port) {
    receiver.wait("receiver");
    throw std::runtime_error("the receiver did not say where it listens");
  }
  std::vector<std::string> s = {"tcp-sender", "--port", *port};
  s.insert(s.end(), common.begin(), common.end());
  child sender(s, cpus ? std::optional<int>(cpus->first) : std::nullopt);
  const child::ended se = sender.wait("sender");
  const child::ended re = receiver.wait("receiver");
  const std::optional<double> seconds = figure(se.output, "seconds");
  if (!seconds || *seconds <= 0) throw std::runtime_error("the sender measured no time");
  return {.seconds = *seconds, .sender = of(se), .receiver = of(re)};
}

void print(const std::string& prefix, std::string_view name, double value, int decimals) {
  std::printf("%s.%.*s %.*f\n", prefix.c_str(), static_cast<int>(name.size()), name.data(),
              decimals, value);
}

// The figures the ratios compare, by name, for one implementation and window.
struct summary {
  double msgs_per_s, sender_cpu_ns, receiver_cpu_ns, sender_rss_kb, receiver_rss_kb;
};

summary report(const tcp_impl& impl, const tcp_options& o, const run_figures& f) {
  const std::string prefix = name_of(impl) + ".tcp.window_" + std::to_string(o.window);
  const auto n = static_cast<double>(o.messages);
  const summary s{n / f.seconds, f.sender.cpu_seconds * 1e9 / n, f.receiver.cpu_seconds * 1e9 / n,
                  static_cast<double>(f.sender.peak_rss_kb),
                  static_cast<double>(f.receiver.peak_rss_kb)};
  print(prefix, "messages", n, 0);
  print(prefix, "msgs_per_s", s.msgs_per_s, 0);
  print(prefix, "sender_cpu_ns_per_msg", s.sender_cpu_ns, 0);
  print(prefix, "sender_kernel_cpu_ns_per_msg", f.sender.kernel_seconds * 1e9 / n, 0);
  print(prefix, "receiver_cpu_ns_per_msg", s.receiver_cpu_ns, 0);
  print(prefix, "receiver_kernel_cpu_ns_per_msg", f.receiver.kernel_seconds * 1e9 / n, 0);
  print(prefix, "sender_peak_rss_kb", s.sender_rss_kb, 0);
  print(prefix, "receiver_peak_rss_kb", s.receiver_rss_kb, 0);
  if (f.sender.instructions)
    print(prefix, "sender_user_instructions_per_msg", *f.sender.instructions / n, 0);
  if (f.receiver.instructions)
    print(prefix, "receiver_user_instructions_per_msg", *f.receiver.instructions / n, 0);
  std::fflush(stdout);
  return s;
}

void print_ratios(const std::string& mine, const std::string& other, const tcp_options& o,
                  const summary& ours, const summary& theirs) {
  const std::string prefix =
      "ratio_" + mine + "_vs_" + other + ".tcp.window_" + std::to_string(o.window);
  print(prefix, "msgs_per_s", ours.msgs_per_s / theirs.msgs_per_s, 2);
  print(prefix, "sender_cpu_ns_per_msg", ours.sender_cpu_ns / theirs.sender_cpu_ns, 2);
  print(prefix, "receiver_cpu_ns_per_msg", ours.receiver_cpu_ns / theirs.receiver_cpu_ns, 2);
  print(prefix, "sender_peak_rss_kb", ours.sender_rss_kb / theirs.sender_rss_kb, 2);
  print(prefix, "receiver_peak_rss_kb", ours.receiver_rss_kb / theirs.receiver_rss_kb, 2);
  std::fflush(stdout);
}

}  // namespace

std::string_view tcp_synopsis() {
  return "       amqp-bench tcp [--impl IMPL] [--io IO] [-n|--messages N] [--window N]...\n"
         "                      [--size BYTES] [--runs N] [--no-pin]\n";
}

std::string tcp_help() {
  std::string s =
      "tcp: a receiver and a sender of one implementation in two processes (this program\n"
      "started twice) over loopback TCP, without a broker: the receiver listens on\n"
      "127.0.0.1, keeps the sender's credit at its window and accepts every message; the\n"
      "sender sends N messages at least once and settles each when it is accepted. The\n"
      "sender runs on the first CPU this program may use, the receiver on the second.\n"
      "Ours runs on each I/O binding's container, the same applications on each.\n"
      "Prints NAME.tcp.window_W.FIGURE VALUE lines for each window and implementation\n"
      "(NAME is amqp/IO for ours, proton-cpp or proton-c):\n"
      "messages per second from the first send to the last acceptance; for each process\n"
      "its CPU time per message (user and kernel over its whole life; the kernel's part\n"
      "alone too, which the kernel samples at its clock ticks), its peak resident memory,\n"
      "and its user-space instructions per message where the CPU's counters can be read\n"
      "(not in most virtual machines: tools/bench/tcp_callgrind.sh counts them). Then,\n"
      "for each window, the figures of each of ours over each Proton implementation's\n"
      "(ratio_amqp/IO_vs_IMPL).\n"
      "\n"
      "  -n, --messages N  messages per run (default 1000000)\n"
      "  --window N        the receiver's credit window; repeat for more (default 1000\n"
      "                    and 10000)\n"
      "  --size BYTES      body size (default 100)\n"
      "  --runs N          runs of each case; the one of median throughput is printed\n"
      "                    (default 3)\n"
      "  --impl IMPL       amqp, proton-cpp, proton-c or all (default)\n"
      "  --io IO           ours on asio, libevent or all (default); Proton's are run\n"
      "                    on their own I/O whatever it says\n"
      "  --no-pin          let the system place both processes\n"
      "\n"
      "tcp implementations compiled in:";
  for (const tcp_impl& impl : implementations) {
    s += ' ';
    s += name_of(impl);
  }
  s += '\n';
  return s;
}

int run_tcp(std::span<const std::string_view> args) {
  command_line cl;
  if (std::string err = parse(args, cl, false); !err.empty()) {
    std::fprintf(stderr, "amqp-bench: %s (see --help)\n", err.c_str());
    return 2;
  }
  for (std::uint32_t window : cl.windows) {
    tcp_options o = cl.options;
    o.window = window;
    std::vector<std::pair<const tcp_impl*, summary>> done;
    for (const tcp_impl* impl : cl.impls) {
      std::vector<run_figures> runs;
      try {
        for (unsigned i = 0; i < cl.runs; ++i) runs.push_back(run_once(*impl, o, cl.pin));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "amqp-bench: %s tcp window %u: %s\n", name_of(*impl).c_str(), window,
                     e.what());
        return 1;
      }
      std::sort(runs.begin(), runs.end(),
                [](const run_figures& a, const run_figures& b) { return a.seconds < b.seconds; });
      done.emplace_back(impl, report(*impl, o, runs[runs.size() / 2]));
    }
    for (const auto& [mine, my_figures] : done)
      for (const auto& [other, their_figures] : done)
        if (ours(*mine) && !ours(*other))
          print_ratios(name_of(*mine), name_of(*other), o, my_figures, their_figures);
  }
  return 0;
}

int run_tcp_child(std::string_view mode, std::span<const std::string_view> args) {
  // Nothing here is counted: the interposed allocator and copies only forward.
  stop_counting();
  command_line cl;
  if (std::string err = parse(args, cl, true); !err.empty()) {
    std::fprintf(stderr, "amqp-bench %s: %s\n", std::string(mode).c_str(), err.c_str());
    return 2;
  }
  // A run that hangs (a peer gone without a word) ends by itself.
  alarm(static_cast<unsigned>(120 + cl.options.messages / 10'000));
  const tcp_impl& impl = *cl.impls.front();
  const instruction_counter instructions;
  try {
    if (mode == "tcp-receiver") {
      impl.receive(cl.options, print_port);
    } else {
      if (cl.options.port == 0) throw std::runtime_error("--port is needed");
      const double seconds = impl.send(cl.options);
      std::printf("seconds %.9f\n", seconds);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amqp-bench %s (%s): %s\n", std::string(mode).c_str(),
                 name_of(impl).c_str(), e.what());
    return 1;
  }
  if (instructions.available())
    std::printf("instructions %llu\n", static_cast<unsigned long long>(instructions.read()));
  std::fflush(stdout);
  return 0;
}

}  // namespace amqp::bench
