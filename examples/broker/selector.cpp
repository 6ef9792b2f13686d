// Parsing selectors: a hand-written lexer and a recursive-descent parser whose
// recursion and whose tree depth are both bounded, building the tree as a flat vector (so that
// destroying it recurses nowhere). Obvious type errors ('a' + 1, NOT 5) are refused here, with
// their position, rather than silently selecting nothing at run time.
#include "selector.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>
#include <optional>

#include "selector_detail.hpp"

namespace broker {

std::string selector_error::to_string() const {
  return message + " at position " + std::to_string(position);
}

namespace {

enum class tok : std::uint8_t {
  end, string, integer, floating, identifier,
  kw_and, kw_or, kw_not, kw_between, kw_like, kw_in, kw_is, kw_null, kw_true, kw_false,
  kw_escape,
  lparen, rparen, comma, eq, ne, lt, gt, le, ge, plus, minus, star, slash,
};

struct token {
  tok kind = tok::end;
  std::size_t position = 0;
  std::string text;             // string literal (unescaped), identifier
  std::uint64_t magnitude = 0;  // integer: at most 2^63 (the lexer refuses more)
  double number = 0;            // floating
};

constexpr std::uint64_t int64_limit = std::uint64_t{1} << 63;  // |INT64_MIN|

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool ident_part(char c) { return ident_start(c) || (c >= '0' && c <= '9') || c == '.'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool hex_digit(char c) {
  return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (x != b[i]) return false;
  }
  return true;
}

// How a character is named in an error: itself when printable, else its byte value.
std::string show_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", u);
  return buf;
}

std::string_view token_name(tok t) {
  switch (t) {
    case tok::end: return "the end";
    case tok::string: return "a string";
    case tok::integer: case tok::floating: return "a number";
    case tok::identifier: return "an identifier";
    case tok::kw_and: return "AND";
    case tok::kw_or: return "OR";
    case tok::kw_not: return "NOT";
    case tok::kw_between: return "BETWEEN";
    case tok::kw_like: return "LIKE";
    case tok::kw_in: return "IN";
    case tok::kw_is: return "IS";
    case tok::kw_null: return "NULL";
    case tok::kw_true: return "TRUE";
    case tok::kw_false: return "FALSE";
    case tok::kw_escape: return "ESCAPE";
    case tok::lparen: return "'('";
    case tok::rparen: return "')'";
    case tok::comma: return "','";
    case tok::eq: return "'='";
    case tok::ne: return "'<>'";
    case tok::lt: return "'<'";
    case tok::gt: return "'>'";
    case tok::le: return "'<='";
    case tok::ge: return "'>='";
    case tok::plus: return "'+'";
    case tok::minus: return "'-'";
    case tok::star: return "'*'";
    case tok::slash: return "'/'";
  }
  return "?";
}

class lexer {
 public:
  explicit lexer(std::string_view text) : text_(text) {}

