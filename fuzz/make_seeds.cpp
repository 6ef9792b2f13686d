// Writes the committed seed corpora: small, meaningful inputs for each fuzz target.
//
//   cmake --build build/asan --target make_seeds
//   build/asan/fuzz/make_seeds fuzz/corpus        # rewrites fuzz/corpus/<target>/<name>
//
// Seeds are built with the library's own encoders where the canonical form is wanted, and
// written byte by byte for the wide and unusual encodings a peer may still send, so that the
// fuzzer starts from inputs that reach deep into each parser.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/frame.hpp"
#include "amqp/message.hpp"
#include "amqp/spec.hpp"
#include "amqp/transaction.hpp"
#include "amqp/value.hpp"
#include "seeds.hpp"

namespace {

namespace fs = std::filesystem;

fs::path root;
int written = 0;

}  // namespace

void seeds::put(const std::string& target, const std::string& name, amqp::bytes_view b) {
  const fs::path dir = root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  ++written;
}

namespace {

using seeds::bytes;
using seeds::put;

// "a1 03 66 6f 6f" -> bytes; spaces are ignored.
bytes hex(std::string_view text) {
  bytes out;
  int nibble = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else continue;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(nibble * 16 + v));
      nibble = -1;
    }
  }
  return out;
}

bytes encoded(const amqp::value& v) {
  const amqp::writer w = amqp::encode(v);
  return {w.view().begin(), w.view().end()};
}

template <class T>
bytes composite(const T& v) {
  amqp::writer w;
  amqp::encoder e(w);
  amqp::spec::encode(e, v);
  return {w.view().begin(), w.view().end()};
}

amqp::value_view view_of(const bytes& b) { return *amqp::decode_value(b); }

// The transaction types (spec Part 4, 4.5, descriptors 0x30 to 0x34), each alone: a
// coordinator target, a declare, a discharge, the declared outcome, a transactional-state
// with an outcome inside.
std::vector<std::pair<std::string, bytes>> transaction_composites() {
  const amqp::value id = amqp::value::bin(hex("74 78 2d 31"));  // "tx-1"
  const amqp::value accepted =
      amqp::value::described_of(amqp::value(std::uint64_t{0x24}), amqp::value::list_of({}));
  const amqp::symbol_view caps[] = {amqp::symbol_view{"amqp:local-transactions"},
                                    amqp::symbol_view{"amqp:multi-txns-per-ssn"}};
  const amqp::value global = amqp::value::bin(hex("78 69 64"));
  return {{"txn-coordinator", composite(amqp::spec::coordinator{caps})},
          {"txn-declare", composite(amqp::spec::declare{})},
          {"txn-declare-global-id", composite(amqp::spec::declare{global})},
          {"txn-discharge-fail", composite(amqp::spec::discharge{id, true})},
          {"txn-declared", composite(amqp::spec::declared{id})},
          {"txn-transactional-state", composite(amqp::spec::transactional_state{id, accepted})}};
}

// ---- values -------------------------------------------------------------------------------

