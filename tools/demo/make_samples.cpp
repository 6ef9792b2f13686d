// Writes the demo's sample bytes to standard output, built with the library's public API:
//   amqp-demo-samples message   one message: header, properties, application properties, data
//   amqp-demo-samples frames    a client's connection as one capture: SASL PLAIN, open, begin,
//                               attach, flow, a transfer carrying the message, disposition,
//                               detach, end, close
#include <cstdio>
#include <span>
#include <string_view>

#include "amqp/frame.hpp"
#include "amqp/message.hpp"
#include "amqp/spec.hpp"

namespace {

using namespace std::string_literals;

constexpr std::int64_t created_at = 1795460400000;  // 2026-11-23T19:00:00.000Z, fixed

amqp::writer sample_message() {
  amqp::message m;
  m.header = amqp::spec::header{.durable = true};
  m.properties.message_id = "order-17"s;
  m.properties.to = "orders"s;
  m.properties.subject = "new order";
  m.properties.content_type = "application/json";
  m.properties.creation_time = amqp::timestamp{created_at};
  m.application_properties.emplace_back("region"s, "eu-west-1"s);
  m.application_properties.emplace_back("priority"s, std::int32_t{2});
  const std::string_view body = R"({"item":"tea","qty":3})";
  m.set_data({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
  amqp::writer w;
  if (amqp::encode_message(w, m)) std::fputs("amqp-demo-samples: cannot encode\n", stderr);
  return w;
}

amqp::bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

amqp::writer sample_frames() {
  namespace spec = amqp::spec;
  using amqp::frame_type;
  amqp::writer w;
  auto check = [](std::error_code ec) {
    if (ec) std::fprintf(stderr, "amqp-demo-samples: %s\n", ec.message().c_str());
  };

  amqp::write_protocol_header(w, amqp::protocol_id::sasl);
  const amqp::symbol_view mechanisms[] = {amqp::symbol_view{"PLAIN"},
                                          amqp::symbol_view{"ANONYMOUS"}};
  check(amqp::write_frame(w, frame_type::sasl, 0,
                          spec::sasl_mechanisms{.sasl_server_mechanisms = std::span<const amqp::symbol_view>(mechanisms)}));
  check(amqp::write_frame(w, frame_type::sasl, 0,
                          spec::sasl_init{.mechanism = amqp::symbol_view{"PLAIN"},
                                          .initial_response = as_bytes(std::string_view("\0guest\0guest", 12)),
                                          .hostname = "broker.example"}));
  check(amqp::write_frame(w, frame_type::sasl, 0, spec::sasl_outcome{.code = spec::sasl_code::ok}));

  amqp::write_protocol_header(w, amqp::protocol_id::amqp);
  const amqp::symbol_view caps[] = {spec::capability::anonymous_relay};
  check(amqp::write_frame(w, frame_type::amqp, 0,
                          spec::open{.container_id = "demo-client",
                                     .hostname = "broker.example",
                                     .max_frame_size = 65536,
                                     .idle_time_out = 30000,
                                     .desired_capabilities = std::span<const amqp::symbol_view>(caps)}));
  check(amqp::write_frame(w, frame_type::amqp, 0,
                          spec::begin{.next_outgoing_id = 0,
                                      .incoming_window = 2048,
                                      .outgoing_window = 2048}));
  const amqp::value target_address = std::string("orders");
  const amqp::value source_address = std::string("demo-client-sender");
  amqp::writer source_bytes, target_bytes;
  {
    amqp::encoder e(source_bytes);
    spec::encode(e, spec::source{.address = source_address});
    amqp::encoder t(target_bytes);
    spec::encode(t, spec::target{.address = target_address, .durable = spec::terminus_durability::unsettled_state});
  }
  const auto source = amqp::decode_value(source_bytes.view());
  const auto target = amqp::decode_value(target_bytes.view());
  if (!source || !target) std::fputs("amqp-demo-samples: cannot encode terminus\n", stderr);
  check(amqp::write_frame(w, frame_type::amqp, 0,
                          spec::attach{.name = "orders-sender",
                                       .handle = 0,
                                       .role = spec::role::sender,
                                       .snd_settle_mode = spec::sender_settle_mode::unsettled,
                                       .source = source ? *source : amqp::value_view{},
                                       .target = target ? *target : amqp::value_view{},
                                       .initial_delivery_count = 0}));
  check(amqp::write_frame(w, frame_type::amqp, 0,
                          spec::flow{.next_incoming_id = 0,
                                     .incoming_window = 2048,
                                     .next_outgoing_id = 0,
                                     .outgoing_window = 2048,
                                     .handle = 0,
                                     .delivery_count = 0,
                                     .link_credit = 100}));
  const amqp::writer message = sample_message();
  const std::uint8_t tag[] = {0, 0, 0, 1};
  check(amqp::write_frame(w, frame_type::amqp, 0,
                          spec::transfer{.handle = 0,
                                         .delivery_id = 0,
                                         .delivery_tag = amqp::bytes_view(tag),
                                         .message_format = 0,
                                         .settled = false},
                          message.view()));
  amqp::writer accepted_bytes;
  {
    amqp::encoder e(accepted_bytes);
    spec::encode(e, spec::accepted{});
  }
  const auto accepted = amqp::decode_value(accepted_bytes.view());
  check(amqp::write_frame(w, frame_type::amqp, 0,
                          spec::disposition{.role = spec::role::receiver,
                                            .first = 0,
                                            .settled = true,
                                            .state = accepted ? *accepted : amqp::value_view{}}));
  amqp::write_empty_frame(w, 0);  // a heartbeat
  check(amqp::write_frame(w, frame_type::amqp, 0, spec::detach{.handle = 0, .closed = true}));
  check(amqp::write_frame(w, frame_type::amqp, 0, spec::end{}));
  check(amqp::write_frame(w, frame_type::amqp, 0, spec::close{}));
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view what = argc == 2 ? argv[1] : "";
  amqp::writer w;
  if (what == "message") {
    w = sample_message();
  } else if (what == "frames") {
    w = sample_frames();
  } else {
    std::fputs("usage: amqp-demo-samples message|frames > FILE\n", stderr);
    return 2;
  }
  std::fwrite(w.data(), 1, w.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
