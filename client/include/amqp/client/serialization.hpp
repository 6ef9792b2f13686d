// Serializers: how a producer turns an application body into a message body, and how a
// consumer turns it back, chosen by name when sending and by content-type when receiving (as
// kombu's serialization registry does).
//
//   auto& reg = amqp::client::serializers();
//   auto s = reg.dumps(nlohmann::json{{"order", 17}}, "json");   // data section + content-type
//   auto back = reg.loads(*s, "application/json");              // the JSON again
//
// Built in: "json" (application/json, UTF-8 text, nlohmann/json), "text" (text/plain, UTF-8),
// "raw" (application/data, bytes as given) and "amqp" (the body as an AMQP value in an
// amqp-value section: every AMQP type, no content-type). Applications add their own with add().
//
// kombu's content_encoding names the text's character set, because AMQP 0-9-1 has one field for
// both; in AMQP 1.0 content-encoding names what was applied on top of the content-type, such as
// compression (Part 3, 3.2.4). Here a serializer's charset is part of its definition (the
// built-in text serializers write UTF-8), and content-encoding is left to compression.hpp.
//
// Threading: the registries are safe to use from any thread; add() takes effect for the
// lookups that follow it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "amqp/codec/value.hpp"
#include "amqp/errors.hpp"

namespace amqp::client {

using bytes = std::vector<std::uint8_t>;

// An application body, before serializing or after: nothing, text, bytes, an AMQP value, JSON.
using payload = std::variant<std::monostate, std::string, bytes, amqp::value, nlohmann::json>;

// A serialized body: the bytes of a data section, or the value of an amqp-value section.
using serialized = std::variant<bytes, amqp::value>;

// Why a body could not be serialized, deserialized, compressed or decompressed.
struct codec_failure {
  std::string what;
};

struct serializer {
  std::string name;              // "json": what publish(serializer=...) names
  std::string content_type;      // "application/json"; empty: none is sent (amqp)
  std::string content_encoding;  // kombu's charset, for reference: "utf-8", "binary"
  // The body as a data section's bytes or an amqp-value; the failure names the payload kind it
  // cannot take.
  std::function<result<serialized, codec_failure>(const payload&)> dumps;
  // Back from what arrived (data sections joined, or the amqp-value).
  std::function<result<payload, codec_failure>(const serialized&)> loads;
};

// What publish puts on the message for a payload: the body and its content-type.
struct dumped {
  serialized body;
  std::string content_type;
};

class serializer_registry {
 public:
  // With the built-in serializers when `builtins`.
  explicit serializer_registry(bool builtins = true);

  // Adds `s`, replacing one of the same name (and, for loads, of the same content-type).
  void add(serializer s);
  // The serializer named `name`, or null.
  std::shared_ptr<const serializer> find(std::string_view name) const;
  // The serializer that reads `content_type` (its parameters, "; charset=...", ignored), or
  // null.
  std::shared_ptr<const serializer> for_content_type(std::string_view content_type) const;
  std::vector<std::string> names() const;

  // Serializes `body` with the serializer named `name`. A failure names the serializer and
  // why ("json: a bytes payload cannot be written as JSON"), or that none has that name.
  result<dumped, codec_failure> dumps(const payload& body, std::string_view name) const;
  // Deserializes `body` by its content-type: no content-type reads an amqp-value as "amqp"
  // does and a data section as bytes; an unknown content-type is a failure naming it.
  result<payload, codec_failure> loads(const serialized& body,
                                       std::string_view content_type) const;

 private:
  mutable std::shared_mutex mutex_;
  std::vector<std::shared_ptr<const serializer>> all_;
};

// The process-wide registry producers and consumers use unless given their own.
serializer_registry& serializers();

}  // namespace amqp::client
