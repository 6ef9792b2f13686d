// A Qpid Proton peer in memory, for tests: Proton's C engine (`pn_connection_driver_t`) behind
// a small C++ facade, so a test can hold a whole AMQP 1.0 conversation with our engine (or with
// another proton_peer) with no sockets, on a virtual clock. It is Proton itself, not a mock:
// every frame it writes or accepts is Proton's behaviour.
//
//   using namespace amqp::test;
//   proton_peer client(proton_role::client, {.container_id = "c"});
//   proton_peer server(proton_role::server,
//                      {.container_id = "s", .auto_answer = true, .auto_accept = true});
//   client.open();
//   auto s = client.begin();
//   auto l = client.open_sender(s, {.name = "l", .target = "queue"});
//   pump(client, server);                           // until neither side has bytes to write
//   client.send(l, "tag-1", message_bytes, /*settled=*/false);
//   pump(client, server);
//   EXPECT_EQ(client.sent()[0].remote.type, outcome::accepted);
//
// With our engine on the other side, move bytes by hand: `output()` then `consume_output(n)`
// one way, `feed(bytes)` the other, and `tick(now_ms)` to drive Proton's timers.
//
// By default the peer speaks plain AMQP (no SASL layer): a client writes the header
// `AMQP 0 1 0 0` as soon as it is constructed, before open(); a server writes its own header
// once it has read the client's (a Proton server that reads a SASL header still offers
// ANONYMOUS). With `tls` and `sasl` (proton_security.hpp) it stacks those layers below. Every
// command, feed and tick is followed by handling all of Proton's events, each recorded in
// `events()` (PN_TRANSPORT events, which only mean "output pending", included).
//
// What Proton (0.37) does, as the tests here show: without settings, max-frame-size is not
// sent (2^32-1), channel-max is 32767 and a server answers with min(its own, the client's);
// a max frame size below 512 is raised to 512. A session's incoming-window is 2^31-1 unless
// an incoming capacity is set (then capacity / max frame size). With an idle timeout T, the
// open advertises T/2; Proton sends an empty frame when it has written nothing for half the
// remote's advertised value, and fails the connection ("amqp:resource-limit-exceeded",
// "local-idle-timeout expired") after T without input. After writing its close frame Proton
// closes its output.
//
// Links: Proton 0.37 cannot send a terminus's default-outcome nor the attach's offered or
// desired capabilities (it has no API for them and drops them from what it reads); its attach
// always carries initial-delivery-count 0 and max-message-size (0: no limit). Its flow never
// carries available or echo, and it ignores both in what it reads. Fields that hold AMQP values
// (maps, a condition's info) cross this facade as encoded bytes (`encoded_value`), which tests
// build and read with the project's codec.
//
// Handles are indexes into this peer's tables (sessions, links, sent and received deliveries),
// valid for the peer's lifetime; a bad handle throws std::out_of_range, and using a delivery
// that is already settled, or a second open delivery on a link, throws std::logic_error. Not
// thread safe, like Proton's driver.
#pragma once

#include <proton/connection.h>
#include <proton/connection_driver.h>
#include <proton/link.h>
#include <proton/transport.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proton_security.hpp"

