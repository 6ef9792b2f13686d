// The endpoints behind the handles (spec Part 2, 2.5 and 2.6): sessions with their channels,
// transfer windows and delivery indexes, links with their handles and credit, deliveries with
// their bytes.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "amqp/codec/writer.hpp"
#include "amqp/engine.hpp"
#include "delivery_index.hpp"
#include "number_map.hpp"
#include "ring.hpp"
#include "slot_map.hpp"

namespace amqp::detail {

struct session_endpoint {
  session_status status;
  bool discarding = false;  // ended by the engine on a violation: ignore all but the peer's end
  bool channel_assigned = false;  // status.channel is ours (a peer's session gets one on answer)
  std::uint32_t incoming_window_size = 0;  // what the application asked for; refilled to this
  number_map local_handles;   // handles this side sends with -> link slot
  number_map remote_handles;  // handles the peer sends with -> link slot
  delivery_index outgoing;    // unsettled deliveries this side sent, by delivery-id
  delivery_index incoming;    // unsettled deliveries the peer sent, by delivery-id
  std::uint32_t next_delivery_id = 0;
  bool any_incoming = false;  // a delivery arrived: last_incoming_id is set
  std::uint32_t last_incoming_id = 0;
  ring<delivery_handle> waiting;  // deliveries with frames held back by the peer's window
  // The last link the peer attached and detached before this side answered, which the engine
  // completed by itself (name and this side's role).
  std::string last_completed;
  role last_completed_role = role::sender;
};

struct link_endpoint {
  link_status status;
  bool discarding = false;       // closed by the engine on a violation: ignore until detach
  bool handle_assigned = false;  // status.handle is ours (a peer's link gets one on answer)
  bool close_sent = false;       // our detach had closed=true
  // Receiver: delivery-count + credit, the count up to which the sender may send.
  std::uint32_t credit_limit = 0;
  // Receiver: whether the application granted credit yet, and the deliveries taken beyond
  // credit since it last did (limits::max_excess_transfers).
  bool granted = false;
  std::uint32_t excess = 0;
  // Receiver: the delivery whose frames are still arriving. Sender: the delivery the
  // application is still giving bytes for (send_options::more).
  delivery_handle current;
  std::uint64_t next_tag = 0;  // engine-made tags
  std::uint32_t initial_delivery_count = 0;  // sender: the one its attach carried
  // Sender: deliveries counted in delivery-count whose first transfer waits for the session
  // window. The flows this side sends leave them out, or the receiver would count them
  // against its credit before they arrive.
  std::uint32_t unsent = 0;
};

struct delivery_endpoint {
  delivery_status status;
  session_handle session;
  bool outgoing = false;
  std::array<std::uint8_t, 32> tag{};
  std::uint8_t tag_size = 0;
  // Receiver: the message so far. Sender: bytes given but not yet written in transfers, kept
  // only while the session window holds them back.
  writer data;
  bool first_written = false;  // sender: the first transfer (with id and tag) is out
  bool more = false;           // sender: send_more() will give more bytes
  bool abort_pending = false;  // sender: an aborted transfer must still be written
  bool batchable = false;
  bool waiting = false;  // sender: in its session's waiting ring
  bool unsent = false;   // sender: counted in its link's `unsent`
  bool reported = false;  // receiver: transfer_received was emitted
};

using session_table = slot_map<session_endpoint, session_handle_tag>;
using link_table = slot_map<link_endpoint, link_handle_tag>;
using delivery_table = slot_map<delivery_endpoint, delivery_handle_tag>;

}  // namespace amqp::detail
