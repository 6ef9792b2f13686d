// Test helpers: bytes from readable hex, and back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/codec/types.hpp"

namespace amqp::test {

// "00 53 10 c0" (spaces optional) -> bytes. Aborts the test program on malformed hex.
std::vector<std::uint8_t> hex(std::string_view text);
// bytes -> "00 53 10 c0"
std::string to_hex(bytes_view bytes);
// The whole content of a file.
std::vector<std::uint8_t> read_file(const std::filesystem::path& path);
// ../shared (next to the checkout), or an empty path when it is not there.
std::filesystem::path shared_dir();

}  // namespace amqp::test