namespace amqp::test {

enum class proton_role { client, server };

struct proton_options {
  std::string container_id = "proton-peer";
  std::string hostname;               // the open's hostname; empty: not sent
  std::uint32_t max_frame_size = 0;   // 0: Proton's default (none advertised, i.e. 2^32-1)
  std::uint16_t channel_max = 32767;  // Proton's default
  std::uint32_t idle_timeout_ms = 0;  // 0: none; see "What Proton does" above
  // Bytes a session may buffer for incoming transfers (pn_session_set_incoming_capacity);
  // 0: Proton's default. Applied to every session this peer begins or answers.
  std::size_t session_incoming_capacity = 0;
  // Server convenience: answer the remote open/begin/attach/detach/end/close, mirror the remote
  // termini, and keep `credit_window` credit on every receiver link it answers (topped up to
  // the full window after every delivery, so each delivery is followed by a flow).
  bool auto_answer = false;
  std::uint32_t credit_window = 10;
  // With auto_answer: links too (attach, detach, close). False: the test answers the links the
  // remote attaches with answer() and detaches them itself.
  bool auto_answer_links = true;
  // Accept and settle every complete incoming delivery.
  bool auto_accept = false;
  // A sending link asked to drain gives back its unused credit at once (pn_link_drained).
  bool auto_drain = true;
  // Proton's frame trace (PN_TRACE_FRM), written to stderr; for debugging a test.
  bool trace_frames = false;
  // Security layers (proton_security.hpp). Without them the peer speaks plain AMQP.
  proton_tls tls;
  std::optional<proton_sasl> sasl;
};

// Spec names (Part 2, 2.8.2 and 2.8.3); the values are Proton's and the spec's encodings.
enum class snd_settle_mode : std::uint8_t { unsettled = 0, settled = 1, mixed = 2 };
enum class rcv_settle_mode : std::uint8_t { first = 0, second = 1 };

// One AMQP-encoded value (a map, a list of symbols...); empty: none.
using encoded_value = std::vector<std::uint8_t>;

// A source or a target with every field Proton holds (spec Part 3, 3.5.3 and 3.5.4). The
// fields from distribution_mode on belong to a source. Proton has no default-outcome.
struct terminus {
  std::string address;        // empty: no address
  std::uint32_t durable = 0;  // terminus-durability: 0 none, 1 configuration, 2 unsettled-state
  std::string expiry_policy;  // empty: not sent (the spec's default is session-end)
  std::uint32_t timeout = 0;  // seconds
  bool dynamic = false;
  encoded_value dynamic_node_properties;  // a map
  std::string distribution_mode;          // "move" or "copy"; empty: not sent
  encoded_value filter;                   // a map
  std::vector<std::string> outcomes;
  std::vector<std::string> capabilities;
  friend bool operator==(const terminus&, const terminus&) = default;
};

struct link_options {
  std::string name;
  std::string source;  // address; empty: no address
  std::string target;  // address; empty: no address
  snd_settle_mode snd_settle = snd_settle_mode::mixed;
  rcv_settle_mode rcv_settle = rcv_settle_mode::first;
  std::uint64_t max_message_size = 0;  // 0: no limit sent
  bool dynamic = false;  // ask the remote for a node: the source of a receiver, target of a sender
  // Every field of the source (target); when set, its fields win over `source` (`target`) and
  // `dynamic`.
  std::optional<terminus> source_terminus;
  std::optional<terminus> target_terminus;
  encoded_value properties;  // the attach's properties: a map
};

// An AMQP error condition; an empty name means none.
struct condition {
  std::string name;
  std::string description;
  encoded_value info;  // a map
  bool is_set() const { return !name.empty(); }
  friend bool operator==(const condition&, const condition&) = default;
};

// A delivery state (spec Part 3, 3.4), as Proton reports it.
enum class outcome { none, received, accepted, rejected, released, modified };

struct disposition {
  outcome type = outcome::none;
  condition error;                   // rejected only
  bool delivery_failed = false;      // modified only
  bool undeliverable_here = false;   // modified only
  encoded_value annotations;         // modified only: message-annotations, a map
  std::uint32_t section_number = 0;  // received only
  std::uint64_t section_offset = 0;  // received only
  friend bool operator==(const disposition&, const disposition&) = default;
};

enum class endpoint { uninit, active, closed };
// Local and remote halves of a connection, session or link (Proton's pn_state_t).
struct endpoint_state {
  endpoint local = endpoint::uninit;
  endpoint remote = endpoint::uninit;
  friend bool operator==(const endpoint_state&, const endpoint_state&) = default;
};

struct session_handle {
  std::size_t index = 0;  // into this peer's sessions, in order of creation (local or remote)
  friend bool operator==(session_handle, session_handle) = default;
};
struct link_handle {
  std::size_t index = 0;  // into this peer's links, in order of creation (local or remote)
  friend bool operator==(link_handle, link_handle) = default;
};
struct sent_handle {
  std::size_t index = 0;  // into sent()
  friend bool operator==(sent_handle, sent_handle) = default;
};
struct received_handle {
  std::size_t index = 0;  // into received()
  friend bool operator==(received_handle, received_handle) = default;
};

// One Proton event, as handled.
struct proton_event {
  std::string type;  // pn_event_type_name(): "PN_LINK_REMOTE_OPEN", "PN_TRANSPORT_ERROR", ...
  std::optional<session_handle> session;  // the session involved, if any
  std::optional<link_handle> link;        // the link involved, if any
  std::string link_name;
  std::string delivery_tag;  // for PN_DELIVERY
  // pn_event_condition(): the remote condition if set, else the local one (for transport
  // events, the transport's); empty when none.
  condition cond;
};

// A delivery this peer sends; remote_* follow the receiver's dispositions.
struct sent_delivery {
  link_handle link;
  std::string tag;
  std::size_t bytes_sent = 0;
  bool complete = false;  // end_delivery() was called (pn_link_advance)
  bool aborted = false;
  bool settled = false;  // settled here (by us, or because the receiver settled)
  bool remote_settled = false;
  disposition remote;  // .type == outcome::none until the receiver says something
};

// A delivery this peer received, recorded once complete or aborted.
struct received_delivery {
  link_handle link;
  std::string tag;
  std::vector<std::uint8_t> bytes;  // the whole message; for an aborted one, what came first
  bool remote_settled = false;      // the sender settled it (pre-settled, or later)
  bool aborted = false;
  bool settled = false;  // settled here: by dispose()/settle(), auto_accept, or after the sender
  disposition local;     // what this peer answered; .type == outcome::none if nothing
};

class proton_peer {
 public:
  // Throws std::runtime_error if Proton cannot allocate its objects.
  proton_peer(proton_role role, proton_options options = {});
  ~proton_peer() { pn_connection_driver_destroy(&driver_); }
  proton_peer(const proton_peer&) = delete;
  proton_peer& operator=(const proton_peer&) = delete;

