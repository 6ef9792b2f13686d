#include "typed_text.hpp"

#include <openssl/sha.h>

#include <charconv>
#include <cstdio>
#include <fstream>

namespace interop {
namespace {

constexpr std::size_t report_limit = 1024;  // longer binaries and strings: length and sha256
constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Two hex digits at text[i] as a byte.
std::uint8_t hex_byte(const std::string& text, std::size_t i) {
  const int hi = hex_value(text[i]);
  const int lo = hex_value(text[i + 1]);
  if (hi < 0 || lo < 0) throw bad_value("not hex: \"" + text + "\"");
  return static_cast<std::uint8_t>(hi * 16 + lo);
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  std::uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(bytes.data(), bytes.size(), digest);
  return format_hex(digest);
}

json large_json(const char* type, std::span<const std::uint8_t> bytes) {
  return {{"type", type}, {"length", bytes.size()}, {"sha256", sha256_hex(bytes)}};
}

}  // namespace

json load_values(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw bad_value("cannot read " + path);
  json file;
  try {
    file = json::parse(in);
  } catch (const json::exception& e) {
    throw bad_value(path + ": " + e.what());
  }
  if (!file.is_object() || !file.contains("values") || !file["values"].is_array())
    throw bad_value(path + ": no \"values\" array");
  return file["values"];
}

std::string type_of(const json& typed) {
  if (!typed.is_object() || !typed.contains("type") || !typed["type"].is_string())
    throw bad_value("not a typed value: " + typed.dump());
  return typed["type"].get<std::string>();
}

const std::string& text_of(const json& typed) {
  if (!typed.contains("value") || !typed["value"].is_string())
    throw bad_value("\"value\" is not a string in " + typed.dump());
  return typed["value"].get_ref<const std::string&>();
}

template <class T>
T parse_integer(const std::string& text) {
  T v{};
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end)
    throw bad_value("not an integer of the type: \"" + text + "\"");
  return v;
}
template std::uint8_t parse_integer(const std::string&);
template std::uint16_t parse_integer(const std::string&);
template std::uint32_t parse_integer(const std::string&);
template std::uint64_t parse_integer(const std::string&);
template std::int8_t parse_integer(const std::string&);
template std::int16_t parse_integer(const std::string&);
template std::int32_t parse_integer(const std::string&);
template std::int64_t parse_integer(const std::string&);

void parse_bits(const std::string& text, std::span<std::uint8_t> bytes) {
  if (text.size() != 2 + 2 * bytes.size() || !text.starts_with("0x"))
    throw bad_value("expected 0x and " + std::to_string(2 * bytes.size()) + " hex digits: \"" +
                    text + "\"");
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = hex_byte(text, 2 + 2 * i);
}

std::uint64_t parse_bits(const std::string& text, int digits) {
  std::uint8_t bytes[8];
  const std::span<std::uint8_t> used(bytes, static_cast<std::size_t>(digits / 2));
  parse_bits(text, used);
  std::uint64_t bits = 0;
  for (std::uint8_t b : used) bits = bits << 8 | b;
  return bits;
}

std::string format_bits(std::span<const std::uint8_t> bytes) {
  return "0x" + format_hex(bytes);
}

std::string format_bits(std::uint64_t bits, int digits) {
  std::string out = "0x";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
    out += hex_digits[(bits >> shift) & 15];
  return out;
}

char32_t parse_char(const std::string& text) {
  std::uint32_t c = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = text.starts_with("U+") && text.size() >= 6
                     ? std::from_chars(text.data() + 2, end, c, 16)
                     : std::from_chars_result{text.data(), std::errc::invalid_argument};
  if (ec != std::errc() || p != end || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    throw bad_value("not a Unicode scalar value U+XXXX: \"" + text + "\"");
  return static_cast<char32_t>(c);
}

std::string format_char(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

std::array<std::uint8_t, 16> parse_uuid(const std::string& text) {
  std::string hex;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) throw bad_value("not a uuid: \"" + text + "\"");
    if (!dash) hex += text[i];
  }
  if (text.size() != 36) throw bad_value("not a uuid: \"" + text + "\"");
  std::array<std::uint8_t, 16> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = hex_byte(hex, 2 * i);
  return out;
}

std::string format_uuid(std::span<const std::uint8_t> bytes) {
  std::string hex = format_hex(bytes);
  for (std::size_t at : {8, 13, 18, 23}) hex.insert(at, 1, '-');
  return hex;
}

std::vector<std::uint8_t> parse_hex(const std::string& text) {
  if (text.size() % 2) throw bad_value("odd number of hex digits: \"" + text + "\"");
  std::vector<std::uint8_t> out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = hex_byte(text, 2 * i);
  return out;
}

std::string format_hex(std::span<const std::uint8_t> bytes) {
  std::string out(2 * bytes.size(), '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = hex_digits[bytes[i] >> 4];
    out[2 * i + 1] = hex_digits[bytes[i] & 15];
  }
  return out;
}

std::vector<std::uint8_t> generated_binary(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>((i * 31 + 7) % 256);
  return out;
}

std::string generated_string(std::size_t n) {
  std::string out(n, 'a');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>('a' + i % 26);
  return out;
}

bool is_generated(const json& typed) { return typed.is_object() && typed.contains("generate"); }

std::size_t generate_count(const json& typed) {
  const json& n = typed["generate"];
  if (!n.is_number_unsigned()) throw bad_value("\"generate\" is not a count: " + typed.dump());
  return n.get<std::size_t>();
}

json binary_json(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > report_limit) return large_json("binary", bytes);
  return {{"type", "binary"}, {"value", format_hex(bytes)}};
}

json string_json(std::string_view text) {
  if (text.size() > report_limit)
    return large_json("string", {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  return {{"type", "string"}, {"value", text}};
}

bool property_allowed(const json& typed) {
  const std::string type = type_of(typed);
  return !is_generated(typed) && type != "list" && type != "map" && type != "array" &&
         type != "described";
}

json unrepresentable(std::string detail) {
  return {{"type", "unrepresentable"}, {"detail", std::move(detail)}};
}

std::string error_line(const std::string& what) {
  return json{{"error", what}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace interop
