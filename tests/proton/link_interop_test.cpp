// Our engine against Qpid Proton's, in memory, for links and deliveries: attach and detach
// with every field, credit and drain, messages of one and many frames, aborts, every outcome,
// both receiver settle modes, thousands of messages, links closed with errors. Each behaviour
// runs both ways: our client with a Proton server, and a Proton client with our server.
// Assertions read our events, Proton's events and delivery states, and the frames that
// crossed (our engine's frame trace, both directions).
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
#include "proton_peer.hpp"

namespace amqp {
namespace {

using namespace std::chrono_literals;
using test::outcome;
using test::proton_options;
using test::proton_peer;
using test::proton_role;

// ---- Values between our codec and Proton's (which takes and gives them encoded).

test::encoded_value encoded(const value& v) {
  const writer w = encode(v);
  return {w.view().begin(), w.view().end()};
}

value decoded(const test::encoded_value& bytes) {
  if (bytes.empty()) return {};
  auto v = decode_value(bytes);
  EXPECT_TRUE(v) << v.error().message();
  return v ? value::from_view(*v) : value{};
}

// Bytes that differ from one offset to the next, so a misplaced fragment shows.
std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed = 0) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>((i * 7 + seed) % 251);
  return out;
}

std::vector<std::uint8_t> bytes_of(bytes_view b) {
  return {b.begin(), b.end()};
}
std::string string_of(bytes_view b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// ---- The pair.

struct trace_lines {
  std::vector<std::string> lines;
  text_trace_sink sink{[this](std::string_view l) { lines.emplace_back(l); }};
};

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
    for (int round = 0; round < 10000; ++round) {
      std::size_t moved = 0;
      if (const bytes_view out = ours.pending_output(); !out.empty()) {
        moved += theirs.feed(out);
        ours.consume_output(out.size());  // what Proton did not take, it will never read
      }
      if (const auto out = theirs.output(); !out.empty()) {
        const std::size_t n = out.size();
        std::size_t used = ours.feed(out, now);
        while (used < n) {
          drain();
          used += ours.feed(out.subspan(used), now);
        }
        theirs.consume_output(n);
        moved += n;
      }
      if (ours.is_finished() && !theirs.input_closed()) theirs.feed_eof();
      if (theirs.output_closed() && ours.wants_input()) ours.feed_eof(now);
      drain();
      if (moved == 0) break;
    }
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
  trace_lines trace;
  connection_engine ours;
  proton_peer theirs;
  std::vector<event> events;
  session_handle our_session;
  test::session_handle their_session;
};

// Our client with an auto-answering Proton server; a Proton client with our server.
proton_options proton_server(proton_options o = {}) {
  o.container_id = "proton-server";
  o.auto_answer = true;
  return o;
}
proton_options proton_client(proton_options o = {}) {
  o.container_id = "proton-client";
  return o;
}

// ---- Termini: ours to Proton's form and back. Proton holds no default-outcome.

std::string text_of(const value& v) {
  if (v.is_null()) return "null";
  const writer w = encode(v);
  auto view = decode_value(w.view());
  return view ? to_text(*view, {.multiline = false}) : "(undecodable)";
}

test::encoded_value encoded_or_none(const value& v) {
  return v.is_null() ? test::encoded_value{} : encoded(v);
}

