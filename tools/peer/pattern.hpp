// Expected values: what an `expect` step of a script says a received value must be, and the
// check of a received value against it.
//
//   auto p = amqp::peer::parse_pattern("@flow {link-credit: uint >= 1, drain: true}");
//   std::string why = amqp::peer::mismatch(*p, received);   // empty when it matches
//   // "link-credit: expected uint >= 1, got uint 0"
//
// A pattern is a literal (the received value must equal it, as amqp::value compares: same
// type, same value) or a matcher: `*` (any value but null), `absent` (a field that is null, a
// map key that is not there), a comparison (`uint >= 1`, `< 10`, `!= "x"`), a composite of the
// spec table in the fields form, which constrains only the fields it names, a map, which
// constrains only the keys it names, or a list or described value holding matchers, which
// match element by element.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "amqp/codec/value.hpp"
#include "amqp/codec/value_view.hpp"
#include "amqp/spec/table.hpp"

namespace amqp::peer {

enum class compare_op : std::uint8_t { less, less_equal, greater, greater_equal, not_equal };

struct pattern {
  enum class form : std::uint8_t {
    literal,    // `operand` exactly
    any,        // `*`: present, any value
    absent,     // `absent`: a null field, a map key not there
    compare,    // `type op operand`: a number compared by value (op not_equal: any value)
    list,       // a list of exactly `elements.size()` elements, each matching
    map,        // a map with `keys[i]` matching `elements[i]`; other keys are free
    described,  // descriptor equal to `operand`, the described value matching elements[0]
    fields,     // a described `composite` whose field `indexes[i]` matches `elements[i]`
  };
  form f = form::literal;
  value operand;
  compare_op op = compare_op::not_equal;
  kind type = kind::null;  // compare: the kind the value must have; null: any number
  const spec::type_info* composite = nullptr;
  std::vector<value> keys;
  std::vector<std::uint32_t> indexes;
  std::vector<pattern> elements;
  std::string text;  // as written in the script, for messages

  // The text as written, or `fallback` for a pattern built without text.
  std::string text_or(std::string fallback) const { return text.empty() ? fallback : text; }
};

// Empty when `v` matches `p`; otherwise one line saying where and how it differs:
// "link-credit: expected uint >= 1, got uint 0" (the place is a path of field names, map keys
// in brackets and list indexes; "" for the top).
std::string mismatch(const pattern& p, value_view v);

}  // namespace amqp::peer
