// The seeds of the whole-engine targets (seeds.hpp): the peer's byte stream, conversations
// written with our own frame writer, from clean ones to each way a connection can go wrong at
// its start.
#include <cstdint>
#include <string>

#include "amqp/transaction.hpp"
#include "seeds.hpp"

namespace seeds {

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

}  // namespace seeds