  // ---- Bytes and time.
  // What Proton wants to write; valid until the next call on this peer.
  std::span<const std::uint8_t> output();
  // The first n bytes of output() were delivered to the other side.
  void consume_output(std::size_t n);
  // Copies bytes into Proton's read buffer (in several steps when it is smaller) and handles
  // the events. Returns how many were taken: fewer only once Proton's read side is closed.
  std::size_t feed(std::span<const std::uint8_t> bytes);
  // The other side closed its output: Proton's read side closes.
  void feed_eof();
  // Runs Proton's timers (heartbeats, idle timeout) at now_ms, a virtual clock that must not go
  // backwards. Returns the next deadline in ms, 0 if none. Proton does nothing before its
  // first byte in or out.
  std::int64_t tick(std::int64_t now_ms);
  // output_closed: Proton writes nothing more; input_closed: it reads nothing more;
  // finished: both, and every event handled.
  bool output_closed() { return pn_connection_driver_write_closed(&driver_); }
  bool input_closed() { return pn_connection_driver_read_closed(&driver_); }
  bool finished() { return pn_connection_driver_finished(&driver_); }
  // Every byte consumed from output() and every byte fed, since construction.
  const std::vector<std::uint8_t>& bytes_written() const { return written_; }
  const std::vector<std::uint8_t>& bytes_fed() const { return fed_; }

  // ---- Events.
  const std::vector<proton_event>& events() const { return events_; }
  void clear_events() { events_.clear(); }
  // Events of that type so far.
  std::size_t count(std::string_view type) const {
    return std::count_if(events_.begin(), events_.end(), [&](auto& e) { return e.type == type; });
  }

  // ---- Connection.
  void open();
  void close(const condition& error = {});
  endpoint_state state();
  condition remote_condition();
  condition transport_condition();  // why the transport failed (e.g. idle timeout)
  std::string remote_container_id();
  std::string remote_hostname();
  // As the remote's open said: idle timeout in ms (0: none), max-frame-size, channel-max.
  std::uint32_t remote_idle_timeout() {
    return pn_transport_get_remote_idle_timeout(driver_.transport);
  }
  std::uint32_t remote_max_frame_size() {
    return pn_transport_get_remote_max_frame(driver_.transport);
  }
  std::uint16_t remote_channel_max() { return pn_transport_remote_channel_max(driver_.transport); }