  // The next token, or false with `error` set.
  bool next(token& t, selector_error& error) {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r' ||
                                   text_[pos_] == '\f'))
      ++pos_;
    t = token{};
    t.position = pos_;
    if (pos_ == text_.size()) return true;
    const char c = text_[pos_];
    if (c == '\'') return string_literal(t, error);
    if (digit(c) || (c == '.' && pos_ + 1 < text_.size() && digit(text_[pos_ + 1])))
      return number(t, error);
    if (ident_start(c)) {
      const std::size_t start = pos_;
      while (pos_ < text_.size() && ident_part(text_[pos_])) ++pos_;
      word(text_.substr(start, pos_ - start), t);
      return true;
    }
    return punctuation(t, error);
  }

 private:
  bool string_literal(token& t, selector_error& error) {
    const std::size_t start = pos_++;
    t.kind = tok::string;
    for (;;) {
      if (pos_ >= text_.size()) {
        error = {start, "unterminated string"};
        return false;
      }
      const char c = text_[pos_++];
      if (c != '\'') {
        t.text += c;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '\'') {  // '' is a quote inside the string
        t.text += '\'';
        ++pos_;
        continue;
      }
      return true;
    }
  }

  bool number(token& t, selector_error& error) {
    const std::size_t start = pos_;
    if (text_[pos_] == '0' && pos_ + 1 < text_.size() &&
        (text_[pos_ + 1] == 'x' || text_[pos_ + 1] == 'X')) {
      pos_ += 2;
      const std::size_t digits = pos_;
      while (pos_ < text_.size() && hex_digit(text_[pos_])) ++pos_;
      if (pos_ == digits) {
        error = {start, "hexadecimal number without digits"};
        return false;
      }
      std::uint64_t v = 0;
      auto [end, ec] = std::from_chars(text_.data() + digits, text_.data() + pos_, v, 16);
      (void)end;
      if (ec != std::errc() || v > int64_limit - 1) {
        error = {start, "integer out of range"};
        return false;
      }
      t.kind = tok::integer;
      t.magnitude = v;
      if (pos_ < text_.size() && (text_[pos_] == 'l' || text_[pos_] == 'L')) ++pos_;
      return after_number(start, error);
    }
    bool approximate = false;
    while (pos_ < text_.size() && digit(text_[pos_])) ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      approximate = true;
      ++pos_;
      while (pos_ < text_.size() && digit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      std::size_t p = pos_ + 1;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (p < text_.size() && digit(text_[p])) {
        approximate = true;
        pos_ = p;
        while (pos_ < text_.size() && digit(text_[pos_])) ++pos_;
      }
    }
    const std::size_t end = pos_;
    if (pos_ < text_.size()) {
      const char s = text_[pos_];
      if (s == 'f' || s == 'F' || s == 'd' || s == 'D') {
        approximate = true;
        ++pos_;
      } else if (!approximate && (s == 'l' || s == 'L')) {
        ++pos_;
      }
    }
    if (approximate) {
      double v = 0;
      auto [p, ec] = std::from_chars(text_.data() + start, text_.data() + end, v);
      if (ec != std::errc() || p != text_.data() + end) {
        error = {start, ec == std::errc::result_out_of_range ? "number out of range"
                                                               : "malformed number"};
        return false;
      }
      t.kind = tok::floating;
      t.number = v;
    } else {
      std::uint64_t v = 0;
      auto [p, ec] = std::from_chars(text_.data() + start, text_.data() + end, v);
      (void)p;
      if (ec != std::errc() || v > int64_limit) {
        error = {start, "integer out of range"};
        return false;
      }
      t.kind = tok::integer;
      t.magnitude = v;
    }
    return after_number(start, error);
  }

  // "12abc" is one malformed token, not a number and an identifier.
  bool after_number(std::size_t start, selector_error& error) {
    if (pos_ < text_.size() && (ident_part(text_[pos_]) || text_[pos_] == '\'')) {
      error = {start, "malformed number"};
      return false;
    }
    return true;
  }

  void word(std::string_view w, token& t) {
    static constexpr std::pair<std::string_view, tok> keywords[] = {
        {"AND", tok::kw_and},       {"OR", tok::kw_or},     {"NOT", tok::kw_not},
        {"BETWEEN", tok::kw_between}, {"LIKE", tok::kw_like}, {"IN", tok::kw_in},
        {"IS", tok::kw_is},         {"NULL", tok::kw_null}, {"TRUE", tok::kw_true},
        {"FALSE", tok::kw_false},   {"ESCAPE", tok::kw_escape}};
    for (const auto& [name, kind] : keywords)
      if (iequals(w, name)) {
        t.kind = kind;
        return;
      }
    t.kind = tok::identifier;
    t.text = std::string(w);
  }

  bool punctuation(token& t, selector_error& error) {
    const char c = text_[pos_];
    const char n = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    std::size_t len = 1;
    switch (c) {
      case '(': t.kind = tok::lparen; break;
      case ')': t.kind = tok::rparen; break;
      case ',': t.kind = tok::comma; break;
      case '=': t.kind = tok::eq; break;
      case '+': t.kind = tok::plus; break;
      case '-': t.kind = tok::minus; break;
      case '*': t.kind = tok::star; break;
      case '/': t.kind = tok::slash; break;
      case '<':
        if (n == '>') t.kind = tok::ne, len = 2;
        else if (n == '=') t.kind = tok::le, len = 2;
        else t.kind = tok::lt;
        break;
      case '>':
        if (n == '=') t.kind = tok::ge, len = 2;
        else t.kind = tok::gt;
        break;
      default:
        error = {pos_, "unexpected character " + show_char(c)};
        return false;
    }
    pos_ += len;
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// What an expression is known to be before any message is seen.
enum class kind : std::uint8_t { boolean, number, string, any };

}  // namespace