test::terminus to_proton(const terminus& t) {
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

terminus from_proton(const test::terminus& t) {
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
terminus without_default_outcome(terminus t) {
  t.default_outcome = value{};
  return t;
}

// A source with every field away from its default (a dynamic one has no address).
terminus every_field_source(std::optional<std::string> address) {
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
terminus every_field_target(std::optional<std::string> address) {
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

}  // namespace

// Readable failure messages for termini.
[[maybe_unused]] static void PrintTo(const terminus& t, std::ostream* os) {
  *os << "{address: " << t.address.value_or("(none)")
      << ", durable: " << static_cast<int>(t.durable) << ", expiry-policy: " << t.expiry_policy
      << ", timeout: " << t.timeout << ", dynamic: " << t.dynamic
      << ", dynamic-node-properties: " << text_of(t.dynamic_node_properties)
      << ", distribution-mode: " << t.distribution_mode.value_or("(none)")
      << ", filter: " << text_of(t.filter) << ", default-outcome: " << text_of(t.default_outcome)
      << ", outcomes: [";
  for (const auto& o : t.outcomes) *os << o << ' ';
  *os << "], capabilities: [";
  for (const auto& c : t.capabilities) *os << c << ' ';
  *os << "]}";
}

namespace {

// ---- Attach and detach.

TEST(link_interop, proton_reads_every_attach_field_of_our_sender_and_receiver) {
  link_interop i(engine_role::client, proton_server());
  const value properties =
      value::map_of({{value::sym("product"), "amqp-engine"}, {value::sym("build"), 42}});
  const link_options sender{.name = "our-sender",
                            .source = every_field_source("our-outbox"),
                            .target = every_field_target(std::nullopt),  // dynamic
                            .snd_settle_mode = sender_settle_mode::unsettled,
                            .rcv_settle_mode = receiver_settle_mode::second,
                            .max_message_size = 123456,
                            .offered_capabilities = {"our-offer"},
                            .desired_capabilities = {"our-desire"},
                            .properties = properties};
  const auto [our_sender, their_receiver] = i.our_link(role::sender, sender);
  EXPECT_FALSE(i.theirs.is_sender(their_receiver));
  EXPECT_EQ(from_proton(i.theirs.remote_source_terminus(their_receiver)),
            without_default_outcome(*sender.source));
  EXPECT_EQ(from_proton(i.theirs.remote_target_terminus(their_receiver)), *sender.target);
  EXPECT_EQ(i.theirs.remote_snd_settle_mode(their_receiver), test::snd_settle_mode::unsettled);
  EXPECT_EQ(i.theirs.remote_rcv_settle_mode(their_receiver), test::rcv_settle_mode::second);
  EXPECT_EQ(i.theirs.remote_max_message_size(their_receiver), 123456u);
  EXPECT_EQ(decoded(i.theirs.remote_properties(their_receiver)), properties);
  // Proton has no place for these; they are on the wire.
  const std::string attach = i.we_sent("@attach").at(0);
  EXPECT_NE(attach.find("default-outcome: @modified(0x27) {delivery-failed: true, "
                        "undeliverable-here: false}"),
            std::string::npos)
      << attach;
  EXPECT_NE(attach.find("offered-capabilities: symbol[:our-offer]"), std::string::npos) << attach;
  EXPECT_NE(attach.find("desired-capabilities: symbol[:our-desire]"), std::string::npos) << attach;

  // Proton answers the Proton way, with our termini copied and the dynamic node named.
  const peer_attached* answer = i.find<peer_attached>();
  ASSERT_NE(answer, nullptr);
  EXPECT_TRUE(answer->answer);
  EXPECT_EQ(answer->link, our_sender);
  const link_status* st = i.ours.link(our_sender);
  ASSERT_NE(st, nullptr);
  EXPECT_TRUE(st->attach_received);
  EXPECT_EQ(st->remote_source, without_default_outcome(*sender.source));
  terminus named = *sender.target;
  named.address = "proton-peer-dynamic-1";
  EXPECT_EQ(st->remote_target, named);
  EXPECT_EQ(st->snd_settle_mode, sender_settle_mode::unsettled);
  EXPECT_EQ(st->rcv_settle_mode, receiver_settle_mode::second);
  EXPECT_EQ(st->remote_max_message_size, 0u);  // Proton's answer: no limit

  const link_options receiver{.name = "our-receiver",
                              .source = every_field_source(std::nullopt),  // dynamic
                              .target = every_field_target("our-inbox"),
                              .snd_settle_mode = sender_settle_mode::settled,
                              .rcv_settle_mode = receiver_settle_mode::first,
                              .max_message_size = 4096,
                              .properties = properties};
  const auto [our_receiver, their_sender] = i.our_link(role::receiver, receiver);
  EXPECT_TRUE(i.theirs.is_sender(their_sender));
  EXPECT_EQ(from_proton(i.theirs.remote_source_terminus(their_sender)),
            without_default_outcome(*receiver.source));
  EXPECT_EQ(from_proton(i.theirs.remote_target_terminus(their_sender)), *receiver.target);
  EXPECT_EQ(i.theirs.remote_snd_settle_mode(their_sender), test::snd_settle_mode::settled);
  EXPECT_EQ(i.theirs.remote_rcv_settle_mode(their_sender), test::rcv_settle_mode::first);
  EXPECT_EQ(i.theirs.remote_max_message_size(their_sender), 4096u);
  EXPECT_EQ(decoded(i.theirs.remote_properties(their_sender)), properties);
  const link_status* rst = i.ours.link(our_receiver);
  ASSERT_NE(rst, nullptr);
  EXPECT_TRUE(rst->attach_received);
  terminus source_named = without_default_outcome(*receiver.source);
  source_named.address = "proton-peer-dynamic-2";
  EXPECT_EQ(rst->remote_source, source_named);
  EXPECT_EQ(rst->remote_target, *receiver.target);
  EXPECT_EQ(rst->snd_settle_mode, sender_settle_mode::settled);
  EXPECT_EQ(rst->delivery_count, 0u);  // Proton's initial-delivery-count
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, our_server_reads_every_attach_field_of_proton_links_and_answers_with_its_own) {
  link_interop i(engine_role::server, proton_client());
  const value their_properties = value::map_of({{value::sym("client"), "proton"}});
  // Proton's side of each link, and our answer: other values everywhere, so that each field
  // read on each side is the one the other side sent.
  const terminus their_source = without_default_outcome(every_field_source("their-outbox"));
  const terminus their_target = every_field_target(std::nullopt);
  const auto [our_receiver, their_sender] =
      i.their_link(role::sender,
                   {.name = "their-sender",
                    .snd_settle = test::snd_settle_mode::unsettled,
                    .rcv_settle = test::rcv_settle_mode::second,
                    .max_message_size = 777,
                    .source_terminus = to_proton(their_source),
                    .target_terminus = to_proton(their_target),
                    .properties = encoded(their_properties)},
                   {.source = terminus{.address = "their-outbox", .timeout = 5},
                    .target = terminus{.address = "our-dynamic-node",
                                       .durable = terminus_durability::unsettled_state,
                                       .expiry_policy = "connection-close",
                                       .dynamic = true,
                                       .capabilities = {"queue"}},
                    .rcv_settle_mode = receiver_settle_mode::second,
                    .max_message_size = 2048,
                    .offered_capabilities = {"our-offer"},
                    .properties = value::map_of({{value::sym("server"), "ours"}})});
  const link_status* st = i.ours.link(our_receiver);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->role, role::receiver);
  EXPECT_EQ(st->name, "their-sender");
  EXPECT_EQ(st->remote_source, their_source);
  EXPECT_EQ(st->remote_target, their_target);
  EXPECT_EQ(st->snd_settle_mode, sender_settle_mode::unsettled);
  EXPECT_EQ(st->rcv_settle_mode, receiver_settle_mode::second);
  EXPECT_EQ(st->remote_max_message_size, 777u);
  EXPECT_EQ(st->remote_properties, their_properties);
  EXPECT_EQ(st->delivery_count, 0u);  // Proton's initial-delivery-count

  EXPECT_EQ(i.theirs.state(their_sender),
            (test::endpoint_state{test::endpoint::active, test::endpoint::active}));
  EXPECT_EQ(from_proton(i.theirs.remote_source_terminus(their_sender)),
            (terminus{.address = "their-outbox", .timeout = 5}));
  EXPECT_EQ(from_proton(i.theirs.remote_target_terminus(their_sender)),
            (terminus{.address = "our-dynamic-node",
                      .durable = terminus_durability::unsettled_state,
                      .expiry_policy = "connection-close",
                      .dynamic = true,
                      .capabilities = {"queue"}}));
  EXPECT_EQ(i.theirs.remote_rcv_settle_mode(their_sender), test::rcv_settle_mode::second);
  EXPECT_EQ(i.theirs.remote_max_message_size(their_sender), 2048u);
  EXPECT_EQ(decoded(i.theirs.remote_properties(their_sender)),
            value::map_of({{value::sym("server"), "ours"}}));

  // The other role: a Proton receiver asking for a dynamic source.
  const terminus dynamic_source = without_default_outcome(every_field_source(std::nullopt));
  const terminus inbox = every_field_target("their-inbox");
  const auto [our_sender, their_receiver] =
      i.their_link(role::receiver,
                   {.name = "their-receiver",
                    .snd_settle = test::snd_settle_mode::settled,
                    .rcv_settle = test::rcv_settle_mode::first,
                    .source_terminus = to_proton(dynamic_source),
                    .target_terminus = to_proton(inbox)},
                   {.source = terminus{.address = "our-temporary-queue",
                                       .dynamic = true,
                                       .distribution_mode = "move",
                                       .filter = value::map_of({{value::sym("f"), "x"}}),
                                       .outcomes = {"amqp:accepted:list"},
                                       .capabilities = {"temporary-queue"}},
                    .target = inbox,
                    .snd_settle_mode = sender_settle_mode::settled,
                    .initial_delivery_count = 100});
  const link_status* sst = i.ours.link(our_sender);
  ASSERT_NE(sst, nullptr);
  EXPECT_EQ(sst->role, role::sender);
  EXPECT_EQ(sst->remote_source, dynamic_source);
  EXPECT_EQ(sst->remote_target, inbox);
  EXPECT_EQ(sst->snd_settle_mode, sender_settle_mode::settled);
  EXPECT_EQ(sst->rcv_settle_mode, receiver_settle_mode::first);
  EXPECT_EQ(from_proton(i.theirs.remote_source_terminus(their_receiver)),
            (terminus{.address = "our-temporary-queue",
                      .dynamic = true,
                      .distribution_mode = "move",
                      .filter = value::map_of({{value::sym("f"), "x"}}),
                      .outcomes = {"amqp:accepted:list"},
                      .capabilities = {"temporary-queue"}}));
  EXPECT_EQ(from_proton(i.theirs.remote_target_terminus(their_receiver)), inbox);
  EXPECT_EQ(i.theirs.remote_snd_settle_mode(their_receiver), test::snd_settle_mode::settled);
  EXPECT_EQ(i.theirs.remote_max_message_size(their_receiver), 0u);  // a sender's is informative
  i.theirs.flow(their_receiver, 1);  // Proton counts from our initial-delivery-count
  i.pump();
  EXPECT_NE(i.they_sent("@flow").back().find("delivery-count: uint 100, link-credit: uint 1"),
            std::string::npos)
      << i.they_sent("@flow").back();
  EXPECT_EQ(i.ours.link(our_sender)->credit, 1u);
  EXPECT_FALSE(i.find<protocol_violation>());
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

TEST(link_interop, the_receiver_decides_rcv_settle_mode_and_the_sender_snd_settle_mode) {
  // Each side's attach states the mode of its own role and only wishes the other's (spec Part
  // 2, 2.7.3): what is in force is the sender's snd-settle-mode and the receiver's
  // rcv-settle-mode, whoever attached first.
  link_interop i(engine_role::client, proton_server({.auto_answer_links = false}));
  auto l = i.ours.attach_sender(i.our_session, {.name = "s",
                                                .target = terminus{.address = "q"},
                                                .snd_settle_mode = sender_settle_mode::unsettled,
                                                .rcv_settle_mode = receiver_settle_mode::second});
  ASSERT_TRUE(l);
  i.pump();
  const test::link_handle t = i.theirs.find_link("s").value();
  i.theirs.answer(t, {.target = "q",
                      .snd_settle = test::snd_settle_mode::settled,
                      .rcv_settle = test::rcv_settle_mode::first});
  i.pump();
  ASSERT_TRUE(i.find<peer_attached>());
  EXPECT_EQ(i.ours.link(*l)->snd_settle_mode, sender_settle_mode::unsettled);
  EXPECT_EQ(i.ours.link(*l)->rcv_settle_mode, receiver_settle_mode::first);

  link_interop j(engine_role::server, proton_client());
  const auto [r, u] = j.their_link(role::sender,
                                   {.name = "r",
                                    .target = "q",
                                    .snd_settle = test::snd_settle_mode::settled,
                                    .rcv_settle = test::rcv_settle_mode::second},
                                   {.target = terminus{.address = "q"},
                                    .snd_settle_mode = sender_settle_mode::unsettled,
                                    .rcv_settle_mode = receiver_settle_mode::first});
  EXPECT_EQ(j.ours.link(r)->snd_settle_mode, sender_settle_mode::settled);
  EXPECT_EQ(j.ours.link(r)->rcv_settle_mode, receiver_settle_mode::first);
  EXPECT_EQ(j.theirs.remote_rcv_settle_mode(u), test::rcv_settle_mode::first);
  EXPECT_EQ(j.theirs.remote_snd_settle_mode(u), test::snd_settle_mode::unsettled);
}

// The four ways a link ends: each role, detached (it may be attached again) or closed.
struct ending {
  role ours;
  bool closed;
  std::string name;
};
const std::vector<ending> endings = {{role::sender, false, "sender-detached"},
                                     {role::sender, true, "sender-closed"},
                                     {role::receiver, false, "receiver-detached"},
                                     {role::receiver, true, "receiver-closed"}};

TEST(link_interop, our_links_detach_and_close_with_a_proton_server) {
  link_interop i(engine_role::client, proton_server());
  for (const ending& e : endings) {
    SCOPED_TRACE(e.name);
    const auto [l, t] = i.our_link(
        e.ours,
        {.name = e.name, .source = terminus{.address = "a"}, .target = terminus{.address = "b"}});
    i.theirs.clear_events();
    const std::size_t mark = i.events.size();
    ASSERT_FALSE(e.closed ? i.ours.close_link(l) : i.ours.detach(l));
    i.pump();
    EXPECT_EQ(i.theirs.count("PN_LINK_REMOTE_CLOSE"), e.closed ? 1u : 0u);
    EXPECT_EQ(i.theirs.count("PN_LINK_REMOTE_DETACH"), e.closed ? 0u : 1u);
    EXPECT_EQ(i.theirs.state(t).remote,
              e.closed ? test::endpoint::closed : test::endpoint::active);  // see detach()
    const auto answers = i.all<peer_detached>(mark);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].link, l);
    EXPECT_EQ(answers[0].closed, e.closed);
    EXPECT_FALSE(answers[0].error);
    EXPECT_EQ(i.ours.link(l), nullptr);  // both detaches exchanged: the handle is stale
    const std::string detach = i.we_sent("@detach").back();
    EXPECT_EQ(detach.find("closed: true") != std::string::npos, e.closed) << detach;
  }
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, proton_links_detach_and_close_with_our_server) {
  link_interop i(engine_role::server, proton_client());
  for (const ending& e : endings) {
    SCOPED_TRACE(e.name);
    // Proton's link has the opposite role of ours.
    const role theirs = e.ours == role::sender ? role::receiver : role::sender;
    const auto [l, t] =
        i.their_link(theirs, {.name = e.name, .source = "a", .target = "b"},
                     {.source = terminus{.address = "a"}, .target = terminus{.address = "b"}});
    const std::size_t mark = i.events.size();
    if (e.closed) {
      i.theirs.close(t);
    } else {
      i.theirs.detach(t);
    }
    i.pump();
    const auto detached = i.all<peer_detached>(mark);
    ASSERT_EQ(detached.size(), 1u);
    EXPECT_EQ(detached[0].link, l);
    EXPECT_EQ(detached[0].closed, e.closed);
    ASSERT_NE(i.ours.link(l), nullptr);  // ours to answer
    EXPECT_TRUE(i.ours.link(l)->detach_received);
    i.theirs.clear_events();
    ASSERT_FALSE(e.closed ? i.ours.close_link(l) : i.ours.detach(l));
    i.pump();
    EXPECT_EQ(i.ours.link(l), nullptr);
    if (e.closed) {
      EXPECT_EQ(i.theirs.state(t),
                (test::endpoint_state{test::endpoint::closed, test::endpoint::closed}));
    } else {
      EXPECT_EQ(i.theirs.count("PN_LINK_REMOTE_DETACH"), 1u);
    }
  }
  EXPECT_FALSE(i.find<protocol_violation>());
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

// ---- Credit, delivery-count, available, drain, echo.

TEST(link_interop, proton_credit_counts_from_our_initial_delivery_count_across_the_wrap) {
  link_interop i(engine_role::client, proton_server({.auto_answer_links = false}));
  auto l = i.ours.attach_sender(
      i.our_session,
      {.name = "s", .target = terminus{.address = "q"}, .initial_delivery_count = 0xfffffffeu});
  ASSERT_TRUE(l);
  i.pump();
  const test::link_handle t = i.theirs.find_link("s").value();
  i.theirs.answer(t, {.target = "q"});
  i.theirs.flow(t, 5);
  i.pump();
  ASSERT_TRUE(i.find<credit_granted>());
  EXPECT_EQ(i.ours.link(*l)->credit, 5u);
  EXPECT_EQ(i.ours.link(*l)->delivery_count, 0xfffffffeu);
  EXPECT_NE(
      i.they_sent("@flow").back().find("delivery-count: uint 4294967294, link-credit: uint 5"),
      std::string::npos);

  for (int k = 0; k < 3; ++k) ASSERT_TRUE(i.ours.send(*l, pattern(10), {.settled = true}));
  i.pump();
  EXPECT_EQ(i.theirs.received().size(), 3u);
  EXPECT_EQ(i.theirs.credit(t), 2);
  EXPECT_EQ(i.ours.link(*l)->delivery_count, 1u);  // wrapped (RFC 1982)
  EXPECT_EQ(i.ours.link(*l)->credit, 2u);

  // More credit: Proton's flow counts from the wrapped delivery-count.
  i.theirs.flow(t, 3);
  i.pump();
  EXPECT_NE(i.they_sent("@flow").back().find("delivery-count: uint 1, link-credit: uint 5"),
            std::string::npos)
      << i.they_sent("@flow").back();
  EXPECT_EQ(i.ours.link(*l)->credit, 5u);
  for (int k = 0; k < 5; ++k) ASSERT_TRUE(i.ours.send(*l, pattern(10), {.settled = true}));
  EXPECT_EQ(i.ours.send(*l, pattern(10), {.settled = true}).error(),
            make_error_code(errc::no_credit));
  i.pump();
  EXPECT_EQ(i.theirs.received().size(), 8u);
  EXPECT_EQ(i.theirs.credit(t), 0);
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, credit_proton_grants_while_our_deliveries_are_in_flight_counts_from_its_count) {
  // Proton's flow names the delivery-count it has seen, behind ours by what is on the wire:
  // our credit is its count plus its credit minus ours (spec Part 2, 2.6.7).
  link_interop i(engine_role::client, proton_server({.auto_answer_links = false}));
  auto l = i.ours.attach_sender(i.our_session, {.name = "s", .target = terminus{.address = "q"}});
  ASSERT_TRUE(l);
  i.pump();
  const test::link_handle t = i.theirs.find_link("s").value();
  i.theirs.answer(t, {.target = "q"});
  i.theirs.flow(t, 10);
  i.pump();
  for (int k = 0; k < 4; ++k) ASSERT_TRUE(i.ours.send(*l, pattern(10), {.settled = true}));
  EXPECT_EQ(i.ours.link(*l)->credit, 6u);
  i.theirs.flow(t, 5);    // Proton has seen none of the four yet
  i.feed_ours(1u << 20);  // its flow crosses our transfers
  EXPECT_NE(i.they_sent("@flow").back().find("delivery-count: uint 0, link-credit: uint 15"),
            std::string::npos)
      << i.they_sent("@flow").back();
  EXPECT_EQ(i.ours.link(*l)->credit, 11u);
  i.pump();
  EXPECT_EQ(i.theirs.received().size(), 4u);
  EXPECT_EQ(i.theirs.credit(t), 11);
}

TEST(link_interop, our_credit_bounds_what_a_proton_sender_sends) {
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(l, 3));
  i.pump();
  EXPECT_EQ(i.theirs.credit(t), 3);
  for (int k = 0; k < 5; ++k) i.theirs.send(t, std::to_string(k), pattern(10), /*settled=*/true);
  i.pump();
  EXPECT_EQ(i.received().size(), 3u);  // Proton holds back the rest
  EXPECT_EQ(i.ours.link(l)->credit, 0u);
  EXPECT_EQ(i.ours.link(l)->delivery_count, 3u);

  ASSERT_FALSE(i.ours.grant_credit(l, 10));
  i.pump();
  EXPECT_EQ(i.received().size(), 5u);
  EXPECT_EQ(i.ours.link(l)->credit, 8u);
  EXPECT_EQ(i.ours.link(l)->delivery_count, 5u);
  EXPECT_EQ(i.theirs.credit(t), 8);
  EXPECT_NE(i.we_sent("@flow").back().find("delivery-count: uint 3, link-credit: uint 10"),
            std::string::npos)
      << i.we_sent("@flow").back();
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, a_proton_receiver_drains_our_sender) {
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::receiver, {.name = "r", .source = "q"},
                                   {.source = terminus{.address = "q"}});
  i.theirs.flow(t, 5);
  i.pump();
  EXPECT_EQ(i.ours.link(l)->credit, 5u);
  EXPECT_FALSE(i.ours.link(l)->drain);

  // Drain: we send what we have (two messages), then give up the rest.
  std::size_t mark = i.events.size();
  i.theirs.drain(t, 0);
  i.pump();
  EXPECT_EQ(i.all<credit_granted>(mark).size(), 1u);
  EXPECT_TRUE(i.ours.link(l)->drain);
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  ASSERT_FALSE(i.ours.complete_drain(l));
  i.pump();
  EXPECT_EQ(i.theirs.received().size(), 2u);
  EXPECT_EQ(i.theirs.drains_completed(t), 1);
  EXPECT_EQ(i.theirs.credit_drained(t), 3);
  EXPECT_EQ(i.theirs.credit(t), 0);
  EXPECT_FALSE(i.theirs.draining(t));
  EXPECT_EQ(i.ours.link(l)->credit, 0u);
  EXPECT_EQ(i.ours.link(l)->delivery_count, 5u);
  EXPECT_FALSE(i.ours.link(l)->drain);
  const std::string flow = i.we_sent("@flow").back();
  EXPECT_NE(flow.find("delivery-count: uint 5, link-credit: uint 0"), std::string::npos) << flow;
  EXPECT_NE(flow.find("drain: true"), std::string::npos) << flow;
  EXPECT_EQ(i.ours.complete_drain(l), make_error_code(errc::wrong_state));  // no drain asked

  // A drain that the transfers use up needs no flow: the credit is simply gone.
  mark = i.events.size();
  i.theirs.drain(t, 2);
  i.pump();
  EXPECT_TRUE(i.ours.link(l)->drain);
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  EXPECT_FALSE(i.ours.link(l)->drain);
  i.pump();
  EXPECT_EQ(i.theirs.drains_completed(t), 2);
  EXPECT_EQ(i.theirs.received().size(), 4u);
  EXPECT_EQ(i.ours.link(l)->delivery_count, 7u);
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, a_drain_completed_while_our_deliveries_wait_for_the_window_keeps_counts_equal) {
  // Three messages of five frames each against Proton's window of four transfers: when the
  // drain is completed, two of them have not begun on the wire. Proton must still count
  // exactly the deliveries it got plus the credit we gave up, or later credit would differ.
  amqp::limits small;
  small.max_frame_size = 512;
  link_interop i(
      engine_role::client,
      proton_server(
          {.max_frame_size = 512, .session_incoming_capacity = 2048, .auto_answer_links = false}),
      small);
  auto l = i.ours.attach_sender(i.our_session, {.name = "s", .target = terminus{.address = "q"}});
  ASSERT_TRUE(l);
  i.pump();
  const test::link_handle t = i.theirs.find_link("s").value();
  i.theirs.answer(t, {.target = "q"});
  i.theirs.flow(t, 10);
  i.pump();
  ASSERT_EQ(i.ours.session(i.our_session)->remote_incoming_window, 4u);
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(i.ours.send(*l, pattern(2000), {.settled = true}));
  EXPECT_EQ(i.ours.link(*l)->queued, 3u);
  i.theirs.drain(t, 0);
  i.feed_ours(1u << 20);  // the drain reaches us before our transfers reach Proton
  ASSERT_TRUE(i.ours.link(*l)->drain);
  ASSERT_FALSE(i.ours.complete_drain(*l));
  EXPECT_EQ(i.ours.link(*l)->delivery_count, 10u);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 3u);
  EXPECT_EQ(i.theirs.credit(t), 0);
  EXPECT_EQ(i.theirs.drains_completed(t), 1);

  i.theirs.flow(t, 5);
  i.pump();
  EXPECT_NE(i.they_sent("@flow").back().find("delivery-count: uint 10, link-credit: uint 5"),
            std::string::npos)
      << i.they_sent("@flow").back();
  EXPECT_EQ(i.ours.link(*l)->credit, 5u);
  int sent = 0;
  while (i.ours.send(*l, pattern(10), {.settled = true})) ++sent;
  i.pump();
  EXPECT_EQ(sent, 5);
  EXPECT_EQ(i.theirs.received().size(), 8u);
  EXPECT_EQ(i.theirs.credit(t), 0);
}

