// The message format (spec Part 3, 3.2): a bare message and its annotations.
//
// `decode_message` views a message in place, checking section order; `message` is the owned
// form an application builds. Both encode with `encode_message`.
//
//   amqp::message m;
//   m.properties.message_id = std::string("id-1");
//   m.properties.to = "queue";
//   m.application_properties.emplace_back("region", "eu-west-1");
//   m.set_data(payload);
//   amqp::writer w;
//   amqp::encode_message(w, m);
//   auto v = amqp::decode_message(w.view());          // zero-copy view
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/value.hpp"
#include "amqp/codec/value_view.hpp"
#include "amqp/codec/writer.hpp"
#include "amqp/errors.hpp"
#include "amqp/spec/messaging.hpp"

namespace amqp {

enum class body_kind : std::uint8_t { none, data, amqp_sequence, amqp_value };

// The value of each body section of a decoded message, in order: each data section's binary,
// each amqp-sequence section's list, or the amqp-value.
class body_section_range {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = value_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = value_view;
    iterator() = default;
    iterator(const std::uint8_t* p, const std::uint8_t* end) noexcept : next_(p), end_(end) {
      load();
    }
    value_view operator*() const noexcept { return cur_; }
    iterator& operator++() noexcept {
      load();
      return *this;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.at_end_ == b.at_end_;
    }

   private:
    void load() noexcept;
    value_view cur_;
    const std::uint8_t* next_ = nullptr;
    const std::uint8_t* end_ = nullptr;
    bool at_end_ = true;
  };

  explicit body_section_range(bytes_view sections) noexcept : bytes_(sections) {}
  iterator begin() const noexcept { return {bytes_.data(), bytes_.data() + bytes_.size()}; }
  iterator end() const noexcept { return {}; }

 private:
  bytes_view bytes_;
};

// A decoded message; every view points into the decoded bytes. Only decode_message makes them.
struct message_view {
  // Provided, so that making one initialises its members rather than zero-filling all of it
  // first (the properties it may hold are large).
  message_view() noexcept {}  // NOLINT(modernize-use-equals-default)

  std::optional<spec::header> header;
  value_view delivery_annotations;  // a map, or null when the section is absent
  value_view message_annotations;   // a map, or null
  std::optional<spec::properties> properties;
  value_view application_properties;  // a map, or null
  body_kind body = body_kind::none;
  std::uint32_t body_count = 0;  // the number of body sections
  bytes_view body_bytes;         // the encoded body sections, back to back
  value_view footer;             // a map, or null
  bytes_view bare;  // the bare message: properties through body (spec Part 3, 3.2)

  body_section_range body_sections() const noexcept { return body_section_range(body_bytes); }
  // Convenience for the common cases: the one data section, the amqp-value.
  bytes_view data() const noexcept;   // first data section, empty if none
  value_view value() const noexcept;  // the amqp-value, null if none
};

// Decodes a whole message in one pass, without allocating; the views point into `bytes`.
// Section descriptors may be codes or symbolic names. A message without a body section (even
// an empty input) decodes with `body_kind::none`. Errors, with offsets relative to bytes[0]:
// - the value decoder's error for bytes that are not a well-formed value;
// - errc::invalid_section at the start of a value that is not a described section or has a
//   descriptor that names no section;
// - errc::section_order at the start of a section out of order or repeated, of a body section
//   of another kind than the first, or of a second amqp-value;
// - errc::field_type_mismatch at the section's value when annotations, application-properties
//   or footer are not a map, data is not a binary, amqp-sequence is not a list;
// - the errors of spec::decode for header and properties.
result<message_view> decode_message(bytes_view bytes, const decode_limits& limits = {});

// An owned message.
struct message {
  std::optional<spec::header> header;
  amqp::map delivery_annotations;  // omitted when empty
  amqp::map message_annotations;   // omitted when empty

  // The properties section, omitted when every field is unset.
  struct properties_type {
    value message_id;
    std::optional<std::string> user_id;  // binary on the wire
    value to;
    std::optional<std::string> subject;
    value reply_to;
    value correlation_id;
    std::optional<std::string> content_type;      // symbol on the wire
    std::optional<std::string> content_encoding;  // symbol on the wire
    std::optional<timestamp> absolute_expiry_time;
    std::optional<timestamp> creation_time;
    std::optional<std::string> group_id;
    std::optional<std::uint32_t> group_sequence;
    std::optional<std::string> reply_to_group_id;
    friend bool operator==(const properties_type&, const properties_type&) = default;
  } properties;

  amqp::map application_properties;  // omitted when empty
  body_kind body_type = body_kind::none;
  // data: one binary per data section; amqp_sequence: one list per section; amqp_value: one.
  std::vector<value> body;
  amqp::map footer;  // omitted when empty

  void set_data(bytes_view bytes);   // one data section
  void set_value(value v);           // one amqp-value section

  // Deep copy of a decoded message (absent and empty map sections both become empty maps).
  static message from_view(const message_view& v);

  // Field by field; values compare as amqp::value does (maps in wire order).
  friend bool operator==(const message& a, const message& b) noexcept;
};

// Appends the encoded message to `out` (sections in spec order, canonical encodings, empty
// sections omitted). Allocates nothing once `out` has the capacity. Errors (`out` unchanged):
// errc::field_type_mismatch when a body element does not fit `body_type` (data: binary,
// amqp_sequence: list), errc::section_order when the number of body elements does not fit
// `body_type` (spec Part 3, 3.2: data and amqp_sequence one or more, amqp_value exactly one,
// none zero), errc::value_too_large from the encoder.
std::error_code encode_message(writer& out, const message& m);
// Re-encodes a decoded message canonically: the sections it has, in the same order, with
// descriptor codes and smallest encodings; decoding the result gives an equal message. Errors
// as above (`out` unchanged); body_bytes that do not decode as `body_count` body sections of the
// kind `body` (nested at most 1024 deep) are errc::invalid_section.
std::error_code encode_message(writer& out, const message_view& m);

}  // namespace amqp