class selector_parser {
 public:
  selector_parser(std::string_view text, const selector_limits& limits)
      : lex_(text), limits_(limits) {}

  amqp::result<selector, selector_error> run() {
    if (!advance()) return error_;
    const std::int32_t root = parse_or();
    if (root < 0) return error_;
    if (cur_.kind != tok::end) {
      fail(cur_.position, "unexpected " + std::string(token_name(cur_.kind)));
      return error_;
    }
    if (!want(root, kind::boolean, "the selector must be a condition, not a value")) return error_;
    out_.root_ = root;
    return std::move(out_);
  }

 private:
  using node = selector::node;
  using op = selector::op;

  bool advance() { return lex_.next(cur_, error_); }
  std::int32_t fail(std::size_t position, std::string message) {
    error_ = {position, std::move(message)};
    return -1;
  }
  bool expect(tok t, std::string_view what) {
    if (cur_.kind != t) {
      fail(cur_.position, "expected " + std::string(what) + ", found " +
                              std::string(token_name(cur_.kind)));
      return false;
    }
    return advance();
  }

  // Adds a node whose children are made; refuses a tree deeper than the limit.
  std::int32_t add(node n, kind k) {
    std::size_t d = 1;
    for (std::int32_t child : {n.a, n.b, n.c})
      if (child >= 0) d = std::max(d, depth_[static_cast<std::size_t>(child)] + 1);
    if (d > limits_.max_depth)
      return fail(n.position, "expression nested deeper than " +
                                  std::to_string(limits_.max_depth) + " levels");
    out_.nodes_.push_back(std::move(n));
    depth_.push_back(d);
    kinds_.push_back(k);
    return static_cast<std::int32_t>(out_.nodes_.size() - 1);
  }
  kind kind_of(std::int32_t i) const { return kinds_[static_cast<std::size_t>(i)]; }
  std::size_t pos_of(std::int32_t i) const {
    return out_.nodes_[static_cast<std::size_t>(i)].position;
  }
  // Whether node i can be of kind k (an identifier can be anything).
  bool want(std::int32_t i, kind k, std::string_view message) {
    if (kind_of(i) == k || kind_of(i) == kind::any) return true;
    fail(pos_of(i), std::string(message));
    return false;
  }

  // Recursion guard: parentheses, NOT and unary signs nest calls without making tree levels
  // in step, so they are counted on their own (twice the tree's limit lets every printed
  // selector parse back).
  struct nesting {
    explicit nesting(selector_parser& p) : p_(p) { ++p_.recursion_; }
    ~nesting() { --p_.recursion_; }
    bool too_deep() const { return p_.recursion_ > 2 * p_.limits_.max_depth + 2; }
    selector_parser& p_;
  };

  std::int32_t parse_or() {
    std::int32_t left = parse_and();
    while (left >= 0 && cur_.kind == tok::kw_or) {
      const std::size_t at = cur_.position;
      if (!advance()) return -1;
      const std::int32_t right = parse_and();
      if (right < 0) return -1;
      left = logical(op::or_, left, right, at);
    }
    return left;
  }

