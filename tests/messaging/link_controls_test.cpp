// The finer link controls: a message sent in parts and one given up halfway
// (sender::send_partial, tracker::send_more, tracker::abort), a flow asking for the peer's
// (link::request_flow), and a receiver settling second (receiver_options::rcv_settle_mode).
#include <gtest/gtest.h>

#include "amqp/codec/writer.hpp"
#include "fixture.hpp"

namespace amqp::test {
namespace {

// The encoding of a message whose body is `text`.
std::vector<std::uint8_t> encoded(std::string_view text) {
  writer w;
  EXPECT_FALSE(encode_message(w, text_message(text)));
  return {w.view().begin(), w.view().end()};
}

// A client sender to "queue" whose server keeps the text of every message it gets; frames of
// at most 512 bytes, so that a few kilobytes take several transfers.
struct parts_pair : messaging_pair {
  connection conn;
  sender snd;
  std::vector<std::string> received;

  parts_pair() {
    connection_options small;
    small.limits.max_frame_size = 512;
    listen(small);
    server_h.on("on_message", [this](messaging_event& e) {
      received.push_back(body_text(e.message()));
    });
    conn = connect(small);
    snd = conn.open_sender("queue");
    net.run();
  }
};

TEST(link_controls, a_message_sent_in_parts_arrives_as_one) {
  parts_pair p;
  const std::string text(3000, 'x');
  const std::vector<std::uint8_t> bytes = encoded(text);
  const bytes_view all(bytes.data(), bytes.size());
  auto t = p.snd.send_partial(all.first(1000));
  ASSERT_TRUE(t) << t.error().message();
  p.net.pump();
  EXPECT_TRUE(p.received.empty());
  // The link carries nothing else until it is complete.
  EXPECT_EQ(p.snd.send(text_message("other")).error(), make_error_code(errc::wrong_state));
  ASSERT_FALSE(t->send_more(all.subspan(1000), false));
  EXPECT_EQ(t->send_more(all.first(1), false), make_error_code(errc::wrong_state));  // complete
  p.net.pump();
  EXPECT_EQ(p.received, std::vector<std::string>{text});
  EXPECT_EQ(t->send_more(all.first(1), false), make_error_code(errc::invalid_handle));  // settled
  EXPECT_GE(sent_with(p.client_trace, "more: true").size(), 2u);
  EXPECT_EQ(p.client_h.count("on_accepted"), 1u);
}

TEST(link_controls, an_aborted_message_is_dropped_and_the_link_goes_on) {
  parts_pair p;
  const std::vector<std::uint8_t> big = encoded(std::string(20000, 'y'));
  auto t = p.snd.send_partial(bytes_view(big.data(), 4000));
  ASSERT_TRUE(t) << t.error().message();
  p.net.pump();
  const std::size_t frames = sent_with(p.client_trace, "more: true").size();
  EXPECT_GE(frames, 3u);
  ASSERT_FALSE(t->abort());
  EXPECT_TRUE(t->settled());
  EXPECT_EQ(t->abort(), make_error_code(errc::invalid_handle));
  ASSERT_TRUE(p.snd.send(text_message("after abort")));
  p.net.pump();
  EXPECT_EQ(sent_with(p.client_trace, "aborted: true").size(), 1u);
  EXPECT_EQ(p.received, std::vector<std::string>{"after abort"});
  // No outcome for the aborted one, nor anything in doubt.
  EXPECT_EQ(p.client_h.count("on_accepted"), 1u);
  EXPECT_EQ(p.client_h.count("on_in_doubt"), 0u);
}

TEST(link_controls, request_flow_sends_echo_and_the_peer_answers_for_the_link) {
  messaging_pair p;
  p.listen();
  auto c = p.connect();
  auto r = c.open_receiver("queue", {.credit_window = 5});
  EXPECT_EQ(r.request_flow(), make_error_code(errc::wrong_state));  // not attached yet
  p.net.run();
  const std::size_t answers = sent_with(p.server_trace, "@flow").size();
  ASSERT_FALSE(r.request_flow());
  p.net.pump();
  const auto asked = sent_with(p.client_trace, "echo: true");
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_NE(asked[0].find("link-credit: uint 5"), std::string::npos) << asked[0];
  const auto flows = sent_with(p.server_trace, "@flow");
  ASSERT_EQ(flows.size(), answers + 1);
  EXPECT_NE(flows.back().find("handle: "), std::string::npos) << flows.back();
  EXPECT_EQ(flows.back().find("echo: true"), std::string::npos) << flows.back();
}

TEST(link_controls, a_receiver_settling_second_states_its_outcome_and_settles_after_the_sender) {
  messaging_pair p;
  p.listen();
  p.server_h.on("on_sendable", [](messaging_event& e) {
    if (e.sender().status()->delivery_count == 0) {
      ASSERT_TRUE(e.sender().send(text_message("m")));
    }
  });
  auto c = p.connect();
  delivery got;
  p.client_h.on("on_message", [&](messaging_event& e) { got = e.delivery(); });
  auto r = c.open_receiver("queue", {.rcv_settle_mode = receiver_settle_mode::second});
  p.net.run();
  const auto attach = sent_with(p.client_trace, "@attach");
  ASSERT_EQ(attach.size(), 1u);
  EXPECT_NE(attach[0].find("rcv-settle-mode: second"), std::string::npos) << attach[0];
  ASSERT_TRUE(r.status());
  EXPECT_EQ(r.status()->rcv_settle_mode, receiver_settle_mode::second);
  // The outcome went out unsettled; the sender settled on it, and then this side did.
  const auto dispositions = sent_with(p.client_trace, "@disposition");
  ASSERT_EQ(dispositions.size(), 1u);
  EXPECT_NE(dispositions[0].find("@accepted"), std::string::npos) << dispositions[0];
  EXPECT_EQ(dispositions[0].find("settled: true"), std::string::npos) << dispositions[0];
  EXPECT_EQ(p.server_h.count("on_accepted"), 1u);
  EXPECT_EQ(p.client_h.only({"on_message", "on_settled"}),
            (std::vector<std::string>{"on_message", "on_settled"}));
  EXPECT_TRUE(got.settled());
}

}  // namespace
}  // namespace amqp::test
