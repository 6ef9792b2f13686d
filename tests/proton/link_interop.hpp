// The pair the link interop tests share: our engine and a Qpid Proton peer in the other role,
// wired in memory with one session begun, our engine's frame trace (both directions), and
// helpers to carry values and termini between our types and Proton's.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/encoder.hpp"
#include "amqp/engine.hpp"
#include "amqp/text.hpp"
#include "amqp/trace.hpp"
#include "exchange.hpp"
#include "proton_peer.hpp"
#include "support/trace_lines.hpp"

namespace amqp {

namespace interop {

using namespace std::chrono_literals;
using test::outcome;
using test::proton_options;
using test::proton_peer;
using test::proton_role;

// ---- Values between our codec and Proton's (which takes and gives them encoded).

inline test::encoded_value encoded(const value& v) {
  const writer w = encode(v);
  return {w.view().begin(), w.view().end()};
}

inline value decoded(const test::encoded_value& bytes) {
  if (bytes.empty()) return {};
  auto v = decode_value(bytes);
  EXPECT_TRUE(v) << v.error().message();
  return v ? value::from_view(*v) : value{};
}

// Bytes that differ from one offset to the next, so a misplaced fragment shows.
inline std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed = 0) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>((i * 7 + seed) % 251);
  return out;
}

