// Printing selectors in their canonical form: fully parenthesised, keywords in upper case, and
// literals written so that they read back as the same value and type.
#include <charconv>

#include "selector.hpp"
#include "selector_detail.hpp"

namespace broker {

namespace {

void print_string(std::string& out, std::string_view s) {
  out += '\'';
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
}

void print_scalar(std::string& out, const selector::scalar& v) {
  if (const bool* b = std::get_if<bool>(&v)) {
    out += *b ? "TRUE" : "FALSE";
  } else if (const std::int64_t* i = std::get_if<std::int64_t>(&v)) {
    out += std::to_string(*i);
  } else if (const double* d = std::get_if<double>(&v)) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    (void)ec;
    std::string text(buf, end);
    // Shortest form, marked approximate when it reads like an integer ("3" is 3.0 here).
    if (text.find_first_of(".eE") == std::string::npos) text += ".0";
    out += text;
  } else if (const std::string* s = std::get_if<std::string>(&v)) {
    print_string(out, *s);
  }
}

std::string_view op_text(selector::op o) {
  using op = selector::op;
  switch (o) {
    case op::and_: return " AND ";
    case op::or_: return " OR ";
    case op::eq: return " = ";
    case op::ne: return " <> ";
    case op::lt: return " < ";
    case op::gt: return " > ";
    case op::le: return " <= ";
    case op::ge: return " >= ";
    case op::add: return " + ";
    case op::sub: return " - ";
    case op::mul: return " * ";
    case op::div: return " / ";
    default: return " ? ";
  }
}

void print(std::string& out, const std::vector<selector::node>& nodes, std::int32_t i) {
  using op = selector::op;
  const selector::node& n = nodes[static_cast<std::size_t>(i)];
  switch (n.kind) {
    case op::literal: print_scalar(out, n.value); return;
    case op::identifier: out += n.text; return;
    case op::negate:
      out += "(-";
      print(out, nodes, n.a);
      out += ')';
      return;
    case op::not_:
      out += "(NOT ";
      print(out, nodes, n.a);
      out += ')';
      return;
    case op::is_null:
    case op::is_not_null:
      out += '(';
      print(out, nodes, n.a);
      out += n.kind == op::is_null ? " IS NULL)" : " IS NOT NULL)";
      return;
    case op::like:
    case op::not_like:
      out += '(';
      print(out, nodes, n.a);
      out += n.kind == op::like ? " LIKE " : " NOT LIKE ";
      print_string(out, n.text);
      if (n.has_escape) {
        out += " ESCAPE ";
        std::string e;
        detail::append_utf8(e, n.escape);
        print_string(out, e);
      }
      out += ')';
      return;
    case op::in:
    case op::not_in:
      out += '(';
      print(out, nodes, n.a);
      out += n.kind == op::in ? " IN (" : " NOT IN (";
      for (std::size_t k = 0; k < n.items.size(); ++k) {
        if (k) out += ", ";
        print_scalar(out, n.items[k]);
      }
      out += "))";
      return;
    case op::between:
    case op::not_between:
      out += '(';
      print(out, nodes, n.a);
      out += n.kind == op::between ? " BETWEEN " : " NOT BETWEEN ";
      print(out, nodes, n.b);
      out += " AND ";
      print(out, nodes, n.c);
      out += ')';
      return;
    default:
      out += '(';
      print(out, nodes, n.a);
      out += op_text(n.kind);
      print(out, nodes, n.b);
      out += ')';
      return;
  }
}

}  // namespace

std::string selector::to_string() const {
  std::string out;
  if (root_ >= 0) print(out, nodes_, root_);
  return out;
}

}  // namespace broker
