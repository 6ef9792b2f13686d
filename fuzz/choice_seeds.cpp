// Seeds for the fuzz targets that read choices rather than bytes (engine_commands and
// engine_pair): each seed is the draws a target makes, in order.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "seeds.hpp"

namespace seeds {
namespace {

// ---- choice streams ---------------------------------------------------------------------------

// engine_commands and engine_pair read choices, not bytes (targets/fuzz_data.hpp): each draw
// of a value in [lo, hi] takes as many bytes from the end of the input as the span needs, most
// significant first; byte strings come from the front. A seed lists its draws in the order the
// target makes them (the targets' comments say which); whatever is not drawn explicitly is the
// first, common choice, as an exhausted input gives.
class choices {
 public:
  choices& range(std::uint64_t value, std::uint64_t lo, std::uint64_t hi) {
    const std::uint64_t v = value - lo;
    int n = 0;
    for (std::uint64_t covered = 0; covered < hi - lo; covered = (covered << 8) | 0xff) ++n;
    for (int i = n - 1; i >= 0; --i) drawn_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  choices& pick(std::uint64_t index, std::uint64_t n) { return range(index, 0, n - 1); }
  choices& one_in(bool yes, std::uint64_t n) { return range(yes ? n - 1 : 0, 0, n - 1); }
  choices& front(std::string_view text) {
    front_.insert(front_.end(), text.begin(), text.end());
    return *this;
  }
  bytes done() const {
    bytes out = front_;
    out.insert(out.end(), drawn_.rbegin(), drawn_.rend());
    return out;
  }

 private:
  bytes drawn_;
  bytes front_;
};

// engine_pair: the script (frame sizes, then per direction the messages and whether they run
// inside a transaction, their size and the receiver's settle mode, then the client's idle
// timeout), and for the first chunk the client writes (its header and open) how it is cut and
// altered. `txn`: bit 0 client to server, bit 1 server to client.
choices pair_script(int frames, int messages, int size, bool second, int idle, int txn = 0) {
  choices c;
  c.pick(frames, 3).pick(frames, 3);
  for (int d = 0; d < 2; ++d)
    c.range((messages - 1) + ((txn >> d) & 1 ? 6 : 0), 0, 17).pick(size, 5).one_in(second, 3);
  c.pick(idle, 3);
  return c;
}

void pair_seeds() {
  const std::string t = "engine_pair";
  put(t, "one-message-each-way", {});
  put(t, "five-each-way-5000-bytes-frames-512", pair_script(0, 5, 4, false, 0).done());
  put(t, "three-each-way-settle-second-idle-3s", pair_script(1, 3, 3, true, 2).done());
  put(t, "six-each-way-600-bytes-frames-4096", pair_script(2, 6, 2, false, 0).done());
  // Inside a transaction: declared, sent or credited in it, settled in it, discharged.
  put(t, "three-each-way-in-a-transaction", pair_script(0, 3, 1, false, 0, 3).done());
  put(t, "two-sent-in-a-transaction-settle-second-frames-512",
      pair_script(0, 2, 3, true, 0, 1).done());
  put(t, "four-credited-in-a-transaction-frames-1024", pair_script(1, 4, 2, false, 0, 2).done());
  // The first chunk (header and open, under 256 bytes): whole, at an offset, then altered.
  const auto first_chunk = [](int at, int how) {
    choices c = pair_script(0, 2, 2, false, 0);
    c.pick(0, 3).range(at, 0, 255).range(how, 0, 15);
    return c;
  };
  put(t, "flip-a-byte-of-the-open", first_chunk(20, 10).range(0x01, 1, 255).done());
  put(t, "drop-header-and-open", first_chunk(0, 12).done());
  put(t, "duplicate-header-and-open", first_chunk(0, 13).done());
  put(t, "truncate-the-open", first_chunk(30, 14).done());
  put(t, "garbage-inside-the-open", first_chunk(12, 15).range(4, 1, 16).front("JUNK").done());
}

// engine_commands: the draws of each step, as engine_commands.cpp makes them. Both sides answer
// everything by themselves (policy 63), so a few commands make a whole conversation.
class commands_script {
 public:
  explicit commands_script(int frames = 0) {
    for (int side = 0; side < 2; ++side) {
      c_.pick(frames, 3).pick(0, 4).pick(0, 4).pick(0, 2).pick(0, 3).pick(0, 3).pick(0, 2).pick(0, 2);
    }
    c_.range(63, 0, 63).range(63, 0, 63);
    open_answer();  // the client opens at once
  }
  // Both ways, whole; `answers` are the draws of what the events it causes are answered with.
  commands_script& pump() {
    c_.range(7, 0, 7).range(3, 0, 3).range(3, 0, 3);
    return *this;
  }
  commands_script& open_answer() {
    c_.pick(0, 4).one_in(false, 8);
    return *this;
  }
  commands_script& begin_answer() {
    c_.range(0, 0, 1);  // default windows
    return *this;
  }
  // The answer to an attach: mirrored termini, then modes, sizes and counts.
  commands_script& attach_answer(int rcv_settle_second = 0) {
    c_.pick(0, 3).pick(rcv_settle_second, 2).pick(0, 6).pick(0, 5);
    c_.one_in(false, 8).one_in(false, 8).one_in(false, 16);
    return *this;
  }
  commands_script& begin(bool client) {
    command(client, 2).range(0, 0, 1);
    return *this;
  }
  commands_script& attach(bool client, bool sender, int initial_count = 0) {
    command(client, sender ? 5 : 6);
    for (int terminus = 0; terminus < 2; ++terminus)
      c_.one_in(false, 8).one_in(false, 8).range(terminus, 0, 9).one_in(false, 4);
    c_.pick(0, 3).pick(0, 2).pick(0, 6).pick(initial_count, 5);
    c_.one_in(false, 8).one_in(false, 8).one_in(false, 16);
    c_.one_in(false, 16);  // named
    return *this;
  }
  // A message of `size` bytes (100 to 600) on the side's link `link` of `links`.
  commands_script& send(bool client, int size, bool settled = false, int link = 0, int links = 1) {
    command(client, 15);
    pick_link(link, links);
    c_.range(3, 0, 3).range(size, 100, 600).one_in(false, 4);
    c_.one_in(false, 4).one_in(false, 8).one_in(settled, 4).one_in(false, 4).one_in(false, 4);
    return *this;
  }
  // Transactions (op 20 but for its abort): a sender to a coordinator target offering
  // local transactions, named like the side's other links.
  commands_script& attach_coordinator(bool client) {
    transaction(client, 0);
    for (int terminus = 0; terminus < 2; ++terminus)
      c_.one_in(false, 8).one_in(false, 8).range(terminus, 0, 9).one_in(false, 4);
    c_.pick(0, 3).pick(0, 2).pick(0, 6).pick(0, 5);
    c_.one_in(false, 8).one_in(false, 8).one_in(false, 16);
    c_.range(1, 0, 1).one_in(false, 4).one_in(false, 8);  // capabilities
    c_.one_in(false, 8);                                  // a sender
    return *this;
  }
  // A declare (local) or a discharge of the transaction the side knows (commit).
  commands_script& request(bool client, bool declare, int link, int links) {
    transaction(client, 1);
    pick_link(link, links);
    c_.range(declare ? 1 : 0, 0, 1);
    if (declare) c_.range(0, 0, 7);
    else c_.one_in(false, 4).range(0, 0, 1);  // the known id, commit
    unsplit_options();
    return *this;
  }
  // A message of `size` bytes (100 to 600) inside the transaction the side knows.
  commands_script& send_in_txn(bool client, int size, int link, int links) {
    transaction(client, 2);
    pick_link(link, links);
    c_.range(3, 0, 3).range(size, 100, 600);
    c_.one_in(false, 4).one_in(false, 4).one_in(false, 8).one_in(false, 4).one_in(false, 4);
    c_.one_in(false, 4);  // the known id
    c_.one_in(false, 4);  // in one piece
    return *this;
  }
  // 5 credits with the known transaction as the flow's link-state properties.
  commands_script& grant_in_txn(bool client, int link, int links) {
    transaction(client, 5);
    pick_link(link, links);
    c_.pick(2, 4).range(0, 0, 4).one_in(false, 4);
    return *this;
  }
  // A message of about the max-frame-size (mfs - 40 + offset) or up to 3 of them.
  commands_script& send_frames(bool client, int kind, std::uint64_t value, std::uint64_t hi) {
    command(client, 15).range(kind, 0, 3).range(value, 0, hi).one_in(false, 4);
    c_.one_in(false, 4).one_in(false, 8).one_in(false, 4).one_in(false, 4).one_in(false, 4);
    return *this;
  }
  commands_script& close(bool client) {
    command(client, 1).one_in(false, 4);
    return *this;
  }
  bytes done() const { return c_.done(); }

