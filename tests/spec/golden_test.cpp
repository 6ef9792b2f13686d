// Exact bytes of encoded composites (spec Part 1, 1.6 encodings; Part 2, 2.7 performatives),
// worked out by hand from the spec, and their decoding.
#include <gtest/gtest.h>

#include <string>

#include "spec/samples.hpp"

namespace amqp::test {
namespace {

template <s::composite T>
std::string hex_of(const T& v) {
  return to_hex(encode_one(v).view());
}

// Decodes `bytes` as T, checks that it re-encodes to the same bytes, and returns it.
template <s::composite T>
T decoded(const std::vector<std::uint8_t>&& bytes) = delete;  // the result would dangle
template <s::composite T>
T decoded(const std::vector<std::uint8_t>& bytes) {
  auto r = s::decode<T>(bytes_view(bytes));
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  if (!r) return T{};
  EXPECT_EQ(hex_of(*r), to_hex(bytes));
  return *r;
}

TEST(composite_golden, open) {
  const s::open o{.container_id = "c1",
                  .hostname = "h",
                  .max_frame_size = 512,
                  .channel_max = 7,
                  .idle_time_out = 30000};
  // 00 53 10: descriptor 0x10; c0 15 05: list8, 21 bytes, 5 fields.
  const std::string golden =
      "00 53 10 c0 15 05 a1 02 63 31 a1 01 68 70 00 00 02 00 60 00 07 70 00 00 75 30";
  EXPECT_EQ(hex_of(o), golden);
  const auto bytes = hex(golden);
  const s::open back = decoded<s::open>(bytes);
  EXPECT_EQ(diff(o, back), "");
  EXPECT_EQ(back.container_id, "c1");
  EXPECT_EQ(back.idle_time_out, 30000u);
  EXPECT_TRUE(back.offered_capabilities.empty());
  EXPECT_TRUE(back.properties.is_null());
}

TEST(composite_golden, open_with_only_the_container_id) {
  EXPECT_EQ(hex_of(s::open{.container_id = "c1"}), "00 53 10 c0 05 01 a1 02 63 31");
  const auto bytes = hex("00 53 10 c0 05 01 a1 02 63 31");
  const s::open back = decoded<s::open>(bytes);
  EXPECT_EQ(back.max_frame_size, 4294967295u) << "absent fields take the spec default";
  EXPECT_EQ(back.channel_max, 65535u);
  EXPECT_FALSE(back.hostname);
}

TEST(composite_golden, default_valued_field_is_null_when_a_later_field_is_set) {
  // max-frame-size equal to its default is sent as null, hostname (absent) as null.
  EXPECT_EQ(hex_of(s::open{.container_id = "c1", .max_frame_size = 4294967295u, .channel_max = 7}),
            "00 53 10 c0 0a 04 a1 02 63 31 40 40 60 00 07");
  // header: durable false and priority 4 are the defaults, ttl follows.
  EXPECT_EQ(hex_of(s::header{.durable = false, .priority = 4, .ttl = 1000}),
            "00 53 70 c0 08 03 40 40 70 00 00 03 e8");
  // source: durable none, expiry-policy session-end, timeout 0 are defaults; dynamic is set.
  EXPECT_EQ(hex_of(s::source{.expiry_policy = s::expiry_policy::session_end, .dynamic = true}),
            "00 53 28 c0 06 05 40 40 40 40 41");
  EXPECT_EQ(hex_of(s::source{.expiry_policy = s::expiry_policy::never}),
            "00 53 28 c0 0a 03 40 40 a3 05 6e 65 76 65 72");
}

TEST(composite_golden, trailing_defaults_and_nulls_are_omitted) {
  EXPECT_EQ(hex_of(s::header{}), "00 53 70 45");
  EXPECT_EQ(hex_of(s::header{.durable = true, .priority = 4, .first_acquirer = false}),
            "00 53 70 c0 02 01 41");
  EXPECT_EQ(hex_of(s::transfer{}), "00 53 14 c0 02 01 43");
  EXPECT_EQ(hex_of(s::close{}), "00 53 18 45");
  EXPECT_EQ(hex_of(s::accepted{}), "00 53 24 45");
  EXPECT_EQ(hex_of(s::flow{.incoming_window = 1,
                           .next_outgoing_id = 2,
                           .outgoing_window = 3,
                           .drain = false,
                           .echo = false}),
            "00 53 13 c0 08 04 40 52 01 52 02 52 03");
}

TEST(composite_golden, begin) {
  const s::begin b{.next_outgoing_id = 1, .incoming_window = 2048, .outgoing_window = 2048};
  const std::string golden = "00 53 11 c0 0e 04 40 52 01 70 00 00 08 00 70 00 00 08 00";
  EXPECT_EQ(hex_of(b), golden);
  const auto bytes = hex(golden);
  const s::begin back = decoded<s::begin>(bytes);
  EXPECT_FALSE(back.remote_channel);
  EXPECT_EQ(back.incoming_window, 2048u);
  EXPECT_EQ(back.handle_max, 4294967295u);
}

TEST(composite_golden, attach_with_source_and_target) {
  const writer source = encode_one(s::source{.address = "q"});
  const writer target = encode_one(s::target{.address = "q"});
  EXPECT_EQ(to_hex(source.view()), "00 53 28 c0 04 01 a1 01 71");
  EXPECT_EQ(to_hex(target.view()), "00 53 29 c0 04 01 a1 01 71");
  const s::attach a{.name = "l",
                    .handle = 0,
                    .role = s::role::receiver,
                    .source = view_of(source),
                    .target = view_of(target)};
  const std::string golden =
      "00 53 12 c0 1a 07 a1 01 6c 43 41 40 40 00 53 28 c0 04 01 a1 01 71 "
      "00 53 29 c0 04 01 a1 01 71";
  EXPECT_EQ(hex_of(a), golden);
  const auto bytes = hex(golden);
  const s::attach back = decoded<s::attach>(bytes);
  EXPECT_EQ(back.name, "l");
  EXPECT_EQ(back.role, s::role::receiver);
  EXPECT_EQ(back.snd_settle_mode, s::sender_settle_mode::mixed);
  EXPECT_EQ(back.rcv_settle_mode, s::receiver_settle_mode::first);
  // The nested source is a view into the frame, decodable on its own.
  ASSERT_EQ(back.source.type(), kind::described);
  EXPECT_EQ(back.source.view().data(), bytes.data() + 16) << "a view, not a copy";
  const auto src = s::decode<s::source>(back.source.view(), bytes.data());
  ASSERT_TRUE(src);
  ASSERT_NE(src->address.view().data(), nullptr);
  EXPECT_EQ(src->address.view().as_string(), "q");
  EXPECT_EQ(src->expiry_policy, s::expiry_policy::session_end);
  EXPECT_EQ(src->durable, s::terminus_durability::none);
}

TEST(composite_golden, flow) {
  const s::flow f{.next_incoming_id = 1,
                  .incoming_window = 100,
                  .next_outgoing_id = 0,
                  .outgoing_window = 100,
                  .handle = 0,
                  .delivery_count = 0,
                  .link_credit = 10};
  const std::string golden = "00 53 13 c0 0c 07 52 01 52 64 43 52 64 43 43 52 0a";
  EXPECT_EQ(hex_of(f), golden);
  const auto bytes = hex(golden);
  const s::flow back = decoded<s::flow>(bytes);
  EXPECT_EQ(back.handle, 0u) << "a zero handle is set, not absent";
  EXPECT_EQ(back.link_credit, 10u);
  EXPECT_FALSE(back.available);
  EXPECT_FALSE(back.drain);
}

TEST(composite_golden, transfer) {
  const std::uint8_t tag[] = {0x01};
  const s::transfer t{.handle = 0,
                      .delivery_id = 5,
                      .delivery_tag = bytes_view(tag),
                      .message_format = 0,
                      .settled = false};
  const std::string golden = "00 53 14 c0 09 05 43 52 05 a0 01 01 43 42";
  EXPECT_EQ(hex_of(t), golden);
  const auto bytes = hex(golden);
  const s::transfer back = decoded<s::transfer>(bytes);
  ASSERT_TRUE(back.settled);
  EXPECT_FALSE(*back.settled) << "settled has no default: false is sent, not null";
  ASSERT_TRUE(back.delivery_tag);
  EXPECT_EQ(to_hex(*back.delivery_tag), "01");
  EXPECT_FALSE(back.more);
}

TEST(composite_golden, disposition_with_accepted_state) {
  const writer accepted = encode_one(s::accepted{});
  const s::disposition d{
      .role = s::role::receiver, .first = 5, .settled = true, .state = view_of(accepted)};
  const std::string golden = "00 53 15 c0 0a 05 41 52 05 40 41 00 53 24 45";
  EXPECT_EQ(hex_of(d), golden);
  const auto bytes = hex(golden);
  const s::disposition back = decoded<s::disposition>(bytes);
  EXPECT_FALSE(back.last);
  EXPECT_TRUE(back.settled);
  EXPECT_TRUE(s::decode<s::accepted>(back.state.view(), bytes.data()));
  EXPECT_FALSE(s::decode<s::rejected>(back.state.view(), bytes.data()));
}

TEST(composite_golden, detach_with_error) {
  const s::detach d{
      .handle = 1,
      .closed = true,
      .error = s::error{.condition = s::amqp_error::not_found, .description = "gone"}};
  const std::string golden =
      "00 53 16 c0 20 03 52 01 41 00 53 1d c0 17 02 a3 0e 61 6d 71 70 3a 6e 6f 74 2d 66 6f 75 "
      "6e 64 a1 04 67 6f 6e 65";
  EXPECT_EQ(hex_of(d), golden);
  const auto bytes = hex(golden);
  const s::detach back = decoded<s::detach>(bytes);
  ASSERT_TRUE(back.error);
  EXPECT_EQ(back.error->condition, s::amqp_error::not_found);
  EXPECT_EQ(back.error->description, "gone");
  EXPECT_TRUE(back.error->info.is_null());
}

TEST(composite_golden, sasl_init) {
  const std::uint8_t response[] = {0x00, 0x75, 0x00, 0x70};
  const s::sasl_init i{
      .mechanism = symbol_view{"PLAIN"}, .initial_response = bytes_view(response), .hostname = "h"};
  const std::string golden = "00 53 41 c0 11 03 a3 05 50 4c 41 49 4e a0 04 00 75 00 70 a1 01 68";
  EXPECT_EQ(hex_of(i), golden);
  const auto bytes = hex(golden);
  const s::sasl_init back = decoded<s::sasl_init>(bytes);
  EXPECT_EQ(back.mechanism, "PLAIN");
  EXPECT_EQ(back.hostname, "h");
}

TEST(composite_golden, sasl_outcome) {
  EXPECT_EQ(hex_of(s::sasl_outcome{.code = s::sasl_code::auth}), "00 53 44 c0 03 01 50 01");
  // code is mandatory: ok (0) is sent even though it is the member's default.
  EXPECT_EQ(hex_of(s::sasl_outcome{}), "00 53 44 c0 03 01 50 00");
  const std::uint8_t data[] = {0xab};
  EXPECT_EQ(
      hex_of(s::sasl_outcome{.code = s::sasl_code::sys_temp, .additional_data = bytes_view(data)}),
      "00 53 44 c0 06 02 50 04 a0 01 ab");
  const auto auth = hex("00 53 44 c0 03 01 50 01");
  EXPECT_EQ(decoded<s::sasl_outcome>(auth).code, s::sasl_code::auth);
}

TEST(composite_golden, sasl_mechanisms_as_a_symbol_array) {
  const std::string golden =
      "00 53 40 c0 15 01 e0 12 02 a3 05 50 4c 41 49 4e 09 41 4e 4f 4e 59 4d 4f 55 53";
  EXPECT_EQ(hex_of(s::sasl_mechanisms{.sasl_server_mechanisms = mechanisms}), golden);
  const auto bytes = hex(golden);
  const s::sasl_mechanisms back = decoded<s::sasl_mechanisms>(bytes);
  EXPECT_EQ(back.sasl_server_mechanisms.size(), 2u);
  EXPECT_TRUE(back.sasl_server_mechanisms.contains("ANONYMOUS"));
}

TEST(composite_golden, large_composite_uses_list32) {
  const std::string host(300, 'h');
  const s::open o{.container_id = "c1", .hostname = host};
  const writer w = encode_one(o);
  // 00 53 10 d0 <size 4> <count 4> a1 02 63 31 b1 00 00 01 2c hhh...
  ASSERT_EQ(w.size(), 3u + 1 + 4 + 4 + 4 + 5 + 300);
  EXPECT_EQ(to_hex(bytes_view(w.data(), 21)),
            "00 53 10 d0 00 00 01 39 00 00 00 02 a1 02 63 31 b1 00 00 01 2c");
  const auto back = s::decode<s::open>(w.view());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->hostname, host);
  // Trailing nulls are dropped even when the list had to grow to list32.
  const s::open with_null_tail{.container_id = "c1", .hostname = host, .channel_max = 65535};
  EXPECT_EQ(to_hex(encode_one(with_null_tail).view()), to_hex(w.view()));
}

}  // namespace
}  // namespace amqp::test
