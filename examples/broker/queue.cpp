// The queue's bookkeeping: messages waiting in arrival order, deliveries held by consumers,
// round-robin dispatch, and outcomes putting messages back where they were.
#include "queue.hpp"

#include <algorithm>

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/encoder.hpp"
#include "amqp/codec/writer.hpp"
#include "amqp/spec/codec.hpp"

namespace broker {

// --- stored messages ----------------------------------------------------------------------------

amqp::result<std::shared_ptr<const stored_message>> stored_message::make(
    amqp::bytes_view encoded) {
  std::shared_ptr<stored_message> m(new stored_message());
  m->bytes_.assign(encoded.begin(), encoded.end());
  auto view = amqp::decode_message(m->bytes());
  if (!view) return view.error();
  m->view_ = *view;
  return std::shared_ptr<const stored_message>(std::move(m));
}

namespace {

// Section descriptors (spec Part 3, 3.2) of the sections that come before the bare message.
constexpr std::uint64_t header_code = 0x70;
constexpr std::uint64_t delivery_annotations_code = 0x71;
constexpr std::uint64_t message_annotations_code = 0x72;

// The message annotations of `m` with `extra` merged in: a key already there takes the new
// value, new keys are appended.
amqp::value merged_annotations(amqp::value_view existing, const amqp::value& extra) {
  amqp::map out;
  if (existing.type() == amqp::kind::map)
    for (const amqp::map_entry& e : existing.as_map())
      out.emplace_back(amqp::value::from_view(e.key), amqp::value::from_view(e.value));
  if (const amqp::map* add = extra.get_if<amqp::map>()) {
    for (const auto& entry : *add) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const auto& e) { return e.first == entry.first; });
      if (it != out.end())
        it->second = entry.second;
      else
        out.emplace_back(entry.first, entry.second);
    }
  }
  return amqp::value(std::move(out));
}

}  // namespace

amqp::result<std::shared_ptr<const stored_message>> redelivered(const stored_message& m,
                                                                bool delivery_failed,
                                                                const amqp::value& annotations) {
  const amqp::message_view& v = m.view();
  const bool merge = annotations.type() == amqp::kind::map;
  // Walk the sections before the bare message, keeping the delivery annotations as they are
  // and noting where the rest (properties on, footer included) starts.
  amqp::bytes_view bytes = m.bytes();
  std::size_t pos = 0;
  amqp::bytes_view delivery_annotations, message_annotations;
  while (pos < bytes.size()) {
    std::size_t used = 0;
    auto section = amqp::decode_value_prefix(bytes.subspan(pos), used);
    if (!section || section->type() != amqp::kind::described) break;
    const amqp::described_view d = section->as_described();
    const amqp::bytes_view raw = bytes.subspan(pos, used);
    if (d.is(delivery_annotations_code, "amqp:delivery-annotations:map"))
      delivery_annotations = raw;
    else if (d.is(message_annotations_code, "amqp:message-annotations:map"))
      message_annotations = raw;
    else if (!d.is(header_code, "amqp:header:list"))
      break;
    pos += used;
  }

  amqp::writer w(bytes.size() + 64);
  amqp::encoder e(w);
  if (v.header || delivery_failed) {
    amqp::spec::header h = v.header.value_or(amqp::spec::header{});
    if (delivery_failed) ++h.delivery_count;
    amqp::spec::encode(e, h);
  }
  w.append(delivery_annotations);
  if (merge) {
    e.descriptor(message_annotations_code);
    e.value(merged_annotations(v.message_annotations, annotations));
  } else {
    w.append(message_annotations);
  }
  w.append(bytes.subspan(pos));
  if (e.failed()) return amqp::decode_error{amqp::errc::value_too_large, 0};
  return stored_message::make(w.view());
}

// --- the queue ----------------------------------------------------------------------------------

queue::queue(std::string name, queue_limits limits, bool dynamic)
    : name_(std::move(name)), limits_(limits), dynamic_(dynamic) {}

queue::~queue() {
  if (limits_.budget) limits_.budget->used -= bytes_;
}

void queue::account(std::ptrdiff_t delta) {
  bytes_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(bytes_) + delta);
  if (limits_.budget)
    limits_.budget->used =
        static_cast<std::size_t>(static_cast<std::ptrdiff_t>(limits_.budget->used) + delta);
}

publish_result queue::publish(amqp::bytes_view encoded, receipt r) {
  if (depth() >= limits_.max_depth) return publish_result::full;
  if (limits_.budget && encoded.size() > limits_.budget->limit - limits_.budget->used)
    return publish_result::out_of_memory;
  auto m = stored_message::make(encoded);
  if (!m) return publish_result::malformed;
  return publish(std::move(*m), r);
}

publish_result queue::publish(std::shared_ptr<const stored_message> m, receipt r) {
  if (depth() >= limits_.max_depth) return publish_result::full;
  const std::size_t size = m->bytes().size();
  if (limits_.budget && size > limits_.budget->limit - limits_.budget->used)
    return publish_result::out_of_memory;
  account(static_cast<std::ptrdiff_t>(size));
  available_.push_back({next_seq_++, std::move(m), {}, r});
  return publish_result::ok;
}

std::vector<receipt> queue::receipts() const {
  std::vector<receipt> out;
  for (const entry& e : available_)
    if (e.ticket) out.push_back(e.ticket);
  for (const consumer& c : consumers_)
    for (const auto& [id, e] : c.unsettled)
      if (e.ticket) out.push_back(e.ticket);
  for (const auto& [id, h] : held_)
    if (h.e.ticket) out.push_back(h.e.ticket);
  return out;
}

