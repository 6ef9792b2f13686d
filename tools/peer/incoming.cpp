// The other side's bytes, cut into items (incoming.hpp).
#include "peer/incoming.hpp"

#include <algorithm>

#include "amqp/codec/encoder.hpp"
#include "amqp/text.hpp"

namespace amqp::peer {
namespace {

constexpr std::uint32_t max_frame_cap = 64u << 20;
constexpr std::size_t history_size = 8;

received from_frame(const frame_view& f) {
  received r;
  r.kind = received::what::frame;
  r.type = f.type;
  r.channel = f.channel;
  r.empty_frame = f.is_empty();
  if (!f.performative.is_null()) {
    writer w;
    encoder(w).value(f.performative);
    r.performative.assign(w.view().begin(), w.view().end());
  }
  r.payload.assign(f.payload.begin(), f.payload.end());
  append_text(r.text, f, {.multiline = false});
  return r;
}

received ending(std::string text) {
  received r;
  r.kind = received::what::end;
  r.text = std::move(text);
  return r;
}

}  // namespace

incoming::incoming(connection& c, std::function<void(std::string_view)> trace)
    : conn_(c),
      trace_(std::move(trace)),
      reader_(frame_reader_options{.max_frame_size = max_frame_cap}) {}

void incoming::set_max_frame_size(std::uint32_t n) noexcept {
  reader_.set_max_frame_size(std::min(n, max_frame_cap));
}

void incoming::push(received r) {
  history_.push_back("<- " + r.text);
  if (history_.size() > history_size) history_.pop_front();
  if (trace_) trace_(history_.back());
  ready_.push_back(std::move(r));
}

void incoming::feed(bytes_view bytes) {
  while (!bytes.empty() && !failed_) {
    const std::uint64_t at = reader_.position();
    frame_reader::read_result r = reader_.read(bytes);
    bytes = bytes.subspan(r.consumed);
    if (r.error) {
      received bad;
      bad.kind = received::what::unreadable;
      bad.text = '[' + std::to_string(at);
      bad.text += "] unreadable: ";
      bad.text += r.error->message();
      failed_ = true;
      push(std::move(bad));
      return;
    }
    if (!r.item) continue;
    if (const auto* h = std::get_if<protocol_header>(&*r.item)) {
      received item;
      item.kind = received::what::header;
      item.header = *h;
      append_text(item.text, *h, at);
      push(std::move(item));
    } else {
      push(from_frame(std::get<frame_view>(*r.item)));
    }
  }
}

received incoming::next(clock::time_point deadline) {
  // Once the stream ended its last item stays in ready_, so this loop reads no more.
  while (ready_.empty()) {
    std::vector<std::uint8_t> buf;
    std::string error;
    switch (conn_.read(buf, deadline, error)) {
      case connection::read_status::data:
        feed({buf.data(), buf.size()});
        break;
      case connection::read_status::timeout:
        return received{};
      case connection::read_status::eof:
        push(ending("end of stream"));
        ended_ = true;
        break;
      case connection::read_status::reset:
        push(ending("connection reset by the peer"));
        ended_ = true;
        break;
      case connection::read_status::closed:
        push(ending("the script closed the connection"));
        ended_ = true;
        break;
      case connection::read_status::error:
        push(ending(error));
        ended_ = true;
        break;
    }
  }
  // The last item of an ended stream stays, so that every later step sees the end.
  received r = ready_.front();
  if (!(ended_ && ready_.size() == 1)) ready_.pop_front();
  return r;
}

}  // namespace amqp::peer
