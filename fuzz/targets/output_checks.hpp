// The engine's output read as its peer reads it, for the raw-bytes engine targets: every
// session frame goes on a channel this side began (begin written, end not yet), every link
// frame (flow with a handle, transfer, disposition aside, detach) on a handle this side
// attached and has not detached, and no attach reuses a handle still attached (spec Part 2,
// 2.5.1 and 2.6.2; the peer would end the session with unattached-handle or handle-in-use).
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "amqp/frame.hpp"
#include "amqp/spec.hpp"
#include "event_checks.hpp"

namespace engine_harness {

template <class T>
inline constexpr std::uint64_t code_of = amqp::spec::traits<T>::info.code;

class output_links {
 public:
  // `f` is an AMQP frame the engine wrote, holding the performative with descriptor `code`.
  void on_frame(const amqp::frame_view& f, std::uint64_t code) {
    namespace spec = amqp::spec;
    switch (code) {
      case code_of<spec::begin>:
        expect(channels_.emplace(f.channel, std::set<std::uint32_t>{}).second,
               "a begin on a channel this side already uses");
        return;
      case code_of<spec::end>:
        expect(channels_.erase(f.channel) == 1, "an end on a channel this side did not begin");
        return;
      case code_of<spec::attach>:
        expect(handles(f).insert(spec::decode<spec::attach>(f.performative)->handle).second,
               "an attach on a handle this side already uses");
        return;
      case code_of<spec::flow>:
        if (const auto h = spec::decode<spec::flow>(f.performative)->handle)
          expect(handles(f).count(*h) == 1, "a flow on a handle this side did not attach");
        else
          (void)handles(f);
        return;
      case code_of<spec::transfer>:
        expect(handles(f).count(spec::decode<spec::transfer>(f.performative)->handle) == 1,
               "a transfer on a handle this side did not attach");
        return;
      case code_of<spec::detach>:
        expect(handles(f).erase(spec::decode<spec::detach>(f.performative)->handle) == 1,
               "a detach on a handle this side did not attach");
        return;
      case code_of<spec::disposition>:
        (void)handles(f);
        return;
      default:
        return;
    }
  }

 private:
  static void expect(bool ok, std::string_view what) {
    if (!ok) event_checks::broken("output", what);
  }

  // The handles attached on the frame's channel, which this side must have begun.
  std::set<std::uint32_t>& handles(const amqp::frame_view& f) {
    const auto ch = channels_.find(f.channel);
    expect(ch != channels_.end(), "a session frame on a channel this side did not begin");
    return ch->second;
  }

  std::map<std::uint16_t, std::set<std::uint32_t>> channels_;  // began -> attached handles
};

}  // namespace engine_harness
