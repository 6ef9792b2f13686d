// Messages shared by the message tests: a typical one with its golden bytes, and one with
// every section and field set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "amqp/message.hpp"
#include "support/hex.hpp"

namespace amqp::test {

// A durable message with an id, an address, three application properties and "hello".
inline message typical_message() {
  message m;
  m.header = spec::header{.durable = true};
  m.properties.message_id = std::string("id-1");
  m.properties.to = "queue";
  m.application_properties.emplace_back("region", "eu-west-1");
  m.application_properties.emplace_back("count", 42);
  m.application_properties.emplace_back("flag", true);
  const std::string hello = "hello";
  m.set_data({reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()});
  return m;
}

// Its encoding, section by section; offsets 0, 7, 27, 68, size 78.
inline constexpr const char* typical_header_hex = "00 53 70 c0 02 01 41";
inline constexpr const char* typical_properties_hex =
    "00 53 73 c0 0f 03 a1 04 69 64 2d 31 40 a1 05 71 75 65 75 65";
inline constexpr const char* typical_application_properties_hex =
    "00 53 74 c1 24 06 a1 06 72 65 67 69 6f 6e a1 09 65 75 2d 77 65 73 74 2d 31"
    " a1 05 63 6f 75 6e 74 54 2a a1 04 66 6c 61 67 41";
inline constexpr const char* typical_data_hex = "00 53 75 a0 05 68 65 6c 6c 6f";

inline std::vector<std::uint8_t> typical_bytes() {
  return hex(std::string(typical_header_hex) + typical_properties_hex +
             typical_application_properties_hex + typical_data_hex);
}

// Every section present and every field of header and properties set; the body is left to
// the caller.
inline message full_message() {
  message m;
  m.header = spec::header{.durable = true,
                          .priority = 9,
                          .ttl = 60000,
                          .first_acquirer = true,
                          .delivery_count = 3};
  m.delivery_annotations.emplace_back(value::sym("x-opt-da"), value::list_of({1, "two"}));
  m.message_annotations.emplace_back(value::sym("x-opt-partition"), std::int64_t{7});
  m.message_annotations.emplace_back(std::uint64_t{0x1234}, value::sym("by-code"));
  auto& p = m.properties;
  p.message_id = std::uint64_t{99};
  p.user_id = "guest";
  p.to = "queue://orders";
  p.subject = "order";
  p.reply_to = "replies";
  p.correlation_id = value::bin(std::vector<std::uint8_t>{1, 2, 3});
  p.content_type = "application/json";
  p.content_encoding = "gzip";
  p.absolute_expiry_time = timestamp{1700000060000};
  p.creation_time = timestamp{1700000000000};
  p.group_id = "group";
  p.group_sequence = 17;
  p.reply_to_group_id = "reply-group";
  m.application_properties.emplace_back("region", "eu-west-1");
  m.application_properties.emplace_back("count", std::int64_t{-5});
  m.application_properties.emplace_back("ratio", 0.5);
  m.footer.emplace_back(value::sym("x-checksum"), std::uint32_t{0xdeadbeef});
  return m;
}

inline value bin_of(std::string_view s) {
  return value::bin({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

inline std::vector<std::uint8_t> encoded(const message& m) {
  writer w;
  const std::error_code ec = encode_message(w, m);
  if (ec) return {};
  return {w.data(), w.data() + w.size()};
}

}  // namespace amqp::test
