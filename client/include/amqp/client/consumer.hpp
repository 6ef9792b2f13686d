// consumer: kombu's Consumer over AMQP 1.0. One receiving link per queue; each message is
// decompressed by its content-encoding (one that names a charset, as kombu senders put there,
// or "identity", means none), deserialized by its content-type and handed to the callbacks,
// in order, as (body, message); message.ack(), reject() or requeue() settle it.
//
//   amqp::client::consumer c(conn, {{.name = "orders"}},
//       {.callbacks = {[](const amqp::client::payload& body, amqp::client::consumed_message& m) {
//          handle(std::get<nlohmann::json>(body));
//          (void)m.ack();
//        }}});
//   c.qos(0, 10);        // at most 10 messages unacknowledged
//   c.consume();
//
// Credit is how AMQP 1.0 says how many messages may come: qos(prefetch_size, prefetch_count)
// grants credit so that the messages unacknowledged plus those the broker may still send stay
// within prefetch_count (shared evenly by the queues; 0: a window of 100 each), and grants
// none while the bytes unacknowledged reach prefetch_size. Lowering either never takes back
// credit already granted: it stops further grants. flow(false) drains the credit (the broker
// sends what it can at once, then nothing); flow(true) grants again.
//
// Threading: used on its connection's thread, as message_sender.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "amqp/client/addressing.hpp"
#include "amqp/client/compression.hpp"
#include "amqp/client/serialization.hpp"
#include "amqp/message.hpp"
#include "amqp/messaging/endpoints.hpp"

namespace amqp::client {

struct consumer_impl;

// A message a consumer received (kombu's Message).
class consumed_message {
 public:
  const amqp::message& message() const noexcept { return message_; }
  // The queue it came from (its name, or the exchange of an exchange-bound queue).
  const std::string& queue() const noexcept { return queue_; }
  // The routing key: the subject, when the message has one.
  std::string routing_key() const { return message_.properties.subject.value_or(""); }
  std::string content_type() const { return message_.properties.content_type.value_or(""); }
  std::string content_encoding() const {
    return message_.properties.content_encoding.value_or("");
  }
  // The application properties (kombu's headers).
  const amqp::map& headers() const noexcept { return message_.application_properties; }
  amqp::delivery delivery() const noexcept { return delivery_; }

  // Settled by this side or sent settled (no_ack).
  bool acknowledged() const noexcept { return settled_; }
  // accepted; errc::wrong_state when acknowledged already.
  std::error_code ack();
  // rejected; with `requeue`, released instead, for another delivery.
  std::error_code reject(bool requeue = false);
  // released: the broker delivers it again.
  std::error_code requeue();

 private:
  friend struct consumer_impl;
  std::error_code settle(const delivery_state& s);
  amqp::message message_;
  amqp::delivery delivery_;
  std::string queue_;
  std::weak_ptr<consumer_impl> owner_;
  std::uint64_t id_ = 0;
  bool settled_ = false;
};

using consume_callback = std::function<void(const payload& body, consumed_message& message)>;
using decode_error_callback = std::function<void(consumed_message& message, const codec_failure&)>;

struct consumer_options {
  // At most once: the broker sends settled, nothing is acknowledged.
  bool no_ack = false;
  std::vector<consume_callback> callbacks;
  // kombu's on_message: when set, each message goes to it undecoded, instead of the callbacks.
  std::function<void(consumed_message&)> on_message;
  // The start of its links' names (kombu's tag_prefix, the consumer tag); a UUID follows.
  std::string tag_prefix = "consumer-";
  // A body that does not decompress or deserialize, or whose content-type is not accepted.
  // Unset: the message is rejected with amqp:decode-error naming why, and the container
  // reports it (container::report_error).
  decode_error_callback on_decode_error;
  // A queue's link was attached (`attached` true) or the broker refused or ended it (false;
  // `error` is its condition when it gave one). After every attach, a reconnect's too.
  std::function<void(const queue& q, bool attached, const std::optional<condition>& error)>
      on_link_state;
  // The content-types taken (kombu's `accept`: content-types or serializer names, "json");
  // empty: any the registry reads.
  std::vector<std::string> accept;
  // qos() at the start.
  std::uint32_t prefetch_size = 0;
  std::uint16_t prefetch_count = 0;
  // What a compressed body may expand to.
  std::size_t max_decompressed_size = 64 * 1024 * 1024;
  // flow(false) and purge() drain the links' credit (spec Part 2, 2.6.7). RabbitMQ 3.10 ends
  // the session on a drain: with false, flow(false) only stops granting credit, and purge()
  // takes messages until none came for `purge_idle`.
  bool drain = true;
  std::chrono::milliseconds purge_idle{500};
  client::addressing addressing = client::addressing::plain();
  serializer_registry* serializers = nullptr;    // null: serializers()
  compression_registry* compressions = nullptr;  // null: compressions()
};

class consumer {
 public:
  consumer() = default;
  consumer(amqp::connection connection, std::vector<queue> queues, consumer_options options = {});
  consumer(amqp::session session, std::vector<queue> queues, consumer_options options = {});
  ~consumer();  // cancel()
  consumer(consumer&&) noexcept;
  consumer& operator=(consumer&&) noexcept;
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  // Attaches a receiver to every queue not consumed from yet.
  void consume();
  // Detaches them all; unacknowledged messages go back to the broker (it releases what a
  // closed link leaves unsettled).
  void cancel();
  void cancel_by_queue(const std::string& name);
  bool consuming_from(const std::string& name) const;
  // Every queue consumed from has its link attached (the broker answered); false while one
  // the broker refused or ended is not consumed from again.
  bool attached() const;
  // A queue's link ended without cancel() (the broker refused it or ended it) and consume()
  // has not attached it again.
  bool refused() const;
  // Adds a queue (consumed from at the next consume()).
  void add_queue(queue q);
  void register_callback(consume_callback cb);

  // See the top of this file. `apply_global` is AMQP 0-9-1's channel-wide qos: here the
  // limits are always the consumer's, over all its queues.
  void qos(std::uint32_t prefetch_size, std::uint16_t prefetch_count, bool apply_global = false);
  void flow(bool active);
  // Every unacknowledged message back to the broker: released with `requeue` (delivered again,
  // to any consumer), else modified as delivery-failed (AMQP 1.0 cannot ask for redelivery to
  // this consumer only, as AMQP 0-9-1's recover does).
  void recover(bool requeue = false);
  // WARNING: deletes every message ready in the queues, for good: there is no undo. AMQP 1.0
  // has no purge command: it takes the messages from each queue on links of its own (sent
  // settled, at most once) until the broker has none left to send (a drain, or `purge_idle`
  // without a message), and calls `done` with how many it deleted and, when a queue could
  // not be purged, why (empty when all could). Messages other consumers hold unacknowledged
  // are not touched.
  void purge(std::function<void(std::size_t purged, const std::string& error)> done);

  // Consumes on `connection` (after the old one was lost for good): the links of the queues
  // consumed from are opened there; messages unacknowledged on the old one are forgotten (the
  // broker delivers them again).
  void revive(amqp::connection connection);

  // Messages handed to callbacks and not acknowledged.
  std::size_t unacknowledged() const noexcept;

 private:
  std::shared_ptr<consumer_impl> impl_;
};

}  // namespace amqp::client
