// producer: kombu's Producer over AMQP 1.0. publish() serializes and compresses a body, makes
// the message kombu would (persistent delivery as durable, headers as application
// properties, priority, expiration), sends it to the address the exchange and routing key
// name (addressing.hpp), and reports its outcome; what the broker would not deliver also goes
// to on_return.
//
//   amqp::client::producer p(conn, {.exchange = "orders", .routing_key = "eu",
//                                   .addressing = amqp::client::addressing::rabbitmq()});
//   p.publish(nlohmann::json{{"id", 17}}, {.headers = {{"region", "eu-west-1"}}},
//             [](const amqp::client::publish_result& r) { ... });
//
// Parameters kombu has that AMQP 1.0 does not:
// - `mandatory` and `immediate` are AMQP 0-9-1 routing flags. Here every publish waits for the
//   broker's outcome, which says whether the message was taken: with `mandatory`, a refusal
//   (rejected, released, modified) also goes to on_return; without, only to the callback.
// - `declare` (entities declared before publishing): AMQP 1.0 has no declarations; brokers make
//   nodes on attach (RabbitMQ's /queue/Q) or have them configured.
// - kombu's `content_encoding` is a charset; see serialization.hpp for what content-encoding
//   carries here. It is sent as given for a body published without a serializer.
// - `routing_key` needs an address per key on RabbitMQ ("/exchange/X/KEY"): the producer keeps
//   one link per address it published to.
//
// Threading: used on its connection's thread, as message_sender.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "amqp/client/addressing.hpp"
#include "amqp/client/compression.hpp"
#include "amqp/client/message_sender.hpp"
#include "amqp/client/serialization.hpp"

namespace amqp::client {

// kombu's delivery_mode: 1 transient, 2 persistent (the message's header says durable).
enum class persistence : std::uint8_t { transient = 1, persistent = 2 };

// kombu's retry_policy: the wait before attempt n (from 0) is
// min(interval_start + n * interval_step, interval_max). kombu's default max_retries is
// unlimited; here 3, and std::numeric_limits<std::uint32_t>::max() for ever.
struct retry_policy {
  std::uint32_t max_retries = 3;
  std::chrono::milliseconds interval_start{2000};
  std::chrono::milliseconds interval_step{2000};
  std::chrono::milliseconds interval_max{30000};

  std::chrono::milliseconds interval(std::uint32_t attempt) const;
};

struct publish_options {
  std::optional<std::string> exchange;     // unset: the producer's
  std::optional<std::string> routing_key;  // unset: the producer's
  persistence delivery_mode = persistence::persistent;
  bool mandatory = false;
  std::optional<std::uint8_t> priority;  // 0 to 9 (kombu's range; AMQP's default is 4)
  // For a body sent as given (serializer "raw" or bytes without one): what the message says.
  std::string content_type;
  std::string content_encoding;
  std::string serializer;   // empty: the producer's
  std::string compression;  // empty: the producer's (none when it has none)
  // Application properties.
  std::vector<std::pair<std::string, value>> headers;
  std::optional<std::chrono::milliseconds> expiration;  // the header's ttl
  std::optional<std::string> reply_to;
  std::optional<std::string> correlation_id;
  std::optional<std::string> message_id;
  // Try again as `retry_policy` says: after a lost connection (the message was in doubt) and
  // after a retryable outcome (released, modified, rejected with a transient condition).
  bool retry = false;
  client::retry_policy retry_policy;
  std::optional<std::chrono::milliseconds> timeout;  // unset: the producer's
};

struct publish_result {
  send_result result = send_result::ok;
  send_error error;
  std::string exchange;
  std::string routing_key;
  std::string address;  // where it went
};

// A message the broker would not deliver (kombu's on_return(exception, exchange, routing_key,
// message)).
struct returned_message {
  const amqp::message& message;
  const send_error& error;  // the outcome, "released", "rejected: amqp:...", ...
  const std::string& exchange;
  const std::string& routing_key;
};

struct producer_options {
  std::string exchange;
  std::string routing_key;
  std::string serializer = "json";
  std::string compression;  // empty: none
  client::addressing addressing = client::addressing::plain();
  std::function<void(const returned_message&)> on_return;
  std::chrono::milliseconds timeout{0};  // per publish; zero: none
  // The options of each link it opens (their names are made from the address).
  message_sender_options sender;
  serializer_registry* serializers = nullptr;    // null: serializers()
  compression_registry* compressions = nullptr;  // null: compressions()
};

using publish_callback = std::function<void(const publish_result&)>;

class producer {
 public:
  producer() = default;
  explicit producer(amqp::connection connection, producer_options options = {});
  producer(amqp::session session, producer_options options = {});
  ~producer();
  producer(producer&&) noexcept;
  producer& operator=(producer&&) noexcept;
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  // Publishes `body`; `callback`, when given, is called once with the outcome. A body that
  // does not serialize or compress fails at once (through the callback, after publish()
  // returned), naming why.
  void publish(payload body, publish_options options = {}, publish_callback callback = {});

  // Binds to `connection` after the old one was lost for good: links are opened there for the
  // next publishes; what was pending on the old one ends `cancelled`.
  void revive(amqp::connection connection);

  // Messages published whose outcome is not known yet.
  std::size_t pending() const noexcept;
  // Closes its links; pending messages end `cancelled`.
  void close();

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace amqp::client
