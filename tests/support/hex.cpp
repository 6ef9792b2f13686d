#include "support/hex.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace amqp::test {

std::vector<std::uint8_t> hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else if (c == ' ' || c == '\n' || c == '\t') continue;
    else {
      std::fprintf(stderr, "bad hex digit '%c' in test data\n", c);
      std::abort();
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  if (hi >= 0) {
    std::fprintf(stderr, "odd number of hex digits in test data\n");
    std::abort();
  }
  return out;
}

std::string to_hex(bytes_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i) s += ' ';
    s += digits[bytes[i] >> 4];
    s += digits[bytes[i] & 15];
  }
  return s;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::filesystem::path shared_dir() {
  std::filesystem::path p = AMQP_SHARED_DIR;
  std::error_code ec;
  return std::filesystem::is_directory(p / "spec", ec) ? p : std::filesystem::path{};
}

}  // namespace amqp::test
