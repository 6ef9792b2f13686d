// Termini and delivery states between their owned form and the spec's views.
#include "fields.hpp"

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/encoder.hpp"
#include "amqp/spec.hpp"

namespace amqp::detail {

namespace {

bool map_or_null(const value& v) { return v.is_null() || v.type() == kind::map; }

// Views the single value just encoded into `scratch`.
value_view viewed(const writer& scratch) {
  auto v = decode_value(scratch.view(), decode_limits{.max_depth = ~0u,
                                                      .max_zero_width_elements = ~0u});
  return v ? *v : value_view{};
}

std::optional<std::string> address_of(value_view v) {
  if (v.type() == kind::string || v.type() == kind::symbol) return std::string(v.as_string());
  return std::nullopt;
}

template <class T>
void fill_common(terminus& t, const T& s) {
  t.address = address_of(s.address.view());
  t.durable = s.durable;
  t.expiry_policy = std::string(s.expiry_policy.str);
  t.timeout = s.timeout;
  t.dynamic = s.dynamic;
  if (!s.dynamic_node_properties.is_null())
    t.dynamic_node_properties = value::from_view(s.dynamic_node_properties.view());
  t.capabilities = strings_of(s.capabilities);
}

}  // namespace

result<value_view, std::error_code> encode_terminus(const std::optional<terminus>& t,
                                                    bool as_source, writer& scratch) {
  scratch.clear();
  if (!t) return value_view{};
  if (!map_or_null(t->dynamic_node_properties) || !map_or_null(t->filter))
    return make_error_code(errc::invalid_argument);
  const std::vector<symbol_view> capabilities = views_of(t->capabilities);
  encoder e(scratch);
  if (as_source) {
    const std::vector<symbol_view> outcomes = views_of(t->outcomes);
    spec::source s{.durable = t->durable,
                   .expiry_policy = symbol_view(t->expiry_policy),
                   .timeout = t->timeout,
                   .dynamic = t->dynamic,
                   .dynamic_node_properties = t->dynamic_node_properties,
                   .filter = t->filter,
                   .default_outcome = t->default_outcome,
                   .outcomes = std::span<const symbol_view>(outcomes),
                   .capabilities = std::span<const symbol_view>(capabilities)};
    if (t->address) s.address = std::string_view(*t->address);
    if (t->distribution_mode) s.distribution_mode = symbol_view(*t->distribution_mode);
    spec::encode(e, s);
  } else {
    spec::target s{.durable = t->durable,
                   .expiry_policy = symbol_view(t->expiry_policy),
                   .timeout = t->timeout,
                   .dynamic = t->dynamic,
                   .dynamic_node_properties = t->dynamic_node_properties,
                   .capabilities = std::span<const symbol_view>(capabilities)};
    if (t->address) s.address = std::string_view(*t->address);
    spec::encode(e, s);
  }
  if (e.failed()) return make_error_code(errc::invalid_argument);
  return viewed(scratch);
}

result<std::optional<terminus>> terminus_of(value_view v, bool as_source) {
  if (v.is_null()) return std::optional<terminus>();
  terminus t;
  if (as_source) {
    auto s = spec::decode<spec::source>(v);
    if (!s) return s.error();
    fill_common(t, *s);
    if (s->distribution_mode) t.distribution_mode = std::string(s->distribution_mode->str);
    if (!s->filter.is_null()) t.filter = value::from_view(s->filter.view());
    if (!s->default_outcome.is_null())
      t.default_outcome = value::from_view(s->default_outcome.view());
    t.outcomes = strings_of(s->outcomes);
  } else {
    auto s = spec::decode<spec::target>(v);
    if (!s) return s.error();
    fill_common(t, *s);
  }
  return std::optional<terminus>(std::move(t));
}

value_view encode_state(const delivery_state& s, writer& scratch) {
  scratch.clear();
  encoder e(scratch);
  switch (s.kind) {
    case delivery_state::type::none:
      return {};
    case delivery_state::type::received:
      spec::encode(e, spec::received{s.section_number, s.section_offset});
      break;
    case delivery_state::type::accepted:
      spec::encode(e, spec::accepted{});
      break;
    case delivery_state::type::rejected: {
      spec::rejected r;
      if (s.error) r.error = s.error->to_spec();
      spec::encode(e, r);
      break;
    }
    case delivery_state::type::released:
      spec::encode(e, spec::released{});
      break;
    case delivery_state::type::modified: {
      spec::modified m;
      if (s.delivery_failed) m.delivery_failed = true;
      if (s.undeliverable_here) m.undeliverable_here = true;
      if (s.message_annotations) m.message_annotations = *s.message_annotations;
      spec::encode(e, m);
      break;
    }
  }
  return viewed(scratch);
}

result<delivery_state> state_of(value_view v) {
  delivery_state s;
  if (v.is_null()) return s;
  if (v.type() != kind::described) return decode_error{errc::unexpected_descriptor, 0};
  const spec::type_info* t = spec::find_type(v.as_described().descriptor());
  const std::uint64_t code = t ? t->code : 0;
  switch (code) {
    case spec::traits<spec::received>::info.code: {
      auto r = spec::decode<spec::received>(v);
      if (!r) return r.error();
      return delivery_state::received(r->section_number, r->section_offset);
    }
    case spec::traits<spec::accepted>::info.code: {
      auto r = spec::decode<spec::accepted>(v);
      if (!r) return r.error();
      return delivery_state::accepted();
    }
    case spec::traits<spec::rejected>::info.code: {
      auto r = spec::decode<spec::rejected>(v);
      if (!r) return r.error();
      return delivery_state::rejected(r->error ? std::optional(condition::from(*r->error))
                                               : std::nullopt);
    }
    case spec::traits<spec::released>::info.code: {
      auto r = spec::decode<spec::released>(v);
      if (!r) return r.error();
      return delivery_state::released();
    }
    case spec::traits<spec::modified>::info.code: {
      auto r = spec::decode<spec::modified>(v);
      if (!r) return r.error();
      return delivery_state::modified(
          r->delivery_failed.value_or(false), r->undeliverable_here.value_or(false),
          r->message_annotations.is_null() ? value()
                                           : value::from_view(r->message_annotations.view()));
    }
    default:
      return decode_error{errc::unexpected_descriptor, 0};
  }
}

}  // namespace amqp::detail
