// Encoding messages: sections in spec order (Part 3, 3.2), header and properties through the
// spec table, everything else in the encoder's canonical (smallest) form.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "amqp/message.hpp"
#include "amqp/spec/codec.hpp"
#include "section.hpp"

namespace amqp {
namespace {

using detail::code_of;
using detail::section;

bool has_properties(const message::properties_type& p) noexcept {
  return !p.message_id.is_null() || p.user_id || !p.to.is_null() || p.subject ||
         !p.reply_to.is_null() || !p.correlation_id.is_null() || p.content_type ||
         p.content_encoding || p.absolute_expiry_time || p.creation_time || p.group_id ||
         p.group_sequence || p.reply_to_group_id;
}

template <class T, class F>
auto view_if(const std::optional<T>& v, F&& f) -> std::optional<decltype(f(*v))> {
  if (!v) return std::nullopt;
  return f(*v);
}

// The spec struct viewing the owned fields, so that the table drives the encoding. Built in one
// aggregate initialisation: each member is written once.
spec::properties view_of(const message::properties_type& p) noexcept {
  const auto text = [](const std::string& s) { return std::string_view(s); };
  const auto sym = [](const std::string& s) { return symbol_view(s); };
  return {
      .message_id = p.message_id,
      .user_id = view_if(p.user_id, [](const std::string& s) { return detail::as_bytes(s); }),
      .to = p.to,
      .subject = view_if(p.subject, text),
      .reply_to = p.reply_to,
      .correlation_id = p.correlation_id,
      .content_type = view_if(p.content_type, sym),
      .content_encoding = view_if(p.content_encoding, sym),
      .absolute_expiry_time = p.absolute_expiry_time,
      .creation_time = p.creation_time,
      .group_id = view_if(p.group_id, text),
      .group_sequence = p.group_sequence,
      .reply_to_group_id = view_if(p.reply_to_group_id, text),
  };
}

void map_section(encoder& e, section s, const map& entries) {
  if (entries.empty()) return;
  e.descriptor(code_of(s));
  const encoder::mark m = e.begin_map();
  for (const auto& [k, v] : entries) {
    e.value(k);
    e.value(v);
  }
  e.end_map(m);
}

void map_section(encoder& e, section s, value_view v) {
  if (v.is_null()) return;
  e.descriptor(code_of(s));
  e.value(v);
}

section body_section(body_kind k) noexcept {
  return k == body_kind::data            ? section::data
         : k == body_kind::amqp_sequence ? section::amqp_sequence
                                         : section::amqp_value;
}

// The number of sections a body kind allows (spec Part 3, 3.2) and the kind of their values.
errc check_body(body_kind k, std::size_t count, auto&& kind_at) {
  switch (k) {
    case body_kind::none:
      return count == 0 ? errc{} : errc::section_order;
    case body_kind::amqp_value:
      return count == 1 ? errc{} : errc::section_order;
    case body_kind::data:
    case body_kind::amqp_sequence:
      break;
  }
  if (count == 0) return errc::section_order;
  const kind want = k == body_kind::data ? kind::binary : kind::list;
  for (std::size_t i = 0; i < count; ++i)
    if (kind_at(i) != want) return errc::field_type_mismatch;
  return {};
}

// Encoder failures (a value over 4 GiB) leave the writer as it was.
std::error_code finish(encoder& e, writer& out, std::size_t start) {
  if (!e.failed()) return {};
  out.truncate(start);
  return e.error();
}

}  // namespace

std::error_code encode_message(writer& out, const message& m) {
  const errc ec = check_body(m.body_type, m.body.size(),
                             [&](std::size_t i) { return m.body[i].type(); });
  if (ec != errc{}) return ec;

  const std::size_t start = out.size();
  encoder e(out);
  if (m.header) spec::encode(e, *m.header);
  map_section(e, section::delivery_annotations, m.delivery_annotations);
  map_section(e, section::message_annotations, m.message_annotations);
  if (has_properties(m.properties)) spec::encode(e, view_of(m.properties));
  map_section(e, section::application_properties, m.application_properties);
  if (m.body_type != body_kind::none) {
    const std::uint64_t code = code_of(body_section(m.body_type));
    for (const value& b : m.body) {
      e.descriptor(code);
      e.value(b);
    }
  }
  map_section(e, section::footer, m.footer);
  return finish(e, out, start);
}

std::error_code encode_message(writer& out, const message_view& m) {
  for (value_view v :
       {m.delivery_annotations, m.message_annotations, m.application_properties, m.footer})
    if (!v.is_null() && v.type() != kind::map) return errc::field_type_mismatch;
  // The body is re-read from body_bytes, which must be exactly the body sections announced.
  // Already decoded once, they are held to no peer limits here, only to a depth that keeps the
  // recursion of the checker and of the encoder well inside the stack.
  const auto body = decode_message(m.body_bytes, {.max_depth = 1024, .max_zero_width_elements = ~0u});
  if (!body || body->body != m.body || body->body_count != m.body_count ||
      body->body_bytes.size() != m.body_bytes.size())
    return errc::invalid_section;

  const std::size_t start = out.size();
  encoder e(out);
  if (m.header) spec::encode(e, *m.header);
  map_section(e, section::delivery_annotations, m.delivery_annotations);
  map_section(e, section::message_annotations, m.message_annotations);
  if (m.properties) spec::encode(e, *m.properties);
  map_section(e, section::application_properties, m.application_properties);
  const std::uint64_t code = code_of(body_section(m.body));
  for (value_view b : m.body_sections()) {
    e.descriptor(code);
    e.value(b);
  }
  map_section(e, section::footer, m.footer);
  return finish(e, out, start);
}

}  // namespace amqp