TEST(link_interop, our_receiver_drains_a_proton_sender) {
  link_interop i(engine_role::client, proton_server({.auto_answer_links = false}));
  auto l = i.ours.attach_receiver(i.our_session, {.name = "r", .source = terminus{.address = "q"}});
  ASSERT_TRUE(l);
  i.pump();
  const test::link_handle t = i.theirs.find_link("r").value();
  i.theirs.answer(t, {.source = "q"});
  ASSERT_FALSE(i.ours.grant_credit(*l, 5));
  i.pump();
  i.theirs.send(t, "a", pattern(10), true);
  i.theirs.send(t, "b", pattern(10), true);
  i.pump();
  EXPECT_EQ(i.received().size(), 2u);

  // Proton hands the three credits left back at once (auto_drain).
  std::size_t mark = i.events.size();
  ASSERT_FALSE(i.ours.drain(*l));
  EXPECT_TRUE(i.ours.link(*l)->drain);
  EXPECT_NE(i.we_sent("@flow").back().find("drain: true"), std::string::npos);
  i.pump();
  EXPECT_EQ(i.all<link_drained>(mark).size(), 1u);
  EXPECT_EQ(i.theirs.credit_drained(t), 3);
  EXPECT_EQ(i.ours.link(*l)->credit, 0u);
  EXPECT_EQ(i.ours.link(*l)->delivery_count, 5u);
  EXPECT_FALSE(i.ours.link(*l)->drain);

  // Nothing to drain: done at once.
  mark = i.events.size();
  ASSERT_FALSE(i.ours.drain(*l));
  i.pump();
  EXPECT_EQ(i.all<link_drained>(mark).size(), 1u);
  EXPECT_EQ(i.we_sent("@flow").size(), 2u);  // the credit, the first drain: no flow for this one
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, a_drain_ends_when_a_proton_sender_uses_up_the_credit) {
  link_interop i(engine_role::server, proton_client({.auto_drain = false}));
  const auto [l, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(l, 3));
  ASSERT_FALSE(i.ours.drain(l));
  i.pump();
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::active);
  EXPECT_FALSE(i.find<link_drained>());
  for (int k = 0; k < 3; ++k) i.theirs.send(t, std::to_string(k), pattern(10), true);
  i.pump();
  EXPECT_EQ(i.received().size(), 3u);
  const auto drained = i.all<link_drained>();
  ASSERT_EQ(drained.size(), 1u);
  EXPECT_EQ(drained[0].link, l);
  EXPECT_FALSE(i.ours.link(l)->drain);
  // The sender hands back what is left after a partial use: the rest of a second drain.
  ASSERT_FALSE(i.ours.grant_credit(l, 4));
  ASSERT_FALSE(i.ours.drain(l));
  i.pump();
  i.theirs.send(t, "x", pattern(10), true);
  EXPECT_EQ(i.theirs.complete_drain(t), 3);
  i.pump();
  EXPECT_EQ(i.all<link_drained>().size(), 2u);
  EXPECT_EQ(i.ours.link(l)->credit, 0u);
  EXPECT_EQ(i.ours.link(l)->delivery_count, 7u);
}