void value_seeds() {
  using amqp::value;
  const std::string t = "value_decode";
  // Every fixed-width and variable-width encoding, including the wide forms that canonical
  // encoding never produces.
  const std::pair<const char*, const char*> raw[] = {
      {"null", "40"},
      {"true-false", "41 42 56 01 56 00"},
      {"ubyte", "50 ff"},
      {"ushort", "60 12 34"},
      {"uint-forms", "43 52 07 70 00 00 00 07 70 ff ff ff ff"},
      {"ulong-forms", "44 53 07 80 00 00 00 00 00 00 00 07 80 ff ff ff ff ff ff ff ff"},
      {"byte", "51 80"},
      {"short", "61 80 00"},
      {"int-forms", "54 ff 71 ff ff ff ff 71 80 00 00 00"},
      {"long-forms", "55 80 81 ff ff ff ff ff ff ff ff 81 80 00 00 00 00 00 00 00"},
      {"float", "72 3f 80 00 00 72 7f c0 00 00"},
      {"double", "82 3f f0 00 00 00 00 00 00 82 7f f8 00 00 00 00 00 01"},
      {"decimal32", "74 22 50 00 01"},
      {"decimal64", "84 22 38 00 00 00 00 00 01"},
      {"decimal128", "94 22 08 00 00 00 00 00 00 00 00 00 00 00 00 00 01"},
      {"char", "73 00 01 f6 00 73 00 00 00 41"},
      {"timestamp", "83 00 00 01 8b cf e5 68 00 83 ff ff ff ff ff ff ff ff"},
      {"uuid", "98 12 34 56 78 9a bc de f0 12 34 56 78 9a bc de f0"},
      {"binary-forms", "a0 03 00 01 02 b0 00 00 00 02 ff fe a0 00"},
      {"string-forms", "a1 06 68 c3 a9 e2 82 ac b1 00 00 00 04 f0 9f 98 80 a1 00"},
      {"symbol-forms", "a3 07 61 6d 71 70 3a 78 79 b3 00 00 00 01 61"},
      {"list-forms", "45 c0 03 02 41 42 d0 00 00 00 09 00 00 00 02 52 01 a1 01 78"},
      {"map-forms", "c1 05 02 a3 01 6b 41 d1 00 00 00 0c 00 00 00 02 a1 01 6b 70 00 00 00 01"},
      {"array8-uint", "e0 05 03 52 01 02 03"},
      {"array32-int", "f0 00 00 00 0d 00 00 00 02 71 00 00 00 01 ff ff ff ff"},
      {"array-zero-width", "e0 02 05 40 e0 02 03 43 e0 02 02 45"},
      {"array-boolean", "e0 05 03 56 01 00 01"},
      {"array-of-arrays", "e0 0a 02 e0 03 01 52 05 03 01 52 06"},
      {"array-of-lists", "e0 0a 02 c0 02 01 41 04 02 52 07 40"},
      {"array-of-maps", "e0 08 02 c1 01 00 03 02 41 42"},
      {"array-described", "e0 09 02 00 53 77 a1 01 61 01 62"},
      {"described-ulong", "00 53 24 45"},
      {"described-symbol", "00 a3 0e 66 6f 6f 2d 64 65 73 63 72 69 70 74 6f 72 a1 03 62 61 72"},
      {"described-nested", "00 53 70 00 53 71 40"},
      {"nested-lists", "c0 08 01 c0 05 01 c0 02 01 45"},
  };
  for (const auto& [name, text] : raw) put(t, name, hex(text));

  // Canonical encodings of composite values built in memory.
  put(t, "map-mixed", encoded(value::map_of({{value::sym("k"), 1},
                                             {"s", "text"},
                                             {std::uint64_t{7}, value::list_of({true, 2.5})},
                                             {value::bin(hex("0001")), std::int64_t{-1}}})));
  amqp::array ints{amqp::kind::int_, {}, {}};
  for (int i = 0; i < 40; ++i) ints.elements.emplace_back(std::int32_t{i * 1000});
  put(t, "array-int-wide", encoded(value(std::move(ints))));
  amqp::array strs{amqp::kind::string, {}, {}};
  for (const char* s : {"a", "bb", "ccc"}) strs.elements.emplace_back(s);
  put(t, "array-string", encoded(value(std::move(strs))));

  // Spec composites: every performative, outcome and SASL frame body.
  amqp::spec::open open;
  open.container_id = "container-1";
  open.hostname = "localhost";
  open.max_frame_size = 65536;
  open.idle_time_out = 30000;
  const amqp::symbol_view caps[] = {amqp::symbol_view{"ANONYMOUS-RELAY"}};
  open.offered_capabilities = caps;
  put(t, "perf-open", composite(open));
  put(t, "perf-begin", composite(amqp::spec::begin{std::uint16_t{0}, 1, 2048, 2048, 7, {}, {}, {}}));
  amqp::spec::flow flow;
  flow.incoming_window = 2048;
  flow.next_outgoing_id = 1;
  flow.outgoing_window = 2048;
  flow.handle = 0;
  flow.delivery_count = 0;
  flow.link_credit = 100;
  put(t, "perf-flow", composite(flow));
  amqp::spec::error err;
  err.condition = amqp::symbol_view{"amqp:not-found"};
  err.description = "no such node";
  put(t, "perf-detach", composite(amqp::spec::detach{1, true, err}));
  put(t, "perf-close", composite(amqp::spec::close{err}));
  put(t, "outcome-accepted", composite(amqp::spec::accepted{}));
  put(t, "outcome-modified", composite(amqp::spec::modified{true, false, {}}));
  for (const auto& [name, b] : transaction_composites()) put(t, name, b);
  amqp::spec::sasl_init init;
  init.mechanism = amqp::symbol_view{"PLAIN"};
  const bytes response = hex("00 75 73 65 72 00 70 77");
  init.initial_response = amqp::bytes_view(response);
  put(t, "sasl-init", composite(init));
}

// ---- messages -----------------------------------------------------------------------------

