// Writing frames: golden bytes, size back-patching, rollback at the size limit.
#include <gtest/gtest.h>

#include "frame_streams.hpp"

namespace amqp {
namespace {

using test::hex;
using test::to_hex;

TEST(frame_writer, open_frame_golden_bytes) {
  writer w;
  auto ec = write_frame(w, frame_type::amqp, 0,
                        spec::open{.container_id = "c1",
                                   .hostname = "localhost",
                                   .max_frame_size = 512,
                                   .channel_max = 255,
                                   .idle_time_out = 30000});
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(to_hex(w.view()),
            "00 00 00 2a 02 00 00 00 "           // size 42, doff 2, AMQP, channel 0
            "00 53 10 c0 1d 05 "                 // open: list8 of 29 bytes, 5 fields
            "a1 02 63 31 "                       // container-id "c1"
            "a1 09 6c 6f 63 61 6c 68 6f 73 74 "  // hostname "localhost"
            "70 00 00 02 00 "                    // max-frame-size uint 512
            "60 00 ff "                          // channel-max 255
            "70 00 00 75 30");                   // idle-time-out 30000
}

TEST(frame_writer, transfer_frame_golden_bytes_and_read_back) {
  const std::uint8_t tag[] = {0x01};
  writer w;
  auto payload = hex("00 53 75 a0 03 01 02 03");  // a data section of three bytes
  auto ec = write_frame(w, frame_type::amqp, 1,
                        spec::transfer{.handle = 0,
                                       .delivery_id = 1,
                                       .delivery_tag = bytes_view(tag),
                                       .message_format = 0,
                                       .settled = false},
                        payload);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(to_hex(w.view()),
            "00 00 00 1e 02 00 00 01 "   // size 30, doff 2, AMQP, channel 1
            "00 53 14 c0 09 05 "         // transfer: list8 of 9 bytes, 5 fields
            "43 52 01 a0 01 01 43 42 "   // handle 0, delivery-id 1, tag 01, format 0, unsettled
            "00 53 75 a0 03 01 02 03");  // the payload

  auto stream = test::cat(
      {test::header_bytes(protocol_id::amqp), test::bytes(w.data(), w.data() + w.size())});
  frame_reader r;
  auto first = r.read(stream);
  ASSERT_TRUE(first.item && std::holds_alternative<protocol_header>(*first.item));
  auto second = r.read(bytes_view(stream).subspan(first.consumed));
  ASSERT_TRUE(second.item);
  const auto& f = std::get<frame_view>(*second.item);
  EXPECT_EQ(f.offset, 8u);
  EXPECT_EQ(f.channel, 1);
  EXPECT_EQ(to_hex(f.payload), "00 53 75 a0 03 01 02 03");
  auto t = spec::decode<spec::transfer>(f.performative);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->handle, 0u);
  EXPECT_EQ(t->delivery_id, 1u);
  ASSERT_TRUE(t->delivery_tag);
  EXPECT_EQ(to_hex(*t->delivery_tag), "01");
  EXPECT_EQ(t->message_format, 0u);
  EXPECT_EQ(t->settled, false);
  EXPECT_FALSE(t->more);
}

TEST(frame_writer, sasl_frame_channel_is_zero) {
  writer w;
  auto ec = write_frame(w, frame_type::sasl, 7, spec::sasl_outcome{.code = spec::sasl_code::auth});
  ASSERT_FALSE(ec);
  EXPECT_EQ(to_hex(w.view()), "00 00 00 10 02 01 00 00 00 53 44 c0 03 01 50 01");
}

TEST(frame_writer, empty_frame) {
  writer w;
  write_empty_frame(w);
  write_empty_frame(w, 0x0107);
  EXPECT_EQ(to_hex(w.view()), "00 00 00 08 02 00 00 00 00 00 00 08 02 00 01 07");
}

TEST(frame_writer, appends_after_existing_bytes) {
  writer w;
  write_protocol_header(w, protocol_id::amqp);
  auto ec = write_frame(w, frame_type::amqp, 2, spec::close{});
  ASSERT_FALSE(ec);
  EXPECT_EQ(to_hex(w.view()), "41 4d 51 50 00 01 00 00 00 00 00 0c 02 00 00 02 00 53 18 45");
}

TEST(frame_writer, frame_of_exactly_the_maximum_size_is_written) {
  writer w;
  auto payload = test::bytes(500, 0xab);
  // 8 header + 4 performative (close as list0) + 500 payload = 512.
  auto ec = write_frame(w, frame_type::amqp, 0, spec::close{}, payload, 512);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(w.size(), 512u);
  EXPECT_EQ(to_hex(w.view().first(12)), "00 00 02 00 02 00 00 00 00 53 18 45");
}

TEST(frame_writer, too_large_frame_rolls_back) {
  writer w;
  write_protocol_header(w, protocol_id::amqp);
  const std::string before = to_hex(w.view());
  auto payload = test::bytes(501, 0xab);
  auto ec = write_frame(w, frame_type::amqp, 0, spec::close{}, payload, 512);
  EXPECT_EQ(ec, make_error_code(errc::frame_size_too_large));
  EXPECT_EQ(to_hex(w.view()), before);
  // The writer is usable afterwards.
  ASSERT_FALSE(write_frame(w, frame_type::amqp, 0, spec::close{}, {}, 512));
  EXPECT_EQ(to_hex(w.view()), before + " 00 00 00 0c 02 00 00 00 00 53 18 45");
}

TEST(frame_writer, begin_and_end_frame) {
  writer w;
  w.push_back(0x99);
  const std::size_t start = detail::begin_frame(w, frame_type::amqp, 0x0a0b);
  EXPECT_EQ(start, 1u);
  w.append(hex("00 53 17 45"));  // end
  ASSERT_FALSE(detail::end_frame(w, start, 12));
  EXPECT_EQ(to_hex(w.view()), "99 00 00 00 0c 02 00 0a 0b 00 53 17 45");

  const std::size_t again = detail::begin_frame(w, frame_type::sasl, 0x0a0b);
  w.append(hex("00 53 17 45"));
  EXPECT_EQ(detail::end_frame(w, again, 11), make_error_code(errc::frame_size_too_large));
  EXPECT_EQ(to_hex(w.view()), "99 00 00 00 0c 02 00 0a 0b 00 53 17 45");
}

}  // namespace
}  // namespace amqp