  std::int32_t parse_and() {
    std::int32_t left = parse_not();
    while (left >= 0 && cur_.kind == tok::kw_and) {
      const std::size_t at = cur_.position;
      if (!advance()) return -1;
      const std::int32_t right = parse_not();
      if (right < 0) return -1;
      left = logical(op::and_, left, right, at);
    }
    return left;
  }

  std::int32_t logical(op o, std::int32_t left, std::int32_t right, std::size_t at) {
    const char* what = o == op::and_ ? "AND needs conditions on both sides"
                                     : "OR needs conditions on both sides";
    if (!want(left, kind::boolean, what) || !want(right, kind::boolean, what)) return -1;
    return add({.kind = o, .a = left, .b = right, .position = at}, kind::boolean);
  }

  std::int32_t parse_not() {
    if (cur_.kind != tok::kw_not) return parse_predicate();
    nesting guard(*this);
    const std::size_t at = cur_.position;
    if (guard.too_deep()) return fail(at, "expression nested too deeply");
    if (!advance()) return -1;
    const std::int32_t inner = parse_not();
    if (inner < 0) return -1;
    if (!want(inner, kind::boolean, "NOT needs a condition")) return -1;
    return add({.kind = op::not_, .a = inner, .position = at}, kind::boolean);
  }

  std::int32_t parse_predicate() {
    const std::int32_t left = parse_additive();
    if (left < 0) return -1;
    const std::size_t at = cur_.position;
    switch (cur_.kind) {
      case tok::eq: return comparison(op::eq, left);
      case tok::ne: return comparison(op::ne, left);
      case tok::lt: return comparison(op::lt, left);
      case tok::gt: return comparison(op::gt, left);
      case tok::le: return comparison(op::le, left);
      case tok::ge: return comparison(op::ge, left);
      case tok::kw_is: {
        if (!advance()) return -1;
        bool negated = false;
        if (cur_.kind == tok::kw_not) {
          negated = true;
          if (!advance()) return -1;
        }
        if (!expect(tok::kw_null, "NULL")) return -1;
        return add({.kind = negated ? op::is_not_null : op::is_null, .a = left, .position = at},
                   kind::boolean);
      }
      case tok::kw_not: {
        if (!advance()) return -1;
        if (cur_.kind != tok::kw_between && cur_.kind != tok::kw_like && cur_.kind != tok::kw_in)
          return fail(cur_.position, "expected BETWEEN, LIKE or IN after NOT, found " +
                                         std::string(token_name(cur_.kind)));
        return special(left, true, at);
      }
      case tok::kw_between:
      case tok::kw_like:
      case tok::kw_in: return special(left, false, at);
      default: return left;
    }
  }

  std::int32_t comparison(op o, std::int32_t left) {
    const std::size_t at = cur_.position;
    if (!advance()) return -1;
    const std::int32_t right = parse_additive();
    if (right < 0) return -1;
    const kind l = kind_of(left), r = kind_of(right);
    if (l != kind::any && r != kind::any && l != r)
      return fail(at, "cannot compare " + describe(l) + " with " + describe(r));
    const bool ordering = o != op::eq && o != op::ne;
    if (ordering && (l == kind::string || r == kind::string))
      return fail(at, "strings compare with = and <> only");
    if (ordering && (l == kind::boolean || r == kind::boolean))
      return fail(at, "booleans compare with = and <> only");
    return add({.kind = o, .a = left, .b = right, .position = at}, kind::boolean);
  }

  static std::string describe(kind k) {
    switch (k) {
      case kind::boolean: return "a condition";
      case kind::number: return "a number";
      case kind::string: return "a string";
      case kind::any: break;
    }
    return "a value";
  }

