// Zero-copy decoding of a message in one pass: each section is checked and classified as it is
// read, header and properties straight into their structs (spec Part 3, 3.2).
#include "amqp/codec/detail/checker.hpp"
#include "amqp/message.hpp"
#include "amqp/spec/codec.hpp"
#include "section.hpp"

namespace amqp {
namespace {

using detail::checker;
using detail::section;
using pos = const std::uint8_t*;

// Reads the section descriptor after the described constructor at `at`, leaving p at the
// section's value. The usual smallulong code is read inline.
bool open_section(checker& c, pos at, pos& p, pos end, section& s) {
  if (*at != format_code::described) return c.refuse(errc::invalid_section, p, end, 0);
  if (c.max_depth() == 0) return c.fail(errc::nesting_too_deep, at);
  p = at + 1;
  if (p == end) return c.fail(errc::truncated, p);
  if (*p == format_code::described) return c.fail(errc::nested_descriptor, p);
  if (*p == format_code::smallulong && end - p >= 2) {
    s = detail::section_code(p[1]);
    p += 2;
  } else {
    value_view descriptor;
    if (!c.value(p, end, 1, descriptor)) return false;
    s = detail::section_of(descriptor);
  }
  if (s != section::unknown) return true;
  p = at;  // a well-formed value that is no section is refused as a whole
  return c.refuse(errc::invalid_section, p, end, 0);
}

// The value of a section whose descriptor has been read; p is at its constructor.
bool read_section(checker& c, section s, pos at, pos& p, pos end, message_view& m) {
  const pos inner_at = p;
  switch (s) {
    case section::header:
      p = at;
      return spec::detail::read_described(c, p, end, 0, m.header.emplace(),
                                          errc::unexpected_descriptor);
    case section::properties:
      p = at;
      return spec::detail::read_described(c, p, end, 0, m.properties.emplace(),
                                          errc::unexpected_descriptor);
    case section::data: {
      if (p == end) return c.fail(errc::truncated, p);
      bytes_view ignored;
      return spec::detail::read(c, p, end, 1, ignored);  // a binary, or field_type_mismatch
    }
    default:
      break;
  }
  value_view inner;
  if (!c.value(p, end, 1, inner)) return false;
  switch (s) {
    case section::amqp_sequence:
      return inner.type() == kind::list || c.fail(errc::field_type_mismatch, inner_at);
    case section::amqp_value:
      return true;
    default:
      break;
  }
  if (inner.type() != kind::map) return c.fail(errc::field_type_mismatch, inner_at);
  value_view& slot = s == section::delivery_annotations ? m.delivery_annotations
                     : s == section::message_annotations ? m.message_annotations
                     : s == section::application_properties ? m.application_properties
                                                             : m.footer;
  slot = inner;
  return true;
}

// Fills `m` section by section; decode_message wraps it so that the large view is built in
// its final place rather than copied out.
bool decode_sections(checker& c, bytes_view bytes, message_view& m) {
  const pos base = bytes.data();
  const pos end = base + bytes.size();
  pos p = base;
  pos body_begin = nullptr;
  pos body_end = nullptr;
  pos bare_begin = nullptr;
  pos bare_end = nullptr;
  int next_rank = 0;  // the lowest rank the next section may have

  while (p != end) {
    const pos at = p;
    section s = section::unknown;
    if (!open_section(c, at, p, end, s)) return false;
    const int rank = detail::rank_of(s);
    if (rank < next_rank) return c.fail(errc::section_order, at);
    next_rank = rank + 1;
    if (rank == detail::rank_of(section::data)) {
      const body_kind k = s == section::data            ? body_kind::data
                          : s == section::amqp_sequence ? body_kind::amqp_sequence
                                                        : body_kind::amqp_value;
      // Only data and amqp-sequence sections repeat, and never mixed (spec Part 3, 3.2).
      if (m.body != body_kind::none && (m.body != k || k == body_kind::amqp_value))
        return c.fail(errc::section_order, at);
      if (k != body_kind::amqp_value) next_rank = rank;  // more of the same may follow
      m.body = k;
      ++m.body_count;
    }
    if (!read_section(c, s, at, p, end, m)) return false;
    if (rank == detail::rank_of(section::data)) {
      if (!body_begin) body_begin = at;
      body_end = p;
    }
    // The bare message is properties, application-properties and the body (spec Part 3, 3.2).
    if (s >= section::properties && s <= section::amqp_value) {
      if (!bare_begin) bare_begin = at;
      bare_end = p;
    }
  }

  if (body_begin) m.body_bytes = {body_begin, body_end};
  if (bare_begin) m.bare = {bare_begin, bare_end};
  return true;
}

}  // namespace

result<message_view> decode_message(bytes_view bytes, const decode_limits& limits) {
  result<message_view> out{std::in_place};
  checker c(bytes.data(), limits);
  if (!decode_sections(c, bytes, *out)) out = c.error();
  return out;
}

namespace {

// The value of the validated section at p, advancing p past it.
value_view section_value(const std::uint8_t*& p) noexcept {
  ++p;  // the described constructor
  if (*p == format_code::smallulong)
    p += 2;
  else
    detail::view_at(p);
  return detail::view_at(p);
}

}  // namespace

void body_section_range::iterator::load() noexcept {
  at_end_ = next_ == end_;
  if (!at_end_) cur_ = section_value(next_);
}

bytes_view message_view::data() const noexcept {
  if (body != body_kind::data || body_bytes.empty()) return {};
  const std::uint8_t* p = body_bytes.data();
  // The usual encoding, 00 53 75 a0 len, read directly.
  if (p[1] == format_code::smallulong && p[3] == format_code::vbin8) return {p + 5, p[4]};
  return section_value(p).as_binary();
}

value_view message_view::value() const noexcept {
  if (body != body_kind::amqp_value || body_bytes.empty()) return {};
  const std::uint8_t* p = body_bytes.data();
  return section_value(p);
}

}  // namespace amqp
