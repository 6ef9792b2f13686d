// Codec benchmarks against Qpid Proton C: a typical message and its transfer frame, encoded and
// decoded by both libraries in the same run. Prints Google Benchmark's table (ns/op, bytes
// encoded, heap allocations per op), then a ratio table: Proton's time / ours.
//
//   codec_bench                                   # all benchmarks and the ratio table
//   codec_bench --benchmark_min_time=2            # any Google Benchmark flag
//   codec_bench --instructions ours message_decode 1000
//       runs one operation N times inside run_measured(), for callgrind --toggle-collect
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <map>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "workload.hpp"

namespace {

struct fixture {
  bench::ours ours;
  bench::proton proton;
  std::vector<std::uint8_t> message_input;   // Proton's encoding of the message
  std::vector<std::uint8_t> transfer_input;  // Proton's transfer frame
  fixture() {
    const std::size_t n = proton.message_encode();
    message_input.assign(proton.out.begin(), proton.out.begin() + static_cast<long>(n));
    const std::size_t t = proton.transfer_encode();
    transfer_input.assign(proton.out.begin(), proton.out.begin() + static_cast<long>(t));
  }
};

fixture& the_fixture() {
  static fixture f;
  return f;
}

// One operation of one implementation; returns a value that depends on all the work done.
std::size_t run_one(bool ours, std::string_view op) {
  fixture& f = the_fixture();
  if (op == "message_encode") return ours ? f.ours.message_encode() : f.proton.message_encode();
  if (op == "message_decode")
    return ours ? f.ours.message_decode(f.message_input) : f.proton.message_decode(f.message_input);
  if (op == "transfer_encode") return ours ? f.ours.transfer_encode() : f.proton.transfer_encode();
  return ours ? f.ours.transfer_decode(f.transfer_input) : f.proton.transfer_decode(f.transfer_input);
}

// The bytes an operation produces (encoders) or reads (decoders).
std::size_t bytes_of(bool ours, std::string_view op) {
  fixture& f = the_fixture();
  if (op == "message_decode") return f.message_input.size();
  if (op == "transfer_decode") return f.transfer_input.size();
  return run_one(ours, op);
}

template <class Op>
void measure(benchmark::State& state, Op op, std::size_t bytes) {
  std::uint64_t allocations = 0;
  for (auto _ : state) {
    const std::uint64_t before = bench::heap_allocations();
    benchmark::DoNotOptimize(op());
    allocations += bench::heap_allocations() - before;
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(allocations), benchmark::Counter::kAvgIterations);
}

void register_all() {
  for (std::string_view op : bench::operations) {
    for (bool ours : {true, false}) {
      const std::string name = std::string(op) + (ours ? "/ours" : "/proton");
      benchmark::RegisterBenchmark(name.c_str(), [ours, op](benchmark::State& s) {
        measure(s, [ours, op] { return run_one(ours, op); }, bytes_of(ours, op));
      });
    }
  }
}

// Keeps every run's CPU time per name, for the ratio table.
class collecting_reporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal: a reporter passed in does not follow --benchmark_color.
  collecting_reporter()
      : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    // With repetitions, only the median of each benchmark is shown and kept (mean, stddev and
    // cv add little to a ratio table); without, every run is, and the median taken later.
    std::vector<Run> shown;
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      if (r.run_type == Run::RT_Iteration && r.repetitions <= 1) {
        times[r.run_name.str()].push_back(r.GetAdjustedCPUTime());
        keep_counters(r);
        shown.push_back(r);
      } else if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
        medians[r.run_name.str()] = r.GetAdjustedCPUTime();
        keep_counters(r);
        shown.push_back(r);
      }
    }
    ConsoleReporter::ReportRuns(shown);
  }
  double median(const std::string& name) {
    if (auto m = medians.find(name); m != medians.end()) return m->second;
    auto it = times.find(name);
    if (it == times.end() || it->second.empty()) return 0;
    std::vector<double> v = it->second;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }
  void keep_counters(const Run& r) {
    if (auto it = r.counters.find("allocs/op"); it != r.counters.end())
      allocs[r.run_name.str()] = it->second.value;
    if (auto it = r.counters.find("bytes"); it != r.counters.end())
      bytes[r.run_name.str()] = it->second.value;
  }
  std::map<std::string, std::vector<double>> times;
  std::map<std::string, double> medians;
  std::map<std::string, double> allocs;
  std::map<std::string, double> bytes;
};

void print_ratios(collecting_reporter& r) {
  struct goal {
    std::string_view op;
    double target;
  };
  const goal goals[] = {{"message_encode", 3}, {"message_decode", 5}, {"transfer_encode", 3},
                        {"transfer_decode", 5}};
  std::printf("\n%-16s %9s %9s %9s %7s %8s %8s %10s %10s\n", "operation", "ours ns", "proton ns",
              "proton/us", "target", "met", "bytes", "ours allocs", "proton allocs");
  for (const goal& g : goals) {
    const std::string ours_name = std::string(g.op) + "/ours";
    const std::string proton_name = std::string(g.op) + "/proton";
    const double ours = r.median(ours_name);
    const double proton = r.median(proton_name);
    if (ours <= 0 || proton <= 0) continue;
    const double ratio = proton / ours;
    std::printf("%-16s %9.1f %9.1f %8.2fx %6.0fx %8s %8.0f %10.2f %10.2f\n",
                std::string(g.op).c_str(), ours, proton, ratio, g.target,
                ratio >= g.target ? "yes" : "NO", r.bytes[ours_name], r.allocs[ours_name],
                r.allocs[proton_name]);
  }
  std::printf("(CPU time per operation, median; bytes: encoded by ours, or decoded input)\n");
}

__attribute__((noinline)) std::size_t run_measured(bool ours, std::string_view op, long n) {
  std::size_t sum = 0;
  for (long i = 0; i < n; ++i) sum += run_one(ours, op);
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string_view(argv[1]) == "--instructions") {
    const std::string_view impl = argv[2];
    const std::string_view op = argv[3];
    const bool known = std::find(std::begin(bench::operations), std::end(bench::operations), op) !=
                       std::end(bench::operations);
    if ((impl != "ours" && impl != "proton") || !known) {
      std::fprintf(stderr, "usage: codec_bench --instructions ours|proton OPERATION N\n");
      return 2;
    }
    const bool ours = impl == "ours";
    run_one(ours, op);  // warm up outside the measured function
    const std::size_t sum = run_measured(ours, op, std::atol(argv[4]));
    std::printf("%zu\n", sum);
    return 0;
  }

  fixture& f = the_fixture();
  const std::string problems = bench::cross_check(f.ours, f.proton);
  if (!problems.empty()) {
    std::fprintf(stderr, "the implementations disagree: %s\n", problems.c_str());
    return 1;
  }
  std::printf("message: ours %zu bytes, proton %zu bytes; transfer frame: ours %zu bytes, "
              "proton %zu bytes\n",
              f.ours.message_encode(), f.proton.message_encode(), f.ours.transfer_encode(),
              f.proton.transfer_encode());
  if (!bench::counts_c_allocations())
    std::printf("note: malloc could not be interposed; only operator new is counted\n");

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  register_all();
  collecting_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_ratios(reporter);
  benchmark::Shutdown();
  return 0;
}
