// Layout of values as text: one line when it fits, else one element per line (amqp/text.hpp).
#include <charconv>
#include <limits>

#include "amqp/spec/constants.hpp"
#include "text/text_format.hpp"

namespace amqp::detail {
namespace {

constexpr std::size_t no_stop = std::numeric_limits<std::size_t>::max();

// The text of a restricted-type choice whose wire value is `v`, or empty when `v` is not one
// of the choices (or not of the restricted type's source type).
std::string_view choice_name(const spec::restricted_info& r, value_view v) {
  if (kind_name(v.type()) != r.source) return {};
  char buf[24];
  std::string_view wire;
  auto number = [&](std::uint64_t n) {
    const auto res = std::to_chars(buf, buf + sizeof buf, n);
    return std::string_view(buf, static_cast<std::size_t>(res.ptr - buf));
  };
  switch (v.type()) {
    case kind::boolean: wire = v.as_boolean() ? "true" : "false"; break;
    case kind::ubyte: wire = number(v.as_ubyte()); break;
    case kind::ushort: wire = number(v.as_ushort()); break;
    case kind::uint: wire = number(v.as_uint()); break;
    case kind::ulong: wire = number(v.as_ulong()); break;
    case kind::symbol: wire = v.as_string(); break;
    default: return {};
  }
  for (const spec::choice_info& c : r.choices)
    if (c.value == wire) return c.name;
  return {};
}

int hex_digits_for(std::uint64_t v) {
  int n = 2;
  while (n < 16 && (v >> (4 * n)) != 0) ++n;
  return n;
}

}  // namespace

text_printer::text_printer(std::string& out, const text_options& options) noexcept
    : out_(out),
      width_(options.width > 0 ? static_cast<std::size_t>(options.width) : 0),
      indent_(options.indent > 0 ? static_cast<std::size_t>(options.indent) : 0),
      flat_(!options.multiline),
      stop_(no_stop) {
  const std::size_t nl = out.rfind('\n');
  line_start_ = nl == std::string::npos ? 0 : nl + 1;
}

std::size_t text_printer::column() const noexcept { return out_.size() - line_start_; }

void text_printer::value(value_view v, int level, std::size_t trail) {
  element(v, level, trail, false);
}

void text_printer::text(std::string_view s) {
  out_ += s;
  check_budget();
}

void text_printer::newline(int level) {
  out_ += '\n';
  line_start_ = out_.size();
  out_.append(static_cast<std::size_t>(level) * indent_, ' ');
}

template <class Body>
void text_printer::compound(std::string_view open, std::string_view close, std::uint32_t count,
                            int level, std::size_t trail, const Body& body) {
  if (count == 0 || flat_) {
    text(open);
    if (count) body(level);
    text(close);
    return;
  }
  // Try the one-line form against the room left on this line; abandon it as soon as it
  // overflows, so that a large value costs at most `width` bytes per nesting level.
  const std::size_t start = out_.size();
  const std::size_t used = column() + trail;
  const std::size_t room = width_ > used ? width_ - used : 0;
  flat_ = true;
  stop_ = start + room;
  text(open);
  body(level);
  text(close);
  const bool fits = !overflow_;
  flat_ = false;
  overflow_ = false;
  stop_ = no_stop;
  if (fits) return;
  out_.resize(start);
  text(open);
  body(level);
  newline(level);
  text(close);
}

void text_printer::item_begin(std::uint32_t i, int level) {
  if (flat_) {
    if (i) text(", ");
  } else {
    newline(level + 1);
  }
}

void text_printer::item_end(std::uint32_t i, std::uint32_t n) {
  if (!flat_ && i + 1 < n) text(",");
}

void text_printer::element(value_view v, int level, std::size_t trail, bool bare) {
  if (overflow_) return;
  switch (v.type()) {
    case kind::list: {
      const list_view l = v.as_list();
      compound("[", "]", l.size(), level, trail, [&](int lvl) {
        std::uint32_t i = 0;
        for (value_view e : l) {
          if (overflow_) return;
          item_begin(i, lvl);
          element(e, lvl + 1, item_trail(i, l.size()), false);
          item_end(i++, l.size());
        }
      });
      return;
    }
    case kind::map: {
      const map_view m = v.as_map();
      compound("{", "}", m.size(), level, trail, [&](int lvl) {
        std::uint32_t i = 0;
        for (const map_entry e : m) {
          if (overflow_) return;
          item_begin(i, lvl);
          element(e.key, lvl + 1, 2, false);
          text(": ");
          element(e.value, lvl + 1, item_trail(i, m.size()), false);
          item_end(i++, m.size());
        }
      });
      return;
    }
    case kind::array: array(v, level, trail); return;
    case kind::described: described(v, level, trail); return;
    default: scalar(v, bare); return;
  }
}

void text_printer::scalar(value_view v, bool bare) {
  const kind k = v.type();
  switch (k) {
    case kind::null: out_ += "null"; break;
    case kind::boolean: out_ += v.as_boolean() ? "true" : "false"; break;
    case kind::binary: append_binary_literal(out_, v.as_binary()); break;
    case kind::string: append_string_literal(out_, v.as_string()); break;
    case kind::symbol: append_symbol_literal(out_, v.as_string()); break;
    default:
      if (!bare) {
        out_ += kind_name(k);
        out_ += ' ';
      }
      switch (k) {
        case kind::ubyte: append_unsigned(out_, v.as_ubyte()); break;
        case kind::ushort: append_unsigned(out_, v.as_ushort()); break;
        case kind::uint: append_unsigned(out_, v.as_uint()); break;
        case kind::ulong: append_unsigned(out_, v.as_ulong()); break;
        case kind::byte: append_signed(out_, v.as_byte()); break;
        case kind::short_: append_signed(out_, v.as_short()); break;
        case kind::int_: append_signed(out_, v.as_int()); break;
        case kind::long_: append_signed(out_, v.as_long()); break;
        case kind::float_: append_float(out_, v.as_float()); break;
        case kind::double_: append_double(out_, v.as_double()); break;
        case kind::decimal32: append_hex_bits(out_, v.as_decimal32().bits, 8); break;
        case kind::decimal64: append_hex_bits(out_, v.as_decimal64().bits, 16); break;
        case kind::decimal128: append_hex_bytes(out_, v.as_decimal128().bytes); break;
        case kind::char_: append_char_literal(out_, v.as_char()); break;
        case kind::timestamp: append_timestamp(out_, v.as_timestamp().ms); break;
        case kind::uuid: append_uuid(out_, v.as_uuid()); break;
        default: break;  // compounds never get here
      }
  }
  check_budget();
}

void text_printer::descriptor_text(value_view descriptor, const spec::type_info* t) {
  const kind k = descriptor.type();
  if (t) {
    out_ += t->name;
    out_ += '(';
    if (k == kind::ulong) append_hex_bits(out_, descriptor.as_ulong(), hex_digits_for(descriptor.as_ulong()));
    else append_symbol_literal(out_, descriptor.as_string());
    out_ += ')';
  } else if (k == kind::ulong) {
    // domain-id:descriptor-id, as the spec writes numeric descriptors (Part 1, 1.5).
    const std::uint64_t code = descriptor.as_ulong();
    append_hex_bits(out_, code >> 32, 8);
    out_ += ':';
    append_hex_bits(out_, code & 0xffffffffu, 8);
  } else if (k == kind::symbol) {
    append_symbol_literal(out_, descriptor.as_string());
  } else {
    // Descriptors of other types are legal but unusual; parenthesised so they read as one.
    out_ += '(';
    const bool was_flat = flat_;
    flat_ = true;
    element(descriptor, 0, 0, false);
    flat_ = was_flat;
    out_ += ')';
  }
  check_budget();
}

void text_printer::described(value_view v, int level, std::size_t trail) {
  const described_view d = v.as_described();
  const spec::type_info* t = spec::find_type(d.descriptor());
  text("@");
  descriptor_text(d.descriptor(), t);
  text(" ");
  described_body(t, d.value(), level, trail, false);
}

bool text_printer::fields_form_applies(const spec::type_info* t, value_view inner) const noexcept {
  return t && !t->restricted && inner.type() == kind::list &&
         inner.as_list().size() <= t->fields.size();
}

void text_printer::described_body(const spec::type_info* t, value_view inner, int level,
                                  std::size_t trail, bool bare) {
  if (fields_form_applies(t, inner)) fields(*t, inner, level, trail);
  else element(inner, level, trail, bare);
}

void text_printer::fields(const spec::type_info& t, value_view list, int level,
                          std::size_t trail) {
  const list_view l = list.as_list();
  std::uint32_t present = 0;
  for (value_view e : l) present += e.is_null() ? 0 : 1;
  compound("{", "}", present, level, trail, [&](int lvl) {
    std::uint32_t i = 0;
    std::size_t field = 0;
    for (value_view e : l) {
      if (overflow_) return;
      const spec::field_info& f = t.fields[field++];
      if (e.is_null()) continue;
      item_begin(i, lvl);
      text(f.name);
      text(": ");
      field_value(f, e, lvl + 1, item_trail(i, present));
      item_end(i++, present);
    }
  });
}

void text_printer::field_value(const spec::field_info& f, value_view v, int level,
                               std::size_t trail) {
  if (const spec::restricted_info* r = spec::find_restricted_type(f.type);
      r && !r->choices.empty() && !f.is_multiple()) {
    if (std::string_view name = choice_name(*r, v); !name.empty()) {
      text(name);
      return;
    }
  }
  element(v, level, trail, false);
}

void text_printer::array(value_view v, int level, std::size_t trail) {
  const array_view a = v.as_array();
  const spec::type_info* t = nullptr;
  if (a.element_type() == kind::described) {
    const value_view descriptor = a.descriptor();
    t = spec::find_type(descriptor);
    text("@");
    descriptor_text(descriptor, t);
    text(" ");
  }
  // "uint[": the longest element type name, "decimal128", fits the small-string buffer.
  std::string open(kind_name(kind_of(a.element_format())));
  open += '[';
  const bool described_elements = a.element_type() == kind::described;
  compound(open, "]", a.size(), level, trail, [&](int lvl) {
    std::uint32_t i = 0;
    for (value_view e : a) {
      if (overflow_) return;
      item_begin(i, lvl);
      const std::size_t tr = item_trail(i, a.size());
      if (described_elements) described_body(t, e.as_described().value(), lvl + 1, tr, true);
      else element(e, lvl + 1, tr, true);
      item_end(i++, a.size());
    }
  });
}

}  // namespace amqp::detail
