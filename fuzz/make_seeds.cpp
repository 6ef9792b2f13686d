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

using seeds::amqp_session;
using seeds::bytes;
using seeds::composite;
using seeds::encode_message;
using seeds::frame;
using seeds::hex;
using seeds::put;
using seeds::stream_of;
using seeds::typical_message;
using seeds::view_of;

bytes encoded(const amqp::value& v) {
  const amqp::writer w = amqp::encode(v);
  return {w.view().begin(), w.view().end()};
}

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
  seeds::engine_seeds("engine_server", "client");
  seeds::engine_seeds("engine_client", "server");
  inspect_seeds();
  seeds::choice_seeds();
  seeds::scram_tls_seeds();
  seeds::sasl_seeds();
  std::printf("wrote %d seeds under %s\n", written, root.c_str());
  return 0;
}
