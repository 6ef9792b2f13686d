// Values, lists, maps, arrays and matchers of the text notation (text_parser.hpp).
#include "peer/text_reader.hpp"

#include "peer/field_shapes.hpp"
#include "peer/scalar_text.hpp"

namespace amqp::peer {
namespace detail {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The characters of a bare symbol, as the printer chooses them (amqp/text.hpp).
bool is_symbol_char(char c) {
  static constexpr std::string_view extra = "-_.:/+*$#%&=?!~^|@";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
         extra.find(c) != std::string_view::npos;
}

bool is_number_kind(kind k) {
  return k >= kind::ubyte && k <= kind::double_;
}

}  // namespace

depth_guard::depth_guard(text_reader& r) : r_(r) {
  if (++r_.depth_ > r_.limits_.max_depth)
    r_.c_.fail("nested deeper than " + std::to_string(r_.limits_.max_depth) + " levels");
}

std::string with_article(kind k) {
  const std::string_view name = kind_name(k);
  return (name[0] == 'a' || name[0] == 'i' ? "an " : "a ") + std::string(name);
}

pattern literal_pattern(value v) {
  pattern p;
  p.operand = std::move(v);
  return p;
}

bool all_literal(const std::vector<pattern>& ps) noexcept {
  for (const pattern& p : ps)
    if (p.f != pattern::form::literal) return false;
  return true;
}

pattern text_reader::node(const slot& s) {
  c_.skip_space();
  const std::size_t start = c_.pos();
  pattern p = patterns_ ? matcher_or_value(s, start) : plain(s);
  if (patterns_) p.text = std::string(c_.text().substr(start, c_.pos() - start));
  return p;
}

value text_reader::literal(const slot& s) {
  const bool was = patterns_;
  patterns_ = false;
  pattern p = plain(s);
  patterns_ = was;
  return std::move(p.operand);
}

pattern text_reader::matcher_or_value(const slot& s, std::size_t start) {
  const char ch = c_.peek();
  if (ch == '*') {
    c_.seek(start + 1);
    c_.expect_delimiter("*");
    pattern p;
    p.f = pattern::form::any;
    return p;
  }
  if (ch == '<' || ch == '>' || (ch == '!' && c_.peek(1) == '=')) return comparison(kind::null, s);
  if (c_.consume_word("absent")) {
    if (!s.field) c_.fail_at(start, "absent stands only for a field or a map entry's value");
    pattern p;
    p.f = pattern::form::absent;
    return p;
  }
  return plain(s);
}

pattern text_reader::plain(const slot& s) {
  c_.skip_space();
  const std::size_t start = c_.pos();
  const char ch = c_.peek();
  if (ch == '"') return literal_pattern(value(c_.quoted(literal_kind::string)));
  if (ch == 'b' && c_.peek(1) == '"') {
    c_.seek(start + 1);
    const std::string bytes = c_.quoted(literal_kind::binary);
    return literal_pattern(value::bin(amqp::detail::as_bytes(bytes)));
  }
  if (ch == ':') return literal_pattern(symbol(s.key));
  if (ch == '[') return list();
  if (ch == '{') return map();
  if (ch == '@') return described(s);
  if (is_digit(ch) || ch == '-') {
    const value n = read_untyped_number(c_);
    if (s.primitive == kind::null || !is_number_kind(s.primitive))
      c_.fail_at(start, "a number needs its type here, as in uint 5 or long -1");
    std::optional<value> v = convert_number(n, s.primitive);
    if (!v) c_.fail_at(start, "out of range for " + std::string(kind_name(s.primitive)));
    return literal_pattern(std::move(*v));
  }
  const std::string_view w = c_.word();
  if (w.empty()) {
    if (c_.at_end()) c_.fail("expected a value, found the end");
    c_.fail("expected a value, found " + quoted_for_error(c_.text().substr(start, 1)));
  }
  // null[...] is an array of nulls (the type name written right before its '[').
  if (w == "null" && c_.peek() != '[') return literal_pattern(value());
  if (w == "true" || w == "false") return literal_pattern(value(w == "true"));
  if (const std::optional<kind> k = kind_named(w)) return typed(*k, s, start);
  if (s.choices) {
    if (std::optional<value> v = choice_value(*s.choices, w)) {
      c_.expect_delimiter(w);
      return literal_pattern(std::move(*v));
    }
    std::string names;
    for (const spec::choice_info& ci : s.choices->choices)
      names += (names.empty() ? "" : ", ") + std::string(ci.name);
    c_.fail_at(start, quoted_for_error(w) + " is not a choice of " + std::string(s.choices->name) +
                          " (" + names + ")");
  }
  c_.fail_at(start, "expected a value, found " + quoted_for_error(w));
}

// After a type name: an array, a comparison, or a scalar of that type.
pattern text_reader::typed(kind k, const slot& s, std::size_t start) {
  c_.skip_space();
  if (c_.peek() == '[' && k != kind::described) return literal_pattern(array(k));
  const char ch = c_.peek();
  if (patterns_ && (ch == '<' || ch == '>' || (ch == '!' && c_.peek(1) == '=')))
    return comparison(k, s);
  if (!is_typed_scalar(k))
    c_.fail_at(
        start,
        std::string(kind_name(k)) + " values are written without their type name" +
            (k == kind::null ? "" : ", or as an array: " + std::string(kind_name(k)) + "[...]"));
  return literal_pattern(read_typed_scalar(c_, k));
}

pattern text_reader::comparison(kind type, const slot& s) {
  c_.skip_space();
  const std::size_t at = c_.pos();
  pattern p;
  p.f = pattern::form::compare;
  const char a = c_.peek(), b = c_.peek(1);
  if (a == '!')
    p.op = compare_op::not_equal;
  else if (a == '<')
    p.op = b == '=' ? compare_op::less_equal : compare_op::less;
  else
    p.op = b == '=' ? compare_op::greater_equal : compare_op::greater;
  c_.seek(at + (b == '=' ? 2 : 1));
  if (type != kind::null && !is_number_kind(type) && p.op != compare_op::not_equal)
    c_.fail_at(at, "< <= > >= compare numbers, not " + std::string(kind_name(type)));
  c_.skip_space();
  const std::size_t operand_at = c_.pos();
  if (type != kind::null) {
    p.type = type;
    p.operand = is_typed_scalar(type) ? read_typed_scalar(c_, type) : literal();
    if (p.operand.type() != type)
      c_.fail_at(operand_at, "expected a " + std::string(kind_name(type)) + " after the operator");
  } else if (p.op == compare_op::not_equal && !(is_digit(c_.peek()) || c_.peek() == '-')) {
    p.operand = literal(s);
  } else {
    p.operand = read_untyped_number(c_);
    if (s.primitive != kind::null && is_number_kind(s.primitive)) {
      std::optional<value> v = convert_number(p.operand, s.primitive);
      if (!v) c_.fail_at(operand_at, "out of range for " + std::string(kind_name(s.primitive)));
      p.operand = std::move(*v);
      p.type = s.primitive;
    }
  }
  return p;
}

// `:name` or `:"quoted"`. At the end of a map key, a bare symbol ends before a ':' that white
// space (or the end) follows: the printer writes the entry {:a: int 1} for key :a.
value text_reader::symbol(bool as_key) {
  const std::size_t start = c_.pos();
  c_.seek(start + 1);
  if (c_.peek() == '"') return value::sym(c_.quoted(literal_kind::symbol));
  std::size_t n = 0;
  for (;; ++n) {
    const char ch = c_.peek(n);
    if (!is_symbol_char(ch)) break;
    if (as_key && ch == ':') {
      const char next = c_.peek(n + 1);
      if (next == ' ' || next == '\t' || next == '\n' || next == '\r' || next == '\0') break;
    }
  }
  if (n == 0)
    c_.fail_at(start,
               "expected a symbol after ':' (quote it as :\"...\" when it holds other characters)");
  const std::string_view name = c_.text().substr(start + 1, n);
  c_.seek(start + 1 + n);
  c_.expect_delimiter("a symbol");
  return value::sym(name);
}

pattern text_reader::list() {
  depth_guard g(*this);
  c_.expect('[', "'['");
  std::vector<pattern> elements;
  if (!c_.consume(']')) {
    do elements.push_back(node());
    while (c_.consume(','));
    c_.expect(']', "',' or ']'");
  }
  if (all_literal(elements)) {
    amqp::list l;
    l.reserve(elements.size());
    for (pattern& e : elements) l.push_back(std::move(e.operand));
    return literal_pattern(value(std::move(l)));
  }
  pattern p;
  p.f = pattern::form::list;
  p.elements = std::move(elements);
  return p;
}

pattern text_reader::map() {
  depth_guard g(*this);
  c_.expect('{', "'{'");
  pattern p;
  p.f = pattern::form::map;
  if (!c_.consume('}')) {
    do {
      c_.skip_space();
      value key = literal(slot{.key = true});
      c_.expect(':', "':' after a map key");
      p.keys.push_back(std::move(key));
      p.elements.push_back(node(slot{.field = true}));
    } while (c_.consume(','));
    c_.expect('}', "',' or '}'");
  }
  if (patterns_) return p;
  amqp::map m;
  m.reserve(p.keys.size());
  for (std::size_t i = 0; i < p.keys.size(); ++i)
    m.emplace_back(std::move(p.keys[i]), std::move(p.elements[i].operand));
  return literal_pattern(value(std::move(m)));
}

// `T[e, ...]`: each element written as the printer writes array elements, without its type.
value text_reader::array(kind k) {
  depth_guard g(*this);
  c_.expect('[', "'['");
  amqp::array a{k, {}, {}};
  if (!c_.consume(']')) {
    do a.elements.push_back(array_element(k));
    while (c_.consume(','));
    c_.expect(']', "',' or ']'");
  }
  return value(std::move(a));
}

value text_reader::array_element(kind k) {
  c_.skip_space();
  const std::size_t start = c_.pos();
  if (is_typed_scalar(k)) return read_typed_scalar(c_, k);
  value v = literal();
  if (v.type() != k)
    c_.fail_at(start, "an element of " + with_article(k) + " array must be " + with_article(k) +
                          ", not " + with_article(v.type()));
  return v;
}

}  // namespace detail

namespace {

template <class T, class Read>
result<T, text_error> parse_whole(std::string_view text, const parse_limits& limits, Read read) {
  if (text.size() > limits.max_length)
    return error_at(text, limits.max_length,
                    "longer than " + std::to_string(limits.max_length) + " bytes");
  text_cursor c(text);
  try {
    T out = read(c);
    if (!c.done())
      c.fail("unexpected " + quoted_for_error(text.substr(c.pos(), 1)) + " after the value");
    return out;
  } catch (const syntax_error& e) {
    return error_at(text, e.offset(), e.what());
  }
}

}  // namespace

value read_value(text_cursor& c, const parse_limits& limits) {
  return detail::text_reader(c, false, limits).literal();
}

pattern read_pattern(text_cursor& c, const parse_limits& limits) {
  return detail::text_reader(c, true, limits).node();
}

result<value, text_error> parse_value(std::string_view text, const parse_limits& limits) {
  return parse_whole<value>(text, limits, [&](text_cursor& c) { return read_value(c, limits); });
}

result<pattern, text_error> parse_pattern(std::string_view text, const parse_limits& limits) {
  return parse_whole<pattern>(text, limits,
                              [&](text_cursor& c) { return read_pattern(c, limits); });
}

}  // namespace amqp::peer
