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
  } else if (t->coordinator) {
    spec::encode(e, spec::coordinator{.capabilities = std::span<const symbol_view>(capabilities)});
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
  } else if (v.type() == kind::described &&
             v.as_described().is(spec::traits<spec::coordinator>::info.code,
                                 spec::traits<spec::coordinator>::info.symbol)) {
    auto c = spec::decode<spec::coordinator>(v);
    if (!c) return c.error();
    t.coordinator = true;
    t.capabilities = strings_of(c->capabilities);
  } else {
    auto s = spec::decode<spec::target>(v);
    if (!s) return s.error();
    fill_common(t, *s);
  }
  return std::optional<terminus>(std::move(t));
}

namespace {

// A txn-id field: a binary of at most transaction_id::max_size bytes.
result<transaction_id> txn_of(const spec::value_ref& v) {
  if (v.view().type() != kind::binary) return decode_error{errc::field_type_mismatch, 0};
  auto id = transaction_id::from(v.view().as_binary());
  if (!id) return decode_error{errc::value_too_large, 0};
  return *id;
}

// The outcome kinds, the parts of a state that a transactional-state may wrap.
void encode_outcome(encoder& e, const delivery_state& s) {
  switch (s.kind) {
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
    default:
      break;
  }
}

// accepted, rejected, released or modified.
result<delivery_state> outcome_of(value_view v) {
  if (v.type() != kind::described) return decode_error{errc::unexpected_descriptor, 0};
  const spec::type_info* t = spec::find_type(v.as_described().descriptor());
  const std::uint64_t code = t ? t->code : 0;
  switch (code) {
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

}  // namespace

value_view encode_state(const delivery_state& s, writer& scratch) {
  scratch.clear();
  encoder e(scratch);
  if (s.kind == delivery_state::type::declared) {
    if (!s.txn) return {};
    const value id = value::bin(s.txn->bytes());
    spec::encode(e, spec::declared{.txn_id = id});
  } else if (s.txn) {
    // The provisional outcome is encoded first, on its own, and embedded by reference.
    writer inner;
    encoder ie(inner);
    encode_outcome(ie, s);
    const value id = value::bin(s.txn->bytes());
    spec::transactional_state t{.txn_id = id};
    if (s.kind != delivery_state::type::none && s.kind != delivery_state::type::received)
      t.outcome = viewed(inner);
    spec::encode(e, t);
  } else if (s.kind == delivery_state::type::received) {
    spec::encode(e, spec::received{s.section_number, s.section_offset});
  } else if (s.kind == delivery_state::type::none) {
    return {};
  } else {
    encode_outcome(e, s);
  }
  return viewed(scratch);
}

result<delivery_state> state_of(value_view v) {
  if (v.is_null()) return delivery_state{};
  if (v.type() != kind::described) return decode_error{errc::unexpected_descriptor, 0};
  const spec::type_info* t = spec::find_type(v.as_described().descriptor());
  const std::uint64_t code = t ? t->code : 0;
  switch (code) {
    case spec::traits<spec::received>::info.code: {
      auto r = spec::decode<spec::received>(v);
      if (!r) return r.error();
      return delivery_state::received(r->section_number, r->section_offset);
    }
    case spec::traits<spec::declared>::info.code: {
      auto r = spec::decode<spec::declared>(v);
      if (!r) return r.error();
      auto id = txn_of(r->txn_id);
      if (!id) return id.error();
      return delivery_state::declared(*id);
    }
    case spec::traits<spec::transactional_state>::info.code: {
      auto r = spec::decode<spec::transactional_state>(v);
      if (!r) return r.error();
      auto id = txn_of(r->txn_id);
      if (!id) return id.error();
      delivery_state inner;
      if (!r->outcome.is_null()) {
        auto o = outcome_of(r->outcome.view());
        if (!o) return o.error();
        inner = std::move(*o);
      }
      return delivery_state::transactional(*id, std::move(inner));
    }
    default:
      return outcome_of(v);
  }
}

}  // namespace amqp::detail
