// The builders every seed writer uses (seeds.hpp).
#include <string_view>

#include "seeds.hpp"

namespace seeds {

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

amqp::value_view view_of(const bytes& b) { return *amqp::decode_value(b); }

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

void amqp_session(amqp::writer& w, bool with_transfers,
                  std::optional<std::uint16_t> remote_channel, std::uint16_t channel) {
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

}  // namespace seeds
