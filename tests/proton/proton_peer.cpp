#include "proton_peer.hpp"

#include <proton/codec.h>
#include <proton/condition.h>
#include <proton/delivery.h>
#include <proton/disposition.h>
#include <proton/event.h>
#include <proton/link.h>
#include <proton/session.h>
#include <proton/terminus.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace amqp::test {
namespace {

// Sessions, links and deliveries carry index + 1 in Proton's context pointer, so that a null
// context means "not recorded yet" (a session or link the remote created, an incoming
// delivery still arriving). An index stays valid as our vectors grow, unlike a pointer into
// them; and unlike a map keyed by Proton's pointers, it cannot mistake a new Proton object
// for a freed one at the same address.
void* to_context(std::size_t index) {
  return reinterpret_cast<void*>(index + 1);
}
std::optional<std::size_t> from_context(void* context) {
  if (context == nullptr) return std::nullopt;
  return reinterpret_cast<std::uintptr_t>(context) - 1;
}

std::string to_std_string(const char* s) {
  return s == nullptr ? std::string() : std::string(s);
}

// Proton's value as encoded bytes; empty when it holds nothing (or a lone null, which is what
// Proton keeps for an absent field it copied).
encoded_value read_data(pn_data_t* d) {
  if (d == nullptr || pn_data_size(d) == 0) return {};
  pn_data_rewind(d);
  pn_data_next(d);
  const bool lone_null = pn_data_type(d) == PN_NULL && !pn_data_next(d);
  pn_data_rewind(d);
  if (lone_null) return {};
  encoded_value out(static_cast<std::size_t>(pn_data_encoded_size(d)));
  const ssize_t n = pn_data_encode(d, reinterpret_cast<char*>(out.data()), out.size());
  if (n < 0) throw std::logic_error("proton_peer: pn_data_encode failed");
  out.resize(static_cast<std::size_t>(n));
  return out;
}

void write_data(pn_data_t* d, const encoded_value& bytes) {
  pn_data_clear(d);
  if (bytes.empty()) return;
  const ssize_t n = pn_data_decode(d, reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (n != static_cast<ssize_t>(bytes.size()))
    throw std::logic_error("proton_peer: pn_data_decode refused an encoded value");
  pn_data_rewind(d);
}

// Symbols as Proton's own bindings put them: an array of symbols. What Proton read may be a
// single symbol too (the spec's "multiple" fields allow either).
void write_symbols(pn_data_t* d, const std::vector<std::string>& symbols) {
  pn_data_clear(d);
  if (symbols.empty()) return;
  pn_data_put_array(d, false, PN_SYMBOL);
  pn_data_enter(d);
  for (const std::string& s : symbols) pn_data_put_symbol(d, pn_bytes(s.size(), s.data()));
  pn_data_exit(d);
  pn_data_rewind(d);
}

std::vector<std::string> read_symbols(pn_data_t* d) {
  std::vector<std::string> out;
  pn_data_rewind(d);
  if (!pn_data_next(d)) return out;
  const auto take = [&] {
    const pn_bytes_t b = pn_data_get_symbol(d);
    out.emplace_back(b.start, b.size);
  };
  if (pn_data_type(d) == PN_SYMBOL) {
    take();
  } else if (pn_data_type(d) == PN_ARRAY) {
    pn_data_enter(d);
    while (pn_data_next(d)) take();
    pn_data_exit(d);
  }
  pn_data_rewind(d);
  return out;
}

condition read_condition(pn_condition_t* c) {
  if (c == nullptr || !pn_condition_is_set(c)) return {};
  return {to_std_string(pn_condition_get_name(c)), to_std_string(pn_condition_get_description(c)),
          read_data(pn_condition_info(c))};
}

void write_condition(pn_condition_t* c, const condition& error) {
  if (!error.is_set()) return;
  pn_condition_set_name(c, error.name.c_str());
  if (!error.description.empty()) pn_condition_set_description(c, error.description.c_str());
  write_data(pn_condition_info(c), error.info);
}

// The spec's symbols for Proton's enums (spec Part 3, 3.5.6 and 3.5.7).
constexpr const char* expiry_policies[] = {"link-detach", "session-end", "connection-close",
                                           "never"};

void write_terminus(pn_terminus_t* t, const terminus& from) {
  if (!from.address.empty()) pn_terminus_set_address(t, from.address.c_str());
  pn_terminus_set_durability(t, static_cast<pn_durability_t>(from.durable));
  for (int i = 0; i < 4; ++i) {
    if (from.expiry_policy == expiry_policies[i])
      pn_terminus_set_expiry_policy(t, static_cast<pn_expiry_policy_t>(i));
  }
  pn_terminus_set_timeout(t, from.timeout);
  pn_terminus_set_dynamic(t, from.dynamic);
  write_data(pn_terminus_properties(t), from.dynamic_node_properties);
  pn_terminus_set_distribution_mode(t, from.distribution_mode == "copy" ? PN_DIST_MODE_COPY
                                       : from.distribution_mode == "move"
                                           ? PN_DIST_MODE_MOVE
                                           : PN_DIST_MODE_UNSPECIFIED);
  write_data(pn_terminus_filter(t), from.filter);
  write_symbols(pn_terminus_outcomes(t), from.outcomes);
  write_symbols(pn_terminus_capabilities(t), from.capabilities);
}

terminus read_terminus(pn_terminus_t* t) {
  terminus out;
  out.address = to_std_string(pn_terminus_get_address(t));
  out.durable = static_cast<std::uint32_t>(pn_terminus_get_durability(t));
  if (pn_terminus_has_expiry_policy(t)) {
    out.expiry_policy = expiry_policies[static_cast<int>(pn_terminus_get_expiry_policy(t)) & 3];
  }
  out.timeout = pn_terminus_get_timeout(t);
  out.dynamic = pn_terminus_is_dynamic(t);
  out.dynamic_node_properties = read_data(pn_terminus_properties(t));
  switch (pn_terminus_get_distribution_mode(t)) {
    case PN_DIST_MODE_COPY:
      out.distribution_mode = "copy";
      break;
    case PN_DIST_MODE_MOVE:
      out.distribution_mode = "move";
      break;
    default:
      break;
  }
  out.filter = read_data(pn_terminus_filter(t));
  out.outcomes = read_symbols(pn_terminus_outcomes(t));
  out.capabilities = read_symbols(pn_terminus_capabilities(t));
  return out;
}

endpoint half_state(pn_state_t s, pn_state_t active, pn_state_t closed) {
  return (s & active) ? endpoint::active : (s & closed) ? endpoint::closed : endpoint::uninit;
}
endpoint_state to_endpoint_state(pn_state_t s) {
  return {half_state(s, PN_LOCAL_ACTIVE, PN_LOCAL_CLOSED),
          half_state(s, PN_REMOTE_ACTIVE, PN_REMOTE_CLOSED)};
}

// Proton's states are the spec's descriptor codes (0x23 received ... 0x27 modified), which
// are in the order of `outcome`.
outcome to_outcome(std::uint64_t state) {
  if (state < PN_RECEIVED || state > PN_MODIFIED) return outcome::none;
  return static_cast<outcome>(state - PN_RECEIVED + 1);
}
std::uint64_t to_pn_state(outcome o) {
  return o == outcome::none ? 0 : PN_RECEIVED + static_cast<std::uint64_t>(o) - 1;
}

void check(bool ok, const char* what) {
  if (!ok) throw std::logic_error(what);
}

std::string tag_of(pn_delivery_t* d) {
  pn_delivery_tag_t tag = pn_delivery_tag(d);
  return std::string(tag.start, tag.size);
}

std::string address_of(pn_terminus_t* t) {
  return to_std_string(pn_terminus_get_address(t));
}

}  // namespace

proton_peer::proton_peer(proton_role role, proton_options options) : options_(std::move(options)) {
  if (pn_connection_driver_init(&driver_, nullptr, nullptr) != 0) {
    pn_connection_driver_destroy(&driver_);
    throw std::runtime_error("proton_peer: pn_connection_driver_init failed");
  }
  pn_transport_t* t = driver_.transport;
  // All of this must happen before the transport is bound, which the driver does once the
  // PN_CONNECTION_INIT event has been handled: that is, in the first process() below.
  if (role == proton_role::server) pn_transport_set_server(t);
  configure_tls(t, options_.tls);
  if (options_.sasl) {
    sasl_plugin_ = configure_sasl(t, driver_.connection, *options_.sasl);
  } else {
    // No pn_sasl(t): without a SASL layer a client writes the plain AMQP header, and a server
    // that does not require authentication accepts a plain AMQP header from its client.
    pn_transport_require_auth(t, false);
  }
  if (options_.max_frame_size != 0) pn_transport_set_max_frame(t, options_.max_frame_size);
  pn_transport_set_channel_max(t, options_.channel_max);
  pn_transport_set_idle_timeout(t, options_.idle_timeout_ms);
  if (options_.trace_frames) pn_transport_trace(t, PN_TRACE_FRM);
  pn_connection_t* c = driver_.connection;
  pn_connection_set_container(c, options_.container_id.c_str());
  if (!options_.hostname.empty()) pn_connection_set_hostname(c, options_.hostname.c_str());
  process();
}

// ---- Bytes and time.

std::span<const std::uint8_t> proton_peer::output() {
  pn_bytes_t out = pn_connection_driver_write_buffer(&driver_);
  return {reinterpret_cast<const std::uint8_t*>(out.start), out.size};
}

void proton_peer::consume_output(std::size_t n) {
  auto out = output();
  n = std::min(n, out.size());
  written_.insert(written_.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
  pn_connection_driver_write_done(&driver_, n);
  process();
}

std::size_t proton_peer::feed(std::span<const std::uint8_t> bytes) {
  std::size_t taken = 0;
  while (taken < bytes.size()) {
    // Events first: the driver's documentation asks for them to be handled before reading.
    process();
    pn_rwbytes_t buffer = pn_connection_driver_read_buffer(&driver_);
    if (buffer.size == 0) break;  // read side closed
    std::size_t n = std::min(buffer.size, bytes.size() - taken);
    std::memcpy(buffer.start, bytes.data() + taken, n);
    fed_.insert(fed_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(taken),
                bytes.begin() + static_cast<std::ptrdiff_t>(taken + n));
    pn_connection_driver_read_done(&driver_, n);
    taken += n;
  }
  process();
  return taken;
}

void proton_peer::feed_eof() {
  pn_connection_driver_read_close(&driver_);
  process();
}

std::int64_t proton_peer::tick(std::int64_t now_ms) {
  std::int64_t deadline = pn_transport_tick(driver_.transport, now_ms);
  process();
  return deadline;
}

// ---- Connection.

void proton_peer::open() {
  pn_connection_open(driver_.connection);
  process();
}

void proton_peer::close(const condition& error) {
  write_condition(pn_connection_condition(driver_.connection), error);
  pn_connection_close(driver_.connection);
  process();
}

endpoint_state proton_peer::state() {
  return to_endpoint_state(pn_connection_state(driver_.connection));
}
condition proton_peer::remote_condition() {
  return read_condition(pn_connection_remote_condition(driver_.connection));
}
condition proton_peer::transport_condition() {
  return read_condition(pn_transport_condition(driver_.transport));
}
std::string proton_peer::remote_container_id() {
  return to_std_string(pn_connection_remote_container(driver_.connection));
}
std::string proton_peer::remote_hostname() {
  return to_std_string(pn_connection_remote_hostname(driver_.connection));
}

// ---- Sessions.

session_handle proton_peer::begin() {
  pn_session_t* s = pn_session(driver_.connection);
  if (s == nullptr) throw std::logic_error("proton_peer::begin: pn_session failed");
  session_handle h = record_session(s);
  open_session(s);
  process();
  return h;
}

void proton_peer::open_session(pn_session_t* s) {
  std::size_t capacity = options_.session_incoming_capacity;
  if (capacity != 0) pn_session_set_incoming_capacity(s, capacity);
  pn_session_open(s);
}

void proton_peer::end(session_handle s, const condition& error) {
  pn_session_t* session = sessions_.at(s.index).session;
  write_condition(pn_session_condition(session), error);
  pn_session_close(session);
  process();
}

endpoint_state proton_peer::state(session_handle s) {
  return to_endpoint_state(pn_session_state(sessions_.at(s.index).session));
}
condition proton_peer::remote_condition(session_handle s) {
  return read_condition(pn_session_remote_condition(sessions_.at(s.index).session));
}

// ---- Links.

link_handle proton_peer::open_link(session_handle s, const link_options& o, bool sender) {
  pn_session_t* session = sessions_.at(s.index).session;
  pn_link_t* l = sender ? pn_sender(session, o.name.c_str()) : pn_receiver(session, o.name.c_str());
  if (l == nullptr) throw std::logic_error("proton_peer: pn_sender/pn_receiver failed");
  link_handle h = record_link(l);
  set_fields(l, o);
  pn_link_open(l);
  process();
  return h;
}

void proton_peer::set_fields(pn_link_t* l, const link_options& o) {
  const bool sender = pn_link_is_sender(l);
  if (!o.source.empty()) pn_terminus_set_address(pn_link_source(l), o.source.c_str());
  if (!o.target.empty()) pn_terminus_set_address(pn_link_target(l), o.target.c_str());
  if (o.dynamic) pn_terminus_set_dynamic(sender ? pn_link_target(l) : pn_link_source(l), true);
  if (o.source_terminus) write_terminus(pn_link_source(l), *o.source_terminus);
  if (o.target_terminus) write_terminus(pn_link_target(l), *o.target_terminus);
  pn_link_set_snd_settle_mode(l, static_cast<pn_snd_settle_mode_t>(o.snd_settle));
  pn_link_set_rcv_settle_mode(l, static_cast<pn_rcv_settle_mode_t>(o.rcv_settle));
  if (o.max_message_size != 0) pn_link_set_max_message_size(l, o.max_message_size);
  write_data(pn_link_properties(l), o.properties);
}

void proton_peer::answer(link_handle l, const link_options& o) {
  pn_link_t* link = link_ptr(l);
  check(pn_link_state(link) & PN_LOCAL_UNINIT, "proton_peer::answer: the link is already open");
  set_fields(link, o);
  pn_link_open(link);
  process();
}

void proton_peer::close(link_handle l, const condition& error) {
  write_condition(pn_link_condition(link_ptr(l)), error);
  pn_link_close(link_ptr(l));
  process();
}

void proton_peer::detach(link_handle l, const condition& error) {
  write_condition(pn_link_condition(link_ptr(l)), error);
  pn_link_detach(link_ptr(l));
  links_.at(l.index).detached = true;
  process();
}

endpoint_state proton_peer::state(link_handle l) {
  return to_endpoint_state(pn_link_state(link_ptr(l)));
}
condition proton_peer::remote_condition(link_handle l) {
  return read_condition(pn_link_remote_condition(link_ptr(l)));
}

std::optional<link_handle> proton_peer::find_link(std::string_view link_name) const {
  for (std::size_t i = 0; i < links_.size(); ++i) {
    if (link_name == pn_link_name(links_[i].link)) return link_handle{i};
  }
  return std::nullopt;
}

std::string proton_peer::remote_source(link_handle l) {
  return address_of(pn_link_remote_source(link_ptr(l)));
}
std::string proton_peer::remote_target(link_handle l) {
  return address_of(pn_link_remote_target(link_ptr(l)));
}
snd_settle_mode proton_peer::remote_snd_settle_mode(link_handle l) {
  return static_cast<snd_settle_mode>(pn_link_remote_snd_settle_mode(link_ptr(l)));
}
rcv_settle_mode proton_peer::remote_rcv_settle_mode(link_handle l) {
  return static_cast<rcv_settle_mode>(pn_link_remote_rcv_settle_mode(link_ptr(l)));
}
std::uint64_t proton_peer::remote_max_message_size(link_handle l) {
  return pn_link_remote_max_message_size(link_ptr(l));
}
terminus proton_peer::remote_source_terminus(link_handle l) {
  return read_terminus(pn_link_remote_source(link_ptr(l)));
}
terminus proton_peer::remote_target_terminus(link_handle l) {
  return read_terminus(pn_link_remote_target(link_ptr(l)));
}
encoded_value proton_peer::remote_properties(link_handle l) {
  return read_data(pn_link_remote_properties(link_ptr(l)));
}

// ---- Credit.

void proton_peer::flow(link_handle l, int credit) {
  pn_link_flow(link_ptr(l), credit);
  process();
}

void proton_peer::drain(link_handle l, int credit) {
  pn_link_drain(link_ptr(l), credit);
  links_.at(l.index).drain_requested = true;
  process();
}

int proton_peer::complete_drain(link_handle l) {
  int n = pn_link_drained(link_ptr(l));
  links_.at(l.index).credit_drained += n;
  process();
  return n;
}

// ---- Sending.

sent_handle proton_peer::send(link_handle l, std::string_view tag,
                              std::span<const std::uint8_t> message, bool settled) {
  sent_handle d = begin_delivery(l, tag);
  send_chunk(d, message);
  end_delivery(d, settled);
  return d;
}

sent_handle proton_peer::begin_delivery(link_handle l, std::string_view tag) {
  pn_link_t* link = link_ptr(l);
  check(pn_link_current(link) == nullptr, "proton_peer::begin_delivery: one is still open");
  pn_delivery_t* d = pn_delivery(link, pn_dtag(tag.data(), tag.size()));
  if (d == nullptr) throw std::logic_error("proton_peer::begin_delivery: pn_delivery failed");
  sent_handle h{sent_.size()};
  sent_.push_back({.link = l, .tag = std::string(tag)});
  sent_pn_.push_back(d);
  pn_delivery_set_context(d, to_context(h.index));
  return h;
}

void proton_peer::send_chunk(sent_handle d, std::span<const std::uint8_t> bytes) {
  pn_delivery_t* delivery = sent_ptr(d);
  pn_link_t* link = pn_delivery_link(delivery);
  check(pn_link_current(link) == delivery, "proton_peer::send_chunk: the delivery has ended");
  ssize_t n = pn_link_send(link, reinterpret_cast<const char*>(bytes.data()), bytes.size());
  check(n == static_cast<ssize_t>(bytes.size()), "proton_peer::send_chunk: pn_link_send failed");
  sent_[d.index].bytes_sent += bytes.size();
  process();
}

void proton_peer::end_delivery(sent_handle d, bool settled) {
  pn_delivery_t* delivery = sent_ptr(d);
  pn_link_advance(pn_delivery_link(delivery));
  sent_[d.index].complete = true;
  if (settled) settle_here(d);
  process();
}

void proton_peer::abort(sent_handle d) {
  pn_delivery_abort(sent_ptr(d));  // frees the delivery
  sent_pn_[d.index] = nullptr;
  sent_[d.index].aborted = true;
  sent_[d.index].settled = true;
  process();
}

void proton_peer::settle(sent_handle d) {
  settle_here(d);
  process();
}

void proton_peer::settle_here(sent_handle d) {
  pn_delivery_settle(sent_ptr(d));
  sent_pn_[d.index] = nullptr;
  sent_[d.index].settled = true;
}

// ---- Receiving.

void proton_peer::dispose(received_handle d, const disposition& state, bool settle_it) {
  pn_delivery_t* delivery = received_ptr(d);
  pn_disposition_t* local = pn_delivery_local(delivery);
  if (state.type == outcome::rejected) {
    write_condition(pn_disposition_condition(local), state.error);
  }
  if (state.type == outcome::modified) {
    pn_disposition_set_failed(local, state.delivery_failed);
    pn_disposition_set_undeliverable(local, state.undeliverable_here);
    write_data(pn_disposition_annotations(local), state.annotations);
  }
  if (state.type == outcome::received) {
    pn_disposition_set_section_number(local, state.section_number);
    pn_disposition_set_section_offset(local, state.section_offset);
  }
  if (state.type != outcome::none) pn_delivery_update(delivery, to_pn_state(state.type));
  received_[d.index].local = state;
  if (settle_it) settle_here(d);
  process();
}

void proton_peer::settle(received_handle d) {
  settle_here(d);
  process();
}

void proton_peer::settle_here(received_handle d) {
  pn_delivery_settle(received_ptr(d));
  received_pn_[d.index] = nullptr;
  received_[d.index].settled = true;
}

// ---- Events.

void proton_peer::process() {
  while (pn_event_t* e = pn_connection_driver_next_event(&driver_)) handle(e);
}

void proton_peer::handle(pn_event_t* e) {
  pn_event_type_t type = pn_event_type(e);
  proton_event recorded{.type = to_std_string(pn_event_type_name(type))};
  if (pn_session_t* s = pn_event_session(e)) recorded.session = record_session(s);
  if (pn_link_t* l = pn_event_link(e)) {
    recorded.link = record_link(l);
    recorded.link_name = to_std_string(pn_link_name(l));
  }
  if (pn_delivery_t* d = pn_event_delivery(e)) recorded.delivery_tag = tag_of(d);
  recorded.cond = read_condition(pn_event_condition(e));
  events_.push_back(std::move(recorded));

  if (type == PN_LINK_FLOW) {
    on_flow(pn_event_link(e));
  } else if (type == PN_DELIVERY) {
    on_delivery(pn_event_delivery(e));
  } else if (options_.auto_answer) {
    answer(type, e);
  }
}

// auto_answer: open what the remote opened and close what it closed, each once.
void proton_peer::answer(pn_event_type_t type, pn_event_t* e) {
  pn_connection_t* c = driver_.connection;
  pn_session_t* s = pn_event_session(e);
  pn_link_t* l = pn_event_link(e);
  switch (type) {
    case PN_CONNECTION_REMOTE_OPEN:
      if (pn_connection_state(c) & PN_LOCAL_UNINIT) pn_connection_open(c);
      break;
    case PN_CONNECTION_REMOTE_CLOSE:
      if (!(pn_connection_state(c) & PN_LOCAL_CLOSED)) pn_connection_close(c);
      break;
    case PN_SESSION_REMOTE_OPEN:
      if (pn_session_state(s) & PN_LOCAL_UNINIT) open_session(s);
      break;
    case PN_SESSION_REMOTE_CLOSE:
      if (!(pn_session_state(s) & PN_LOCAL_CLOSED)) pn_session_close(s);
      break;
    case PN_LINK_REMOTE_OPEN:
      if (options_.auto_answer_links && (pn_link_state(l) & PN_LOCAL_UNINIT)) {
        on_remote_open_link(l);
      }
      break;
    case PN_LINK_REMOTE_CLOSE:
      if (options_.auto_answer_links && !(pn_link_state(l) & PN_LOCAL_CLOSED)) pn_link_close(l);
      break;
    case PN_LINK_REMOTE_DETACH:
      if (!options_.auto_answer_links) break;
      // Proton's state does not record a detach, hence our own flag.
      if (link_record& rec = links_.at(record_link(l).index); !rec.detached) {
        pn_link_detach(l);
        rec.detached = true;
      }
      break;
    default:
      break;
  }
}

// The Proton way of answering an attach (as its example brokers do): copy the remote termini
// into the local ones, so the answer names the same addresses, and keep the remote's settle
// modes. A dynamic node gets an address made up here.
void proton_peer::on_remote_open_link(pn_link_t* l) {
  pn_terminus_copy(pn_link_source(l), pn_link_remote_source(l));
  pn_terminus_copy(pn_link_target(l), pn_link_remote_target(l));
  pn_terminus_t* node = pn_link_is_sender(l) ? pn_link_source(l) : pn_link_target(l);
  if (pn_terminus_is_dynamic(node)) {
    std::string address = "proton-peer-dynamic-" + std::to_string(++dynamic_addresses_);
    pn_terminus_set_address(node, address.c_str());
  }
  pn_link_set_snd_settle_mode(l, pn_link_remote_snd_settle_mode(l));
  pn_link_set_rcv_settle_mode(l, pn_link_remote_rcv_settle_mode(l));
  pn_link_open(l);
  if (pn_link_is_receiver(l)) {
    links_.at(record_link(l).index).answered_by_auto = true;
    top_up_credit(l);
  }
}

void proton_peer::top_up_credit(pn_link_t* l) {
  int window = static_cast<int>(options_.credit_window);
  int credit = pn_link_credit(l);
  if (credit < window) pn_link_flow(l, window - credit);
}

void proton_peer::on_flow(pn_link_t* l) {
  link_record& rec = links_.at(record_link(l).index);
  if (pn_link_is_receiver(l)) {
    check_drain(rec);
  } else if (pn_link_get_drain(l) && options_.auto_drain) {
    // Nothing more to send here: the receiver gets its credit back at once.
    rec.credit_drained += pn_link_drained(l);
  }
}

// A drain is complete once no credit is left, whether the sender used it up with transfers or
// handed it back by advancing its delivery-count (spec Part 2, 2.6.7). Proton reports the
// second as a flow and the first only through the transfers, so both call this. Clearing the
// drain flag keeps later flow() calls from asking for another drain.
void proton_peer::check_drain(link_record& rec) {
  if (!rec.drain_requested || pn_link_credit(rec.link) != 0) return;
  rec.credit_drained += pn_link_drained(rec.link);
  ++rec.drains_completed;
  rec.drain_requested = false;
  pn_link_set_drain(rec.link, false);
}

void proton_peer::on_delivery(pn_delivery_t* d) {
  pn_link_t* l = pn_delivery_link(d);
  if (pn_link_is_sender(l)) {
    on_sent_update(d);
  } else if (pn_delivery_get_context(d) != nullptr) {
    on_received_update(d);
  } else {
    receive(d);
    check_drain(links_.at(record_link(l).index));
  }
}

// An incoming delivery still arriving: take what is there, so that Proton's session window
// stays open for a message larger than its incoming capacity.
void proton_peer::receive(pn_delivery_t* d) {
  pn_link_t* l = pn_delivery_link(d);
  if (pn_delivery_aborted(d)) return finish_incoming(d, true);
  if (pn_link_current(l) != d) return;  // not reached: each complete delivery is advanced past
  std::vector<std::uint8_t>& incoming = links_.at(record_link(l).index).incoming;
  char buffer[4096];
  for (;;) {
    ssize_t n = pn_link_recv(l, buffer, sizeof buffer);
    if (n <= 0) break;  // 0: nothing more for now; PN_EOS: complete
    incoming.insert(incoming.end(), buffer, buffer + n);
  }
  if (!pn_delivery_partial(d)) finish_incoming(d, false);
}

void proton_peer::finish_incoming(pn_delivery_t* d, bool aborted) {
  pn_link_t* l = pn_delivery_link(d);
  link_handle lh = record_link(l);
  link_record& rec = links_.at(lh.index);
  received_handle h{received_.size()};
  received_.push_back({.link = lh,
                       .tag = tag_of(d),
                       .bytes = std::move(rec.incoming),
                       .remote_settled = pn_delivery_settled(d),
                       .aborted = aborted});
  rec.incoming.clear();
  received_pn_.push_back(d);
  pn_delivery_set_context(d, to_context(h.index));
  pn_link_advance(l);
  // An aborted delivery must still be settled to free it; a pre-settled one needs no answer.
  if (aborted || received_.back().remote_settled) {
    settle_here(h);
  } else if (options_.auto_accept) {
    pn_delivery_update(d, PN_ACCEPTED);
    received_[h.index].local = {.type = outcome::accepted};
    settle_here(h);
  }
  if (rec.answered_by_auto && !rec.drain_requested) top_up_credit(l);
}

// A delivery this peer received and recorded: the sender settled it (rcv-settle-mode second,
// or a late settle). Nothing more can be said about it, so it is settled here too.
void proton_peer::on_received_update(pn_delivery_t* d) {
  received_handle h{*from_context(pn_delivery_get_context(d))};
  if (!pn_delivery_settled(d)) return;
  received_[h.index].remote_settled = true;
  if (received_pn_[h.index] != nullptr) settle_here(h);
}

void proton_peer::on_sent_update(pn_delivery_t* d) {
  auto index = from_context(pn_delivery_get_context(d));
  if (!index) return;
  sent_delivery& rec = sent_[*index];
  pn_disposition_t* remote = pn_delivery_remote(d);
  rec.remote.type = to_outcome(pn_delivery_remote_state(d));
  rec.remote.error = read_condition(pn_disposition_condition(remote));
  rec.remote.delivery_failed = pn_disposition_is_failed(remote);
  rec.remote.undeliverable_here = pn_disposition_is_undeliverable(remote);
  rec.remote.annotations = read_data(pn_disposition_annotations(remote));
  if (rec.remote.type == outcome::received) {
    rec.remote.section_number = pn_disposition_get_section_number(remote);
    rec.remote.section_offset = pn_disposition_get_section_offset(remote);
  }
  rec.remote_settled = pn_delivery_settled(d);
  // Settled by the receiver: nothing more can happen to it, so it is settled here too, which
  // lets Proton free it.
  if (rec.remote_settled && sent_pn_[*index] != nullptr) settle_here(sent_handle{*index});
}

// ---- Records.

session_handle proton_peer::record_session(pn_session_t* s) {
  if (auto index = from_context(pn_session_get_context(s))) return {*index};
  session_handle h{sessions_.size()};
  sessions_.push_back({s});
  pn_session_set_context(s, to_context(h.index));
  return h;
}

link_handle proton_peer::record_link(pn_link_t* l) {
  if (auto index = from_context(pn_link_get_context(l))) return {*index};
  link_handle h{links_.size()};
  links_.push_back({.link = l});
  pn_link_set_context(l, to_context(h.index));
  record_session(pn_link_session(l));
  return h;
}

pn_delivery_t* proton_peer::sent_ptr(sent_handle d) const {
  pn_delivery_t* p = sent_pn_.at(d.index);
  if (p == nullptr) throw std::logic_error("proton_peer: the sent delivery is settled or aborted");
  return p;
}

pn_delivery_t* proton_peer::received_ptr(received_handle d) const {
  pn_delivery_t* p = received_pn_.at(d.index);
  if (p == nullptr) throw std::logic_error("proton_peer: the received delivery is settled");
  return p;
}

// ---- Pumping.

std::size_t transfer(proton_peer& from, proton_peer& to) {
  std::size_t moved = 0;
  for (auto out = from.output(); !out.empty(); out = from.output()) {
    std::size_t n = to.feed(out);
    if (n == 0) break;  // `to` reads nothing more; the bytes stay with `from`
    from.consume_output(n);
    moved += n;
  }
  if (from.output_closed() && !to.input_closed()) to.feed_eof();
  return moved;
}

std::size_t pump(proton_peer& a, proton_peer& b, int max_rounds) {
  std::size_t total = 0;
  for (int round = 0; round < max_rounds; ++round) {
    std::size_t moved = transfer(a, b);
    moved += transfer(b, a);
    total += moved;
    if (moved == 0) break;
  }
  return total;
}

}  // namespace amqp::test
