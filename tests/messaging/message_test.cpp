// Messages through the messaging layer: every section and property crosses unchanged, the
// views on_message offers, pre-encoded sends, and what send() refuses.
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace amqp::test {
namespace {

message everything() {
  message m;
  m.header = spec::header{
      .durable = true, .priority = 7, .ttl = 60'000, .first_acquirer = true, .delivery_count = 2};
  m.delivery_annotations.emplace_back(value::sym("x-opt-trace"), value("hop-1"));
  m.message_annotations.emplace_back(value::sym("x-opt-partition"), value(std::int32_t{3}));
  m.message_annotations.emplace_back(value::sym("x-opt-when"), value(timestamp{1'700'000'000'000}));
  auto& p = m.properties;
  p.message_id = value(uuid{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}});
  p.user_id = "alice";
  p.to = value("orders");
  p.subject = "new order";
  p.reply_to = value("replies");
  p.correlation_id = value(std::uint64_t{42});
  p.content_type = "application/json";
  p.content_encoding = "utf-8";
  p.absolute_expiry_time = timestamp{1'700'000'060'000};
  p.creation_time = timestamp{1'700'000'000'000};
  p.group_id = "group-a";
  p.group_sequence = 9;
  p.reply_to_group_id = "group-r";
  m.application_properties.emplace_back(value("colour"), value("green"));
  m.application_properties.emplace_back(value("weight"), value(2.5));
  m.application_properties.emplace_back(value("count"), value(std::int64_t{-7}));
  m.application_properties.emplace_back(value("urgent"), value(true));
  m.set_value(value::map_of({{value("items"), value::list_of({value("a"), value(std::int32_t{1})})},
                             {value("total"), value(std::uint32_t{12})}}));
  m.footer.emplace_back(value::sym("x-checksum"), value(std::uint32_t{0xdeadbeef}));
  return m;
}

struct message_pair : messaging_pair {
  connection conn;
  sender snd;
  message_pair() {
    listen();
    conn = connect();
    snd = conn.open_sender("orders");
    net.run();
  }
};

TEST(message, every_section_and_property_arrives_equal) {
  message_pair p;
  const message m = everything();
  ASSERT_TRUE(p.snd.send(m));
  p.net.pump();
  const auto got = p.server_h.messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], m);
  EXPECT_EQ(got[0].properties.user_id, "alice");
  EXPECT_EQ(got[0].footer, m.footer);
}

TEST(message, data_and_sequence_bodies_arrive_equal) {
  message_pair p;
  message data;
  const std::uint8_t bytes[] = {0, 1, 2, 0xff};
  data.set_data(bytes);
  data.body.push_back(value::bin(bytes));  // a second data section
  message sequence;
  sequence.body_type = body_kind::amqp_sequence;
  sequence.body = {value::list_of({value("x"), value(std::int32_t{1})}), value::list_of({})};
  message empty;
  for (const message* m : {&data, &sequence, &empty}) ASSERT_TRUE(p.snd.send(*m));
  p.net.pump();
  const auto got = p.server_h.messages();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], data);
  EXPECT_EQ(got[1], sequence);
  EXPECT_EQ(got[2], empty);
}

TEST(message, on_message_offers_views_of_the_payload) {
  message_pair p;
  std::string subject;
  std::size_t payload_size = 0;
  p.server_h.on("on_message", [&](messaging_event& e) {
    ASSERT_TRUE(e.view());
    ASSERT_TRUE(e.view()->properties);
    ASSERT_TRUE(e.view()->properties->subject);
    subject = std::string(*e.view()->properties->subject);
    payload_size = e.delivery().payload().size();
  });
  ASSERT_TRUE(p.snd.send(everything()));
  p.net.pump();
  EXPECT_EQ(subject, "new order");
  writer w;
  ASSERT_FALSE(encode_message(w, everything()));
  EXPECT_EQ(payload_size, w.size());
}

TEST(message, a_message_encoded_beforehand_is_sent_as_it_is) {
  message_pair p;
  writer w;
  ASSERT_FALSE(encode_message(w, everything()));
  ASSERT_TRUE(p.snd.send_encoded(w.view()));
  p.net.pump();
  const auto got = p.server_h.messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], everything());
}

TEST(message, a_message_that_does_not_encode_is_refused_and_nothing_is_sent) {
  message_pair p;
  message bad;
  bad.body_type = body_kind::data;
  bad.body = {value("not binary")};
  EXPECT_EQ(p.snd.send(bad).error(), make_error_code(errc::invalid_argument));
  p.net.pump();
  EXPECT_TRUE(sent_with(p.client_trace, "@transfer").empty());
  // The link goes on.
  EXPECT_TRUE(p.snd.send(text_message("fine")));
}

TEST(message, a_message_over_the_peers_max_message_size_is_refused) {
  messaging_pair p;
  p.listen();
  p.server_h.on("on_link_opened", [](messaging_event& e) {
    if (e.receiver().is_set()) e.receiver().open({.max_message_size = 64});
  });
  auto c = p.connect();
  auto s = c.open_sender("small");
  p.net.run();
  ASSERT_EQ(s.status()->remote_max_message_size, 64u);
  message big = text_message(std::string(100, 'x'));
  EXPECT_EQ(s.send(big).error(), make_error_code(errc::invalid_argument));
  EXPECT_TRUE(s.send(text_message("small")));
}

TEST(message, large_messages_cross_in_many_frames) {
  messaging_pair p;
  p.listen({.limits = {.max_frame_size = 512}});
  auto c = p.connect({.limits = {.max_frame_size = 512}});
  auto s = c.open_sender("big");
  p.net.run();
  message m;
  std::vector<std::uint8_t> bytes(100'000);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7);
  m.set_data(bytes);
  ASSERT_TRUE(s.send(m));
  p.net.pump();
  const auto got = p.server_h.messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], m);
  EXPECT_GT(sent_with(p.client_trace, "@transfer").size(), 100u);
}

}  // namespace
}  // namespace amqp::test