  // ---- Security, as Proton reports it (empty or false before it is known).
  // pn_sasl_outcome: "ok", "auth", "sys", "perm", "temp"; empty while none.
  std::string sasl_outcome();
  std::string sasl_user();       // the authenticated user (server) or the one sent (client)
  std::string sasl_mechanism();  // the one chosen
  std::string tls_protocol();    // "TLSv1.3"...
  std::string tls_peer_subject();
  bool tls_resumed();  // the session was resumed (pn_ssl_resume_status)

  // ---- Sessions.
  session_handle begin();
  void end(session_handle s, const condition& error = {});
  endpoint_state state(session_handle s);
  condition remote_condition(session_handle s);
  std::size_t session_count() const { return sessions_.size(); }

  // ---- Links.
  link_handle open_sender(session_handle s, const link_options& o) { return open_link(s, o, true); }
  link_handle open_receiver(session_handle s, const link_options& o) {
    return open_link(s, o, false);
  }
  void close(link_handle l, const condition& error = {});  // detach with closed=true
  // Detach with closed=false. Proton's endpoint state does not change on either side (no
  // local or remote "closed"); only the PN_LINK_LOCAL_DETACH / PN_LINK_REMOTE_DETACH events
  // and detached() tell.
  void detach(link_handle l, const condition& error = {});
  bool detached(link_handle l) const { return links_.at(l.index).detached; }  // by this peer
  endpoint_state state(link_handle l);
  condition remote_condition(link_handle l);
  std::size_t link_count() const { return links_.size(); }
  std::optional<link_handle> find_link(std::string_view name) const;  // the first of that name
  bool is_sender(link_handle l) { return pn_link_is_sender(link_ptr(l)); }
  std::string remote_source(link_handle l);  // address; empty if none
  std::string remote_target(link_handle l);
  snd_settle_mode remote_snd_settle_mode(link_handle l);
  rcv_settle_mode remote_rcv_settle_mode(link_handle l);
  std::uint64_t remote_max_message_size(link_handle l);
  // The remote's termini with every field Proton read; address empty when none.
  terminus remote_source_terminus(link_handle l);
  terminus remote_target_terminus(link_handle l);
  encoded_value remote_properties(link_handle l);
  // Opens a link the remote attached (with auto_answer_links false), with these fields; the
  // name is the remote's.
  void answer(link_handle l, const link_options& o);
  // Deliveries this side has not settled (pn_link_unsettled).
  int unsettled(link_handle l) { return pn_link_unsettled(link_ptr(l)); }
  // Receiver: credit left; sender: credit granted by the receiver minus queued deliveries.
  int credit(link_handle l) { return pn_link_credit(link_ptr(l)); }

  // ---- Credit (receiver links).
  // Adds credit (pn_link_flow).
  void flow(link_handle l, int credit);
  // Adds credit and asks the sender to drain it (pn_link_drain).
  void drain(link_handle l, int credit);
  // Drain asked and the sender still holds credit.
  bool draining(link_handle l) { return pn_link_draining(link_ptr(l)); }
  // Drains completed on this receiver: no credit left, used up by transfers or handed back by
  // the sender's flow. The peer then clears its drain flag, so later flow() calls are plain.
  int drains_completed(link_handle l) const { return links_.at(l.index).drains_completed; }
  // Credit handed back through drain: on a receiver, what the sender returned; on a sender,
  // what this peer returned.
  int credit_drained(link_handle l) const { return links_.at(l.index).credit_drained; }
  // Sender link asked to drain: give back the unused credit now (for auto_drain = false).
  int complete_drain(link_handle l);

