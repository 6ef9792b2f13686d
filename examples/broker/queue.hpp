// One queue of the example broker, without any I/O: the messages it holds (encoded, as they
// arrived, so they are forwarded without re-encoding), the consumers that take them, each
// consumer's credit and unsettled deliveries, and what each outcome does.
//
//   broker::queue q("orders", {.max_depth = 1000});
//   auto c = q.subscribe({});
//   q.set_credit(c, 10);
//   (void)q.publish(encoded_message);
//   q.dispatch([&](const broker::queue::delivery& d) { return send(d.consumer, d.message); });
//   q.settle(c, delivery_id, {.kind = broker::outcome_kind::accepted});
//
// Distribution (the rules the broker promises):
// - messages go to consumers in turn (round robin), skipping those without credit, those whose
//   selector does not match, and those that refused the message (modified, undeliverable-here);
// - a delivery stays with its consumer, unsettled, until its outcome: accepted and rejected
//   drop the message, released puts it back, modified puts it back too (delivery-failed counts
//   one more delivery attempt in its header; undeliverable-here keeps it from that consumer);
//   a message put back takes its place of arrival again, ahead of newer ones;
// - a consumer that asked for settled (at-most-once) deliveries gets the message settled and
//   the queue forgets it at once;
// - a browsing consumer (distribution-mode copy) is sent copies and nothing is taken away: it
//   walks the queue once, in order, seeing each message at most once;
// - a consumer that goes (its link or connection ended) gives its unsettled deliveries back,
//   except those a transaction holds (hold, resolve) until its discharge;
// - a message published with a receipt is reported to the consumed hook once its fate is final
//   (accepted or rejected by a consumer, or sent settled), so the producer's own delivery can
//   be settled only then (the broker's confirm-on-consume mode).
// Not thread-safe: the broker runs every connection on one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "amqp/codec/value.hpp"
#include "amqp/condition.hpp"
#include "amqp/message.hpp"
#include "selector.hpp"

namespace broker {

using consumer_id = std::uint64_t;

// A message as a queue keeps it: its encoded bytes and a view of them, decoded once for
// selectors. Never changed once made; redelivery with another header makes a new one.
class stored_message {
 public:
  // Copies `encoded`; errors when it does not decode as a message.
  static amqp::result<std::shared_ptr<const stored_message>> make(amqp::bytes_view encoded);
  stored_message(const stored_message&) = delete;
  stored_message& operator=(const stored_message&) = delete;

  amqp::bytes_view bytes() const noexcept { return {bytes_.data(), bytes_.size()}; }
  const amqp::message_view& view() const noexcept { return view_; }
  // The header's delivery-count (0 without a header).
  std::uint32_t delivery_count() const noexcept {
    return view_.header ? view_.header->delivery_count : 0;
  }

 private:
  stored_message() = default;
  std::vector<std::uint8_t> bytes_;
  amqp::message_view view_;
};

// The outcome a consumer gave a delivery (spec Part 3, 3.4).
enum class outcome_kind : std::uint8_t { accepted, rejected, released, modified };
struct outcome {
  outcome_kind kind = outcome_kind::accepted;
  bool delivery_failed = false;     // modified
  bool undeliverable_here = false;  // modified
  amqp::value message_annotations;  // modified: merged into the message's (a map, or null)
  std::optional<amqp::condition> error;  // rejected: the consumer's reason, if it gave one
};

// Names a published message to the consumed hook; 0: no receipt wanted.
using receipt = std::uint64_t;

// Bytes held by every queue together, checked before a message is taken.
struct memory_budget {
  std::size_t used = 0;
  std::size_t limit = std::numeric_limits<std::size_t>::max();
};

struct queue_limits {
  // Messages held (waiting or unsettled) beyond which publish() refuses more.
  std::size_t max_depth = 100000;
  // Shared by the queues of a broker; null: no limit on bytes.
  memory_budget* budget = nullptr;
};

struct consumer_options {
  bool browse = false;       // distribution-mode copy
  bool pre_settled = false;  // at-most-once: the message is gone once sent
  std::shared_ptr<const selector> filter;  // null: every message
};

enum class publish_result : std::uint8_t { ok, full, out_of_memory, malformed };

class queue {
 public:
  queue(std::string name, queue_limits limits = {}, bool dynamic = false);
  ~queue();
  queue(const queue&) = delete;
  queue& operator=(const queue&) = delete;

  const std::string& name() const noexcept { return name_; }
  // A dynamic node (a reply-to queue made for one link): deleted when that link closes.
  bool dynamic() const noexcept { return dynamic_; }

  // Takes a producer's message (copied). full: max_depth reached; out_of_memory: the budget
  // would be exceeded; malformed: not a message. Nothing is taken unless ok. With a receipt,
  // the consumed hook hears of the message once its fate is final.
  publish_result publish(amqp::bytes_view encoded, receipt r = 0);
  publish_result publish(std::shared_ptr<const stored_message> m, receipt r = 0);