TEST(link_interop, our_flow_state_with_available_and_echo_is_accepted_by_proton) {
  // Proton 0.37 reads neither available nor echo (it never answers an echo and never sends
  // available): what can be checked is that our flows carry them and that Proton carries on.
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::receiver, {.name = "r", .source = "q"},
                                   {.source = terminus{.address = "q"}});
  i.theirs.flow(t, 2);
  i.pump();
  ASSERT_FALSE(i.ours.set_available(l, 7));
  EXPECT_EQ(i.ours.link(l)->available, 7u);
  ASSERT_FALSE(i.ours.request_flow(l));
  const std::vector<std::string> flows = i.we_sent("@flow");
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_NE(flows[0].find("delivery-count: uint 0, link-credit: uint 2, available: uint 7}"),
            std::string::npos)
      << flows[0];
  EXPECT_NE(flows[1].find("available: uint 7, echo: true}"), std::string::npos) << flows[1];
  i.pump();
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  i.pump();
  EXPECT_EQ(i.theirs.received().size(), 1u);
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::active);
}

// ---- Messages.

TEST(link_interop, single_frame_messages_cross_both_ways_with_their_tags) {
  link_interop i(engine_role::client, proton_server({.auto_accept = true}));
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  const std::string tag = "our-tag-1";
  ASSERT_TRUE(i.ours.send(
      l, pattern(300, 1),
      {.tag = bytes_view(reinterpret_cast<const std::uint8_t*>(tag.data()), tag.size())}));
  ASSERT_TRUE(i.ours.send(l, pattern(200, 2)));  // a tag the engine makes
  ASSERT_TRUE(i.ours.send(l, pattern(0)));       // an empty message is one frame too
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 3u);
  EXPECT_EQ(i.theirs.received()[0].tag, tag);
  EXPECT_EQ(i.theirs.received()[0].bytes, pattern(300, 1));
  EXPECT_EQ(i.theirs.received()[1].bytes, pattern(200, 2));
  EXPECT_FALSE(i.theirs.received()[1].tag.empty());
  EXPECT_NE(i.theirs.received()[1].tag, i.theirs.received()[2].tag);
  EXPECT_TRUE(i.theirs.received()[2].bytes.empty());
  EXPECT_EQ(i.we_sent("@transfer").size(), 3u);
  EXPECT_TRUE(i.we_sent("more: true").empty());
  EXPECT_EQ(i.all<disposition_received>().size(), 3u);  // auto_accept

  link_interop j(engine_role::server, proton_client());
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 10));
  j.pump();
  j.theirs.send(u, "their-tag-1", pattern(300, 3), false);
  j.pump();
  const auto got = j.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(bytes_of(j.ours.payload(got[0])), pattern(300, 3));
  EXPECT_EQ(string_of(j.ours.delivery_tag(got[0])), "their-tag-1");
  const delivery_status* d = j.ours.delivery(got[0]);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->link, r);
  EXPECT_TRUE(d->complete);
  EXPECT_FALSE(d->remote_settled);
  EXPECT_EQ(d->size, 300u);
  EXPECT_EQ(d->message_format, 0u);
  EXPECT_EQ(j.ours.link(r)->unsettled, 1u);
}

TEST(link_interop, a_10_kb_message_crosses_in_512_byte_frames_both_ways) {
  amqp::limits small;
  small.max_frame_size = 512;
  const std::vector<std::uint8_t> message = pattern(10 * 1024, 5);

  link_interop i(engine_role::client, proton_server({.max_frame_size = 512, .auto_accept = true}),
                 small);
  EXPECT_EQ(i.ours.max_frame_size(), 512u);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  auto d = i.ours.send(l, message);
  ASSERT_TRUE(d);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_EQ(i.theirs.received()[0].bytes, message);
  const auto transfers = i.we_sent("@transfer");
  EXPECT_GE(transfers.size(), message.size() / 512 + 1);
  EXPECT_EQ(i.we_sent("more: true").size(), transfers.size() - 1);
  EXPECT_LE(i.largest_frame("-> "), 512u);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::accepted());

  link_interop j(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 1));
  j.pump();
  j.theirs.send(u, "big", message, false);
  j.pump();
  const auto got = j.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(bytes_of(j.ours.payload(got[0])), message);
  const auto theirs = j.they_sent("@transfer");
  EXPECT_GE(theirs.size(), message.size() / 512 + 1);
  EXPECT_EQ(j.they_sent("more: true").size(), theirs.size() - 1);
  EXPECT_LE(j.largest_frame("<- "), 512u);
  ASSERT_FALSE(j.ours.settle(got[0], delivery_state::accepted()));
  j.pump();
  EXPECT_EQ(j.theirs.sent()[0].remote.type, outcome::accepted);
  EXPECT_TRUE(j.theirs.sent()[0].remote_settled);
}

TEST(link_interop, aborted_deliveries_are_dropped_both_ways_and_the_link_carries_on) {
  amqp::limits small;
  small.max_frame_size = 512;

  link_interop i(engine_role::client, proton_server({.max_frame_size = 512, .auto_accept = true}),
                 small);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  auto d = i.ours.send(l, pattern(2000), {.more = true});  // five frames, more to come
  ASSERT_TRUE(d);
  i.pump();
  EXPECT_TRUE(i.theirs.received().empty());
  ASSERT_FALSE(i.ours.abort_delivery(*d));
  EXPECT_EQ(i.ours.delivery(*d), nullptr);  // settled and gone
  auto next = i.ours.send(l, pattern(100, 9));
  ASSERT_TRUE(next);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 2u);
  EXPECT_TRUE(i.theirs.received()[0].aborted);
  EXPECT_FALSE(i.theirs.received()[1].aborted);
  EXPECT_EQ(i.theirs.received()[1].bytes, pattern(100, 9));
  const auto aborted = i.we_sent("aborted: true");
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_EQ(aborted[0].find("payload"), std::string::npos) << aborted[0];  // no bytes with it
  // Only the next one waits for us to settle it (Proton accepted it); the aborted one is gone.
  EXPECT_EQ(i.ours.link(l)->unsettled, 1u);
  EXPECT_EQ(i.ours.delivery(*next)->remote_state, delivery_state::accepted());
  EXPECT_EQ(i.ours.link(l)->delivery_count, 2u);  // the aborted one took its credit

  link_interop j(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 10));
  j.pump();
  const test::sent_handle doomed = j.theirs.begin_delivery(u, "doomed");
  j.theirs.send_chunk(doomed, pattern(2000));
  j.pump();
  EXPECT_TRUE(j.received().empty());
  j.theirs.abort(doomed);
  j.theirs.send(u, "next", pattern(100, 8), false);
  j.pump();
  const auto dropped = j.all<transfer_aborted>();
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].link, r);
  const auto got = j.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(string_of(j.ours.delivery_tag(got[0])), "next");
  EXPECT_EQ(bytes_of(j.ours.payload(got[0])), pattern(100, 8));
  EXPECT_EQ(j.ours.link(r)->unsettled, 1u);  // only "next"
  EXPECT_EQ(j.ours.link(r)->delivery_count, 2u);
  EXPECT_FALSE(j.find<protocol_violation>());
}

TEST(link_interop, messages_of_every_size_around_the_frame_boundaries_cross_intact_both_ways) {
  // Where a message ends exactly at, just before or just after the end of a frame is where
  // the splitting (and the last frame's more flag) can go wrong.
  amqp::limits small;
  small.max_frame_size = 512;
  std::vector<std::size_t> sizes;
  for (std::size_t n = 450; n <= 520; ++n) sizes.push_back(n);
  for (std::size_t n = 940; n <= 1010; ++n) sizes.push_back(n);

  link_interop i(engine_role::client,
                 proton_server({.max_frame_size = 512, .credit_window = 200, .auto_accept = true}),
                 small);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  for (std::size_t n : sizes) ASSERT_TRUE(i.ours.send(l, pattern(n, static_cast<std::uint8_t>(n))));
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), sizes.size());
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    EXPECT_EQ(i.theirs.received()[k].bytes, pattern(sizes[k], static_cast<std::uint8_t>(sizes[k])))
        << sizes[k] << " bytes";
  }
  EXPECT_LE(i.largest_frame("-> "), 512u);

  link_interop j(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, static_cast<std::uint32_t>(sizes.size())));
  j.pump();
  for (std::size_t n : sizes) {
    j.theirs.send(u, std::to_string(n), pattern(n, static_cast<std::uint8_t>(n)), true);
  }
  j.pump();
  const auto got = j.received();
  ASSERT_EQ(got.size(), sizes.size());
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    EXPECT_EQ(bytes_of(j.ours.payload(got[k])),
              pattern(sizes[k], static_cast<std::uint8_t>(sizes[k])))
        << sizes[k] << " bytes";
  }
  EXPECT_FALSE(j.find<protocol_violation>());
}

