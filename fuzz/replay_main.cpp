// Replays fuzz inputs without libFuzzer: runs LLVMFuzzerTestOneInput once on every file named
// on the command line and on every file under every folder named (recursively, in name order
// so that runs are repeatable). A crashing input aborts the process, which fails the test.
//
//   replay_value_decode fuzz/corpus/value_decode fuzz/regressions/value_decode crash-1234
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly the input size, so ASan catches any read past the end.
  std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t inputs = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg, ec))
        if (e.is_regular_file() && e.path().filename() != "README.md") files.push_back(e.path());
      if (ec) {
        std::fprintf(stderr, "cannot list %s: %s\n", argv[i], ec.message().c_str());
        ok = false;
      }
      std::sort(files.begin(), files.end());
      std::size_t here = 0;
      for (const auto& f : files) {
        if (!run_file(f)) ok = false;
        else ++here;
      }
      std::printf("%s: %zu inputs\n", argv[i], here);
      inputs += here;
    } else if (std::filesystem::exists(arg, ec)) {
      if (!run_file(arg)) ok = false;
      else ++inputs;
    } else {
      std::fprintf(stderr, "no such file or folder: %s\n", argv[i]);
      ok = false;
    }
  }
  std::printf("ran %zu inputs\n", inputs);
  return ok ? 0 : 1;
}
