// Decoding for amqp-inspect: values, messages and connection streams to text or canonical bytes.
#include "inspect/inspect.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "amqp/codec/encoder.hpp"
#include "amqp/frame.hpp"
#include "amqp/message.hpp"
#include "amqp/spec.hpp"

namespace amqp::inspect {
namespace {

// What went wrong and where; becomes the one line on the error stream.
struct problem {
  std::string reason;
  std::size_t offset = 0;
};

problem from(const decode_error& e, std::size_t base = 0) {
  return {describe(e.code), base + e.offset};
}

void append_bytes(std::string& out, bytes_view b) {
  out.append(reinterpret_cast<const char*>(b.data()), b.size());
}

// Hex digits to bytes; whitespace between (and inside) byte pairs is ignored.
std::optional<problem> parse_hex(bytes_view text, std::vector<std::uint8_t>& bytes) {
  bytes.reserve(text.size() / 2);
  int high = -1;
  std::size_t high_at = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::uint8_t c = text[i];
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') continue;
    else return problem{"invalid hex digit", i};
    if (high < 0) {
      high = v;
      high_at = i;
    } else {
      bytes.push_back(static_cast<std::uint8_t>(high * 16 + v));
      high = -1;
    }
  }
  if (high >= 0) return problem{"odd number of hex digits", high_at};
  return std::nullopt;
}

bool is_section_symbol(std::string_view s) {
  static constexpr std::string_view names[] = {
      "amqp:header:list",           "amqp:delivery-annotations:map",
      "amqp:message-annotations:map", "amqp:properties:list",
      "amqp:application-properties:map", "amqp:data:binary",
      "amqp:amqp-sequence:list",    "amqp:amqp-value:*",
      "amqp:footer:map"};
  return std::find(std::begin(names), std::end(names), s) != std::end(names);
}

// ---- values ----

std::optional<problem> values(bytes_view input, const options& opts, std::string& out) {
  writer w;
  std::size_t at = 0;
  while (at < input.size()) {
    std::size_t used = 0;
    auto v = decode_value_prefix(input.subspan(at), used, opts.limits);
    if (!v) return from(v.error(), at);
    if (opts.reencode) {
      w.clear();
      encoder e(w);
      e.value(*v);
      if (e.error()) return problem{e.error().message(), at};
      append_bytes(out, w.view());
    } else {
      append_text(out, *v, opts.text);
      out += '\n';
    }
    at += used;
  }
  return std::nullopt;
}

// ---- messages ----

std::optional<problem> message(bytes_view input, const options& opts, std::string& out) {
  auto m = decode_message(input, opts.limits);
  if (!m) return from(m.error());
  if (opts.reencode) {
    writer w;
    if (std::error_code ec = encode_message(w, *m)) return problem{ec.message(), 0};
    append_bytes(out, w.view());
    return std::nullopt;
  }
  // The sections as they are on the wire (decode_message checked each of them).
  std::size_t at = 0;
  while (at < input.size()) {
    std::size_t used = 0;
    auto v = decode_value_prefix(input.subspan(at), used, opts.limits);
    if (!v) return from(v.error(), at);
    append_text(out, *v, opts.text);
    out += '\n';
    at += used;
  }
  return std::nullopt;
}

// ---- frames ----

template <class... T>
struct type_list {};
using amqp_performatives = type_list<spec::open, spec::begin, spec::attach, spec::flow,
                                     spec::transfer, spec::disposition, spec::detach, spec::end,
                                     spec::close>;
using sasl_performatives = type_list<spec::sasl_mechanisms, spec::sasl_init,
                                     spec::sasl_challenge, spec::sasl_response,
                                     spec::sasl_outcome>;

// Checks the performative against its type in the spec table (the frame reader only checked
// that it is a described value) and, when `w` is set, writes the frame again the way
// write_frame does: canonical performative, the same payload, no extended header.
template <class... T>
std::optional<problem> performative(type_list<T...>, const frame_view& f, bytes_view input,
                                    writer* w) {
  const std::uint8_t* p = f.performative.data();
  const bool in_input = p && p >= input.data() && p <= input.data() + input.size();
  const std::uint8_t* base = in_input ? input.data() : nullptr;
  const std::size_t fallback = static_cast<std::size_t>(f.offset);
  std::optional<problem> result;
  bool matched = false;
  auto one = [&]<class P>(std::type_identity<P>) {
    constexpr const spec::type_info& info = spec::traits<P>::info;
    if (matched || !f.performative.as_described().is(info.code, info.symbol)) return;
    matched = true;
    auto r = spec::decode<P>(f.performative, base);
    if (!r) {
      result = from(r.error());
      if (!base) result->offset = fallback;
      return;
    }
    if (w) {
      if (std::error_code ec = write_frame(*w, f.type, f.channel, *r, f.payload))
        result = problem{ec.message(), fallback};
    }
  };
  (one(std::type_identity<T>{}), ...);
  if (!matched) {
    const value_view d = f.performative.as_described().descriptor();
    const std::size_t at =
        base && d.data() ? static_cast<std::size_t>(d.data() - base) : fallback;
    const char* what = f.type == frame_type::sasl ? "not a SASL performative"
                                                  : "not an AMQP performative";
    result = problem{what, at};
  }
  return result;
}

std::optional<problem> frames(bytes_view input, const options& opts, std::string& out) {
  // The whole stream is in memory, so no frame can be longer than it: bounding the frame
  // size by the input keeps the reader from reserving room for a size it will never see.
  frame_reader_options ro;
  const std::size_t cap = std::min<std::size_t>(input.size(), std::numeric_limits<std::uint32_t>::max());
  ro.max_frame_size = static_cast<std::uint32_t>(cap);
  ro.max_sasl_frame_size = static_cast<std::uint32_t>(cap);
  ro.decode = opts.limits;
  frame_reader reader(ro);
  writer w;
  bytes_view rest = input;
  bool expect_header = true;  // for the message when the input stops inside an item
  while (!rest.empty()) {
    const std::uint64_t item_start = reader.position();
    auto r = reader.read(rest);
    if (r.error) {
      // A size beyond the input means the capture stops inside that frame.
      if (r.error->code == errc::frame_size_too_large)
        return problem{"input ends inside a frame", static_cast<std::size_t>(item_start)};
      return from(*r.error);
    }
    rest = rest.subspan(r.consumed);
    if (!r.item) {
      if (!rest.empty() && r.consumed != 0) continue;
      return problem{expect_header ? "input ends inside a protocol header"
                                   : "input ends inside a frame",
                     static_cast<std::size_t>(item_start)};
    }
    if (const auto* h = std::get_if<protocol_header>(&*r.item)) {
      expect_header = false;
      if (opts.reencode) {
        const std::uint8_t bytes[protocol_header_size] = {
            'A', 'M', 'Q', 'P', static_cast<std::uint8_t>(h->id), h->major, h->minor,
            h->revision};
        out.append(reinterpret_cast<const char*>(bytes), sizeof bytes);
      } else {
        append_text(out, *h, item_start);
        out += '\n';
      }
      continue;
    }
    const frame_view& f = std::get<frame_view>(*r.item);
    w.clear();
    if (f.is_empty()) {
      if (opts.reencode) write_empty_frame(w, f.channel);
    } else {
      writer* target = opts.reencode ? &w : nullptr;
      auto p = f.type == frame_type::sasl ? performative(sasl_performatives{}, f, input, target)
                                          : performative(amqp_performatives{}, f, input, target);
      if (p) return p;
      using outcome = spec::traits<spec::sasl_outcome>;
      if (f.performative.as_described().is(outcome::info.code, outcome::info.symbol))
        expect_header = true;  // spec Part 5, 5.3.2: a protocol header follows the outcome
    }
    if (opts.reencode) {
      append_bytes(out, w.view());
    } else {
      append_text(out, f, opts.text);
      out += '\n';
    }
  }
  return std::nullopt;
}

}  // namespace