 private:
  choices& command(bool client, int op) {
    c_.range(client ? 5 : 6, 0, 7).range(op, 0, 20);
    return c_;
  }
  void transaction(bool client, int which) {
    command(client, 20).one_in(false, 8).range(which, 0, 5);
  }
  void pick_link(int link, int links) {
    if (links > 1) c_.range(link, 0, links - 1);
  }
  // A whole message, unsettled, engine-made tag, in one piece.
  void unsplit_options() {
    c_.one_in(false, 4).one_in(false, 4).one_in(false, 8).one_in(false, 4).one_in(false, 4);
    c_.one_in(false, 4);
  }
  choices c_;
};

void commands_seeds() {
  const std::string t = "engine_commands";
  // The client opens, begins, attaches a sender; the server answers all and grants credit.
  const auto linked = [](bool client_sends) {
    commands_script s;
    s.pump().open_answer().pump();
    s.begin(true).pump().begin_answer().pump();
    s.attach(true, client_sends).pump().attach_answer().pump();
    return s;
  };
  {
    commands_script s = linked(true);
    s.send(true, 200).pump().pump().send(true, 100, true).pump().pump();
    s.send_frames(true, 1, 80, 80).pump().pump().send_frames(true, 2, 1600, 1636).pump().pump();
    s.close(true).pump().pump();
    put(t, "client-sends-four-messages-then-closes", s.done());
  }
  {
    // The client receives: its credit reaches the server's sender, which sends.
    commands_script s = linked(false);
    s.pump().send(false, 300).pump().pump().send_frames(false, 2, 1200, 1636).pump().pump();
    put(t, "server-sends-to-a-client-receiver", s.done());
  }
  {
    // The client declares a transaction on a coordinator link, sends a message inside it and
    // commits; the server answers as the coordinator and accepts inside the transaction.
    commands_script s = linked(true);
    s.attach_coordinator(true).pump().attach_answer().pump();
    s.request(true, true, 1, 2).pump().pump();
    s.send_in_txn(true, 200, 0, 2).pump().pump();
    s.request(true, false, 1, 2).pump().pump();
    s.close(true).pump().pump();
    put(t, "client-declares-sends-in-a-transaction-and-commits", s.done());
  }
  {
    // The client receives inside a transaction: its credit names it (link-state properties),
    // then the server sends.
    commands_script s = linked(false);
    s.attach_coordinator(true).pump().attach_answer().pump();
    s.request(true, true, 1, 2).pump().pump();
    s.grant_in_txn(true, 0, 2).pump().pump();
    s.send(false, 300, false, 0, 2).pump().pump();
    s.request(true, false, 1, 2).pump().pump();
    put(t, "client-acquires-inside-a-transaction", s.done());
  }
}

}  // namespace

void choice_seeds() {
  pair_seeds();
  commands_seeds();
}

}  // namespace seeds
