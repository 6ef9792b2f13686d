// Playing a script (runner.hpp).
#include "peer/runner.hpp"

#include <thread>

#include "amqp/text.hpp"

namespace amqp::peer {
namespace {

// The trace line of bytes sent: headers and frames as amqp-inspect prints them, anything
// that does not read as one in hex.
std::string sent_text(const send_step& s, std::uint64_t offset) {
  std::string out = "-> ";
  const bytes_view bytes{s.bytes.data(), s.bytes.size()};
  if (s.kind == send_step::what::header) {
    if (auto h = parse_protocol_header(bytes)) {
      append_text(out, *h, offset);
      return out;
    }
  } else if (s.kind == send_step::what::frame) {
    if (auto h = parse_frame_header(bytes, 0xffffffffu)) {
      if (auto f = decode_frame_body(*h, bytes.subspan(frame_header_size))) {
        f->offset = offset;
        append_text(out, *f, {.multiline = false});
        return out;
      }
    }
  }
  static constexpr char digits[] = "0123456789abcdef";
  out += '[';
  out += std::to_string(offset);
  out += "] bytes";
  for (std::uint8_t b : s.bytes) {
    out += ' ';
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string_view fault_name(fault f) {
  switch (f) {
    case fault::shutdown_write:
      return "shutdown-write";
    case fault::close:
      return "close";
    case fault::reset:
      return "reset";
  }
  return "?";
}

class player {
 public:
  player(const script& s, connection& c, const run_options& o)
      : script_(s), conn_(c), options_(o), in_(c, o.trace) {}

  int run(std::string& report) {
    for (const step& st : script_.steps) {
      if (const auto* send = std::get_if<send_step>(&st.action)) {
        queue(*send, st);
        continue;
      }
      if (!flush(report)) return 1;
      if (const auto* e = std::get_if<expect_step>(&st.action)) {
        if (!expect(*e, st, report)) return 1;
      } else if (const auto* d = std::get_if<delay_step>(&st.action)) {
        std::this_thread::sleep_for(d->how_long);
      } else if (const auto* f = std::get_if<fault_step>(&st.action)) {
        if (options_.trace) options_.trace("-> fault " + std::string(fault_name(f->what)));
        if (f->what == fault::shutdown_write)
          conn_.shutdown_write();
        else if (f->what == fault::close)
          conn_.close();
        else
          conn_.reset();
      }
    }
    return flush(report) ? 0 : 1;
  }

 private:
  // Sends wait for the next step that is not a send, so that consecutive sends leave in one
  // write (a pipelined open arrives as one segment).
  void queue(const send_step& s, const step& st) {
    if (pending_.empty()) first_pending_ = &st;
    if (options_.trace) options_.trace(sent_text(s, sent_));
    sent_ += s.bytes.size();
    pending_.insert(pending_.end(), s.bytes.begin(), s.bytes.end());
    if (s.announced_max_frame_size) in_.set_max_frame_size(*s.announced_max_frame_size);
  }

  bool flush(std::string& report) {
    if (pending_.empty()) return true;
    const std::string error =
        conn_.write({pending_.data(), pending_.size()}, clock::now() + options_.timeout);
    pending_.clear();
    if (error.empty()) return true;
    report = header(*first_pending_) + "  the send failed: " + error + "\n" + history();
    return false;
  }

  bool expect(const expect_step& e, const step& st, std::string& report) {
    const duration wait = e.within.value_or(options_.timeout);
    const clock::time_point deadline = clock::now() + wait;
    std::vector<bool> done(e.targets.size(), false);
    std::size_t left = e.how == expect_step::mode::unordered ? e.targets.size() : 1;
    while (left > 0) {
      const received r = in_.next(deadline);
      if (r.kind == received::what::nothing && e.how == expect_step::mode::nothing) return true;
      if (r.kind == received::what::nothing) {
        report = header(st) + "  got nothing within " + std::to_string(wait.count()) + "ms\n" +
                 still_expected(e, done) + history();
        return false;
      }
      bool matched = false;
      for (std::size_t i = 0; i < e.targets.size() && !matched; ++i) {
        if (done[i] || !mismatch(e.targets[i], r).empty()) continue;
        matched = true;
        done[i] = true;
        --left;
      }
      if (matched || skippable(e.skipping, r)) continue;
      std::string why;
      if (e.how == expect_step::mode::one)
        why = mismatch(e.targets[0], r);
      else if (e.how == expect_step::mode::nothing)
        why = "expected nothing";
      else
        why = "it is none of the expected items";
      report = header(st) + "  got: " + r.text + "\n  why: " + why + "\n" +
               still_expected(e, done) + history();
      return false;
    }
    return true;
  }

  std::string header(const step& st) const {
    return "amqp-peer: " + script_.name + ":" + std::to_string(st.line) + ": " + st.text + "\n";
  }

  static std::string still_expected(const expect_step& e, const std::vector<bool>& done) {
    if (e.how == expect_step::mode::one || e.how == expect_step::mode::nothing) return {};
    std::string out =
        e.how == expect_step::mode::unordered ? "  still expected:\n" : "  expected one of:\n";
    for (std::size_t i = 0; i < e.targets.size(); ++i)
      if (!done[i]) out += "    " + e.target_texts[i] + "\n";
    return out;
  }

  std::string history() const {
    if (in_.history().empty()) return "  nothing was received\n";
    std::string out = "  last received:\n";
    for (const std::string& line : in_.history()) out += "    " + line + "\n";
    return out;
  }

  const script& script_;
  connection& conn_;
  const run_options& options_;
  incoming in_;
  std::vector<std::uint8_t> pending_;
  const step* first_pending_ = nullptr;
  std::uint64_t sent_ = 0;  // bytes of the outgoing stream so far, for trace offsets
};

}  // namespace

int play(const script& s, connection& c, const run_options& options, std::string& report) {
  return player(s, c, options).run(report);
}

}  // namespace amqp::peer