mode detect(bytes_view in) noexcept {
  if (in.size() >= 4 && std::memcmp(in.data(), "AMQP", 4) == 0) return mode::frames;
  if (in.size() >= 3 && in[0] == format_code::described) {
    if (in[1] == format_code::smallulong && in[2] >= 0x70 && in[2] <= 0x78) return mode::message;
    std::size_t len = 0, at = 0;
    if (in[1] == format_code::sym8) {
      len = in[2];
      at = 3;
    } else if (in[1] == format_code::sym32 && in.size() >= 6) {
      len = std::size_t{in[2]} << 24 | std::size_t{in[3]} << 16 | std::size_t{in[4]} << 8 | in[5];
      at = 6;
    }
    if (at && len <= in.size() - at &&
        is_section_symbol({reinterpret_cast<const char*>(in.data() + at), len}))
      return mode::message;
  }
  return mode::value;
}

int run(bytes_view input, const options& opts, std::string& out, std::string& err) {
  std::vector<std::uint8_t> decoded;
  std::optional<problem> p;
  if (opts.hex) {
    p = parse_hex(input, decoded);
    input = decoded;
  }
  if (!p && input.empty()) p = problem{"empty input", 0};
  if (!p) {
    const mode m = opts.input == mode::automatic ? detect(input) : opts.input;
    switch (m) {
      case mode::message: p = message(input, opts, out); break;
      case mode::frames: p = frames(input, opts, out); break;
      default: p = values(input, opts, out); break;
    }
  }
  if (!p) return 0;
  err += "amqp-inspect: ";
  err += opts.input_name;
  err += ": ";
  err += p->reason;
  err += " at offset ";
  err += std::to_string(p->offset);
  err += '\n';
  return 1;
}

}  // namespace amqp::inspect
