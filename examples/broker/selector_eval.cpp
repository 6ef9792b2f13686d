// Evaluating selectors against a message, in place: identifiers read the decoded message's
// views, strings are compared where they lie, and nothing is allocated. Three-valued logic
// and JMS's comparison rules are as selector.hpp describes.
#include <cmath>
#include <limits>

#include "selector.hpp"
#include "selector_detail.hpp"

namespace broker {

namespace detail {

char32_t next_code_point(std::string_view s, std::size_t& pos) noexcept {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  std::size_t len = 0;
  char32_t c = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    ++pos;
    return b0;
  } else if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2, c = b0 & 0x1fu, min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3, c = b0 & 0x0fu, min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4, c = b0 & 0x07u, min = 0x10000;
  }
  if (len == 0 || pos + len > s.size()) {
    ++pos;
    return 0xdc00u + b0;  // a lone byte stands for itself, apart from every real character
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[pos + k]);
    if ((b & 0xc0) != 0x80) {
      ++pos;
      return 0xdc00u + b0;
    }
    c = (c << 6) | (b & 0x3fu);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
    ++pos;
    return 0xdc00u + b0;
  }
  pos += len;
  return c;
}

void append_utf8(std::string& out, char32_t c) {
  if (c >= 0xdc80 && c <= 0xdcff) {  // a lone byte, as next_code_point made it
    out += static_cast<char>(c - 0xdc00);
  } else if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

std::optional<std::size_t> check_like_pattern(std::string_view pattern, bool has_escape,
                                              char32_t escape) noexcept {
  if (!has_escape) return std::nullopt;
  std::size_t p = 0;
  while (p < pattern.size()) {
    const std::size_t at = p;
    if (next_code_point(pattern, p) != escape) continue;
    if (p == pattern.size()) return at;
    const char32_t next = next_code_point(pattern, p);
    if (next != U'%' && next != U'_' && next != escape) return at;
  }
  return std::nullopt;
}

namespace {

// One element of a pattern: a character to match, or a wildcard.
enum class element_kind : std::uint8_t { literal, any_one, any_run };
struct element {
  element_kind kind;
  char32_t c;
};

element element_at(std::string_view pattern, std::size_t& p, bool has_escape, char32_t escape) {
  const char32_t c = next_code_point(pattern, p);
  if (has_escape && c == escape && p < pattern.size())
    return {element_kind::literal, next_code_point(pattern, p)};
  if (c == U'%') return {element_kind::any_run, 0};
  if (c == U'_') return {element_kind::any_one, 0};
  return {element_kind::literal, c};
}

}  // namespace

bool like_matches(std::string_view text, std::string_view pattern, bool has_escape,
                  char32_t escape) noexcept {
  // The classic wildcard walk: on a mismatch, go back to just after the last % and let it
  // take one more character. Only the last % matters, so this never backtracks further.
  std::size_t s = 0, p = 0;
  std::size_t star_p = std::string_view::npos, star_s = 0;
  while (s < text.size()) {
    std::size_t next_p = p;
    if (p < pattern.size()) {
      const element e = element_at(pattern, next_p, has_escape, escape);
      if (e.kind == element_kind::any_run) {
        star_p = next_p;
        star_s = s;
        p = next_p;
        continue;
      }
      std::size_t next_s = s;
      const char32_t c = next_code_point(text, next_s);
      if (e.kind == element_kind::any_one || e.c == c) {
        p = next_p;
        s = next_s;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    next_code_point(text, star_s);
    s = star_s;
    p = star_p;
  }
  while (p < pattern.size()) {
    if (element_at(pattern, p, has_escape, escape).kind != element_kind::any_run) return false;
  }
  return true;
}

selector::field field_of(std::string_view id) noexcept {
  using f = selector::field;
  if (id == "JMSMessageID") return f::message_id;
  if (id == "JMSCorrelationID") return f::correlation_id;
  if (id == "JMSPriority") return f::priority;
  if (id == "JMSDeliveryMode") return f::delivery_mode;
  if (id == "JMSTimestamp") return f::timestamp;
  if (id == "JMSType") return f::type;
  return f::property;
}

}  // namespace detail

namespace {

using op = selector::op;

// A value during evaluation; strings view the message or the selector.
struct val {
  enum class type : std::uint8_t { null, boolean, integer, floating, string };
  type t = type::null;
  bool b = false;
  std::int64_t i = 0;
  double d = 0;
  std::string_view s;

  static val boolean(bool v) { return {.t = type::boolean, .b = v}; }
  static val of(truth v) { return v == truth::unknown ? val{} : boolean(v == truth::true_); }
  bool is_number() const { return t == type::integer || t == type::floating; }
  truth as_truth() const {
    if (t != type::boolean) return truth::unknown;
    return b ? truth::true_ : truth::false_;
  }
};

val from_amqp(amqp::value_view v) {
  using amqp::kind;
  switch (v.type()) {
    case kind::boolean: return val::boolean(v.as_boolean());
    case kind::ubyte: return {.t = val::type::integer, .i = v.as_ubyte()};
    case kind::ushort: return {.t = val::type::integer, .i = v.as_ushort()};
    case kind::uint: return {.t = val::type::integer, .i = v.as_uint()};
    case kind::ulong: {
      const std::uint64_t u = v.as_ulong();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return {.t = val::type::integer, .i = static_cast<std::int64_t>(u)};
      return {.t = val::type::floating, .d = static_cast<double>(u)};
    }
    case kind::byte: return {.t = val::type::integer, .i = v.as_byte()};
    case kind::short_: return {.t = val::type::integer, .i = v.as_short()};
    case kind::int_: return {.t = val::type::integer, .i = v.as_int()};
    case kind::long_: return {.t = val::type::integer, .i = v.as_long()};
    case kind::float_: return {.t = val::type::floating, .d = v.as_float()};
    case kind::double_: return {.t = val::type::floating, .d = v.as_double()};
    case kind::string:
    case kind::symbol: return {.t = val::type::string, .s = v.as_string()};
    default: return {};
  }
}

val from_scalar(const selector::scalar& v) {
  if (const bool* b = std::get_if<bool>(&v)) return val::boolean(*b);
  if (const std::int64_t* i = std::get_if<std::int64_t>(&v))
    return {.t = val::type::integer, .i = *i};
  if (const double* d = std::get_if<double>(&v)) return {.t = val::type::floating, .d = *d};
  if (const std::string* s = std::get_if<std::string>(&v))
    return {.t = val::type::string, .s = *s};
  return {};
}

val lookup(const selector::node& n, const amqp::message_view& m) {
  using f = selector::field;
  switch (n.source) {
    case f::property:
      if (m.application_properties.type() != amqp::kind::map) return {};
      return from_amqp(m.application_properties.as_map().find(n.text));
    case f::message_id:
      return m.properties ? from_amqp(m.properties->message_id.view()) : val{};
    case f::correlation_id:
      return m.properties ? from_amqp(m.properties->correlation_id.view()) : val{};
    case f::priority:
      return {.t = val::type::integer, .i = m.header ? m.header->priority : 4};
    case f::delivery_mode:
      return {.t = val::type::string,
              .s = m.header && m.header->durable ? "PERSISTENT" : "NON_PERSISTENT"};
    case f::timestamp:
      if (!m.properties || !m.properties->creation_time) return {};
      return {.t = val::type::integer, .i = m.properties->creation_time->ms};
    case f::type:
      if (!m.properties || !m.properties->subject) return {};
      return {.t = val::type::string, .s = *m.properties->subject};
  }
  return {};
}

// -1, 0, 1 for numbers (2 when unordered: a NaN).
int compare_numbers(const val& a, const val& b) {
  if (a.t == val::type::integer && b.t == val::type::integer)
    return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  // long double holds every int64 exactly, so mixed comparisons are exact.
  const long double x = a.t == val::type::integer ? static_cast<long double>(a.i) : a.d;
  const long double y = b.t == val::type::integer ? static_cast<long double>(b.i) : b.d;
  if (x < y) return -1;
  if (x > y) return 1;
  if (x == y) return 0;
  return 2;
}

truth compare(op o, const val& a, const val& b) {
  if (a.t == val::type::null || b.t == val::type::null) return truth::unknown;
  const auto result = [](bool v) { return v ? truth::true_ : truth::false_; };
  if (a.is_number() && b.is_number()) {
    const int c = compare_numbers(a, b);
    switch (o) {
      case op::eq: return result(c == 0);
      case op::ne: return result(c != 0);
      case op::lt: return result(c == -1);
      case op::gt: return result(c == 1);
      case op::le: return result(c == -1 || c == 0);
      case op::ge: return result(c == 1 || c == 0);
      default: return truth::unknown;
    }
  }
  // JMS: values of different types, or ordering strings or booleans, compare FALSE.
  if (a.t != b.t || (o != op::eq && o != op::ne)) return truth::false_;
  const bool same = a.t == val::type::string ? a.s == b.s : a.b == b.b;
  return result(o == op::eq ? same : !same);
}

val arithmetic(op o, const val& a, const val& b) {
  if (!a.is_number() || !b.is_number()) return {};
  if (a.t == val::type::integer && b.t == val::type::integer) {
    // Two's complement wrap-around, as Java's long does, computed without signed overflow.
    const auto x = static_cast<std::uint64_t>(a.i), y = static_cast<std::uint64_t>(b.i);
    std::uint64_t r = 0;
    switch (o) {
      case op::add: r = x + y; break;
      case op::sub: r = x - y; break;
      case op::mul: r = x * y; break;
      default:
        if (b.i == 0) return {};
        if (b.i == -1) r = 0 - x;
        else return {.t = val::type::integer, .i = a.i / b.i};
        break;
    }
    return {.t = val::type::integer, .i = static_cast<std::int64_t>(r)};
  }
  const double x = a.t == val::type::integer ? static_cast<double>(a.i) : a.d;
  const double y = b.t == val::type::integer ? static_cast<double>(b.i) : b.d;
  switch (o) {
    case op::add: return {.t = val::type::floating, .d = x + y};
    case op::sub: return {.t = val::type::floating, .d = x - y};
    case op::mul: return {.t = val::type::floating, .d = x * y};
    default:
      if (y == 0) return {};
      return {.t = val::type::floating, .d = x / y};
  }
}

truth logical_not(truth t) {
  if (t == truth::unknown) return t;
  return t == truth::true_ ? truth::false_ : truth::true_;
}

truth logical_and(truth a, truth b) {
  if (a == truth::false_ || b == truth::false_) return truth::false_;
  if (a == truth::unknown || b == truth::unknown) return truth::unknown;
  return truth::true_;
}

truth logical_or(truth a, truth b) {
  if (a == truth::true_ || b == truth::true_) return truth::true_;
  if (a == truth::unknown || b == truth::unknown) return truth::unknown;
  return truth::false_;
}

class evaluator {
 public:
  evaluator(const std::vector<selector::node>& nodes, const amqp::message_view& m)
      : nodes_(nodes), m_(m) {}

  val eval(std::int32_t i) const {
    const selector::node& n = nodes_[static_cast<std::size_t>(i)];
    switch (n.kind) {
      case op::literal: return from_scalar(n.value);
      case op::identifier: return lookup(n, m_);
      case op::negate: {
        const val a = eval(n.a);
        if (a.t == val::type::integer)
          return {.t = val::type::integer,
                  .i = static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(a.i))};
        if (a.t == val::type::floating) return {.t = val::type::floating, .d = -a.d};
        return {};
      }
      case op::not_: return val::of(logical_not(eval(n.a).as_truth()));
      case op::and_: {
        const truth a = eval(n.a).as_truth();
        if (a == truth::false_) return val::boolean(false);
        return val::of(logical_and(a, eval(n.b).as_truth()));
      }
      case op::or_: {
        const truth a = eval(n.a).as_truth();
        if (a == truth::true_) return val::boolean(true);
        return val::of(logical_or(a, eval(n.b).as_truth()));
      }
      case op::eq: case op::ne: case op::lt: case op::gt: case op::le: case op::ge:
        return val::of(compare(n.kind, eval(n.a), eval(n.b)));
      case op::add: case op::sub: case op::mul: case op::div:
        return arithmetic(n.kind, eval(n.a), eval(n.b));
      case op::is_null: return val::boolean(eval(n.a).t == val::type::null);
      case op::is_not_null: return val::boolean(eval(n.a).t != val::type::null);
      case op::like: case op::not_like: {
        const val a = eval(n.a);
        truth t = truth::unknown;
        if (a.t == val::type::string)
          t = detail::like_matches(a.s, n.text, n.has_escape, n.escape) ? truth::true_
                                                                        : truth::false_;
        else if (a.t != val::type::null)
          t = truth::false_;
        return val::of(n.kind == op::like ? t : logical_not(t));
      }
      case op::in: case op::not_in: {
        const val a = eval(n.a);
        truth t = truth::unknown;
        if (a.t != val::type::null) {
          t = truth::false_;
          for (const selector::scalar& item : n.items)
            if (compare(op::eq, a, from_scalar(item)) == truth::true_) t = truth::true_;
        }
        return val::of(n.kind == op::in ? t : logical_not(t));
      }
      case op::between: case op::not_between: {
        const val a = eval(n.a);
        const truth t =
            logical_and(compare(op::ge, a, eval(n.b)), compare(op::le, a, eval(n.c)));
        return val::of(n.kind == op::between ? t : logical_not(t));
      }
    }
    return {};
  }

 private:
  const std::vector<selector::node>& nodes_;
  const amqp::message_view& m_;
};

}  // namespace

truth selector::evaluate(const amqp::message_view& m) const noexcept {
  if (root_ < 0) return truth::unknown;
  return evaluator(nodes_, m).eval(root_).as_truth();
}

}  // namespace broker