  // BETWEEN, LIKE and IN, the current token being the keyword.
  std::int32_t special(std::int32_t left, bool negated, std::size_t at) {
    const tok which = cur_.kind;
    if (!advance()) return -1;
    if (which == tok::kw_between) {
      if (!want(left, kind::number, "BETWEEN needs a number on its left")) return -1;
      const std::int32_t low = parse_additive();
      if (low < 0) return -1;
      if (!expect(tok::kw_and, "AND")) return -1;
      const std::int32_t high = parse_additive();
      if (high < 0) return -1;
      if (!want(low, kind::number, "BETWEEN needs numbers") ||
          !want(high, kind::number, "BETWEEN needs numbers"))
        return -1;
      return add({.kind = negated ? op::not_between : op::between, .a = left, .b = low,
                  .c = high, .position = at},
                 kind::boolean);
    }
    if (which == tok::kw_like) {
      if (!want(left, kind::string, "LIKE needs a string on its left")) return -1;
      node n{.kind = negated ? op::not_like : op::like, .a = left, .position = at};
      if (cur_.kind != tok::string)
        return fail(cur_.position, "expected a string pattern after LIKE, found " +
                                       std::string(token_name(cur_.kind)));
      const std::size_t pattern_at = cur_.position;
      n.text = cur_.text;
      if (!advance()) return -1;
      if (cur_.kind == tok::kw_escape) {
        if (!advance()) return -1;
        if (cur_.kind != tok::string)
          return fail(cur_.position, "expected a string after ESCAPE, found " +
                                         std::string(token_name(cur_.kind)));
        std::size_t p = 0;
        const char32_t e = detail::next_code_point(cur_.text, p);
        if (cur_.text.empty() || p != cur_.text.size())
          return fail(cur_.position, "ESCAPE needs exactly one character");
        n.has_escape = true;
        n.escape = e;
        if (!advance()) return -1;
      }
      if (auto bad = detail::check_like_pattern(n.text, n.has_escape, n.escape)) {
        // Back to the text's offset: each quote in the pattern was written twice.
        const auto quotes = std::count(n.text.begin(), n.text.begin() + *bad, '\'');
        return fail(pattern_at + 1 + *bad + static_cast<std::size_t>(quotes),
                    "the escape character must be followed by %, _ or itself");
      }
      return add(std::move(n), kind::boolean);
    }
    // IN
    if (kind_of(left) == kind::boolean)
      return fail(pos_of(left), "IN needs a string or number on its left");
    node n{.kind = negated ? op::not_in : op::in, .a = left, .position = at};
    if (!expect(tok::lparen, "'(' after IN")) return -1;
    for (;;) {
      selector::scalar item;
      const std::size_t item_at = cur_.position;
      if (!literal_item(item)) return -1;
      const kind k = std::holds_alternative<std::string>(item) ? kind::string : kind::number;
      if (kind_of(left) != kind::any && kind_of(left) != k)
        return fail(item_at, "cannot compare " + describe(kind_of(left)) + " with " +
                                 describe(k));
      n.items.push_back(std::move(item));
      if (cur_.kind == tok::rparen) break;
      if (!expect(tok::comma, "',' or ')'")) return -1;
    }
    if (!advance()) return -1;
    return add(std::move(n), kind::boolean);
  }

  // One literal of an IN list: a string, or a number with an optional sign.
  bool literal_item(selector::scalar& item) {
    bool negative = false;
    if (cur_.kind == tok::minus || cur_.kind == tok::plus) {
      negative = cur_.kind == tok::minus;
      if (!advance()) return false;
      if (cur_.kind != tok::integer && cur_.kind != tok::floating) {
        fail(cur_.position, "expected a number after the sign");
        return false;
      }
    }
    switch (cur_.kind) {
      case tok::string: item = cur_.text; break;
      case tok::integer:
        if (cur_.magnitude == int64_limit && !negative) {
          fail(cur_.position, "integer out of range");
          return false;
        }
        item = negative ? static_cast<std::int64_t>(0 - cur_.magnitude)
                        : static_cast<std::int64_t>(cur_.magnitude);
        break;
      case tok::floating: item = negative ? -cur_.number : cur_.number; break;
      default:
        fail(cur_.position, "expected a string or number literal in the IN list, found " +
                                std::string(token_name(cur_.kind)));
        return false;
    }
    return advance();
  }

