// Internal: the building blocks of the text form (see amqp/text.hpp for the format itself).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "amqp/codec/types.hpp"
#include "amqp/codec/value_view.hpp"
#include "amqp/spec/table.hpp"
#include "amqp/text.hpp"

namespace amqp::detail {

// Scalars, always on one line.
void append_unsigned(std::string& out, std::uint64_t v);
void append_signed(std::string& out, std::int64_t v);
void append_float(std::string& out, float v);
void append_double(std::string& out, double v);
// "0x" and exactly `digits` lowercase hex digits.
void append_hex_bits(std::string& out, std::uint64_t bits, int digits);
void append_hex_bytes(std::string& out, bytes_view bytes);  // "0x" then two digits a byte
void append_char_literal(std::string& out, char32_t c);
void append_timestamp(std::string& out, std::int64_t ms);
void append_uuid(std::string& out, const uuid& u);
void append_binary_literal(std::string& out, bytes_view b);
void append_string_literal(std::string& out, std::string_view s);
void append_symbol_literal(std::string& out, std::string_view s);
// Space-separated hex byte pairs, "00 53 75".
void append_spaced_hex(std::string& out, bytes_view b);

// Lays values out on one line, or over several when they do not fit in options.width.
// Columns count bytes since the last '\n' in `out` (so a prefix already on the line counts).
class text_printer {
 public:
  text_printer(std::string& out, const text_options& options) noexcept;

  // Appends `v` at nesting `level`; `trail` is how many columns must stay free after it on
  // its last line (a separator that follows).
  void value(value_view v, int level = 0, std::size_t trail = 0);
  void text(std::string_view s);
  // Ends the line and indents the next one to `level`.
  void newline(int level);
  std::size_t column() const noexcept;

 private:
  void element(value_view v, int level, std::size_t trail, bool bare);
  void scalar(value_view v, bool bare);
  void described(value_view v, int level, std::size_t trail);
  void array(value_view v, int level, std::size_t trail);
  void descriptor_text(value_view descriptor, const spec::type_info* t);
  // The described value of a known type: field names for composites, else the value itself.
  void described_body(const spec::type_info* t, value_view inner, int level, std::size_t trail,
                      bool bare);
  bool fields_form_applies(const spec::type_info* t, value_view inner) const noexcept;
  void fields(const spec::type_info& t, value_view list, int level, std::size_t trail);
  void field_value(const spec::field_info& f, value_view v, int level, std::size_t trail);

  // A compound: `body(level)` writes the elements through item_begin / item_end. Written on
  // one line when that fits, else one element per line.
  template <class Body>
  void compound(std::string_view open, std::string_view close, std::uint32_t count, int level,
                std::size_t trail, const Body& body);
  void item_begin(std::uint32_t i, int level);
  void item_end(std::uint32_t i, std::uint32_t n);
  std::size_t item_trail(std::uint32_t i, std::uint32_t n) const noexcept {
    return flat_ || i + 1 == n ? 0 : 1;
  }
  void check_budget() noexcept {
    if (out_.size() > stop_) overflow_ = true;
  }

  std::string& out_;
  std::size_t width_;
  std::size_t indent_;
  bool flat_ = false;      // inside a one-line attempt (or multiline is off)
  bool overflow_ = false;  // the one-line attempt went past stop_
  std::size_t stop_;
  std::size_t line_start_;
};

}  // namespace amqp::detail
