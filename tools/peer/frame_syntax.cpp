// Frames, protocol headers and clauses in script statements (script_syntax.hpp).
#include <algorithm>

#include "amqp/codec/encoder.hpp"
#include "peer/script_syntax.hpp"

namespace amqp::peer::detail {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::uint64_t decimal(text_cursor& c, std::uint64_t max, std::string_view what) {
  c.skip_space();
  const std::size_t start = c.pos();
  std::uint64_t n = 0;
  while (is_digit(c.peek())) {
    n = n * 10 + static_cast<std::uint64_t>(c.peek() - '0');
    if (n > max) c.fail_at(start, std::string(what) + " is at most " + std::to_string(max));
    c.seek(c.pos() + 1);
  }
  if (c.pos() == start) c.fail("expected " + std::string(what));
  return n;
}

protocol_id read_protocol_id(text_cursor& c) {
  if (c.consume_word("amqp")) return protocol_id::amqp;
  if (c.consume_word("sasl")) return protocol_id::sasl;
  if (c.consume_word("tls")) return protocol_id::tls;
  c.skip_space();
  c.fail("expected amqp, sasl or tls after header");
}

// `[amqp|sasl] [ch N]`, the start of a frame.
void read_frame_prefix(text_cursor& c, std::optional<frame_type>& type,
                       std::optional<std::uint16_t>& channel) {
  if (c.consume_word("amqp"))
    type = frame_type::amqp;
  else if (c.consume_word("sasl"))
    type = frame_type::sasl;
  if (c.consume_word("ch"))
    channel = static_cast<std::uint16_t>(decimal(c, 65535, "a channel number"));
}

// `HEX...` or, as the trace writes it, `N bytes: HEX...`.
std::vector<std::uint8_t> read_payload(text_cursor& c) {
  c.skip_space();
  const std::size_t start = c.pos();
  std::optional<std::uint64_t> count;
  std::size_t n = 0;
  while (is_digit(c.peek(n))) ++n;
  if (n > 0 && c.peek(n) == ' ') {
    c.seek(start + n);
    const std::string_view unit = c.word();
    if ((unit == "bytes" || unit == "byte") && c.peek() == ':') {
      c.seek(start);
      count = decimal(c, 0xffffffff, "a byte count");
      c.word();
      c.seek(c.pos() + 1);
    } else {
      c.seek(start);
    }
  }
  std::vector<std::uint8_t> bytes = read_hex_bytes(c);
  if (count && *count != bytes.size())
    c.fail_at(start, "the payload says " + std::to_string(*count) + " bytes and holds " +
                         std::to_string(bytes.size()));
  if (bytes.empty() && !count) c.fail("expected the payload's bytes in hex");
  return bytes;
}

// Whether a step's clauses (or its end) come next: values stop there.
bool at_clause_or_end(text_cursor& c) {
  if (c.done()) return true;
  const std::size_t save = c.pos();
  const std::string_view w = c.word();
  c.seek(save);
  return w == "within" || w == "skipping";
}

const spec::type_info* type_of(const value& v) {
  const auto* d = v.get_if<described>();
  if (!d) return nullptr;
  if (const auto* code = d->descriptor->get_if<std::uint64_t>()) return spec::find_type(*code);
  if (const auto* sym = d->descriptor->get_if<amqp::symbol>())
    return spec::find_type(std::string_view(sym->str));
  return nullptr;
}

// The max-frame-size an open announces (spec Part 2, 2.7.1: absent means no limit).
std::optional<std::uint32_t> announced_max_frame_size(const value& performative) {
  const spec::type_info* t = type_of(performative);
  if (!t || t->name != "open") return std::nullopt;
  const auto* fields = performative.get_if<described>()->inner->get_if<amqp::list>();
  if (fields && fields->size() > 2)
    if (const auto* n = (*fields)[2].get_if<std::uint32_t>()) return *n;
  return 0xffffffffu;
}

}  // namespace