void queue::consumed(const entry& e, const outcome& o) {
  account(-static_cast<std::ptrdiff_t>(e.message->bytes().size()));
  if (e.ticket && on_consumed_) on_consumed_(e.ticket, o);
}

consumer_id queue::subscribe(const consumer_options& options) {
  consumer c{.id = next_consumer_++, .options = options};
  consumers_.push_back(std::move(c));
  return consumers_.back().id;
}

queue::consumer* queue::find(consumer_id c) {
  for (consumer& x : consumers_)
    if (x.id == c) return &x;
  return nullptr;
}

const queue::consumer* queue::find(consumer_id c) const {
  for (const consumer& x : consumers_)
    if (x.id == c) return &x;
  return nullptr;
}

void queue::unsubscribe(consumer_id id) {
  auto it = std::find_if(consumers_.begin(), consumers_.end(),
                         [&](const consumer& c) { return c.id == id; });
  if (it == consumers_.end()) return;
  for (auto& [id_of_delivery, e] : it->unsettled) {
    --unsettled_;
    put_back(std::move(e));
  }
  const auto index = static_cast<std::size_t>(it - consumers_.begin());
  consumers_.erase(it);
  // Whoever was next in turn stays next.
  if (index < next_turn_) --next_turn_;
  if (next_turn_ >= consumers_.size()) next_turn_ = 0;
}

void queue::set_credit(consumer_id c, std::uint32_t credit) {
  if (consumer* x = find(c)) x->credit = credit;
}

std::uint32_t queue::credit(consumer_id c) const {
  const consumer* x = find(c);
  return x ? x->credit : 0;
}

void queue::put_back(entry e) {
  auto at = std::upper_bound(available_.begin(), available_.end(), e.seq,
                             [](std::uint64_t seq, const entry& x) { return seq < x.seq; });
  available_.insert(at, std::move(e));
}

std::deque<queue::entry>::iterator queue::next_for(const consumer& c) {
  auto it = available_.begin();
  if (c.options.browse)
    it = std::lower_bound(available_.begin(), available_.end(), c.cursor,
                          [](const entry& x, std::uint64_t seq) { return x.seq < seq; });
  for (; it != available_.end(); ++it) {
    if (std::find(it->refused_by.begin(), it->refused_by.end(), c.id) != it->refused_by.end())
      continue;
    if (c.options.filter && !c.options.filter->matches(it->message->view())) continue;
    return it;
  }
  return available_.end();
}

std::size_t queue::dispatch(const std::function<bool(const delivery&)>& send) {
  for (consumer& c : consumers_) c.stalled = false;
  std::size_t sent = 0;
  std::size_t misses = 0;  // consumers tried in a row that took nothing
  while (!consumers_.empty() && misses < consumers_.size()) {
    if (next_turn_ >= consumers_.size()) next_turn_ = 0;
    consumer& c = consumers_[next_turn_];
    next_turn_ = (next_turn_ + 1) % consumers_.size();
    if (c.credit == 0 || c.stalled) {
      ++misses;
      continue;
    }
    auto it = next_for(c);
    if (it == available_.end()) {
      ++misses;
      continue;
    }
    const bool settled = c.options.pre_settled;
    const std::uint64_t id = c.options.browse || settled ? 0 : next_delivery_++;
    if (!send({c.id, id, *it->message, settled})) {
      c.stalled = true;
      ++misses;
      continue;
    }
    --c.credit;
    ++sent;
    misses = 0;
    if (c.options.browse) {
      c.cursor = it->seq + 1;
    } else if (settled) {
      const entry gone = std::move(*it);
      available_.erase(it);
      consumed(gone, outcome{});
    } else {
      c.unsettled.emplace(id, std::move(*it));
      ++unsettled_;
      available_.erase(it);
    }
  }
  return sent;
}

bool queue::settle(consumer_id cid, std::uint64_t id, const outcome& o) {
  consumer* c = find(cid);
  if (!c) return false;
  auto it = c->unsettled.find(id);
  if (it == c->unsettled.end()) return false;
  entry e = std::move(it->second);
  c->unsettled.erase(it);
  --unsettled_;
  return apply(std::move(e), cid, o);
}

bool queue::hold(consumer_id cid, std::uint64_t id) {
  consumer* c = find(cid);
  if (!c) return false;
  auto it = c->unsettled.find(id);
  if (it == c->unsettled.end()) return false;
  held_.emplace(id, held_entry{std::move(it->second), cid});
  c->unsettled.erase(it);
  --unsettled_;
  return true;
}

bool queue::resolve(std::uint64_t id, const outcome& o) {
  auto it = held_.find(id);
  if (it == held_.end()) return false;
  held_entry h = std::move(it->second);
  held_.erase(it);
  return apply(std::move(h.e), h.from, o);
}

bool queue::apply(entry e, consumer_id cid, const outcome& o) {
  switch (o.kind) {
    case outcome_kind::accepted:
    case outcome_kind::rejected:
      consumed(e, o);
      return false;
    case outcome_kind::released:
      put_back(std::move(e));
      return true;
    case outcome_kind::modified:
      break;
  }
  if (o.undeliverable_here) e.refused_by.push_back(cid);
  if (o.delivery_failed || o.message_annotations.type() == amqp::kind::map) {
    // If the new form cannot be made the message goes back as it was: a lost count is better
    // than a lost message.
    if (auto again = redelivered(*e.message, o.delivery_failed, o.message_annotations)) {
      account(static_cast<std::ptrdiff_t>((*again)->bytes().size()) -
              static_cast<std::ptrdiff_t>(e.message->bytes().size()));
      e.message = std::move(*again);
    }
  }
  put_back(std::move(e));
  return true;
}

}  // namespace broker
