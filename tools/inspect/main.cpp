// amqp-inspect: AMQP 1.0 bytes to readable text (see inspect.hpp and --help).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "inspect/inspect.hpp"

namespace {

bool read_all(std::FILE* f, std::vector<std::uint8_t>& data) {
  std::uint8_t buf[65536];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    data.insert(data.end(), buf, buf + n);
    if (n < sizeof buf) return !std::ferror(f);
  }
}

void write_all(std::FILE* f, const std::string& s) {
  if (!s.empty()) std::fwrite(s.data(), 1, s.size(), f);
  std::fflush(f);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  amqp::inspect::command_line cl;
  std::string out, err;
  if (int status = amqp::inspect::parse_command_line(args, cl, err)) {
    write_all(stderr, err);
    return status;
  }
  if (cl.help) {
    write_all(stdout, std::string(amqp::inspect::usage()));
    return 0;
  }

  std::vector<std::uint8_t> input;
  std::FILE* f = cl.file.empty() ? stdin : std::fopen(cl.file.c_str(), "rb");
  if (!f) {
    write_all(stderr, "amqp-inspect: " + cl.file + ": " + std::strerror(errno) + "\n");
    return 2;
  }
  const bool ok = read_all(f, input);
  const int read_errno = errno;
  if (f != stdin) std::fclose(f);
  if (!ok) {
    write_all(stderr, "amqp-inspect: " + cl.opts.input_name + ": " +
                          std::strerror(read_errno) + "\n");
    return 2;
  }

  const int status = amqp::inspect::run(input, cl.opts, out, err);
  write_all(stdout, out);
  write_all(stderr, err);
  return status;
}