amqp::message typical_message() {
  amqp::message m;
  m.properties.message_id = std::string("order-2024-000000017-eu");
  m.properties.to = std::string("queue/orders");
  m.properties.subject = "order.created";
  m.properties.content_type = "application/json";
  m.application_properties.emplace_back("region", "eu-west-1");
  m.application_properties.emplace_back("count", std::int32_t{42});
  m.application_properties.emplace_back("urgent", true);
  const bytes body = hex("7b 22 69 64 22 3a 31 37 7d");
  m.set_data(body);
  return m;
}

bytes encode_message(const amqp::message& m) {
  amqp::writer w;
  (void)amqp::encode_message(w, m);
  return {w.view().begin(), w.view().end()};
}

void message_seeds() {
  const std::string t = "message_decode";
  put(t, "typical-data", encode_message(typical_message()));

  amqp::message full = typical_message();
  full.header = amqp::spec::header{true, 9, 60000, true, 3};
  full.delivery_annotations.emplace_back(amqp::value::sym("x-opt-trace"), "hop-1");
  full.message_annotations.emplace_back(amqp::value::sym("x-opt-partition-key"), "p7");
  full.message_annotations.emplace_back(amqp::value::sym("x-opt-sequence-number"),
                                        std::int64_t{123456789});
  full.properties.user_id = "guest";
  full.properties.reply_to = std::string("reply/queue");
  full.properties.correlation_id = amqp::uuid{};
  full.properties.content_encoding = "gzip";
  full.properties.absolute_expiry_time = amqp::timestamp{1700000060000};
  full.properties.creation_time = amqp::timestamp{1700000000000};
  full.properties.group_id = "group-a";
  full.properties.group_sequence = 5;
  full.properties.reply_to_group_id = "group-b";
  full.footer.emplace_back(amqp::value::sym("x-opt-checksum"), std::uint32_t{0xdeadbeef});
  put(t, "every-section", encode_message(full));

  amqp::message value;
  value.properties.message_id = std::uint64_t{17};
  value.set_value(amqp::value::map_of({{"name", "widget"}, {"qty", 3}}));
  put(t, "amqp-value-map", encode_message(value));

  amqp::message seq;
  seq.body_type = amqp::body_kind::amqp_sequence;
  seq.body.emplace_back(amqp::value::list_of({1, 2, 3}));
  seq.body.emplace_back(amqp::value::list_of({"four"}));
  put(t, "amqp-sequence-two", encode_message(seq));

  amqp::message data2;
  data2.body_type = amqp::body_kind::data;
  data2.body.emplace_back(amqp::value::bin(hex("01 02 03")));
  data2.body.emplace_back(amqp::value::bin(hex("04 05")));
  put(t, "data-two-sections", encode_message(data2));

  put(t, "empty", {});
  put(t, "header-only", hex("00 53 70 45"));
  // Descriptors by symbol, and wide encodings of sections and fields.
  put(t, "symbol-descriptors",
      hex("00 a3 10 61 6d 71 70 3a 68 65 61 64 65 72 3a 6c 69 73 74 d0 00 00 00 05 00 00 00 01 "
          "41 00 a3 10 61 6d 71 70 3a 64 61 74 61 3a 62 69 6e 61 72 79 b0 00 00 00 01 7a"));
  put(t, "amqp-value-null", hex("00 53 77 40"));

  // What a transaction controller sends its coordinator (spec Part 4, 4.3): one amqp-value
  // holding a declare or a discharge.
  const auto request = [](const amqp::coordinator_request& r) {
    amqp::writer w;
    (void)amqp::encode_coordinator_request(w, r);
    return bytes(w.view().begin(), w.view().end());
  };
  const amqp::transaction_id txn = *amqp::transaction_id::from(hex("74 78 2d 31"));
  put(t, "coordinator-declare", request(amqp::declare_request{}));
  put(t, "coordinator-declare-global-id",
      request(amqp::declare_request{amqp::value::bin(hex("78 69 64"))}));
  put(t, "coordinator-discharge-commit", request(amqp::discharge_request{txn, false}));
  put(t, "coordinator-discharge-fail", request(amqp::discharge_request{txn, true}));
  // Named by its symbol, after a properties section.
  amqp::message symbolic;
  symbolic.properties.message_id = std::string("ctl-1");
  symbolic.set_value(amqp::value::described_of(
      amqp::value::sym("amqp:discharge:list"),
      amqp::value::list_of({amqp::value::bin(hex("74 78 2d 31")), false})));
  put(t, "coordinator-discharge-symbolic", encode_message(symbolic));
  put(t, "amqp-value-described", hex("00 53 77 00 a3 03 66 6f 6f c0 03 01 52 01"));
}

