// The measured operations for both implementations, and a cross-check that they agree.
#include "workload.hpp"

#include <cstring>

#include "amqp/spec.hpp"

namespace bench {

namespace {

constexpr std::string_view region = "eu-west-1";

std::uint8_t body_byte(std::size_t i) { return static_cast<std::uint8_t>(i * 7 + 3); }

pn_bytes_t pn(std::string_view s) { return pn_bytes(s.size(), s.data()); }

std::size_t c_length(const char* s) { return s ? std::strlen(s) : 0; }

// Puts the 8-byte frame header (spec Part 2, 2.3.1) in front of a body of `size` bytes.
void put_frame_header(char* at, std::size_t size) {
  const auto n = static_cast<std::uint32_t>(size);
  at[0] = static_cast<char>(n >> 24);
  at[1] = static_cast<char>(n >> 16);
  at[2] = static_cast<char>(n >> 8);
  at[3] = static_cast<char>(n);
  at[4] = 2;  // doff: no extended header
  at[5] = 0;  // AMQP frame
  at[6] = 0;  // channel 0
  at[7] = 0;
}

}  // namespace

ours::ours() {
  msg.properties.message_id = std::string(message_id);
  msg.properties.to = std::string(to);
  msg.properties.subject = std::string(subject);
  msg.properties.content_type = std::string(content_type);
  msg.application_properties.emplace_back("region", std::string(region));
  msg.application_properties.emplace_back("count", std::int32_t{42});
  msg.application_properties.emplace_back("urgent", true);
  std::uint8_t body[body_size];
  for (std::size_t i = 0; i < body_size; ++i) body[i] = body_byte(i);
  msg.set_data(amqp::bytes_view(body, body_size));
  (void)amqp::encode_message(payload, msg);
  out.reserve(4096);
  (void)message_encode();
}

std::size_t ours::message_encode() {
  out.clear();
  (void)amqp::encode_message(out, msg);
  return out.size();
}

std::size_t ours::message_decode(amqp::bytes_view input) {
  auto m = amqp::decode_message(input);
  if (!m || !m->properties) return 0;
  // Read what an application reads, so both sides do comparable work.
  const amqp::spec::properties& p = *m->properties;
  std::size_t sum = p.message_id.view().as_string().size();
  sum += p.to.view().as_string().size();
  sum += p.subject ? p.subject->size() : 0;
  sum += p.content_type ? p.content_type->str.size() : 0;
  sum += m->application_properties.as_map().find("region").as_string().size();
  sum += m->data().size();
  return sum;
}

std::size_t ours::transfer_encode() {
  out.clear();
  amqp::spec::transfer t;
  t.handle = handle;
  t.delivery_id = delivery_id;
  t.delivery_tag = amqp::bytes_view(tag, sizeof tag);
  t.message_format = message_format;
  t.settled = true;
  (void)amqp::write_frame(out, amqp::frame_type::amqp, 0, t, payload.view());
  return out.size();
}

std::size_t ours::transfer_decode(amqp::bytes_view input) {
  // What the connection engine does with a frame: check the header, then read the performative
  // straight into its struct; the payload is what follows it.
  auto h = amqp::parse_frame_header(input, 0xffffffffu);
  if (!h || h->size > input.size()) return 0;
  const std::size_t body_at = std::size_t{h->doff} * 4;
  const amqp::bytes_view body = input.subspan(body_at, h->size - body_at);
  std::size_t used = 0;
  auto t = amqp::spec::decode_prefix<amqp::spec::transfer>(body, used);
  if (!t) return 0;
  const amqp::bytes_view message_bytes = body.subspan(used);
  return t->handle + t->delivery_id.value_or(0) + t->delivery_tag.value_or(amqp::bytes_view{}).size() +
         t->message_format.value_or(0) + t->settled.value_or(false) + message_bytes.size();
}

proton::proton() : msg(pn_message()), decoded(pn_message()), performative(pn_data(16)) {
  pn_msgid_t id;
  id.type = PN_STRING;
  id.u.as_bytes = pn(message_id);
  pn_message_set_id(msg, id);
  pn_message_set_address(msg, std::string(to).c_str());
  pn_message_set_subject(msg, std::string(subject).c_str());
  pn_message_set_content_type(msg, std::string(content_type).c_str());
  pn_data_t* props = pn_message_properties(msg);
  pn_data_put_map(props);
  pn_data_enter(props);
  pn_data_put_string(props, pn("region"));
  pn_data_put_string(props, pn(region));
  pn_data_put_string(props, pn("count"));
  pn_data_put_int(props, 42);
  pn_data_put_string(props, pn("urgent"));
  pn_data_put_bool(props, true);
  pn_data_exit(props);
  // An inferred binary body is a data section rather than an amqp-value holding a binary.
  pn_message_set_inferred(msg, true);
  char body[body_size];
  for (std::size_t i = 0; i < body_size; ++i) body[i] = static_cast<char>(body_byte(i));
  pn_data_put_binary(pn_message_body(msg), pn_bytes(body_size, body));
  out.resize(4096);
  payload.resize(message_encode());
  std::memcpy(payload.data(), out.data(), payload.size());
}

proton::~proton() {
  pn_data_free(performative);
  pn_message_free(decoded);
  pn_message_free(msg);
}

std::size_t proton::message_encode() {
  std::size_t size = out.size();
  if (pn_message_encode(msg, out.data(), &size) != 0) return 0;
  return size;
}

std::size_t proton::message_decode(amqp::bytes_view input) {
  if (pn_message_decode(decoded, reinterpret_cast<const char*>(input.data()), input.size()) != 0)
    return 0;
  std::size_t sum = pn_message_get_id(decoded).u.as_bytes.size;
  sum += c_length(pn_message_get_address(decoded));
  sum += c_length(pn_message_get_subject(decoded));
  sum += c_length(pn_message_get_content_type(decoded));
  pn_data_t* props = pn_message_properties(decoded);
  pn_data_rewind(props);
  if (pn_data_next(props) && pn_data_enter(props)) {
    while (pn_data_next(props)) {
      const pn_bytes_t key = pn_data_get_string(props);
      if (!pn_data_next(props)) break;
      if (std::string_view(key.start, key.size) == "region") {
        sum += pn_data_get_string(props).size;
        break;
      }
    }
  }
  pn_data_t* body = pn_message_body(decoded);
  pn_data_rewind(body);
  if (pn_data_next(body)) sum += pn_data_get_binary(body).size;
  return sum;
}

std::size_t proton::transfer_encode() {
  pn_data_t* d = performative;
  pn_data_clear(d);
  pn_data_put_described(d);
  pn_data_enter(d);
  pn_data_put_ulong(d, 0x14);  // transfer
  pn_data_put_list(d);
  pn_data_enter(d);
  pn_data_put_uint(d, handle);
  pn_data_put_uint(d, delivery_id);
  pn_data_put_binary(d, pn_bytes(sizeof tag, tag));
  pn_data_put_uint(d, message_format);
  pn_data_put_bool(d, true);
  pn_data_exit(d);
  pn_data_exit(d);
  const ssize_t n = pn_data_encode(d, out.data() + 8, out.size() - 8);
  if (n < 0) return 0;
  const std::size_t size = 8 + static_cast<std::size_t>(n) + payload.size();
  std::memcpy(out.data() + 8 + n, payload.data(), payload.size());
  put_frame_header(out.data(), size);
  return size;
}

std::size_t proton::transfer_decode(amqp::bytes_view input) {
  if (input.size() < 8) return 0;
  const std::size_t size = (std::size_t{input[0]} << 24) | (std::size_t{input[1]} << 16) |
                           (std::size_t{input[2]} << 8) | input[3];
  const std::size_t doff = input[4] * 4u;
  if (size > input.size() || doff < 8 || doff > size) return 0;
  const char* body = reinterpret_cast<const char*>(input.data()) + doff;
  pn_data_t* d = performative;
  pn_data_clear(d);
  const ssize_t n = pn_data_decode(d, body, size - doff);
  if (n < 0) return 0;
  pn_data_rewind(d);
  if (!pn_data_next(d) || !pn_data_enter(d) || !pn_data_next(d)) return 0;
  if (pn_data_get_ulong(d) != 0x14 || !pn_data_next(d) || !pn_data_enter(d)) return 0;
  std::size_t sum = 0;
  if (pn_data_next(d)) sum += pn_data_get_uint(d);               // handle
  if (pn_data_next(d)) sum += pn_data_get_uint(d);               // delivery-id
  if (pn_data_next(d)) sum += pn_data_get_binary(d).size;        // delivery-tag
  if (pn_data_next(d)) sum += pn_data_get_uint(d);               // message-format
  if (pn_data_next(d)) sum += pn_data_get_bool(d);               // settled
  pn_data_exit(d);
  pn_data_exit(d);
  return sum + (size - doff - static_cast<std::size_t>(n));     // + payload bytes
}

std::string cross_check(ours& a, proton& b) {
  const auto bytes = [](const std::vector<char>& v) {
    return amqp::bytes_view(reinterpret_cast<const std::uint8_t*>(v.data()), v.size());
  };
  std::string problems;
  // Each side decodes its own and the other's message encoding to the same fields.
  const amqp::bytes_view theirs = bytes(b.payload);
  const std::size_t expect = b.message_decode(theirs);
  if (expect == 0) problems += "proton cannot decode its own message; ";
  if (a.message_decode(theirs) != expect) problems += "we read proton's message differently; ";
  if (b.message_decode(a.payload.view()) != expect) problems += "proton reads our message differently; ";
  if (a.message_decode(a.payload.view()) != expect) problems += "we read our message differently; ";

  const std::size_t their_size = b.transfer_encode();
  const std::vector<char> their_frame(b.out.begin(), b.out.begin() + static_cast<long>(their_size));
  const std::size_t our_size = a.transfer_encode();
  const std::size_t t = b.transfer_decode(bytes(their_frame));
  if (t == 0) problems += "proton cannot decode its own transfer; ";
  if (a.transfer_decode(bytes(their_frame)) != t) problems += "we read proton's transfer differently; ";
  if (b.transfer_decode(a.out.view().first(our_size)) + (b.payload.size() - a.payload.size()) != t)
    problems += "proton reads our transfer differently; ";
  return problems;
}

}  // namespace bench
