// The measured operations, each as one call on a warm context, shared by the Google Benchmark
// runs and by the instruction counts (codec_bench --instructions OP N under callgrind).
//
// The workload is a typical message: a 23-character string message-id, to, subject,
// content-type, three application properties and a 100-byte data body; and the transfer frame
// that carries it (handle, delivery-id, delivery-tag, message-format, settled + the message).
// Both implementations decode the same input bytes (those Qpid Proton encodes), so the decode
// figures compare the same work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <proton/codec.h>
#include <proton/message.h>

#include "amqp/frame.hpp"
#include "amqp/message.hpp"

namespace bench {

inline constexpr std::string_view message_id = "order-2024-000000017-eu";  // 23 characters
inline constexpr std::string_view to = "queue/orders";
inline constexpr std::string_view subject = "order.created";
inline constexpr std::string_view content_type = "application/octet-stream";
inline constexpr std::size_t body_size = 100;
inline constexpr std::uint32_t handle = 1;
inline constexpr std::uint32_t delivery_id = 1234;
inline constexpr std::uint32_t message_format = 0;

// Our library: an owned message, warm writers, the input bytes.
struct ours {
  ours();
  std::size_t message_encode();
  std::size_t message_decode(amqp::bytes_view input);
  std::size_t transfer_encode();
  std::size_t transfer_decode(amqp::bytes_view input);

  amqp::message msg;
  amqp::writer out;
  amqp::writer payload;  // the encoded message, the transfer's payload
  std::uint8_t tag[8] = {0, 0, 0, 0, 0, 0, 0x04, 0xd2};
};

// Qpid Proton C: a pn_message_t with the same content, a pn_data_t for the performative.
struct proton {
  proton();
  ~proton();
  proton(const proton&) = delete;
  proton& operator=(const proton&) = delete;
  std::size_t message_encode();
  std::size_t message_decode(amqp::bytes_view input);
  std::size_t transfer_encode();
  std::size_t transfer_decode(amqp::bytes_view input);

  pn_message_t* msg = nullptr;
  pn_message_t* decoded = nullptr;
  pn_data_t* performative = nullptr;
  std::vector<char> out;
  std::vector<char> payload;
  char tag[8] = {0, 0, 0, 0, 0, 0, 0x04, static_cast<char>(0xd2)};
};

// The operations by name ("message_encode", ...), for the instruction counts.
inline constexpr std::string_view operations[] = {"message_encode", "message_decode",
                                                  "transfer_encode", "transfer_decode"};

// Checks that each implementation reads what the other wrote; returns an empty string when
// they agree, or what differs.
std::string cross_check(ours& a, proton& b);

}  // namespace bench