  // ---- Sending.
  // One whole delivery: begin_delivery + send_chunk + end_delivery.
  sent_handle send(link_handle l, std::string_view tag, std::span<const std::uint8_t> message,
                   bool settled);
  // A delivery written piecewise; only one may be open per link.
  sent_handle begin_delivery(link_handle l, std::string_view tag);
  void send_chunk(sent_handle d, std::span<const std::uint8_t> bytes);
  void end_delivery(sent_handle d, bool settled);  // pn_link_advance, then settle if asked
  // pn_delivery_abort: the receiver hears of it only if some bytes already went out;
  // otherwise Proton forgets the delivery silently.
  void abort(sent_handle d);
  void settle(sent_handle d);
  const std::vector<sent_delivery>& sent() const { return sent_; }

  // ---- Receiving.
  const std::vector<received_delivery>& received() const { return received_; }
  // Sends the outcome (none: no state) and, if `settle`, settles (pn_delivery_update +
  // pn_delivery_settle).
  void dispose(received_handle d, const disposition& state, bool settle = true);
  void settle(received_handle d);

  // Escape hatch for what this facade does not wrap. Events must still go through this peer:
  // call a command or feed/tick afterwards so they are handled.
  pn_connection_driver_t& driver() { return driver_; }

 private:
  struct session_record {
    pn_session_t* session = nullptr;
  };
  struct link_record {
    pn_link_t* link = nullptr;
    std::vector<std::uint8_t> incoming;  // bytes of the partial incoming delivery
    bool answered_by_auto = false;       // opened by auto_answer: keeps the credit window
    bool detached = false;               // Proton's state cannot tell (see detach())
    bool drain_requested = false;        // drain() called, completion not seen yet
    int drains_completed = 0;
    int credit_drained = 0;
  };

  void process();
  void handle(pn_event_t* event);
  void answer(pn_event_type_t type, pn_event_t* event);
  void open_session(pn_session_t* session);
  void on_remote_open_link(pn_link_t* link);
  void on_flow(pn_link_t* link);
  void on_delivery(pn_delivery_t* delivery);
  void receive(pn_delivery_t* delivery);
  void check_drain(link_record& rec);
  void on_sent_update(pn_delivery_t* delivery);
  void on_received_update(pn_delivery_t* delivery);
  void finish_incoming(pn_delivery_t* delivery, bool aborted);
  void top_up_credit(pn_link_t* link);
  session_handle record_session(pn_session_t* session);
  link_handle record_link(pn_link_t* link);
  link_handle open_link(session_handle s, const link_options& options, bool sender);
  void set_fields(pn_link_t* l, const link_options& options);
  pn_link_t* link_ptr(link_handle l) const { return links_.at(l.index).link; }
  pn_delivery_t* sent_ptr(sent_handle d) const;  // throws std::logic_error once freed
  pn_delivery_t* received_ptr(received_handle d) const;
  void settle_here(sent_handle d);  // settles without handling events
  void settle_here(received_handle d);

  proton_options options_;
  std::shared_ptr<void> sasl_plugin_;  // outlives the transport, freed in ~proton_peer()
  pn_connection_driver_t driver_{};
  std::vector<session_record> sessions_;
  std::vector<link_record> links_;
  std::vector<sent_delivery> sent_;
  // Proton frees a delivery once settled here (or at once when aborted); the pointer is then
  // null. Parallel to sent_ and received_.
  std::vector<pn_delivery_t*> sent_pn_;
  std::vector<received_delivery> received_;
  std::vector<pn_delivery_t*> received_pn_;
  std::vector<proton_event> events_;
  std::vector<std::uint8_t> written_;
  std::vector<std::uint8_t> fed_;
  int dynamic_addresses_ = 0;
};

// Moves everything `from` has to write into `to`; when `from` will write nothing more, closes
// `to`'s input as a socket would. Returns the bytes moved.
std::size_t transfer(proton_peer& from, proton_peer& to);
// Transfers both ways until neither side has bytes to write (at most max_rounds rounds);
// returns the bytes moved. No clock runs.
std::size_t pump(proton_peer& a, proton_peer& b, int max_rounds = 1000);

}  // namespace amqp::test
