// Internal: the recursive-descent reader behind text_parser.hpp. text_reader.cpp holds values,
// lists, maps, arrays and matchers; described_text.cpp descriptors, the fields form of
// composites and arrays of described values.
#pragma once

#include <cstddef>
#include <vector>

#include "amqp/spec/constants.hpp"
#include "amqp/spec/table.hpp"
#include "peer/pattern.hpp"
#include "peer/text_cursor.hpp"
#include "peer/text_parser.hpp"

namespace amqp::peer::detail {

// Where a value stands, which decides the shorthand it may use.
struct slot {
  kind primitive = kind::null;  // the kind an untyped number takes; null: numbers need a type
  const spec::restricted_info* choices = nullptr;  // choice names allowed
  bool field = false;  // a field or a map entry's value: `absent` allowed
  bool key = false;    // a map key: a bare symbol at its end stops before ": "
};

class text_reader {
 public:
  text_reader(text_cursor& c, bool patterns, const parse_limits& limits) noexcept
      : c_(c), patterns_(patterns), limits_(limits) {}

  // One value or (with patterns) one pattern at the cursor.
  pattern node(const slot& s = {});
  // One value, even where patterns are allowed (map keys, descriptors, array elements).
  value literal(const slot& s = {});

 private:
  friend class depth_guard;
  pattern matcher_or_value(const slot& s, std::size_t start);
  pattern plain(const slot& s);
  pattern typed(kind k, const slot& s, std::size_t start);
  pattern comparison(kind type, const slot& s);
  value symbol(bool as_key);
  pattern list();
  pattern map();
  value array(kind k);
  value array_element(kind k);

  // described_text.cpp
  pattern described(const slot& s);
  value descriptor(const spec::type_info*& t);
  bool fields_ahead(const spec::type_info& t);
  bool array_ahead();
  void field_entries(const spec::type_info& t, std::vector<std::uint32_t>& indexes,
                     std::vector<pattern>& values);
  pattern fields(const spec::type_info& t, value descriptor);
  value fields_list(const spec::type_info& t);
  value described_array(const spec::type_info& t, value descriptor);
  value described_body(const spec::type_info& t, kind k);

  text_cursor& c_;
  bool patterns_;
  const parse_limits& limits_;
  std::size_t depth_ = 0;
};

// Counts one level of nesting for as long as it lives; refuses one too many.
class depth_guard {
 public:
  explicit depth_guard(text_reader& r);
  ~depth_guard() { --r_.depth_; }
  depth_guard(const depth_guard&) = delete;
  depth_guard& operator=(const depth_guard&) = delete;

 private:
  text_reader& r_;
};

pattern literal_pattern(value v);
// "an array", "a uint": a kind's name for messages.
std::string with_article(kind k);
bool all_literal(const std::vector<pattern>& ps) noexcept;

}  // namespace amqp::peer::detail
