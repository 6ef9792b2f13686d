// Messages for the broker suites: built as owned messages, encoded, and kept with a view of
// their bytes, as the broker sees what arrives.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "amqp/message.hpp"

namespace broker::test {

struct encoded_message {
  std::vector<std::uint8_t> bytes;
  amqp::message_view view;

  amqp::bytes_view data() const { return {bytes.data(), bytes.size()}; }
};

// Heap-held, so the view stays valid however the holder is moved.
inline std::unique_ptr<encoded_message> encode(const amqp::message& m) {
  auto out = std::make_unique<encoded_message>();
  amqp::writer w;
  EXPECT_FALSE(amqp::encode_message(w, m));
  out->bytes.assign(w.view().begin(), w.view().end());
  auto v = amqp::decode_message(out->data());
  EXPECT_TRUE(v);
  if (v) out->view = *v;
  return out;
}

// A message with an amqp-value string body and the given application properties.
inline amqp::message with_body(std::string body, amqp::map properties = {}) {
  amqp::message m;
  m.set_value(amqp::value(std::move(body)));
  m.application_properties = std::move(properties);
  return m;
}

}  // namespace broker::test
