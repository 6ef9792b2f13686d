// Fuzz target: amqp-peer's text parser (tools/peer/text_parser.hpp), the inverse of the
// printer of amqp/text.hpp, on arbitrary text read as a value and as a pattern.
//
// Oracles (a mismatch traps):
// - an error has a one-line printable message, an offset within the input (exactly the
//   length limit for a longer input) and the line and column of that offset;
// - a value that parses also parses as a pattern, and its own encoding matches that pattern;
// - it encodes, unless its descriptor is itself described (which the text can write and the
//   encoder refuses); the encoding decodes, unless an escape made a string that is not UTF-8
//   or a symbol that is not ASCII;
// - printed on one line and parsed again it gives the same value, but for the trailing nulls
//   of a composite's list, which the fields form leaves out; printing that is a fixed point;
//   the multi-line form parses to the same value as the one-line form.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "amqp/spec/table.hpp"
#include "amqp/text.hpp"
#include "amqp/value.hpp"
#include "peer/text_parser.hpp"

namespace {

[[noreturn]] void broken(const char* what, std::string_view text = {}) {
  std::fprintf(stderr, "peer_text oracle broken: %s\n%.*s\n", what, static_cast<int>(text.size()),
               text.data());
  std::fflush(stderr);
  __builtin_trap();
}
void check(bool ok, const char* what, std::string_view text = {}) {
  if (!ok) broken(what, text);
}

bool printable_line(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  return true;
}

void check_error(const amqp::peer::text_error& e, std::string_view text, std::size_t max_length) {
  check(printable_line(e.message), "an error message is not one printable line");
  if (text.size() > max_length)
    check(e.offset == max_length, "a long input's error is not at the limit");
  else
    check(e.offset <= text.size(), "an error offset is past the input");
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < e.offset && i < text.size(); ++i) {
    if (text[i] == '\n')
      ++line, column = 1;
    else
      ++column;
  }
  check(e.line == line && e.column == column, "an error's line and column are not its offset's");
}

const amqp::spec::type_info* composite_named_by(const amqp::value& descriptor) {
  const amqp::spec::type_info* t = nullptr;
  if (const auto* code = descriptor.get_if<std::uint64_t>()) t = amqp::spec::find_type(*code);
  if (const auto* sym = descriptor.get_if<amqp::symbol>())
    t = amqp::spec::find_type(std::string_view(sym->str));
  return t && !t->restricted ? t : nullptr;
}

amqp::value without_trailing_nulls(const amqp::value& v);

// The fields of composite `t` as the fields form shows them: no trailing nulls.
amqp::value fields_as_shown(const amqp::spec::type_info* t, const amqp::value& inner) {
  amqp::value out = without_trailing_nulls(inner);
  auto* l = std::get_if<amqp::list>(&out.get());
  if (t && l && l->size() <= t->fields.size())
    while (!l->empty() && l->back().is_null()) l->pop_back();
  return out;
}

// What the text cannot show: a composite's list without its trailing nulls, everywhere.
amqp::value without_trailing_nulls(const amqp::value& v) {
  using namespace amqp;
  switch (v.type()) {
    case kind::list: {
      amqp::list out;
      for (const value& e : *v.get_if<amqp::list>()) out.push_back(without_trailing_nulls(e));
      return out;
    }
    case kind::map: {
      amqp::map out;
      for (const auto& [k, e] : *v.get_if<amqp::map>())
        out.emplace_back(without_trailing_nulls(k), without_trailing_nulls(e));
      return out;
    }
    case kind::array: {
      amqp::array out = *v.get_if<amqp::array>();
      const spec::type_info* t =
          out.descriptor.empty() ? nullptr : composite_named_by(*out.descriptor[0]);
      for (value& e : out.elements) e = fields_as_shown(t, e);
      for (box<value>& d : out.descriptor) *d = without_trailing_nulls(*d);
      return out;
    }
    case kind::described: {
      const described& d = *v.get_if<described>();
      return value::described_of(without_trailing_nulls(*d.descriptor),
                                 fields_as_shown(composite_named_by(*d.descriptor), *d.inner));
    }
    default:
      return v;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const amqp::peer::parse_limits limits{.max_length = 4096, .max_depth = 16};
  auto v = amqp::peer::parse_value(text, limits);
  auto p = amqp::peer::parse_pattern(text, limits);
  if (!p) check_error(p.error(), text, limits.max_length);
  if (!v) {
    check_error(v.error(), text, limits.max_length);
    return 0;
  }
  check(p.has_value(), "a value does not parse as a pattern", text);

  amqp::writer w;
  amqp::encoder e(w);
  e.value(*v);
  if (e.failed()) {
    check(e.error() == amqp::errc::nested_descriptor, "a parsed value does not encode", text);
    return 0;
  }
  const amqp::decode_limits wide{.max_depth = 1000, .max_zero_width_elements = ~0u};
  auto view = amqp::decode_value(w.view(), wide);
  if (!view) {
    check(view.error().code == amqp::errc::invalid_utf8 ||
              view.error().code == amqp::errc::invalid_symbol,
          "a parsed value encodes to bytes that do not decode", text);
    return 0;
  }
  check(amqp::peer::mismatch(*p, *view).empty(), "a value does not match its own pattern", text);

  const std::string printed = amqp::to_text(*view, {.multiline = false});
  const amqp::peer::parse_limits no_limits{.max_length = ~std::size_t{0}, .max_depth = 1000};
  auto again = amqp::peer::parse_value(printed, no_limits);
  if (!again)
    broken(("the printed value does not parse: " + again.error().to_string()).c_str(), printed);
  check(*again == without_trailing_nulls(*v), "the printed value reads back differently", printed);
  const amqp::writer w2 = amqp::encode(*again);
  const std::string reprinted =
      amqp::to_text(*amqp::decode_value(w2.view(), wide), {.multiline = false});
  check(reprinted == printed, "printing is not a fixed point", reprinted);

  const std::string broken_lines = amqp::to_text(*view, {.multiline = true, .width = 20});
  auto multi = amqp::peer::parse_value(broken_lines, no_limits);
  check(multi && *multi == *again, "the multi-line form reads back differently", broken_lines);
  return 0;
}