inline std::vector<std::uint8_t> bytes_of(bytes_view b) {
  return {b.begin(), b.end()};
}
inline std::string string_of(bytes_view b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// ---- The pair.

// Our engine and a Proton peer in the other role, wired in memory, with one session begun by
// the client. Our engine's trace records the frames both ways: "-> " ours, "<- " Proton's.
struct link_interop {
  link_interop(engine_role role, proton_options theirs_options, amqp::limits our_limits = {},
               const session_options& our_session_options = {})
      : ours({.role = role, .limits = our_limits, .trace = &trace.sink}),
        theirs(role == engine_role::client ? proton_role::server : proton_role::client,
               std::move(theirs_options)) {
    if (role == engine_role::client) {
      EXPECT_FALSE(ours.open({.container_id = "our-client"}));
      auto s = ours.begin_session(our_session_options);
      EXPECT_TRUE(s);
      our_session = *s;
      pump();
      their_session = test::session_handle{0};
    } else {
      theirs.open();
      their_session = theirs.begin();
      pump();
      EXPECT_FALSE(ours.open({.container_id = "our-server"}));
      const auto* b = find<peer_began_session>();
      EXPECT_NE(b, nullptr);
      if (b) our_session = b->session;
      EXPECT_FALSE(ours.begin_session(our_session, our_session_options));
      pump();
    }
    EXPECT_EQ(theirs.state(their_session).remote, test::endpoint::active);
  }

  // Moves bytes both ways until neither side writes, collecting our events on the way.
  void pump() {
    test::exchange(ours, theirs, now, 10000, [this] { drain(); });
  }
  void drain() {
    while (auto e = ours.poll_event()) events.push_back(std::move(*e));
  }
  // Feeds us at most `n` of the bytes Proton has written, as a slow network would.
  void feed_ours(std::size_t n) {
    const auto out = theirs.output();
    const auto piece = out.first(std::min(n, out.size()));
    std::size_t used = ours.feed(piece, now);
    while (used < piece.size()) {
      drain();
      used += ours.feed(piece.subspan(used), now);
    }
    theirs.consume_output(piece.size());
    drain();
  }

  template <class E>
  const E* find() const {
    for (const event& e : events)
      if (const auto* x = std::get_if<E>(&e)) return x;
    return nullptr;
  }
  // Our events of type E, from the index `from` of `events` on.
  template <class E>
  std::vector<E> all(std::size_t from = 0) const {
    std::vector<E> out;
    for (std::size_t k = from; k < events.size(); ++k)
      if (const auto* x = std::get_if<E>(&events[k])) out.push_back(*x);
    return out;
  }

  // The trace lines of the frames one side sent that contain `what` ("@transfer", ...).
  std::vector<std::string> we_sent(std::string_view what) const { return lines("-> ", what); }
  std::vector<std::string> they_sent(std::string_view what) const { return lines("<- ", what); }
  std::vector<std::string> lines(std::string_view prefix, std::string_view what) const {
    std::vector<std::string> out;
    for (const std::string& l : trace.lines)
      if (l.starts_with(prefix) && l.find(what) != std::string::npos) out.push_back(l);
    return out;
  }

  // The largest frame one side sent ("-> " ours, "<- " Proton's), from the offsets in the trace
  // and the length of the whole stream.
  std::size_t largest_frame(std::string_view prefix) const {
    std::vector<std::size_t> offsets;
    for (const std::string& l : trace.lines)
      if (l.starts_with(prefix)) offsets.push_back(std::stoul(l.substr(prefix.size() + 1)));
    offsets.push_back(prefix == "-> " ? theirs.bytes_fed().size() : theirs.bytes_written().size());
    std::size_t largest = 0;
    for (std::size_t k = 1; k + 1 < offsets.size(); ++k)  // from 1: the protocol header
      largest = std::max(largest, offsets[k + 1] - offsets[k]);
    return largest;
  }

  // Our side attaches a link; Proton answers it (auto_answer) or the test does.
  std::pair<link_handle, test::link_handle> our_link(role r, const link_options& o) {
    auto l = r == role::sender ? ours.attach_sender(our_session, o)
                               : ours.attach_receiver(our_session, o);
    EXPECT_TRUE(l) << l.error().message();
    pump();
    const auto theirs_link = theirs.find_link(o.name);
    EXPECT_TRUE(theirs_link);
    return {l ? *l : link_handle{}, theirs_link.value_or(test::link_handle{})};
  }
  // Proton attaches a link (a sender when `r` is role::sender); our side answers it.
  std::pair<link_handle, test::link_handle> their_link(role r, const test::link_options& o,
                                                       const link_options& answer = {}) {
    const std::size_t mark = events.size();
    const test::link_handle t = r == role::sender ? theirs.open_sender(their_session, o)
                                                  : theirs.open_receiver(their_session, o);
    pump();
    link_handle mine;
    for (const peer_attached& a : all<peer_attached>(mark))
      if (!a.answer) mine = a.link;
    EXPECT_TRUE(mine.is_set()) << "no peer_attached for " << o.name;
    EXPECT_FALSE(ours.attach(mine, answer));
    pump();
    return {mine, t};
  }

  // Our deliveries received since event `from`.
  std::vector<delivery_handle> received(std::size_t from = 0) const {
    std::vector<delivery_handle> out;
    for (const transfer_received& t : all<transfer_received>(from)) out.push_back(t.delivery);
    return out;
  }

  time_point now{1h};
  test::trace_lines trace;
  connection_engine ours;
  proton_peer theirs;
  std::vector<event> events;
  session_handle our_session;
  test::session_handle their_session;
};

// Our client with an auto-answering Proton server; a Proton client with our server.
inline proton_options proton_server(proton_options o = {}) {
  o.container_id = "proton-server";
  o.auto_answer = true;
  return o;
}
inline proton_options proton_client(proton_options o = {}) {
  o.container_id = "proton-client";
  return o;
}

// ---- Termini: ours to Proton's form and back. Proton holds no default-outcome.

inline std::string text_of(const value& v) {
  if (v.is_null()) return "null";
  const writer w = encode(v);
  auto view = decode_value(w.view());
  return view ? to_text(*view, {.multiline = false}) : "(undecodable)";
}

inline test::encoded_value encoded_or_none(const value& v) {
  return v.is_null() ? test::encoded_value{} : encoded(v);
}

inline test::terminus to_proton(const terminus& t) {
  return {.address = t.address.value_or(""),
          .durable = static_cast<std::uint32_t>(t.durable),
          .expiry_policy = t.expiry_policy,
          .timeout = t.timeout,
          .dynamic = t.dynamic,
          .dynamic_node_properties = encoded_or_none(t.dynamic_node_properties),
          .distribution_mode = t.distribution_mode.value_or(""),
          .filter = encoded_or_none(t.filter),
          .outcomes = t.outcomes,
          .capabilities = t.capabilities};
}

inline terminus from_proton(const test::terminus& t) {
  terminus out{.durable = static_cast<terminus_durability>(t.durable),
               .timeout = t.timeout,
               .dynamic = t.dynamic,
               .dynamic_node_properties = decoded(t.dynamic_node_properties),
               .filter = decoded(t.filter),
               .outcomes = t.outcomes,
               .capabilities = t.capabilities};
  if (!t.address.empty()) out.address = t.address;
  if (!t.expiry_policy.empty()) out.expiry_policy = t.expiry_policy;  // else the spec's default
  if (!t.distribution_mode.empty()) out.distribution_mode = t.distribution_mode;
  return out;
}

// What of a terminus can cross Proton: all but the default-outcome.
inline terminus without_default_outcome(terminus t) {
  t.default_outcome = value{};
  return t;
}

// A source with every field away from its default (a dynamic one has no address).
inline terminus every_field_source(std::optional<std::string> address) {
  return {
      .address = address,
      .durable = terminus_durability::unsettled_state,
      .expiry_policy = "never",
      .timeout = 3600,
      .dynamic = !address,
      .dynamic_node_properties =
          value::map_of({{value::sym("supported-dist-modes"), value::sym("copy")}}),
      .distribution_mode = "copy",
      .filter = value::map_of({{value::sym("colour"),
                                value::described_of(value::sym("apache.org:selector-filter:string"),
                                                    "colour = 'red'")}}),
      .default_outcome =
          value::described_of(std::uint64_t{0x27}, value::list_of({true, false})),  // modified
      .outcomes = {"amqp:accepted:list", "amqp:rejected:list", "amqp:released:list",
                   "amqp:modified:list"},
      .capabilities = {"queue", "shared"}};
}

// A target with every field of a target away from its default.
inline terminus every_field_target(std::optional<std::string> address) {
  return {.address = address,
          .durable = terminus_durability::configuration,
          .expiry_policy = "link-detach",
          .timeout = 60,
          .dynamic = !address,
          .dynamic_node_properties =
              value::map_of({{value::sym("lifetime-policy"),
                              value::described_of(std::uint64_t{0x2b}, value::list_of({}))}}),
          .capabilities = {"topic"}};
}


}  // namespace interop

// Readable failure messages for termini.
inline void PrintTo(const terminus& t, std::ostream* os) {
  *os << "{address: " << t.address.value_or("(none)")
      << ", durable: " << static_cast<int>(t.durable) << ", expiry-policy: " << t.expiry_policy
      << ", timeout: " << t.timeout << ", dynamic: " << t.dynamic
      << ", dynamic-node-properties: " << interop::text_of(t.dynamic_node_properties)
      << ", distribution-mode: " << t.distribution_mode.value_or("(none)")
      << ", filter: " << interop::text_of(t.filter) << ", default-outcome: " << interop::text_of(t.default_outcome)
      << ", outcomes: [";
  for (const auto& o : t.outcomes) *os << o << ' ';
  *os << "], capabilities: [";
  for (const auto& c : t.capabilities) *os << c << ' ';
  *os << "]}";
}

}  // namespace amqp