// ---- frame streams ------------------------------------------------------------------------

template <class T>
void frame(amqp::writer& w, const T& performative, amqp::bytes_view payload = {},
           std::uint16_t channel = 0, amqp::frame_type type = amqp::frame_type::amqp) {
  (void)amqp::write_frame(w, type, channel, performative, payload);
}

// An open, then a session on channel 0 with one link whose frames go on `channel`. The defaults
// make the frame_reader seeds, where a begin with remote-channel 0 (an answer) and links on
// channel 1 are fine; an engine reads a coherent session with `remote_channel` empty (the peer
// begins it, as either side may) and `channel` 0.
void amqp_session(amqp::writer& w, bool with_transfers,
                  std::optional<std::uint16_t> remote_channel = 0, std::uint16_t channel = 1) {
  amqp::spec::open open;
  open.container_id = "peer";
  open.max_frame_size = 4096;
  open.channel_max = 9;
  open.idle_time_out = 60000;
  frame(w, open);
  frame(w, amqp::spec::begin{remote_channel, 0, 100, 100, 15, {}, {}, {}});

  amqp::spec::source src;
  src.address = "queue/orders";
  const bytes src_bytes = composite(src);
  amqp::spec::target tgt;
  tgt.address = "queue/orders";
  const bytes tgt_bytes = composite(tgt);
  amqp::spec::attach attach;
  attach.name = "link-1";
  attach.handle = 0;
  attach.role = amqp::spec::role::sender;
  attach.source = view_of(src_bytes);
  attach.target = view_of(tgt_bytes);
  attach.initial_delivery_count = 0;
  attach.max_message_size = 1048576;
  frame(w, attach, {}, channel);
  if (with_transfers) {
    amqp::spec::flow flow;
    flow.next_incoming_id = 0;
    flow.incoming_window = 100;
    flow.next_outgoing_id = 0;
    flow.outgoing_window = 100;
    flow.handle = 0;
    flow.delivery_count = 0;
    flow.link_credit = 10;
    frame(w, flow, {}, channel);

    const bytes msg = encode_message(typical_message());
    const std::uint8_t tag[] = {0, 0, 0, 1};
    amqp::spec::transfer tr;
    tr.handle = 0;
    tr.delivery_id = 0;
    tr.delivery_tag = amqp::bytes_view(tag);
    tr.message_format = 0;
    tr.settled = false;
    frame(w, tr, msg, channel);
    // One message in two transfers: `more` on the first.
    const amqp::bytes_view m(msg);
    tr.delivery_id = 1;
    tr.more = true;
    frame(w, tr, m.first(10), channel);
    amqp::spec::transfer rest;
    rest.handle = 0;
    frame(w, rest, m.subspan(10), channel);

    amqp::write_empty_frame(w, 0);
    const bytes accepted = composite(amqp::spec::accepted{});
    amqp::spec::disposition d;
    d.role = amqp::spec::role::receiver;
    d.first = 0;
    d.last = 1;
    d.settled = true;
    d.state = view_of(accepted);
    frame(w, d, {}, channel);
  }
  frame(w, amqp::spec::detach{0, true, {}}, {}, channel);
  frame(w, amqp::spec::end{}, {}, channel);
  frame(w, amqp::spec::close{}, {});
}

bytes stream_of(const amqp::writer& w) { return {w.view().begin(), w.view().end()}; }