TEST(link_interop, a_message_given_in_pieces_crosses_whole_both_ways) {
  amqp::limits small;
  small.max_frame_size = 512;
  const std::vector<std::uint8_t> message = pattern(3000, 4);
  const auto piece = [&](std::size_t from, std::size_t to) {
    return bytes_view(message).subspan(from, to - from);
  };

  link_interop i(engine_role::client, proton_server({.max_frame_size = 512, .auto_accept = true}),
                 small);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  auto d = i.ours.send(l, piece(0, 100), {.more = true});
  ASSERT_TRUE(d);
  i.pump();
  ASSERT_FALSE(i.ours.send_more(*d, piece(100, 1700), true));
  i.pump();
  EXPECT_TRUE(i.theirs.received().empty());
  ASSERT_FALSE(i.ours.send_more(*d, piece(1700, 3000), true));
  ASSERT_FALSE(i.ours.send_more(*d, {}, false));  // the end, with no bytes
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_EQ(i.theirs.received()[0].bytes, message);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::accepted());

  link_interop j(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 1));
  j.pump();
  const test::sent_handle h = j.theirs.begin_delivery(u, "pieces");
  for (std::size_t at = 0; at < message.size(); at += 700) {
    j.theirs.send_chunk(h, piece(at, std::min(message.size(), at + 700)));
    j.pump();
  }
  EXPECT_TRUE(j.received().empty());
  j.theirs.end_delivery(h, false);
  j.pump();
  ASSERT_EQ(j.received().size(), 1u);
  EXPECT_EQ(bytes_of(j.ours.payload(j.received()[0])), message);
}

TEST(link_interop, our_sender_waits_for_the_proton_session_window_to_open) {
  // Proton's window is its incoming capacity over the frame size: 2048 / 512 = 4 transfers.
  amqp::limits small;
  small.max_frame_size = 512;
  link_interop i(engine_role::client,
                 proton_server({.max_frame_size = 512,
                                .session_incoming_capacity = 2048,
                                .credit_window = 50,
                                .auto_accept = true}),
                 small);
  ASSERT_EQ(i.ours.session(i.our_session)->remote_incoming_window, 4u);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  const std::vector<std::uint8_t> big = pattern(10 * 1024, 6);
  ASSERT_TRUE(i.ours.send(l, big));
  for (int k = 0; k < 20; ++k)
    ASSERT_TRUE(i.ours.send(l, pattern(100, static_cast<std::uint8_t>(k))));
  EXPECT_GT(i.ours.link(l)->queued, 0u);  // held back until Proton opens its window
  i.pump();
  EXPECT_EQ(i.ours.link(l)->queued, 0u);
  ASSERT_EQ(i.theirs.received().size(), 21u);
  EXPECT_EQ(i.theirs.received()[0].bytes, big);
  EXPECT_EQ(i.theirs.received()[20].bytes, pattern(100, 19));
  EXPECT_EQ(i.all<disposition_received>().size(), 21u);
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

TEST(link_interop, a_proton_sender_stays_within_our_session_window) {
  // Our incoming-window of 8 transfers, refilled once half used: Proton must wait for each
  // refill (a transfer beyond it would end the session with window-violation).
  amqp::limits small;
  small.max_frame_size = 512;
  link_interop i(engine_role::server, proton_client({.max_frame_size = 512}), small,
                 {.incoming_window = 8});
  const auto [r, u] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(r, 1000));
  i.pump();
  const std::vector<std::uint8_t> big = pattern(10 * 1024, 7);
  i.theirs.send(u, "big", big, true);
  for (int k = 0; k < 200; ++k) i.theirs.send(u, std::to_string(k), pattern(30), true);
  i.pump();
  const auto got = i.received();
  ASSERT_EQ(got.size(), 201u);
  EXPECT_EQ(bytes_of(i.ours.payload(got[0])), big);
  EXPECT_FALSE(i.find<protocol_violation>());
  EXPECT_GT(i.we_sent("@flow").size(), 20u);  // the refills
}

TEST(link_interop, a_message_sent_in_parts_reaches_proton_as_one) {
  // The sections an application encodes and a body it holds elsewhere, sent without joining
  // them first; the frame boundaries fall inside the parts.
  amqp::limits small;
  small.max_frame_size = 512;
  link_interop i(engine_role::client, proton_server({.max_frame_size = 512, .auto_accept = true}),
                 small);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  const std::vector<std::uint8_t> head = pattern(300, 1), body = pattern(2500, 2),
                                  tail = pattern(7, 3);
  const bytes_view parts[] = {head, body, {}, tail};
  auto d = i.ours.send(l, message_parts(parts));
  ASSERT_TRUE(d);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  std::vector<std::uint8_t> whole = head;
  whole.insert(whole.end(), body.begin(), body.end());
  whole.insert(whole.end(), tail.begin(), tail.end());
  EXPECT_EQ(i.theirs.received()[0].bytes, whole);
  EXPECT_LE(i.largest_frame("-> "), 512u);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::accepted());
}

TEST(link_interop, batchable_transfers_are_received_by_proton) {
  // Proton never sends batchable itself, so this goes one way.
  link_interop i(engine_role::client, proton_server({.auto_accept = true}));
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  for (int k = 0; k < 5; ++k) ASSERT_TRUE(i.ours.send(l, pattern(50), {.batchable = true}));
  i.pump();
  EXPECT_EQ(i.we_sent("batchable: true").size(), 5u);
  EXPECT_EQ(i.theirs.received().size(), 5u);
  const auto answers = i.all<disposition_received>();
  ASSERT_EQ(answers.size(), 5u);
  for (const auto& a : answers) {
    EXPECT_TRUE(a.settled);
    EXPECT_EQ(i.ours.delivery(a.delivery)->remote_state, delivery_state::accepted());
  }
}

// ---- Outcomes.

TEST(link_interop, every_outcome_from_a_proton_receiver_reaches_our_sender) {
  link_interop i(engine_role::client, proton_server());
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  const value annotations = value::map_of({{value::sym("x-opt-retry"), 3}});
  const value info = value::map_of({{value::sym("field"), "body"}});
  const std::vector<test::disposition> theirs = {
      {.type = outcome::accepted},
      {.type = outcome::rejected,
       .error = {"amqp:precondition-failed", "no thanks", encoded(info)}},
      {.type = outcome::released},
      {.type = outcome::modified,
       .delivery_failed = true,
       .undeliverable_here = true,
       .annotations = encoded(annotations)},
      {.type = outcome::modified, .delivery_failed = true},
  };
  const std::vector<delivery_state> expected = {
      delivery_state::accepted(),
      delivery_state::rejected(condition{"amqp:precondition-failed", "no thanks", info}),
      delivery_state::released(),
      delivery_state::modified(true, true, annotations),
      delivery_state::modified(true, false),
  };
  std::vector<delivery_handle> sent;
  for (std::size_t k = 0; k < theirs.size(); ++k) {
    auto d = i.ours.send(l, pattern(20, static_cast<std::uint8_t>(k)));
    ASSERT_TRUE(d);
    sent.push_back(*d);
  }
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), theirs.size());
  for (std::size_t k = 0; k < theirs.size(); ++k) i.theirs.dispose({k}, theirs[k]);
  i.pump();
  const auto answers = i.all<disposition_received>();
  ASSERT_EQ(answers.size(), theirs.size());
  for (const disposition_received& a : answers) {
    // rcv-settle-mode first: outcome and settlement at once. (Proton writes the outcomes that
    // carry fields at once and batches the others, so they arrive out of order.)
    EXPECT_TRUE(a.settled);
    EXPECT_EQ(std::count(sent.begin(), sent.end(), a.delivery), 1);
  }
  for (std::size_t k = 0; k < theirs.size(); ++k) {
    SCOPED_TRACE(k);
    const delivery_status* d = i.ours.delivery(sent[k]);
    ASSERT_NE(d, nullptr);  // ours until we settle it
    EXPECT_TRUE(d->remote_settled);
    EXPECT_EQ(d->remote_state, expected[k]);
    ASSERT_FALSE(i.ours.settle(sent[k]));
    EXPECT_EQ(i.ours.delivery(sent[k]), nullptr);
  }
  i.pump();
  EXPECT_TRUE(i.we_sent("@disposition").empty());  // Proton settled them all first
  EXPECT_EQ(i.ours.link(l)->unsettled, 0u);
}

TEST(link_interop, every_outcome_from_our_receiver_reaches_a_proton_sender) {
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(l, 10));
  i.pump();
  const value annotations = value::map_of({{value::sym("x-opt-reason"), "busy"}});
  const value info = value::map_of({{value::sym("limit"), std::uint32_t{10}}});
  const std::vector<delivery_state> ours = {
      delivery_state::accepted(),
      delivery_state::rejected(condition{"amqp:decode-error", "bad body", info}),
      delivery_state::released(),
      delivery_state::modified(true, true, annotations),
      delivery_state::modified(false, true),
      delivery_state::rejected(),
  };
  const std::vector<test::disposition> expected = {
      {.type = outcome::accepted},
      {.type = outcome::rejected, .error = {"amqp:decode-error", "bad body", encoded(info)}},
      {.type = outcome::released},
      {.type = outcome::modified,
       .delivery_failed = true,
       .undeliverable_here = true,
       .annotations = encoded(annotations)},
      {.type = outcome::modified, .undeliverable_here = true},
      {.type = outcome::rejected},
  };
  for (std::size_t k = 0; k < ours.size(); ++k)
    i.theirs.send(t, std::to_string(k), pattern(20), false);
  i.pump();
  const auto got = i.received();
  ASSERT_EQ(got.size(), ours.size());
  for (std::size_t k = 0; k < ours.size(); ++k) ASSERT_FALSE(i.ours.settle(got[k], ours[k]));
  i.pump();
  for (std::size_t k = 0; k < ours.size(); ++k) {
    SCOPED_TRACE(k);
    const test::sent_delivery& d = i.theirs.sent()[k];
    EXPECT_TRUE(d.remote_settled);
    // Proton keeps the info it read as it encodes it; compare the values, then the rest.
    EXPECT_EQ(decoded(d.remote.error.info), decoded(expected[k].error.info));
    EXPECT_EQ(decoded(d.remote.annotations), decoded(expected[k].annotations));
    test::disposition rest = d.remote;
    rest.error.info = expected[k].error.info;
    rest.annotations = expected[k].annotations;
    EXPECT_EQ(rest, expected[k]);
  }
  EXPECT_EQ(i.theirs.unsettled(t), 0);
}