  // Called once per message published with a receipt, when a consumer accepted or rejected
  // it (with that outcome) or it was sent settled (as accepted). Not called for messages that
  // go with the queue (receipts() names them). The hook may act on other queues, not this one.
  using consumed_hook = std::function<void(receipt, const outcome&)>;
  void on_consumed(consumed_hook hook) { on_consumed_ = std::move(hook); }
  // The receipts of the messages the queue holds, waiting or unsettled.
  std::vector<receipt> receipts() const;

  consumer_id subscribe(const consumer_options& options);
  // The consumer leaves; its unsettled deliveries are put back, in order. Unknown ids are
  // ignored.
  void unsubscribe(consumer_id c);
  // The credit the consumer's link has now: dispatch() sends at most this many, counting down.
  void set_credit(consumer_id c, std::uint32_t credit);
  std::uint32_t credit(consumer_id c) const;

  struct delivery {
    consumer_id consumer;
    std::uint64_t id;  // what settle() takes; 0 for a browsed copy or a settled delivery
    const stored_message& message;
    bool settled;  // send it settled (at-most-once); nothing will come back for it
  };
  // Sends what it can: one message at a time to the next consumer in turn that has credit
  // and wants one, until none does. `send` returns false when it could not send (that
  // consumer is then passed over until the next dispatch; the message stays). Returns how many
  // were sent.
  std::size_t dispatch(const std::function<bool(const delivery&)>& send);

  // The consumer's outcome for delivery `id` (from dispatch). Returns true when a message was
  // put back (dispatch again). Unknown consumers or ids (a consumer gone, an id settled) are
  // ignored.
  bool settle(consumer_id c, std::uint64_t id, const outcome& o);

  // Takes delivery `id` from consumer `c` into the queue's own keeping, still unsettled: an
  // outcome given inside a transaction, waiting for the discharge. The consumer leaving no
  // longer gives it back. Returns false for unknown consumers or ids.
  bool hold(consumer_id c, std::uint64_t id);
  // The held delivery's outcome, as settle() applies it (a rolled-back transaction releases it).
  // Returns true when the message was put back; unknown ids are ignored.
  bool resolve(std::uint64_t id, const outcome& o);
  std::size_t held() const noexcept { return held_.size(); }

  std::size_t depth() const noexcept { return available_.size() + unsettled_ + held_.size(); }
  std::size_t available() const noexcept { return available_.size(); }
  std::size_t unsettled() const noexcept { return unsettled_; }
  std::size_t consumers() const noexcept { return consumers_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  struct entry {
    std::uint64_t seq;  // arrival order
    std::shared_ptr<const stored_message> message;
    std::vector<consumer_id> refused_by;  // modified with undeliverable-here
    receipt ticket = 0;
  };
  struct consumer {
    consumer_id id;
    consumer_options options;
    std::uint32_t credit = 0;
    bool stalled = false;     // its send failed during this dispatch
    std::uint64_t cursor = 0;  // a browser: the seq after the last message it saw
    std::map<std::uint64_t, entry> unsettled;  // by delivery id
  };

  consumer* find(consumer_id c);
  const consumer* find(consumer_id c) const;
  // The first waiting message `c` may take (a browser: after its cursor); available_.end()
  // when none.
  std::deque<entry>::iterator next_for(const consumer& c);
  // Back in arrival order.
  void put_back(entry e);
  // What settle() and resolve() share: `o` applied to a delivery taken from `refuser`.
  bool apply(entry e, consumer_id refuser, const outcome& o);
  // Drops a message's bytes from the budget.
  void account(std::ptrdiff_t bytes);
  // The message's fate is final: its bytes leave the budget and its receipt is reported.
  void consumed(const entry& e, const outcome& o);

  std::string name_;
  queue_limits limits_;
  bool dynamic_;
  std::deque<entry> available_;  // by seq
  struct held_entry {
    entry e;
    consumer_id from;  // who took it: modified with undeliverable-here keeps it from them
  };
  std::map<std::uint64_t, held_entry> held_;  // by delivery id
  std::vector<consumer> consumers_;
  std::size_t next_turn_ = 0;  // round robin: the consumer to try first
  std::size_t unsettled_ = 0;
  std::size_t bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t next_delivery_ = 1;
  consumer_id next_consumer_ = 1;
  consumed_hook on_consumed_;
};

// The message with its header's delivery-count one higher (modified with delivery-failed,
// spec Part 3, 3.2.1), and `annotations` (a map, or null) merged into its message annotations.
// Only the header is re-encoded, unless there are annotations to merge.
amqp::result<std::shared_ptr<const stored_message>> redelivered(const stored_message& m,
                                                                bool delivery_failed,
                                                                const amqp::value& annotations);

}  // namespace broker