void stream_seeds(const std::string& t) {
  {
    amqp::writer w;
    amqp::write_protocol_header(w, amqp::protocol_id::amqp);
    amqp_session(w, true);
    put(t, "amqp-session-transfers", stream_of(w));
  }
  {
    amqp::writer w;
    amqp::write_protocol_header(w, amqp::protocol_id::amqp);
    amqp_session(w, false);
    put(t, "amqp-attach-detach", stream_of(w));
  }
  {
    // SASL PLAIN, as a client sees it from the server: mechanisms, outcome, then AMQP.
    amqp::writer w;
    amqp::write_protocol_header(w, amqp::protocol_id::sasl);
    const amqp::symbol_view mechs[] = {amqp::symbol_view{"PLAIN"}, amqp::symbol_view{"ANONYMOUS"}};
    amqp::spec::sasl_mechanisms m;
    m.sasl_server_mechanisms = mechs;
    frame(w, m, {}, 0, amqp::frame_type::sasl);
    const bytes challenge = hex("6e 6f 6e 63 65");
    frame(w, amqp::spec::sasl_challenge{challenge}, {}, 0, amqp::frame_type::sasl);
    frame(w, amqp::spec::sasl_outcome{amqp::spec::sasl_code::ok, {}}, {}, 0, amqp::frame_type::sasl);
    amqp::write_protocol_header(w, amqp::protocol_id::amqp);
    amqp_session(w, true);
    put(t, "sasl-then-amqp", stream_of(w));
  }
  {
    // The client side of SASL: header, init, then straight to the AMQP header.
    amqp::writer w;
    amqp::write_protocol_header(w, amqp::protocol_id::sasl);
    amqp::spec::sasl_init init;
    init.mechanism = amqp::symbol_view{"PLAIN"};
    const bytes response = hex("00 67 75 65 73 74 00 67 75 65 73 74");
    init.initial_response = amqp::bytes_view(response);
    init.hostname = "localhost";
    frame(w, init, {}, 0, amqp::frame_type::sasl);
    amqp::write_protocol_header(w, amqp::protocol_id::amqp);
    amqp_session(w, false);
    put(t, "sasl-client-init", stream_of(w));
  }
  {
    amqp::writer w;
    amqp::write_protocol_header(w, amqp::protocol_id::sasl);
    frame(w, amqp::spec::sasl_outcome{amqp::spec::sasl_code::auth, {}}, {}, 0, amqp::frame_type::sasl);
    put(t, "sasl-auth-failed", stream_of(w));
  }
  put(t, "tls-header", hex("41 4d 51 50 02 01 00 00 16 03 01 00 05 01 00 00 01 00"));
  put(t, "header-wrong-version", hex("41 4d 51 50 00 01 00 01"));
  put(t, "header-only", hex("41 4d 51 50 00 01 00 00"));
  // A frame with a 4-byte extended header (doff 3), then heartbeats.
  put(t, "extended-header",
      hex("41 4d 51 50 00 01 00 00 00 00 00 16 03 00 00 00 ca fe ba be 00 53 10 c0 05 01 a1 02 "
          "69 64 00 00 00 08 02 00 00 00"));
}