TEST(link_interop, received_state_updates_a_delivery_without_settling_it_both_ways) {
  // received (spec Part 3, 3.4.1) is where a resumed transfer could go on from: a state, not
  // an outcome, so the delivery stays unsettled until its outcome follows.
  link_interop i(engine_role::client, proton_server());
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  auto d = i.ours.send(l, pattern(20));
  ASSERT_TRUE(d);
  i.pump();
  i.theirs.dispose({0}, {.type = outcome::received, .section_number = 2, .section_offset = 100},
                   /*settle=*/false);
  i.pump();
  ASSERT_EQ(i.all<disposition_received>().size(), 1u);
  EXPECT_FALSE(i.all<disposition_received>()[0].settled);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::received(2, 100));
  EXPECT_FALSE(i.ours.delivery(*d)->remote_settled);
  i.theirs.dispose({0}, {.type = outcome::accepted});
  i.pump();
  ASSERT_EQ(i.all<disposition_received>().size(), 2u);
  EXPECT_TRUE(i.all<disposition_received>()[1].settled);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::accepted());

  link_interop j(engine_role::server, proton_client());
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 1));
  j.pump();
  j.theirs.send(u, "t", pattern(20), false);
  j.pump();
  ASSERT_EQ(j.received().size(), 1u);
  const delivery_handle got = j.received()[0];
  ASSERT_FALSE(j.ours.update_state(got, delivery_state::received(1, 7)));
  j.pump();
  EXPECT_EQ(
      j.theirs.sent()[0].remote,
      (test::disposition{.type = outcome::received, .section_number = 1, .section_offset = 7}));
  EXPECT_FALSE(j.theirs.sent()[0].remote_settled);
  EXPECT_EQ(j.ours.delivery(got)->state, delivery_state::received(1, 7));
  ASSERT_FALSE(j.ours.settle(got, delivery_state::accepted()));
  j.pump();
  EXPECT_EQ(j.theirs.sent()[0].remote.type, outcome::accepted);
  EXPECT_TRUE(j.theirs.sent()[0].remote_settled);
}

// ---- Settlement.

TEST(link_interop, a_sender_may_settle_before_the_outcome_both_ways) {
  // Giving up on the outcome (spec Part 2, 2.6.12): the receiver learns the delivery is
  // settled and answers nothing more.
  link_interop i(engine_role::client, proton_server());
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  auto d = i.ours.send(l, pattern(20));
  ASSERT_TRUE(d);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_FALSE(i.theirs.received()[0].remote_settled);
  ASSERT_FALSE(i.ours.settle(*d));
  i.pump();
  EXPECT_TRUE(i.theirs.received()[0].remote_settled);
  EXPECT_TRUE(i.theirs.received()[0].settled);
  EXPECT_TRUE(i.they_sent("@disposition").empty());
  EXPECT_EQ(i.theirs.unsettled(t), 0);

  link_interop j(engine_role::server, proton_client());
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 1));
  j.pump();
  const test::sent_handle sent = j.theirs.send(u, "a", pattern(20), false);
  j.pump();
  ASSERT_EQ(j.received().size(), 1u);
  const delivery_handle got = j.received()[0];
  EXPECT_FALSE(j.ours.delivery(got)->remote_settled);
  j.theirs.settle(sent);
  j.pump();
  const auto settled = j.all<disposition_received>();
  ASSERT_EQ(settled.size(), 1u);
  EXPECT_EQ(settled[0].delivery, got);
  EXPECT_TRUE(settled[0].settled);
  EXPECT_EQ(j.ours.delivery(got)->remote_state.kind, delivery_state::type::none);
  ASSERT_FALSE(j.ours.settle(got, delivery_state::accepted()));
  j.pump();
  EXPECT_TRUE(j.we_sent("@disposition").empty());  // too late to tell: the sender forgot it
}

TEST(link_interop, pre_settled_deliveries_are_never_answered_both_ways) {
  link_interop i(engine_role::client, proton_server());
  const auto [l, t] = i.our_link(role::sender, {.name = "s",
                                                .target = terminus{.address = "q"},
                                                .snd_settle_mode = sender_settle_mode::settled});
  auto forced = i.ours.send(l, pattern(20));  // the link's mode settles it
  ASSERT_TRUE(forced);
  EXPECT_EQ(i.ours.delivery(*forced), nullptr);  // written whole: nothing to await
  const auto [m, u] = i.our_link(role::sender, {.name = "m", .target = terminus{.address = "q"}});
  ASSERT_TRUE(i.ours.send(m, pattern(20), {.settled = true}));
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 2u);
  for (const auto& d : i.theirs.received()) {
    EXPECT_TRUE(d.remote_settled);
    EXPECT_TRUE(d.settled);
  }
  EXPECT_EQ(i.we_sent("settled: true").size(), 2u);
  EXPECT_TRUE(i.they_sent("@disposition").empty());
  EXPECT_FALSE(i.find<disposition_received>());
  EXPECT_EQ(i.ours.link(l)->unsettled, 0u);
  // An unsettled-only link refuses a settled send.
  const auto [n, v] = i.our_link(role::sender, {.name = "n",
                                                .target = terminus{.address = "q"},
                                                .snd_settle_mode = sender_settle_mode::unsettled});
  EXPECT_EQ(i.ours.send(n, pattern(20), {.settled = true}).error(),
            make_error_code(errc::invalid_argument));

  link_interop j(engine_role::server, proton_client());
  const auto [r, w] = j.their_link(
      role::sender, {.name = "s", .target = "q", .snd_settle = test::snd_settle_mode::settled},
      {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 5));
  j.pump();
  j.theirs.send(w, "a", pattern(20), /*settled=*/true);
  j.pump();
  ASSERT_EQ(j.received().size(), 1u);
  const delivery_handle got = j.received()[0];
  EXPECT_TRUE(j.ours.delivery(got)->remote_settled);
  ASSERT_FALSE(j.ours.settle(got, delivery_state::accepted()));  // nothing to tell Proton
  j.pump();
  EXPECT_TRUE(j.we_sent("@disposition").empty());
  EXPECT_EQ(j.ours.link(r)->unsettled, 0u);
}

TEST(link_interop, a_pre_settled_message_of_many_frames_crosses_both_ways) {
  amqp::limits small;
  small.max_frame_size = 512;
  const std::vector<std::uint8_t> message = pattern(3000, 2);
  link_interop i(engine_role::client, proton_server({.max_frame_size = 512}), small);
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  ASSERT_TRUE(i.ours.send(l, message, {.settled = true}));
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_TRUE(i.theirs.received()[0].remote_settled);
  EXPECT_EQ(i.theirs.received()[0].bytes, message);
  EXPECT_TRUE(i.they_sent("@disposition").empty());

  link_interop j(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, u] = j.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(j.ours.grant_credit(r, 1));
  j.pump();
  j.theirs.send(u, "t", message, true);
  j.pump();
  ASSERT_EQ(j.received().size(), 1u);
  EXPECT_TRUE(j.ours.delivery(j.received()[0])->remote_settled);
  EXPECT_EQ(bytes_of(j.ours.payload(j.received()[0])), message);
  ASSERT_FALSE(j.ours.settle(j.received()[0]));
  j.pump();
  EXPECT_TRUE(j.we_sent("@disposition").empty());
}

TEST(link_interop, rcv_settle_mode_second_has_the_receiver_settle_after_our_sender) {
  link_interop i(engine_role::client, proton_server());
  const auto [l, t] = i.our_link(role::sender, {.name = "s",
                                                .target = terminus{.address = "q"},
                                                .rcv_settle_mode = receiver_settle_mode::second});
  EXPECT_EQ(i.ours.link(l)->rcv_settle_mode, receiver_settle_mode::second);  // Proton agreed
  auto d = i.ours.send(l, pattern(20));
  ASSERT_TRUE(d);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  // The receiver gives its outcome and keeps the delivery...
  i.theirs.dispose({0}, {.type = outcome::accepted}, /*settle=*/false);
  i.pump();
  const auto answers = i.all<disposition_received>();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_FALSE(answers[0].settled);
  EXPECT_EQ(i.ours.delivery(*d)->remote_state, delivery_state::accepted());
  EXPECT_FALSE(i.theirs.received()[0].settled);
  // ...until the sender settles; then the receiver settles too.
  ASSERT_FALSE(i.ours.settle(*d));
  i.pump();
  const auto ours = i.we_sent("@disposition");
  ASSERT_EQ(ours.size(), 1u);
  EXPECT_NE(ours[0].find("role: sender, first: uint 0, settled: true"), std::string::npos)
      << ours[0];
  EXPECT_TRUE(i.theirs.received()[0].remote_settled);
  EXPECT_TRUE(i.theirs.received()[0].settled);
  EXPECT_EQ(i.theirs.unsettled(t), 0);
  EXPECT_EQ(i.ours.link(l)->unsettled, 0u);
}

TEST(link_interop, rcv_settle_mode_second_has_our_receiver_settle_after_a_proton_sender) {
  link_interop i(engine_role::server, proton_client());
  const auto [r, t] = i.their_link(
      role::sender,
      {.name = "s",
       .target = "q",
       .snd_settle = test::snd_settle_mode::unsettled,
       .rcv_settle = test::rcv_settle_mode::second},
      {.target = terminus{.address = "q"}, .rcv_settle_mode = receiver_settle_mode::second});
  EXPECT_EQ(i.theirs.remote_rcv_settle_mode(t), test::rcv_settle_mode::second);
  ASSERT_FALSE(i.ours.grant_credit(r, 5));
  i.pump();
  const test::sent_handle sent = i.theirs.send(t, "a", pattern(20), false);
  i.pump();
  ASSERT_EQ(i.received().size(), 1u);
  const delivery_handle got = i.received()[0];
  // Settling first would break the mode: the engine refuses.
  EXPECT_EQ(i.ours.settle(got, delivery_state::accepted()), make_error_code(errc::wrong_state));
  ASSERT_FALSE(i.ours.update_state(got, delivery_state::accepted()));
  i.pump();
  EXPECT_EQ(i.theirs.sent()[sent.index].remote.type, outcome::accepted);
  EXPECT_FALSE(i.theirs.sent()[sent.index].remote_settled);
  const auto ours = i.we_sent("@disposition");
  ASSERT_EQ(ours.size(), 1u);
  EXPECT_EQ(ours[0].find("settled: true"), std::string::npos) << ours[0];

  const std::size_t mark = i.events.size();
  i.theirs.settle(sent);
  i.pump();
  const auto settled = i.all<disposition_received>(mark);
  ASSERT_EQ(settled.size(), 1u);
  EXPECT_EQ(settled[0].delivery, got);
  EXPECT_TRUE(settled[0].settled);
  EXPECT_TRUE(i.ours.delivery(got)->remote_settled);
  ASSERT_FALSE(i.ours.settle(got));
  i.pump();
  EXPECT_EQ(i.we_sent("@disposition").size(), 1u);  // the sender forgot it: nothing to say
  EXPECT_EQ(i.ours.link(r)->unsettled, 0u);
  EXPECT_EQ(i.theirs.unsettled(t), 0);
}

