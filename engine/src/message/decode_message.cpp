// Zero-copy decoding of a message: one pass over the sections, each validated once by the value
// decoder and then only classified (spec Part 3, 3.2).
#include "amqp/message.hpp"
#include "amqp/spec/codec.hpp"
#include "section.hpp"

namespace amqp {
namespace {

using detail::section;

// The decoder's offsets are relative to the section; the caller's are relative to the message.
decode_error shifted(decode_error e, std::size_t by) noexcept {
  e.offset += by;
  return e;
}

decode_error at(errc code, const std::uint8_t* base, const std::uint8_t* p) noexcept {
  return {code, static_cast<std::size_t>(p - base)};
}

// Fills `m` section by section; decode_message wraps it so that the large view is built in
// its final place rather than copied out.
decode_error decode_sections(bytes_view bytes, const decode_limits& limits, message_view& m) {
  const std::uint8_t* const base = bytes.data();
  const std::uint8_t* const end = base + bytes.size();
  const std::uint8_t* p = base;
  const std::uint8_t* body_begin = nullptr;
  const std::uint8_t* body_end = nullptr;
  const std::uint8_t* bare_begin = nullptr;
  const std::uint8_t* bare_end = nullptr;
  int next_rank = 0;  // the lowest rank the next section may have

  while (p != end) {
    std::size_t used = 0;
    auto r = decode_value_prefix({p, end}, used, limits);
    if (!r) return shifted(r.error(), static_cast<std::size_t>(p - base));
    const value_view v = *r;
    const std::uint8_t* const next = p + used;

    if (*p != format_code::described) return at(errc::invalid_section, base, p);
    // A described value that is not an array element: its descriptor is at raw.desc and the
    // described value's constructor at raw.ptr, both already validated.
    const value_view::raw raw = v.to_raw();
    const section s = detail::section_at(raw.desc);
    if (s == section::unknown) return at(errc::invalid_section, base, p);

    const int rank = detail::rank_of(s);
    if (rank < next_rank) return at(errc::section_order, base, p);
    next_rank = rank + 1;

    const std::uint8_t* const inner_at = raw.ptr;
    const std::uint8_t* q = raw.ptr;
    const value_view inner = detail::view_at(q);
    switch (s) {
      case section::header: {
        auto h = spec::decode<spec::header>(v, base);
        if (!h) return h.error();
        m.header = *h;
        break;
      }
      case section::delivery_annotations:
      case section::message_annotations:
      case section::application_properties:
      case section::footer: {
        if (inner.type() != kind::map) return at(errc::field_type_mismatch, base, inner_at);
        value_view& slot = s == section::delivery_annotations   ? m.delivery_annotations
                           : s == section::message_annotations  ? m.message_annotations
                           : s == section::application_properties ? m.application_properties
                                                                  : m.footer;
        slot = inner;
        break;
      }
      case section::properties: {
        auto props = spec::decode<spec::properties>(v, base);
        if (!props) return props.error();
        m.properties = *props;
        break;
      }
      case section::data:
      case section::amqp_sequence:
      case section::amqp_value: {
        const body_kind k = s == section::data            ? body_kind::data
                            : s == section::amqp_sequence ? body_kind::amqp_sequence
                                                          : body_kind::amqp_value;
        // Only data and amqp-sequence sections repeat, and never mixed (spec Part 3, 3.2).
        if (m.body != body_kind::none && (m.body != k || k == body_kind::amqp_value))
          return at(errc::section_order, base, p);
        if (k == body_kind::data && inner.type() != kind::binary)
          return at(errc::field_type_mismatch, base, inner_at);
        if (k == body_kind::amqp_sequence && inner.type() != kind::list)
          return at(errc::field_type_mismatch, base, inner_at);
        if (k != body_kind::amqp_value) next_rank = rank;  // more of the same may follow
        m.body = k;
        if (m.body_count < message_view::max_body_sections) m.body_sections[m.body_count] = inner;
        ++m.body_count;
        if (!body_begin) body_begin = p;
        body_end = next;
        break;
      }
      case section::unknown:
        break;
    }
    // The bare message is properties, application-properties and the body (spec Part 3, 3.2).
    if (s >= section::properties && s <= section::amqp_value) {
      if (!bare_begin) bare_begin = p;
      bare_end = next;
    }
    p = next;
  }

  if (body_begin) m.body_bytes = {body_begin, body_end};
  if (bare_begin) m.bare = {bare_begin, bare_end};
  return {};
}

}  // namespace

result<message_view> decode_message(bytes_view bytes, const decode_limits& limits) {
  result<message_view> out{message_view{}};
  const decode_error e = decode_sections(bytes, limits, *out);
  if (e.code != errc{}) out = e;
  return out;
}

bytes_view message_view::data() const noexcept {
  return body == body_kind::data && body_count > 0 ? body_sections[0].as_binary() : bytes_view{};
}

value_view message_view::value() const noexcept {
  return body == body_kind::amqp_value ? body_sections[0] : value_view{};
}

}  // namespace amqp