// The whole-engine targets read the peer's byte stream: conversations written with our own
// frame writer, from clean ones to each way a connection can go wrong at its start. `peer`
// names the side that sends them ("client" for engine_server, "server" for engine_client).
void engine_seeds(const std::string& t, const std::string& peer) {
  const auto header = [](amqp::writer& w, amqp::protocol_id id = amqp::protocol_id::amqp) {
    amqp::write_protocol_header(w, id);
  };
  amqp::spec::open peer_open;
  peer_open.container_id = peer;
  peer_open.hostname = "localhost";
  const amqp::spec::close peer_close;
  amqp::spec::error err;
  err.condition = amqp::symbol_view{"amqp:internal-error"};
  err.description = "shutting down";

  {
    amqp::writer w;
    header(w);
    frame(w, peer_open);
    frame(w, peer_close);
    put(t, "open-close", stream_of(w));
  }
  {
    // Heartbeats keep a connection with an idle timeout alive (spec Part 2, 2.4.5).
    amqp::writer w;
    header(w);
    amqp::spec::open o = peer_open;
    o.idle_time_out = 1000;
    frame(w, o);
    for (int i = 0; i < 4; ++i) amqp::write_empty_frame(w);
    frame(w, peer_close);
    put(t, "open-heartbeats-close", stream_of(w));
  }
  {
    amqp::writer w;
    header(w);
    amqp::spec::open o = peer_open;
    o.idle_time_out = 1;  // asks for a heartbeat every millisecond or so
    frame(w, o);
    amqp::write_empty_frame(w);
    put(t, "open-idle-1ms", stream_of(w));
  }
  {
    amqp::writer w;
    header(w);
    amqp::spec::open o = peer_open;
    o.max_frame_size = 512;
    o.channel_max = 0;
    o.idle_time_out = 30000;
    const amqp::symbol_view locales[] = {amqp::symbol_view{"en-US"}, amqp::symbol_view{"fr-FR"}};
    const amqp::symbol_view offered[] = {amqp::symbol_view{"ANONYMOUS-RELAY"},
                                         amqp::symbol_view{"SHARED-SUBS"}};
    const amqp::symbol_view desired[] = {amqp::symbol_view{"DELAYED_DELIVERY"}};
    o.outgoing_locales = locales;
    o.incoming_locales = locales;
    o.offered_capabilities = offered;
    o.desired_capabilities = desired;
    const amqp::value props = amqp::value::map_of(
        {{amqp::value::sym("product"), "seed"}, {amqp::value::sym("version"), "1.0"}});
    o.properties = props;
    frame(w, o);
    const amqp::value info = amqp::value::map_of({{amqp::value::sym("hostname"), "broker-2"}});
    amqp::spec::error redirect;
    redirect.condition = amqp::symbol_view{"amqp:connection:redirect"};
    redirect.description = "moved";
    redirect.info = info;
    frame(w, amqp::spec::close{redirect});
    put(t, "open-every-field", stream_of(w));
  }
  {
    amqp::writer w;
    header(w);
    frame(w, peer_open);
    frame(w, amqp::spec::close{err});
    put(t, "close-with-error", stream_of(w));
  }
  {
    // Frames may arrive in any reads: the marks cut the stream as go-amqp's test connection
    // does, with an empty read where two marks meet.
    amqp::writer w;
    header(w);
    amqp::writer a;
    frame(a, peer_open);
    amqp::writer b;
    amqp::write_empty_frame(b);
    amqp::writer c;
    frame(c, peer_close);
    bytes s = stream_of(w);
    const std::string_view mark = "SPLIT\n";
    for (const amqp::writer* part : {&a, &b, &c}) {
      s.insert(s.end(), mark.begin(), mark.end());
      if (part == &b) s.insert(s.end(), mark.begin(), mark.end());
      s.insert(s.end(), part->view().begin(), part->view().end());
    }
    put(t, "marked-reads", s);
  }
  {
    amqp::writer w;
    header(w);
    amqp_session(w, true, std::nullopt, 0);
    put(t, "session-transfers", stream_of(w));
  }
  {
    // SASL first (the client's init or the server's mechanisms and outcome), then AMQP.
    amqp::writer w;
    header(w, amqp::protocol_id::sasl);
    if (peer == "client") {
      amqp::spec::sasl_init init;
      init.mechanism = amqp::symbol_view{"ANONYMOUS"};
      frame(w, init, {}, 0, amqp::frame_type::sasl);
    } else {
      const amqp::symbol_view mechs[] = {amqp::symbol_view{"ANONYMOUS"}};
      amqp::spec::sasl_mechanisms m;
      m.sasl_server_mechanisms = mechs;
      frame(w, m, {}, 0, amqp::frame_type::sasl);
      frame(w, amqp::spec::sasl_outcome{amqp::spec::sasl_code::ok, {}}, {}, 0,
            amqp::frame_type::sasl);
    }
    header(w);
    frame(w, peer_open);
    frame(w, peer_close);
    put(t, "sasl-then-open", stream_of(w));
  }
  {
    // Transactions (spec Part 4): a controller's link to a coordinator target with a declare
    // and a discharge on it, a message sent inside the transaction (transactional-state on
    // its transfer), credit asked for inside it (txn-id in the flow's properties), and
    // dispositions with declared and transactional states.
    amqp::writer w;
    header(w);
    frame(w, peer_open);
    frame(w, amqp::spec::begin{std::nullopt, 0, 100, 100, 15, {}, {}, {}});
    const amqp::value id = amqp::value::bin(hex("74 78 2d 31"));
    const amqp::value accepted =
        amqp::value::described_of(amqp::value(std::uint64_t{0x24}), amqp::value::list_of({}));
    const amqp::value queue = amqp::value::described_of(amqp::value(std::uint64_t{0x29}),
                                                        amqp::value::list_of({"queue/orders"}));
    const amqp::value source = amqp::value::described_of(amqp::value(std::uint64_t{0x28}),
                                                         amqp::value::list_of({"queue/orders"}));
    const amqp::symbol_view caps[] = {amqp::symbol_view{"amqp:local-transactions"}};
    const bytes coordinator = composite(amqp::spec::coordinator{caps});
    const amqp::value coordinator_target = amqp::value::from_view(view_of(coordinator));
    const std::pair<const char*, const amqp::value*> senders[] = {
        {"txn-ctrl", &coordinator_target}, {"in-txn", &queue}};
    std::uint32_t handle = 0;
    for (const auto& [name, target] : senders) {
      amqp::spec::attach a;
      a.name = name;
      a.handle = handle++;
      a.role = amqp::spec::role::sender;
      a.source = source;
      a.target = *target;
      a.initial_delivery_count = 0;
      frame(w, a);
    }
    amqp::spec::attach acquire;
    acquire.name = "acquire";
    acquire.handle = 2;
    acquire.role = amqp::spec::role::receiver;
    acquire.source = source;
    acquire.target = queue;
    frame(w, acquire);
    const amqp::value txn_properties = amqp::value::map_of({{amqp::value::sym("txn-id"), id}});
    amqp::spec::flow flow;
    flow.next_incoming_id = 0;
    flow.incoming_window = 100;
    flow.next_outgoing_id = 0;
    flow.outgoing_window = 100;
    flow.handle = 2;
    flow.link_credit = 5;
    flow.properties = txn_properties;
    frame(w, flow);

    const auto request = [](const amqp::coordinator_request& r) {
      amqp::writer b;
      (void)amqp::encode_coordinator_request(b, r);
      return bytes(b.view().begin(), b.view().end());
    };
    const std::uint8_t tags[][1] = {{0}, {1}, {2}};
    amqp::spec::transfer declare;
    declare.handle = 0;
    declare.delivery_id = 0;
    declare.delivery_tag = amqp::bytes_view(tags[0]);
    declare.message_format = 0;
    frame(w, declare, request(amqp::declare_request{}));
    const bytes in_txn_state = composite(amqp::spec::transactional_state{id, {}});
    const amqp::value in_txn = amqp::value::from_view(view_of(in_txn_state));
    amqp::spec::transfer sent;
    sent.handle = 1;
    sent.delivery_id = 1;
    sent.delivery_tag = amqp::bytes_view(tags[1]);
    sent.message_format = 0;
    sent.state = in_txn;
    frame(w, sent, encode_message(typical_message()));

    // The engine's first delivery on "acquire", accepted inside the transaction; its
    // answer to the declare, settled with the declared outcome it would have given.
    const bytes settled_in_txn = composite(amqp::spec::transactional_state{id, accepted});
    const amqp::value outcome = amqp::value::from_view(view_of(settled_in_txn));
    amqp::spec::disposition d;
    d.role = amqp::spec::role::receiver;
    d.first = 0;
    d.settled = true;
    d.state = outcome;
    frame(w, d);
    const bytes declared_state = composite(amqp::spec::declared{id});
    const amqp::value declared = amqp::value::from_view(view_of(declared_state));
    amqp::spec::disposition mine;
    mine.role = amqp::spec::role::sender;
    mine.first = 0;
    mine.settled = true;
    mine.state = declared;
    frame(w, mine);

    amqp::spec::transfer discharge;
    discharge.handle = 0;
    discharge.delivery_id = 2;
    discharge.delivery_tag = amqp::bytes_view(tags[2]);
    discharge.message_format = 0;
    frame(w, discharge,
          request(amqp::discharge_request{*amqp::transaction_id::from(hex("74 78 2d 31")), false}));
    for (std::uint32_t h = 0; h < 3; ++h) frame(w, amqp::spec::detach{h, true, {}});
    frame(w, amqp::spec::end{});
    frame(w, peer_close);
    put(t, "transactions", stream_of(w));
  }
  put(t, "header-only", hex("41 4d 51 50 00 01 00 00"));
  put(t, "header-wrong-version", hex("41 4d 51 50 00 01 00 01"));
  put(t, "header-tls", hex("41 4d 51 50 02 01 00 00 16 03 01 00 05 01 00 00 01 00"));
  put(t, "header-sasl-only", hex("41 4d 51 50 03 01 00 00"));
  put(t, "not-amqp", hex("47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a 0d 0a"));
  put(t, "empty", {});
  {
    // A frame far over any max-frame-size: a framing error before anything is allocated.
    amqp::writer w;
    header(w);
    frame(w, peer_open);
    const bytes big = hex("7f ff ff f0 02 00 00 00 00 53 14 c0");
    w.append(amqp::bytes_view(big));
    put(t, "oversized-frame", stream_of(w));
  }
  {
    amqp::writer w;
    header(w);
    frame(w, peer_open);
    const bytes junk = hex("00 00 00 0c 02 00 00 00 ff ff ff ff de ad be ef 00 01 02 03");
    w.append(amqp::bytes_view(junk));
    put(t, "garbage-after-open", stream_of(w));
  }
  {
    amqp::writer w;
    header(w);
    frame(w, amqp::spec::begin{std::uint16_t{0}, 0, 100, 100, 15, {}, {}, {}});
    put(t, "begin-before-open", stream_of(w));
  }
  {
    amqp::writer w;
    header(w);
    frame(w, peer_close);
    put(t, "close-before-open", stream_of(w));
  }
  {
    amqp::writer w;
    header(w);
    frame(w, peer_open);
    frame(w, peer_open);
    frame(w, peer_close);
    put(t, "open-twice", stream_of(w));
  }
  {
    amqp::writer w;
    header(w);
    frame(w, peer_open, {}, 1);
    put(t, "open-on-channel-1", stream_of(w));
  }
  {
    // Below the 512 bytes every peer must accept (spec Part 2, 2.7.1).
    amqp::writer w;
    header(w);
    amqp::spec::open o = peer_open;
    o.max_frame_size = 256;
    frame(w, o);
    frame(w, peer_close);
    put(t, "open-max-frame-256", stream_of(w));
  }
  {
    // An open without its mandatory container-id, then a heartbeat before any open.
    amqp::writer w;
    header(w);
    w.append(amqp::bytes_view(hex("00 00 00 0c 02 00 00 00 00 53 10 45")));
    put(t, "open-empty-list", stream_of(w));
    amqp::writer v;
    header(v);
    amqp::write_empty_frame(v);
    frame(v, peer_open);
    frame(v, peer_close);
    put(t, "heartbeat-before-open", stream_of(v));
  }
  {
    // Descriptors by symbol, an extended header, and a descriptor the spec does not define.
    amqp::writer w;
    header(w);
    w.append(amqp::bytes_view(hex("00 00 00 23 03 00 00 00 ca fe ba be 00 a3 0e 61 6d 71 70 3a "
                                  "6f 70 65 6e 3a 6c 69 73 74 c0 04 01 a1 01 70")));
    w.append(amqp::bytes_view(hex("00 00 00 0f 02 00 00 00 00 53 99 c0 02 01 40")));
    frame(w, peer_close);
    put(t, "symbolic-and-unknown", stream_of(w));
  }
  {
    amqp::writer w;
    header(w);
    frame(w, peer_open);
    amqp::spec::sasl_outcome outcome{amqp::spec::sasl_code::ok, {}};
    frame(w, outcome, {}, 0, amqp::frame_type::sasl);
    put(t, "sasl-frame-after-open", stream_of(w));
  }
}

