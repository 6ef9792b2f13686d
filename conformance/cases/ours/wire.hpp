// What crossed the wire on one connection, as its frame trace tells it: the few facts the cases
// check that the messaging API does not report as events (the flow that answers an echo, the
// settle mode the peer's attach confirms, how the peer's open encodes its capabilities, whether
// an error came in the peer's frame or in ours, the SASL outcome's code).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "amqp/condition.hpp"
#include "amqp/link.hpp"
#include "amqp/trace.hpp"

namespace conformance {

// One frame, reduced to the fields the cases look at.
struct frame_seen {
  bool incoming = false;
  std::string performative;  // the spec's name: "open", "flow", "sasl-outcome"; empty: heartbeat
  std::uint16_t channel = 0;
  std::optional<std::uint32_t> handle;  // attach, flow, transfer, detach
  std::string name;                     // attach: the link's name
  amqp::receiver_settle_mode rcv_settle_mode = amqp::receiver_settle_mode::first;  // attach
  bool echo = false;                    // flow
  bool drain = false;                   // flow
  std::optional<std::uint32_t> link_credit;     // flow
  std::optional<std::uint32_t> delivery_count;  // flow
  bool more = false;                    // transfer
  bool aborted = false;                 // transfer
  std::optional<amqp::condition> error;  // detach, end, close
  // open: offered-capabilities that are not symbols, as "string \"X\"" (empty when all are).
  std::string capabilities_not_symbols;
  int sasl_code = -1;  // sasl-outcome
};

// The frame trace of one connection. The engine calls it on the connection's thread; the
// frames are kept under the script's lock, and each one wakes the case's thread.
class wire final : public amqp::trace_sink {
 public:
  wire(std::mutex& lock, std::condition_variable& changed) : lock_(lock), changed_(changed) {}

  void on_protocol_header(amqp::trace_direction, const amqp::protocol_header&,
                          std::uint64_t) override {}
  void on_frame(amqp::trace_direction dir, const amqp::frame_view& f) override;

  // Read under the script's lock.
  const std::vector<frame_seen>& frames() const { return frames_; }
  // The peer's attach of the link named `name`, if it came.
  const frame_seen* peer_attach(const std::string& name) const;
  // Whether the peer sent `performative` ("detach", "end", "close") with condition `name`.
  bool peer_sent_error(const std::string& performative, const std::string& name) const;

 private:
  std::mutex& lock_;
  std::condition_variable& changed_;
  std::vector<frame_seen> frames_;
};

}  // namespace conformance
