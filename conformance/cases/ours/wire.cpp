#include "wire.hpp"

#include "amqp/frame.hpp"
#include "amqp/spec.hpp"

namespace conformance {

namespace {

// The elements of a multiple field (spec Part 1, 1.4: one value, or an array of them) that are
// not symbols, described for the evidence.
std::string not_symbols(amqp::value_view field) {
  std::string out;
  auto add = [&](amqp::value_view v) {
    if (v.type() == amqp::kind::symbol) return;
    if (!out.empty()) out += ", ";
    out += std::string(amqp::kind_name(v.type()));
    if (v.type() == amqp::kind::string) out += " \"" + std::string(v.as_string()) + "\"";
  };
  if (field.is_null()) return out;
  if (field.type() != amqp::kind::array) {
    add(field);
    return out;
  }
  for (amqp::value_view v : field.as_array()) add(v);
  return out;
}

// The ninth field of the open, offered-capabilities, as it was encoded.
amqp::value_view offered_capabilities(const amqp::frame_view& f) {
  amqp::value_view body = f.performative.as_described().value();
  if (body.type() != amqp::kind::list) return {};
  std::uint32_t i = 0;
  for (amqp::value_view v : body.as_list())
    if (i++ == 8) return v;
  return {};
}

void read_fields(const amqp::frame_view& f, frame_seen& s) {
  namespace spec = amqp::spec;
  const std::string& p = s.performative;
  if (p == "open") {
    s.capabilities_not_symbols = not_symbols(offered_capabilities(f));
  } else if (p == "attach") {
    if (auto a = spec::decode<spec::attach>(f.performative)) {
      s.handle = a->handle;
      s.name = std::string(a->name);
      s.rcv_settle_mode = a->rcv_settle_mode;
    }
  } else if (p == "flow") {
    if (auto fl = spec::decode<spec::flow>(f.performative)) {
      s.handle = fl->handle;
      s.echo = fl->echo;
      s.drain = fl->drain;
      s.link_credit = fl->link_credit;
      s.delivery_count = fl->delivery_count;
    }
  } else if (p == "transfer") {
    if (auto t = spec::decode<spec::transfer>(f.performative)) {
      s.handle = t->handle;
      s.more = t->more;
      s.aborted = t->aborted;
    }
  } else if (p == "detach") {
    if (auto d = spec::decode<spec::detach>(f.performative)) {
      s.handle = d->handle;
      if (d->error) s.error = amqp::condition::from(*d->error);
    }
  } else if (p == "end") {
    if (auto e = spec::decode<spec::end>(f.performative); e && e->error)
      s.error = amqp::condition::from(*e->error);
  } else if (p == "close") {
    if (auto c = spec::decode<spec::close>(f.performative); c && c->error)
      s.error = amqp::condition::from(*c->error);
  } else if (p == "sasl-outcome") {
    if (auto o = spec::decode<spec::sasl_outcome>(f.performative))
      s.sasl_code = static_cast<int>(o->code);
  }
}

}  // namespace

void wire::on_frame(amqp::trace_direction dir, const amqp::frame_view& f) {
  frame_seen s;
  s.incoming = dir == amqp::trace_direction::incoming;
  s.channel = f.channel;
  if (f.performative.type() == amqp::kind::described) {
    if (const auto* t = amqp::spec::find_type(f.performative.as_described().descriptor())) {
      s.performative = std::string(t->name);
      read_fields(f, s);
    }
  }
  std::lock_guard<std::mutex> hold(lock_);
  frames_.push_back(std::move(s));
  changed_.notify_all();
}

const frame_seen* wire::peer_attach(const std::string& name) const {
  for (const frame_seen& f : frames_)
    if (f.incoming && f.performative == "attach" && f.name == name) return &f;
  return nullptr;
}

bool wire::peer_sent_error(const std::string& performative, const std::string& name) const {
  for (const frame_seen& f : frames_)
    if (f.incoming && f.performative == performative && f.error && f.error->name == name)
      return true;
  return false;
}

}  // namespace conformance