// The inspect target takes an options byte first (see targets/inspect.cpp): every other
// target's seeds, in the mode that fits them, as text and as --reencode, plus hex input.
void inspect_seeds() {
  const std::pair<const char*, std::uint8_t> sources[] = {
      {"value_decode", 1}, {"message_decode", 2}, {"frame_reader", 3}};
  for (const auto& [target, mode] : sources) {
    for (const auto& entry : fs::directory_iterator(root / target)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const bytes body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const std::string name = entry.path().filename().string();
      for (const std::uint8_t flags : {std::uint8_t{0}, std::uint8_t{8}}) {
        bytes seed{static_cast<std::uint8_t>(mode | flags)};
        seed.insert(seed.end(), body.begin(), body.end());
        put("inspect", std::string(target) + "-" + name + (flags ? "-reencode" : ""), seed);
      }
    }
  }
  // Hex input, automatic mode, one-line text.
  const std::string text = "41 4d 51 50 00 01 00 00\n00 00 00 08 02 00 00 00\n";
  bytes seed{static_cast<std::uint8_t>(4 | 16)};
  seed.insert(seed.end(), text.begin(), text.end());
  put("inspect", "hex-frames", seed);
}

}  // namespace

// The performatives of a whole session, each alone: what composite_decode starts from.
void composite_seeds() {
  amqp::writer w;
  amqp_session(w, true);
  amqp::bytes_view stream = w.view();
  amqp::frame_reader reader;
  reader.expect_protocol_header();
  const std::uint8_t header[] = {'A', 'M', 'Q', 'P', 0, 1, 0, 0};
  (void)reader.read(amqp::bytes_view(header));
  int n = 0;
  while (!stream.empty()) {
    auto r = reader.read(stream);
    if (r.error || r.consumed == 0) break;
    if (r.item) {
      if (const auto* f = std::get_if<amqp::frame_view>(&*r.item); f && !f->is_empty()) {
        const std::uint8_t* start = stream.data() + amqp::frame_header_size;
        put("composite_decode", "performative-" + std::to_string(n++),
            amqp::bytes_view(start, f->payload.data()));
      }
    }
    stream = stream.subspan(r.consumed);
  }
  for (const auto& [name, b] : transaction_composites()) put("composite_decode", name, b);
  put("composite_decode", "rejected-with-error",
      composite(amqp::spec::rejected{amqp::spec::error{amqp::symbol_view{"amqp:internal-error"},
                                                       "broken", {}}}));
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  root = argv[1];
  value_seeds();
  message_seeds();
  composite_seeds();
  stream_seeds("frame_reader");
  engine_seeds("engine_server", "client");
  engine_seeds("engine_client", "server");
  inspect_seeds();
  seeds::choice_seeds();
  seeds::scram_tls_seeds();
  seeds::sasl_seeds();
  std::printf("wrote %d seeds under %s\n", written, root.c_str());
  return 0;
}