  std::int32_t parse_additive() {
    std::int32_t left = parse_multiplicative();
    while (left >= 0 && (cur_.kind == tok::plus || cur_.kind == tok::minus)) {
      const op o = cur_.kind == tok::plus ? op::add : op::sub;
      const std::size_t at = cur_.position;
      if (!advance()) return -1;
      const std::int32_t right = parse_multiplicative();
      if (right < 0) return -1;
      left = arithmetic(o, left, right, at);
    }
    return left;
  }

  std::int32_t parse_multiplicative() {
    std::int32_t left = parse_unary();
    while (left >= 0 && (cur_.kind == tok::star || cur_.kind == tok::slash)) {
      const op o = cur_.kind == tok::star ? op::mul : op::div;
      const std::size_t at = cur_.position;
      if (!advance()) return -1;
      const std::int32_t right = parse_unary();
      if (right < 0) return -1;
      left = arithmetic(o, left, right, at);
    }
    return left;
  }

  std::int32_t arithmetic(op o, std::int32_t left, std::int32_t right, std::size_t at) {
    if (!want(left, kind::number, "arithmetic needs numbers") ||
        !want(right, kind::number, "arithmetic needs numbers"))
      return -1;
    return add({.kind = o, .a = left, .b = right, .position = at}, kind::number);
  }

  std::int32_t parse_unary() {
    if (cur_.kind != tok::minus && cur_.kind != tok::plus) return parse_primary();
    nesting guard(*this);
    const std::size_t at = cur_.position;
    if (guard.too_deep()) return fail(at, "expression nested too deeply");
    const bool minus = cur_.kind == tok::minus;
    if (!advance()) return -1;
    const std::int32_t inner = parse_unary();
    if (inner < 0) return -1;
    if (!want(inner, kind::number, "a sign needs a number")) return -1;
    if (!minus) return inner;
    return add({.kind = op::negate, .a = inner, .position = at}, kind::number);
  }

  std::int32_t parse_primary() {
    const std::size_t at = cur_.position;
    switch (cur_.kind) {
      case tok::lparen: {
        nesting guard(*this);
        if (guard.too_deep()) return fail(at, "expression nested too deeply");
        if (!advance()) return -1;
        const std::int32_t inner = parse_or();
        if (inner < 0) return -1;
        if (!expect(tok::rparen, "')'")) return -1;
        return inner;
      }
      case tok::string: return literal(cur_.text, kind::string);
      case tok::integer:
        if (cur_.magnitude == int64_limit) return fail(at, "integer out of range");
        return literal(static_cast<std::int64_t>(cur_.magnitude), kind::number);
      case tok::floating: return literal(cur_.number, kind::number);
      case tok::kw_true: return literal(true, kind::boolean);
      case tok::kw_false: return literal(false, kind::boolean);
      case tok::identifier: {
        node n{.kind = op::identifier, .source = detail::field_of(cur_.text), .position = at};
        n.text = std::move(cur_.text);
        if (!advance()) return -1;
        return add(std::move(n), kind::any);
      }
      case tok::end: return fail(at, "unexpected end of selector");
      default: return fail(at, "unexpected " + std::string(token_name(cur_.kind)));
    }
  }

  std::int32_t literal(selector::scalar v, kind k) {
    node n{.kind = op::literal, .position = cur_.position};
    n.value = std::move(v);
    if (!advance()) return -1;
    return add(std::move(n), k);
  }

  lexer lex_;
  selector_limits limits_;
  token cur_;
  selector_error error_;
  selector out_;
  std::vector<std::size_t> depth_;
  std::vector<kind> kinds_;
  std::size_t recursion_ = 0;
};

amqp::result<selector, selector_error> selector::parse(std::string_view text,
                                                       const selector_limits& limits) {
  if (text.size() > limits.max_length)
    return selector_error{limits.max_length, "selector longer than " +
                                                 std::to_string(limits.max_length) + " bytes"};
  return selector_parser(text, limits).run();
}

}  // namespace broker
