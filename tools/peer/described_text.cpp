// Described values of the text notation: descriptors, the fields form of the spec table's
// composites, and arrays of described values (text_parser.hpp).
#include <algorithm>

#include "amqp/spec/table.hpp"
#include "peer/field_shapes.hpp"
#include "peer/scalar_text.hpp"
#include "peer/text_reader.hpp"

namespace amqp::peer::detail {
namespace {

const spec::type_info* type_named(std::string_view name) {
  for (const spec::type_info& t : spec::all_types())
    if (t.name == name) return &t;
  return nullptr;
}

const spec::type_info* type_of_descriptor(const value& d) {
  if (const auto* code = d.get_if<std::uint64_t>()) return spec::find_type(*code);
  if (const auto* sym = d.get_if<amqp::symbol>())
    return spec::find_type(std::string_view(sym->str));
  return nullptr;
}

std::optional<std::uint32_t> field_index(const spec::type_info& t, std::string_view name) {
  for (std::size_t i = 0; i < t.fields.size(); ++i)
    if (t.fields[i].name == name) return static_cast<std::uint32_t>(i);
  return std::nullopt;
}

std::string field_names(const spec::type_info& t) {
  std::string out;
  for (const spec::field_info& f : t.fields) out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out.empty() ? "none" : out;
}

std::string hex(std::uint64_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  do out.insert(out.begin(), digits[v & 15]);
  while (v >>= 4);
  return "0x" + out;
}

}  // namespace

pattern text_reader::described(const slot& s) {
  depth_guard g(*this);
  c_.seek(c_.pos() + 1);  // '@'
  const spec::type_info* t = nullptr;
  value d = descriptor(t);
  c_.skip_space();
  // The fields form is for composites; the array form for types whose described value cannot
  // itself be an array (text_parser.hpp says why the text needs this rule).
  if (t && !t->restricted && c_.peek() == '{' && fields_ahead(*t)) return fields(*t, std::move(d));
  if (t && t->source != "*" && array_ahead())
    return literal_pattern(described_array(*t, std::move(d)));
  // The described value ends where the whole value does: a map key's end stays a key's end.
  pattern inner = node(slot{.key = s.key});
  if (inner.f == pattern::form::literal)
    return literal_pattern(value::described_of(std::move(d), std::move(inner.operand)));
  pattern p;
  p.f = pattern::form::described;
  p.operand = std::move(d);
  p.elements.push_back(std::move(inner));
  return p;
}

// After '@': NAME, NAME(0xCODE), NAME(:symbol), :symbol, 0xDOMAIN:0xID or (value). `t` is set
// to the spec type the descriptor names, if any.
value text_reader::descriptor(const spec::type_info*& t) {
  const std::size_t start = c_.pos();
  value d;
  if (c_.peek() == '(') {
    depth_guard g(*this);
    c_.seek(start + 1);
    d = literal();
    c_.expect(')', "')' after the descriptor");
  } else if (c_.peek() == ':') {
    d = symbol(false);
  } else if (c_.peek() == '0' && c_.peek(1) == 'x') {
    c_.seek(start + 2);
    const std::uint64_t domain = c_.hex_number(1, 8, "a descriptor's domain");
    if (c_.peek() != ':' || c_.peek(1) != '0' || c_.peek(2) != 'x')
      c_.fail("expected :0x and the descriptor id after the domain");
    c_.seek(c_.pos() + 3);
    const std::uint64_t id = c_.hex_number(1, 8, "a descriptor id");
    d = value(domain << 32 | id);
  } else {
    const std::string_view name = c_.word();
    if (name.empty())
      c_.fail_at(start,
                 "expected a descriptor after '@': a type name, :symbol, "
                 "0xDOMAIN:0xID or (value)");
    t = type_named(name);
    if (!t) c_.fail_at(start, quoted_for_error(name) + " is not a type of the spec table");
    d = value(t->code);
    if (c_.peek() == '(') {
      c_.seek(c_.pos() + 1);
      const std::size_t at = c_.pos();
      if (c_.peek() == ':') {
        d = symbol(false);
        if (d.get_if<amqp::symbol>()->str != t->symbol)
          c_.fail_at(at, "the symbol of " + std::string(t->name) + " is " + std::string(t->symbol));
      } else if (c_.peek() == '0' && c_.peek(1) == 'x') {
        c_.seek(at + 2);
        if (c_.hex_number(1, 16, "a descriptor code") != t->code)
          c_.fail_at(at, "the code of " + std::string(t->name) + " is " + hex(t->code));
      } else {
        c_.fail("expected 0xCODE or :symbol in the parentheses after " + std::string(name));
      }
      if (c_.peek() != ')') c_.fail("expected ')' after the descriptor");
      c_.seek(c_.pos() + 1);
    }
    c_.expect_delimiter("the descriptor");
    return d;
  }
  t = type_of_descriptor(d);
  return d;
}

// '{' then '}' or a word and ':': the fields form. Map keys are never bare words, but null,
// true and false are values.
bool text_reader::fields_ahead(const spec::type_info&) {
  const std::size_t save = c_.pos();
  c_.seek(save + 1);
  bool yes = c_.consume('}');
  if (!yes) {
    const std::string_view w = c_.word();
    yes = !w.empty() && c_.peek() == ':' && w != "null" && w != "true" && w != "false";
  }
  c_.seek(save);
  return yes;
}

bool text_reader::array_ahead() {
  const std::size_t save = c_.pos();
  const std::optional<kind> k = kind_named(c_.word());
  c_.skip_space();
  const bool yes = k && *k != kind::described && c_.peek() == '[';
  c_.seek(save);
  return yes;
}

void text_reader::field_entries(const spec::type_info& t, std::vector<std::uint32_t>& indexes,
                                std::vector<pattern>& values) {
  depth_guard g(*this);
  c_.expect('{', "'{'");
  if (c_.consume('}')) return;
  do {
    c_.skip_space();
    const std::size_t at = c_.pos();
    const std::string_view name = c_.word();
    const std::optional<std::uint32_t> i = field_index(t, name);
    if (!i)
      c_.fail_at(at, (name.empty()
                          ? std::string("expected a field name")
                          : quoted_for_error(name) + " is not a field of " + std::string(t.name)) +
                         " (fields: " + field_names(t) + ")");
    if (std::find(indexes.begin(), indexes.end(), *i) != indexes.end())
      c_.fail_at(at, "field " + std::string(name) + " given twice");
    if (c_.peek() != ':') c_.fail("expected ':' right after the field name");
    c_.seek(c_.pos() + 1);
    const field_shape shape = shape_of(t, *i);
    indexes.push_back(*i);
    values.push_back(node(slot{shape.primitive, shape.choices, true}));
  } while (c_.consume(','));
  c_.expect('}', "',' or '}'");
}

pattern text_reader::fields(const spec::type_info& t, value descriptor) {
  if (!patterns_)
    return literal_pattern(value::described_of(std::move(descriptor), fields_list(t)));
  pattern p;
  p.f = pattern::form::fields;
  p.composite = &t;
  field_entries(t, p.indexes, p.elements);
  return p;
}

// The fields form as the list it stands for: null where no field is given, nothing after the
// last one given.
value text_reader::fields_list(const spec::type_info& t) {
  std::vector<std::uint32_t> indexes;
  std::vector<pattern> values;
  field_entries(t, indexes, values);
  amqp::list l;
  for (std::size_t k = 0; k < indexes.size(); ++k) {
    if (l.size() <= indexes[k]) l.resize(indexes[k] + 1);
    l[indexes[k]] = std::move(values[k].operand);
  }
  return value(std::move(l));
}

// `@D T[e, ...]`: every element is the value D describes, written as described_body says.
value text_reader::described_array(const spec::type_info& t, value descriptor) {
  const kind k = *kind_named(c_.word());
  const bool was = patterns_;
  patterns_ = false;
  depth_guard g(*this);
  c_.expect('[', "'['");
  amqp::array a{k, {}, {}};
  a.descriptor.emplace_back(std::move(descriptor));
  if (!c_.consume(']')) {
    do a.elements.push_back(described_body(t, k));
    while (c_.consume(','));
    c_.expect(']', "',' or ']'");
  }
  patterns_ = was;
  return value(std::move(a));
}

value text_reader::described_body(const spec::type_info& t, kind k) {
  c_.skip_space();
  const std::size_t start = c_.pos();
  value v;
  if (!t.restricted && c_.peek() == '{' && fields_ahead(t))
    v = fields_list(t);
  else if (is_typed_scalar(k))
    v = read_typed_scalar(c_, k);
  else
    v = literal();
  if (v.type() != k)
    c_.fail_at(start, "an element of " + with_article(k) + " array must be " + with_article(k) +
                          ", not " + with_article(v.type()));
  return v;
}

}  // namespace amqp::peer::detail
