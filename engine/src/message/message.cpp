// The owned message: building bodies, deep copies out of views, comparison.
#include <utility>

#include "amqp/message.hpp"

namespace amqp {
namespace {

map map_of(value_view v) {
  if (v.type() != kind::map) return {};
  value copy = value::from_view(v);
  return std::move(*std::get_if<map>(&copy.get()));
}

value value_of(const spec::value_ref& r) {
  if (const value* owned = r.owned()) return *owned;
  return value::from_view(r.view());
}

template <class T>
std::optional<std::string> string_of(const std::optional<T>& v) {
  if (!v) return std::nullopt;
  if constexpr (std::is_same_v<T, symbol_view>) {
    return std::string(v->str);
  } else if constexpr (std::is_same_v<T, bytes_view>) {
    return std::string(reinterpret_cast<const char*>(v->data()), v->size());
  } else {
    return std::string(*v);
  }
}

message::properties_type properties_of(const spec::properties& p) {
  message::properties_type out;
  out.message_id = value_of(p.message_id);
  out.user_id = string_of(p.user_id);
  out.to = value_of(p.to);
  out.subject = string_of(p.subject);
  out.reply_to = value_of(p.reply_to);
  out.correlation_id = value_of(p.correlation_id);
  out.content_type = string_of(p.content_type);
  out.content_encoding = string_of(p.content_encoding);
  out.absolute_expiry_time = p.absolute_expiry_time;
  out.creation_time = p.creation_time;
  out.group_id = string_of(p.group_id);
  out.group_sequence = p.group_sequence;
  out.reply_to_group_id = string_of(p.reply_to_group_id);
  return out;
}

bool same_header(const spec::header& a, const spec::header& b) noexcept {
  return a.durable == b.durable && a.priority == b.priority && a.ttl == b.ttl &&
         a.first_acquirer == b.first_acquirer && a.delivery_count == b.delivery_count;
}

}  // namespace

void message::set_data(bytes_view bytes) {
  body_type = body_kind::data;
  body.clear();
  body.push_back(value::bin(bytes));
}

void message::set_value(value v) {
  body_type = body_kind::amqp_value;
  body.clear();
  body.push_back(std::move(v));
}

message message::from_view(const message_view& v) {
  message m;
  m.header = v.header;
  m.delivery_annotations = map_of(v.delivery_annotations);
  m.message_annotations = map_of(v.message_annotations);
  if (v.properties) m.properties = properties_of(*v.properties);
  m.application_properties = map_of(v.application_properties);
  m.body_type = v.body;
  if (v.body != body_kind::none) {
    m.body.reserve(v.body_count);
    for (value_view b : v.body_sections()) m.body.push_back(value::from_view(b));
  }
  m.footer = map_of(v.footer);
  return m;
}

bool operator==(const message& a, const message& b) noexcept {
  if (a.header.has_value() != b.header.has_value()) return false;
  if (a.header && !same_header(*a.header, *b.header)) return false;
  return a.delivery_annotations == b.delivery_annotations &&
         a.message_annotations == b.message_annotations && a.properties == b.properties &&
         a.application_properties == b.application_properties && a.body_type == b.body_type &&
         a.body == b.body && a.footer == b.footer;
}

}  // namespace amqp