// ---- Many messages.

constexpr std::size_t many = 5000;

// The delivery-ids a disposition trace line covers: first, and last when it is a range.
std::size_t ids_covered(const std::string& line) {
  const auto number_after = [&](std::string_view key) -> std::optional<std::uint32_t> {
    const std::size_t at = line.find(key);
    if (at == std::string::npos) return std::nullopt;
    return static_cast<std::uint32_t>(std::stoul(line.substr(at + key.size())));
  };
  const std::uint32_t first = number_after("first: uint ").value_or(0);
  return number_after("last: uint ").value_or(first) - first + 1;
}

TEST(link_interop, thousands_of_proton_messages_are_settled_by_our_coalesced_dispositions) {
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  constexpr std::uint32_t window = 100;
  ASSERT_FALSE(i.ours.grant_credit(l, window));
  for (std::size_t k = 0; k < many; ++k) {
    i.theirs.send(t, std::to_string(k), pattern(16, static_cast<std::uint8_t>(k)), false);
  }
  // Proton sends what the credit allows; we settle what arrived, at-least-once, and top up.
  std::size_t seen = 0;
  for (int round = 0; round < 1000 && seen < many; ++round) {
    const std::size_t mark = i.events.size();
    i.pump();
    std::uint32_t settled = 0;
    for (const delivery_handle d : i.received(mark)) {
      EXPECT_EQ(string_of(i.ours.delivery_tag(d)), std::to_string(seen));
      EXPECT_EQ(bytes_of(i.ours.payload(d)), pattern(16, static_cast<std::uint8_t>(seen)));
      ASSERT_FALSE(i.ours.settle(d, delivery_state::accepted()));
      ++seen;
      ++settled;
    }
    if (settled > 0) {
      ASSERT_FALSE(i.ours.grant_credit(l, settled));
    }
  }
  i.pump();
  ASSERT_EQ(seen, many);
  ASSERT_EQ(i.theirs.sent().size(), many);
  std::size_t accepted = 0;
  for (const test::sent_delivery& d : i.theirs.sent())
    accepted += d.remote_settled && d.remote.type == outcome::accepted;
  EXPECT_EQ(accepted, many);
  EXPECT_EQ(i.theirs.unsettled(t), 0);
  EXPECT_EQ(i.ours.link(l)->unsettled, 0u);
  // One disposition per credit window's worth of settlements, ranges covering every id once.
  const auto dispositions = i.we_sent("@disposition");
  EXPECT_LE(dispositions.size(), many / window + 1);
  std::size_t covered = 0;
  for (const std::string& d : dispositions) covered += ids_covered(d);
  EXPECT_EQ(covered, many);
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, thousands_of_our_messages_are_accepted_by_proton) {
  link_interop i(engine_role::client, proton_server({.credit_window = 100, .auto_accept = true}));
  const auto [l, t] = i.our_link(role::sender, {.name = "s", .target = terminus{.address = "q"}});
  std::size_t sent = 0;
  std::size_t accepted = 0;
  for (int round = 0; round < 10000 && accepted < many; ++round) {
    while (sent < many && i.ours.link(l)->credit > 0) {
      ASSERT_TRUE(i.ours.send(l, pattern(16, static_cast<std::uint8_t>(sent))));
      ++sent;
    }
    const std::size_t mark = i.events.size();
    i.pump();
    for (const disposition_received& a : i.all<disposition_received>(mark)) {
      EXPECT_TRUE(a.settled);
      EXPECT_EQ(i.ours.delivery(a.delivery)->remote_state, delivery_state::accepted());
      ASSERT_FALSE(i.ours.settle(a.delivery));
      ++accepted;
    }
  }
  EXPECT_EQ(accepted, many);
  ASSERT_EQ(i.theirs.received().size(), many);
  for (std::size_t k = 0; k < many; k += 997) {
    EXPECT_EQ(i.theirs.received()[k].bytes, pattern(16, static_cast<std::uint8_t>(k)));
  }
  EXPECT_EQ(i.ours.link(l)->unsettled, 0u);
  EXPECT_TRUE(i.we_sent("@disposition").empty());
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, settlements_in_any_order_keep_each_delivery_its_own_outcome) {
  // Coalescing merges runs of consecutive ids with the same state; settled in a shuffled
  // order with three outcomes, each delivery must still reach Proton with its own.
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  constexpr std::size_t n = 300;
  ASSERT_FALSE(i.ours.grant_credit(l, n));
  i.pump();
  for (std::size_t k = 0; k < n; ++k) i.theirs.send(t, std::to_string(k), pattern(8), false);
  i.pump();
  const auto got = i.received();
  ASSERT_EQ(got.size(), n);
  const auto outcome_of = [](std::size_t k) {
    return k % 7 == 3   ? delivery_state::released()
           : k % 5 == 1 ? delivery_state::rejected()
                        : delivery_state::accepted();
  };
  std::vector<std::size_t> order(n);
  for (std::size_t k = 0; k < n; ++k) order[k] = k;
  // Runs forwards, runs backwards and jumps: a fixed shuffle, so that a failure repeats.
  std::reverse(order.begin() + 50, order.begin() + 120);
  for (std::size_t k = 130; k + 7 < n; k += 11) std::swap(order[k], order[k + 7]);
  for (std::size_t k : order) ASSERT_FALSE(i.ours.settle(got[k], outcome_of(k)));
  i.pump();
  const std::map<delivery_state::type, outcome> as_proton = {
      {delivery_state::type::accepted, outcome::accepted},
      {delivery_state::type::rejected, outcome::rejected},
      {delivery_state::type::released, outcome::released}};
  for (std::size_t k = 0; k < n; ++k) {
    SCOPED_TRACE(k);
    EXPECT_TRUE(i.theirs.sent()[k].remote_settled);
    EXPECT_EQ(i.theirs.sent()[k].remote.type, as_proton.at(outcome_of(k).kind));
  }
  std::size_t covered = 0;
  for (const std::string& d : i.we_sent("@disposition")) covered += ids_covered(d);
  EXPECT_EQ(covered, n);
  EXPECT_LT(i.we_sent("@disposition").size(), n);
}

// ---- Limits and errors.

TEST(link_interop, max_message_size_is_announced_and_enforced_both_ways) {
  link_interop i(engine_role::server, proton_client());
  const auto [s, t] = i.their_link(
      role::receiver, {.name = "small-receiver", .source = "q", .max_message_size = 1000},
      {.source = terminus{.address = "q"}});
  EXPECT_EQ(i.ours.link(s)->remote_max_message_size, 1000u);
  i.theirs.flow(t, 5);
  i.pump();
  EXPECT_EQ(i.ours.send(s, pattern(1001)).error(), make_error_code(errc::invalid_argument));
  ASSERT_TRUE(i.ours.send(s, pattern(1000)));
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_EQ(i.theirs.received()[0].bytes.size(), 1000u);

  // Our receiver announces 600 bytes; Proton sends more anyway, and the link is closed.
  const auto [r, u] = i.their_link(role::sender, {.name = "big-sender", .target = "q"},
                                   {.target = terminus{.address = "q"}, .max_message_size = 600});
  EXPECT_EQ(i.theirs.remote_max_message_size(u), 600u);
  ASSERT_FALSE(i.ours.grant_credit(r, 5));
  i.pump();
  i.theirs.send(u, "fits", pattern(600), false);
  i.theirs.send(u, "too-big", pattern(700), false);
  i.pump();
  EXPECT_EQ(i.received().size(), 1u);
  const protocol_violation* v = i.find<protocol_violation>();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->link, r);
  EXPECT_EQ(v->error.name, "amqp:link:message-size-exceeded");
  EXPECT_EQ(i.theirs.state(u).remote, test::endpoint::closed);
  EXPECT_EQ(i.theirs.remote_condition(u).name, "amqp:link:message-size-exceeded");
  i.theirs.close(u);
  i.pump();
  EXPECT_EQ(i.ours.link(r), nullptr);                           // both detaches exchanged
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::active);  // the other link lives on
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

