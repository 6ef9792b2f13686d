// What the other side sends, cut into items by the engine's incremental frame reader: protocol
// headers, frames, the end of the stream, or bytes that cannot be read as AMQP. Items are
// owned copies, so they outlive the reads they came in.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/frame.hpp"
#include "peer/connection.hpp"

namespace amqp::peer {

struct received {
  enum class what : std::uint8_t {
    header,
    frame,
    end,         // the stream ended (FIN, RST, or the script closed the socket)
    unreadable,  // bytes that are not AMQP: the reader's error, nothing read after it
    nothing,     // the deadline passed first
  };
  what kind = what::nothing;
  protocol_header header;
  frame_type type = frame_type::amqp;
  std::uint16_t channel = 0;
  bool empty_frame = false;
  std::vector<std::uint8_t> performative;  // its canonical encoding (empty for an empty frame)
  std::vector<std::uint8_t> payload;
  std::string text;  // as amqp-inspect prints it on one line: "[8] ch 0 @open(0x10) {...}"
};

class incoming {
 public:
  // `trace` receives a line per item as it arrives ("<- [8] ch 0 @open(0x10) {...}"), when set.
  incoming(connection& c, std::function<void(std::string_view)> trace);

  // The next item, waiting until `deadline` at most. Once the stream has ended, every call
  // returns the same end (or unreadable) item.
  received next(clock::time_point deadline);

  // Frames whose header has not arrived yet may be at most `n` bytes (capped at 64 MiB, so a
  // peer cannot make this process reserve more).
  void set_max_frame_size(std::uint32_t n) noexcept;

  // The text of the last items received, oldest first, each prefixed "<- ".
  const std::deque<std::string>& history() const noexcept { return history_; }

 private:
  void feed(bytes_view bytes);
  void push(received r);

  connection& conn_;
  std::function<void(std::string_view)> trace_;
  frame_reader reader_;
  std::deque<received> ready_;
  std::deque<std::string> history_;
  bool failed_ = false;  // the reader refused the stream: later bytes are dropped
  bool ended_ = false;   // the last ready item is final
};

}  // namespace amqp::peer
