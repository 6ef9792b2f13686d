// How the examples print a message body: a string as it is, anything else as AMQP text on one
// line ({"sequence": int 7}).
#pragma once

#include <string>

#include "amqp/message.hpp"
#include "amqp/text.hpp"

namespace example {

inline std::string body_text(const amqp::message_view& m) {
  if (m.body == amqp::body_kind::amqp_value) {
    amqp::value_view v = m.value();
    if (v.type() == amqp::kind::string) return std::string(v.as_string());
    return amqp::to_text(v, {.multiline = false});
  }
  if (m.body == amqp::body_kind::data) {
    amqp::bytes_view d = m.data();
    return std::string(d.begin(), d.end());
  }
  std::string out;
  for (amqp::value_view section : m.body_sections()) {
    if (!out.empty()) out += ' ';
    out += amqp::to_text(section, {.multiline = false});
  }
  return out;
}

}  // namespace example