TEST(link_interop, our_links_closed_or_detached_with_an_error_tell_proton_why) {
  link_interop i(engine_role::server, proton_client());
  const value info = value::map_of({{value::sym("retry-after"), std::uint32_t{30}}});
  const auto [r, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  const auto [s, u] = i.their_link(role::receiver, {.name = "r", .source = "q"},
                                   {.source = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.close_link(r, condition{"amqp:unauthorized-access", "not yours", info}));
  ASSERT_FALSE(i.ours.detach(s, condition{"amqp:link:detach-forced", "moving", {}}));
  i.pump();
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::closed);
  const test::condition closed = i.theirs.remote_condition(t);
  EXPECT_EQ(closed.name, "amqp:unauthorized-access");
  EXPECT_EQ(closed.description, "not yours");
  EXPECT_EQ(decoded(closed.info), info);
  EXPECT_EQ(i.theirs.remote_condition(u), (test::condition{"amqp:link:detach-forced", "moving"}));
  EXPECT_EQ(i.theirs.count("PN_LINK_REMOTE_DETACH"), 1u);
  // Proton answers only when told to; then both links are gone here.
  i.theirs.close(t);
  i.theirs.detach(u);
  i.pump();
  EXPECT_EQ(i.ours.link(r), nullptr);
  EXPECT_EQ(i.ours.link(s), nullptr);
  EXPECT_EQ(i.all<peer_detached>().size(), 2u);
}

TEST(link_interop, a_proton_link_closed_with_an_error_leaves_our_unsettled_deliveries_in_doubt) {
  link_interop i(engine_role::client, proton_server({.auto_answer_links = false}));
  auto l = i.ours.attach_sender(i.our_session, {.name = "s", .target = terminus{.address = "q"}});
  ASSERT_TRUE(l);
  i.pump();
  const test::link_handle t = i.theirs.find_link("s").value();
  i.theirs.answer(t, {.target = "q"});
  i.theirs.flow(t, 5);
  i.pump();
  auto a = i.ours.send(*l, pattern(20, 1));
  auto b = i.ours.send(*l, pattern(20, 2));
  ASSERT_TRUE(a && b);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 2u);

  const value info = value::map_of({{value::sym("node"), "q"}});
  i.theirs.close(t, {"amqp:resource-deleted", "queue deleted", encoded(info)});
  i.pump();
  const auto detached = i.all<peer_detached>();
  ASSERT_EQ(detached.size(), 1u);
  EXPECT_EQ(detached[0].link, *l);
  EXPECT_TRUE(detached[0].closed);
  ASSERT_TRUE(detached[0].error);
  EXPECT_EQ(*detached[0].error, (condition{"amqp:resource-deleted", "queue deleted", info}));
  EXPECT_FALSE(i.find<delivery_in_doubt>());  // not before the link is over
  EXPECT_EQ(i.ours.send(*l, pattern(20)).error(), make_error_code(errc::wrong_state));

  ASSERT_FALSE(i.ours.close_link(*l));
  i.pump();
  EXPECT_EQ(i.ours.link(*l), nullptr);
  EXPECT_EQ(i.theirs.state(t),
            (test::endpoint_state{test::endpoint::closed, test::endpoint::closed}));
  const auto doubts = i.all<delivery_in_doubt>();
  ASSERT_EQ(doubts.size(), 2u);
  EXPECT_EQ(doubts[0].delivery, *a);
  EXPECT_EQ(doubts[1].delivery, *b);
  EXPECT_NE(i.ours.delivery(*a), nullptr);  // ours until we settle them
  EXPECT_FALSE(i.ours.settle(*a));
  EXPECT_FALSE(i.ours.settle(*b));
  EXPECT_EQ(i.ours.delivery(*a), nullptr);
  i.pump();
  EXPECT_TRUE(i.we_sent("@disposition").empty());  // the link is gone: nothing to tell
}

TEST(link_interop, a_proton_message_beyond_our_reassembly_limit_closes_its_link) {
  amqp::limits small;
  small.max_frame_size = 512;
  small.max_reassembly_bytes = 4096;
  link_interop i(engine_role::server, proton_client({.max_frame_size = 512}), small);
  const auto [r, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                                   {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(r, 5));
  i.pump();
  i.theirs.send(t, "fits", pattern(4000), true);  // whole before the limit is crossed
  i.theirs.send(t, "too-big", pattern(10 * 1024), true);
  i.pump();
  ASSERT_EQ(i.received().size(), 1u);
  const protocol_violation* v = i.find<protocol_violation>();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->link, r);
  EXPECT_EQ(v->error.name, "amqp:resource-limit-exceeded");
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::closed);
  EXPECT_EQ(i.theirs.remote_condition(t).name, "amqp:resource-limit-exceeded");
  i.theirs.close(t);
  i.pump();
  EXPECT_EQ(i.ours.link(r), nullptr);
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

TEST(link_interop, aborts_and_links_closed_mid_delivery_give_back_the_reassembly_budget) {
  // 8 KiB for messages still arriving: each partial delivery below holds most of it, so a
  // whole message after it only fits if the partial one's bytes were given back.
  amqp::limits small;
  small.max_frame_size = 512;
  small.max_reassembly_bytes = 8 * 1024;
  const std::vector<std::uint8_t> message = pattern(7 * 1024, 3);
  link_interop i(engine_role::server, proton_client({.max_frame_size = 512}), small);
  auto [r, t] = i.their_link(role::sender, {.name = "s", .target = "q"},
                             {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(r, 100));
  i.pump();
  for (int k = 0; k < 3; ++k) {
    const test::sent_handle partial = i.theirs.begin_delivery(t, "partial");
    i.theirs.send_chunk(partial, message);
    i.pump();
    i.theirs.abort(partial);
    i.theirs.send(t, "whole", message, true);
    i.pump();
  }
  EXPECT_EQ(i.all<transfer_aborted>().size(), 3u);
  ASSERT_EQ(i.received().size(), 3u);
  EXPECT_FALSE(i.find<protocol_violation>());

  // Now a link we close while a message is half way: the frames after our detach are
  // ignored, and once Proton's detach arrives the half message is forgotten.
  i.theirs.send(t, "half", message, true);
  i.feed_ours(3000);
  ASSERT_FALSE(i.ours.close_link(r));
  i.pump();
  EXPECT_EQ(i.theirs.state(t).remote, test::endpoint::closed);
  i.theirs.close(t);
  i.pump();
  EXPECT_EQ(i.ours.link(r), nullptr);
  EXPECT_EQ(i.received().size(), 3u);
  std::tie(r, t) = i.their_link(role::sender, {.name = "s2", .target = "q"},
                                {.target = terminus{.address = "q"}});
  ASSERT_FALSE(i.ours.grant_credit(r, 1));
  i.pump();
  i.theirs.send(t, "after", message, true);
  i.pump();
  ASSERT_EQ(i.received().size(), 4u);
  EXPECT_EQ(bytes_of(i.ours.payload(i.received()[3])), message);
  EXPECT_FALSE(i.find<protocol_violation>());
  EXPECT_EQ(i.theirs.count("PN_TRANSPORT_ERROR"), 0u);
}

// ---- Several links and sessions.

TEST(link_interop, many_links_on_two_sessions_carry_their_own_messages_and_reuse_handles) {
  link_interop i(engine_role::server, proton_client());
  // A second session, begun by Proton and answered by us.
  const std::size_t mark = i.events.size();
  const test::session_handle second = i.theirs.begin();
  i.pump();
  session_handle our_second;
  for (const peer_began_session& b : i.all<peer_began_session>(mark)) our_second = b.session;
  ASSERT_FALSE(i.ours.begin_session(our_second));
  i.pump();

  struct pair {
    link_handle ours;
    test::link_handle theirs;
  };
  std::vector<pair> links;
  for (int k = 0; k < 20; ++k) {
    const std::string name = "link-" + std::to_string(k);
    const test::session_handle s = k % 2 ? second : i.their_session;
    const std::size_t before = i.events.size();
    const test::link_handle t = i.theirs.open_sender(s, {.name = name, .target = name});
    i.pump();
    link_handle l;
    for (const peer_attached& a : i.all<peer_attached>(before)) l = a.link;
    ASSERT_TRUE(l.is_set());
    EXPECT_EQ(i.ours.link(l)->session, k % 2 ? our_second : i.our_session);
    ASSERT_FALSE(i.ours.attach(l, {.target = terminus{.address = name}}));
    ASSERT_FALSE(i.ours.grant_credit(l, 5));
    links.push_back({l, t});
  }
  i.pump();
  EXPECT_EQ(i.ours.link(links[19].ours)->handle, 9u);  // ten per session
  for (std::size_t k = 0; k < links.size(); ++k)
    i.theirs.send(links[k].theirs, std::to_string(k), pattern(10, static_cast<std::uint8_t>(k)),
                  true);
  i.pump();
  const auto got = i.received();
  ASSERT_EQ(got.size(), links.size());
  for (std::size_t k = 0; k < links.size(); ++k) {
    const delivery_status* d = i.ours.delivery(got[k]);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->link, links[std::stoul(string_of(i.ours.delivery_tag(got[k])))].ours);
    EXPECT_EQ(
        bytes_of(i.ours.payload(got[k])),
        pattern(10, static_cast<std::uint8_t>(std::stoul(string_of(i.ours.delivery_tag(got[k]))))));
    ASSERT_FALSE(i.ours.settle(got[k]));
  }

  // Close the first four (two per session); new links take the handles freed.
  for (std::size_t k = 0; k < 4; ++k) {
    i.theirs.close(links[k].theirs);
    i.pump();
    ASSERT_FALSE(i.ours.close_link(links[k].ours));
  }
  i.pump();
  const std::size_t before = i.events.size();
  const test::link_handle again =
      i.theirs.open_receiver(i.their_session, {.name = "again", .source = "q"});
  i.pump();
  link_handle l;
  for (const peer_attached& a : i.all<peer_attached>(before)) l = a.link;
  ASSERT_TRUE(l.is_set());
  ASSERT_FALSE(i.ours.attach(l, {.source = terminus{.address = "q"}}));
  i.pump();
  EXPECT_EQ(i.ours.link(l)->handle, 0u);
  EXPECT_EQ(i.ours.link(l)->remote_handle, 0u);  // Proton reuses its lowest free handle too
  i.theirs.flow(again, 1);
  i.pump();
  ASSERT_TRUE(i.ours.send(l, pattern(10), {.settled = true}));
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 1u);
  EXPECT_EQ(i.theirs.received()[0].link, again);
  EXPECT_FALSE(i.find<protocol_violation>());
}

TEST(link_interop, a_session_proton_ends_leaves_our_unsettled_deliveries_in_doubt) {
  link_interop i(engine_role::server, proton_client());
  const auto [l, t] = i.their_link(role::receiver, {.name = "r", .source = "q"},
                                   {.source = terminus{.address = "q"}});
  i.theirs.flow(t, 5);
  i.pump();
  auto a = i.ours.send(l, pattern(10));
  auto b = i.ours.send(l, pattern(10), {.settled = true});
  ASSERT_TRUE(a && b);
  i.pump();
  ASSERT_EQ(i.theirs.received().size(), 2u);
  i.theirs.end(i.their_session, {"amqp:internal-error", "going", {}});
  i.pump();
  const peer_ended_session* e = i.find<peer_ended_session>();
  ASSERT_NE(e, nullptr);
  ASSERT_FALSE(i.ours.end_session(e->session));
  i.pump();
  const auto doubts = i.all<delivery_in_doubt>();
  ASSERT_EQ(doubts.size(), 1u);  // the settled one needed no answer
  EXPECT_EQ(doubts[0].delivery, *a);
  EXPECT_EQ(i.ours.link(l), nullptr);
  EXPECT_FALSE(i.ours.settle(*a));
}

}  // namespace
}  // namespace amqp
