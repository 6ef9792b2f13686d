// What the text parser and the matcher need to know about each field of a composite type of
// the spec table: the primitive kind of its values, the choices of its restricted type, and its
// default as a value. The kinds come from the member types of the spec structs
// (engine/include/amqp/spec/), so the table stays the only list of fields.
//
//   const amqp::spec::type_info* flow = amqp::spec::find_type(0x13);
//   amqp::peer::field_shape s = amqp::peer::shape_of(*flow, 6);   // link-credit: kind::uint
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "amqp/codec/value.hpp"
#include "amqp/spec/constants.hpp"
#include "amqp/spec/table.hpp"

namespace amqp::peer {

struct field_shape {
  // The kind of the field's values; kind::null when any value may stand there (a field of
  // type `*`, a map, a composite).
  kind primitive = kind::null;
  // The restricted type whose choices may name the value ("role: receiver"); null when the
  // field's type has no choices or the field is multiple.
  const spec::restricted_info* choices = nullptr;
};

// The shape of field `index` of composite `t` (t from spec::all_types(), index < fields.size()).
field_shape shape_of(const spec::type_info& t, std::size_t index);

// The spec's default of field `index` of `t` as a value; null when the spec gives none.
value default_of(const spec::type_info& t, std::size_t index);

// The value of the choice called `name` of restricted type `r`; nullopt when there is none.
std::optional<value> choice_value(const spec::restricted_info& r, std::string_view name);

// A value of kind `k` read from the spec's text of it ("4294967295", "false", "session-end");
// nullopt when `k` is not a boolean, unsigned or symbol kind or the text does not fit it.
std::optional<value> spec_text_value(kind k, std::string_view text);

}  // namespace amqp::peer