send_step read_send(text_cursor& c, const script_limits& limits) {
  send_step s;
  writer w;
  if (c.consume_word("header")) {
    s.kind = send_step::what::header;
    write_protocol_header(w, read_protocol_id(c));
  } else if (c.consume_word("bytes")) {
    s.bytes = read_hex_bytes(c);
    if (s.bytes.empty()) c.fail("expected bytes in hex after bytes");
    return s;
  } else {
    s.kind = send_step::what::frame;
    std::optional<frame_type> type;
    std::optional<std::uint16_t> channel;
    read_frame_prefix(c, type, channel);
    if (c.consume_word("empty-frame")) {
      const std::size_t start =
          amqp::detail::begin_frame(w, type.value_or(frame_type::amqp), channel.value_or(0));
      (void)amqp::detail::end_frame(w, start, 0xffffffffu);
    } else {
      c.skip_space();
      const std::size_t at = c.pos();
      const value performative = read_value(c, limits.values);
      writer payload;
      encoder sections(payload);
      if (c.consume_word("payload")) {
        const std::vector<std::uint8_t> bytes = read_payload(c);
        payload.append({bytes.data(), bytes.size()});
      } else {
        while (!c.done()) sections.value(read_value(c, limits.values));
      }
      const spec::type_info* t = type_of(performative);
      if (!type) type = t && t->provides == "sasl-frame" ? frame_type::sasl : frame_type::amqp;
      const std::size_t start = amqp::detail::begin_frame(w, *type, channel.value_or(0));
      encoder e(w);
      e.value(performative);
      w.append(payload.view());
      if (e.failed() || sections.failed())
        c.fail_at(at, "this frame cannot be encoded: " +
                          (e.failed() ? e.error() : sections.error()).message());
      if (const std::error_code ec = amqp::detail::end_frame(w, start, 0xffffffffu))
        c.fail_at(at, "this frame cannot be encoded: " + ec.message());
      s.announced_max_frame_size = announced_max_frame_size(performative);
    }
  }
  s.bytes.assign(w.view().begin(), w.view().end());
  return s;
}

expectation read_expectation(text_cursor& c, const script_limits& limits) {
  if (c.consume_word("header")) return protocol_header{read_protocol_id(c), 1, 0, 0};
  if (c.consume_word("eof")) return end_of_stream{};
  frame_expectation f;
  read_frame_prefix(c, f.type, f.channel);
  if (c.consume_word("empty-frame")) {
    f.empty_frame = true;
    return f;
  }
  f.performative = read_pattern(c, limits.values);
  if (c.consume_word("payload")) {
    f.payload = read_payload(c);
  } else if (!at_clause_or_end(c)) {
    f.sections.emplace();
    while (!at_clause_or_end(c)) f.sections->push_back(read_pattern(c, limits.values));
  }
  return f;
}

duration read_duration(text_cursor& c, const script_limits& limits) {
  c.skip_space();
  const std::size_t start = c.pos();
  const std::uint64_t n = decimal(c, 1'000'000'000, "a duration, as in 500ms or 2s");
  const std::string_view unit = c.word();
  duration d;
  if (unit == "ms")
    d = duration(n);
  else if (unit == "s")
    d = duration(n * 1000);
  else
    c.fail_at(start, "a duration needs its unit: ms or s, as in 500ms or 2s");
  if (d > limits.max_duration)
    c.fail_at(start, "a duration is at most " + std::to_string(limits.max_duration.count()) + "ms");
  return d;
}

void read_clauses(text_cursor& c, expect_step& e, const script_limits& limits) {
  bool skipping = false;
  for (;;) {
    c.skip_space();
    const std::size_t at = c.pos();
    if (c.consume_word("within")) {
      if (e.within) c.fail_at(at, "within given twice");
      e.within = read_duration(c, limits);
    } else if (c.consume_word("skipping")) {
      if (skipping) c.fail_at(at, "skipping given twice");
      skipping = true;
      do {
        skip_rule r;
        c.skip_space();
        const std::size_t rule_at = c.pos();
        if (c.consume('*')) {
          r.kind = skip_rule::what::any;
        } else if (c.consume_word("empty-frame")) {
          r.kind = skip_rule::what::empty_frame;
        } else if (c.consume('@')) {
          const std::string_view name = c.word();
          const auto all = spec::all_types();
          const auto it = std::find_if(all.begin(), all.end(),
                                       [&](const spec::type_info& t) { return t.name == name; });
          if (it == all.end())
            c.fail_at(rule_at, quoted_for_error(name) + " is not a type of the spec table");
          r.kind = skip_rule::what::performative;
          r.type = &*it;
        } else {
          c.fail("expected what to skip: @performative, empty-frame or *");
        }
        e.skipping.push_back(r);
      } while (c.consume(','));
    } else {
      return;
    }
  }
}

}  // namespace amqp::peer::detail
