// Received items against expectations (runner.hpp).
#include <algorithm>

#include "amqp/codec/decoder.hpp"
#include "amqp/text.hpp"
#include "peer/runner.hpp"

namespace amqp::peer {
namespace {

std::string frame_mismatch(const frame_expectation& e, const received& r) {
  if (r.kind != received::what::frame) return "expected a frame";
  if (e.type && *e.type != r.type)
    return std::string("expected ") + (*e.type == frame_type::sasl ? "a SASL" : "an AMQP") +
           " frame";
  if (e.channel && *e.channel != r.channel)
    return "expected channel " + std::to_string(*e.channel) + ", got channel " +
           std::to_string(r.channel);
  if (e.empty_frame) return r.empty_frame ? "" : "expected an empty frame";
  if (r.empty_frame) return "expected a performative, got an empty frame";
  const auto performative = decode_value({r.performative.data(), r.performative.size()});
  if (!performative) return "the performative does not decode";  // never: we encoded it
  if (std::string why = mismatch(e.performative, *performative); !why.empty()) return why;
  if (e.payload && *e.payload != r.payload)
    return "the payload differs: " + std::to_string(r.payload.size()) + " bytes arrived";
  if (e.sections) {
    // The patterns match sections in order; sections between them are allowed, since peers
    // add empty headers and properties of their own.
    bytes_view rest{r.payload.data(), r.payload.size()};
    std::size_t next = 0;
    std::string first_why;
    while (!rest.empty() && next < e.sections->size()) {
      std::size_t used = 0;
      const auto section = decode_value_prefix(rest, used);
      if (!section) return "the payload is not a sequence of values: " + section.error().message();
      std::string why = mismatch((*e.sections)[next], *section);
      if (why.empty())
        ++next;
      else if (first_why.empty())
        first_why = std::move(why);
      rest = rest.subspan(used);
    }
    if (next < e.sections->size())
      return "no section of the payload matches " + (*e.sections)[next].text_or("the pattern") +
             (first_why.empty() ? "" : " (" + first_why + ")");
  }
  return {};
}

}  // namespace

std::string mismatch(const expectation& e, const received& r) {
  if (const auto* f = std::get_if<frame_expectation>(&e)) return frame_mismatch(*f, r);
  if (const auto* h = std::get_if<protocol_header>(&e)) {
    if (r.kind == received::what::header && r.header == *h) return {};
    return "expected the protocol header " + to_text(*h);
  }
  return r.kind == received::what::end ? "" : "expected the end of the stream";
}

bool skippable(const std::vector<skip_rule>& rules, const received& r) {
  if (r.kind != received::what::frame) return false;
  return std::any_of(rules.begin(), rules.end(), [&](const skip_rule& rule) {
    switch (rule.kind) {
      case skip_rule::what::any:
        return true;
      case skip_rule::what::empty_frame:
        return r.empty_frame;
      case skip_rule::what::performative: {
        if (r.empty_frame) return false;
        const auto v = decode_value({r.performative.data(), r.performative.size()});
        return v && v->type() == kind::described &&
               v->as_described().is(rule.type->code, rule.type->symbol);
      }
    }
    return false;
  });
}

}  // namespace amqp::peer
