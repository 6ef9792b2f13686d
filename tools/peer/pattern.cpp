// Matching received values against patterns (pattern.hpp).
#include "peer/pattern.hpp"

#include <optional>
#include <vector>

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/encoder.hpp"
#include "amqp/text.hpp"
#include "peer/field_shapes.hpp"

namespace amqp::peer {
namespace {

// A received value as it reads in messages: one line, cut short when long.
std::string shown(value_view v) {
  std::string s = to_text(v, {.multiline = false});
  if (s.size() > 200) s = s.substr(0, 197) + "...";
  return s;
}

std::string shown(const value& v) {
  const writer w = encode(v);
  const auto view = decode_value(w.view(), {.max_depth = ~0u, .max_zero_width_elements = ~0u});
  return view ? shown(*view) : std::string("(a value that does not encode)");
}

// Every number as a long double: on x86-64 its 64-bit mantissa holds every long and ulong
// exactly, so comparisons across AMQP's integer widths are exact there.
std::optional<long double> number_of(value_view v) {
  switch (v.type()) {
    case kind::ubyte:
      return v.as_ubyte();
    case kind::ushort:
      return v.as_ushort();
    case kind::uint:
      return v.as_uint();
    case kind::ulong:
      return static_cast<long double>(v.as_ulong());
    case kind::byte:
      return v.as_byte();
    case kind::short_:
      return v.as_short();
    case kind::int_:
      return v.as_int();
    case kind::long_:
      return static_cast<long double>(v.as_long());
    case kind::float_:
      return v.as_float();
    case kind::double_:
      return v.as_double();
    default:
      return std::nullopt;
  }
}

std::optional<long double> number_of(const value& v) {
  const writer w = encode(v);
  const auto view = decode_value(w.view());
  return view ? number_of(*view) : std::nullopt;
}

class matcher {
 public:
  std::string why;

  bool check(const pattern& p, value_view v, const std::string& path) {
    switch (p.f) {
      case pattern::form::literal:
        return p.operand == v || fail(path, p, v);
      case pattern::form::any:
        return !v.is_null() || fail(path, "expected a value, got nothing");
      case pattern::form::absent:
        return v.is_null() || fail(path, "expected nothing, got " + shown(v));
      case pattern::form::compare:
        return compare(p, v, path);
      case pattern::form::list:
        return list(p, v, path);
      case pattern::form::map:
        return map(p, v, path);
      case pattern::form::described:
        return described(p, v, path);
      case pattern::form::fields:
        return fields(p, v, path);
    }
    return false;
  }

 private:
  bool fail(const std::string& path, const std::string& what) {
    why = path.empty() ? what : path + ": " + what;
    return false;
  }
  bool fail(const std::string& path, const pattern& p, value_view v) {
    return fail(path, "expected " + p.text_or(shown(p.operand)) + ", got " + shown(v));
  }

  bool compare(const pattern& p, value_view v, const std::string& path) {
    if (p.type != kind::null && v.type() != p.type) return fail(path, p, v);
    const std::optional<long double> a = number_of(v), b = number_of(p.operand);
    if (p.op == compare_op::not_equal && !(a && b && p.type == kind::null))
      return !(p.operand == v) || fail(path, p, v);
    if (!a || !b) return fail(path, p, v);
    bool ok = false;
    switch (p.op) {
      case compare_op::less:
        ok = *a < *b;
        break;
      case compare_op::less_equal:
        ok = *a <= *b;
        break;
      case compare_op::greater:
        ok = *a > *b;
        break;
      case compare_op::greater_equal:
        ok = *a >= *b;
        break;
      case compare_op::not_equal:
        ok = *a != *b;
        break;
    }
    return ok || fail(path, p, v);
  }

  bool list(const pattern& p, value_view v, const std::string& path) {
    if (v.type() != kind::list || v.as_list().size() != p.elements.size()) return fail(path, p, v);
    std::size_t i = 0;
    for (value_view e : v.as_list()) {
      if (!check(p.elements[i], e, path + "[" + std::to_string(i) + "]")) return false;
      ++i;
    }
    return true;
  }

  // Each key written matches the first entry with that key not matched yet, so that a map
  // that repeats a key (legal on the wire) can be matched entry by entry.
  bool map(const pattern& p, value_view v, const std::string& path) {
    if (v.type() != kind::map) return fail(path, p, v);
    std::vector<bool> used(v.as_map().size(), false);
    for (std::size_t k = 0; k < p.keys.size(); ++k) {
      std::optional<value_view> found;
      std::size_t i = 0;
      for (const map_entry e : v.as_map()) {
        if (!used[i] && p.keys[k] == e.key) {
          used[i] = true;
          found = e.value;
          break;
        }
        ++i;
      }
      const std::string where = path + "[" + shown(p.keys[k]) + "]";
      if (!found) {
        if (p.elements[k].f == pattern::form::absent) continue;
        return fail(where, "expected " + p.elements[k].text_or("a value") + ", got no such key");
      }
      if (p.elements[k].f == pattern::form::absent)
        return fail(where, "expected no such key, got " + shown(*found));
      if (!check(p.elements[k], *found, where)) return false;
    }
    return true;
  }

  bool described(const pattern& p, value_view v, const std::string& path) {
    if (v.type() != kind::described || !(p.operand == v.as_described().descriptor()))
      return fail(path, p, v);
    return check(p.elements[0], v.as_described().value(), path);
  }

  // A null field reads as the spec's default (a peer must treat both the same), so that
  // `drain: false` matches a flow that leaves drain out.
  bool fields(const pattern& p, value_view v, const std::string& path) {
    const spec::type_info& t = *p.composite;
    if (v.type() != kind::described || !v.as_described().is(t.code, t.symbol)) {
      // Another performative is named only: the whole of it is in the report already.
      const spec::type_info* other =
          v.type() == kind::described ? spec::find_type(v.as_described().descriptor()) : nullptr;
      std::string got = other ? std::string(other->name) : shown(v);
      if (other) got.insert(got.begin(), '@');
      return fail(path, "expected @" + std::string(t.name) + ", got " + got);
    }
    const value_view body = v.as_described().value();
    if (body.type() != kind::list)
      return fail(
          path, "expected the fields of " + std::string(t.name) + " in a list, got " + shown(body));
    for (std::size_t k = 0; k < p.indexes.size(); ++k) {
      const std::uint32_t index = p.indexes[k];
      value_view field;
      std::uint32_t i = 0;
      for (value_view e : body.as_list())
        if (i++ == index) field = e;
      const pattern& fp = p.elements[k];
      const std::string where =
          (path.empty() ? "" : path + ".") + std::string(t.fields[index].name);
      // `*`, `absent` and a literal null ask about the wire, not about the field's meaning.
      const bool wire_only = fp.f == pattern::form::any || fp.f == pattern::form::absent ||
                             (fp.f == pattern::form::literal && fp.operand.is_null());
      const value fallback = field.is_null() && !wire_only ? default_of(t, index) : value();
      if (fallback.is_null()) {
        if (!check(fp, field, where)) return false;
        continue;
      }
      const writer w = encode(fallback);
      const auto dv = decode_value(w.view());
      if (!dv || !check(fp, *dv, where)) {
        if (dv) why += " (the default; the field is absent)";
        return false;
      }
    }
    return true;
  }
};

}  // namespace

std::string mismatch(const pattern& p, value_view v) {
  matcher m;
  if (m.check(p, v, "")) return {};
  return m.why;
}

}  // namespace amqp::peer
