// The serializer and compression registries: every built-in round trip, the failures each
// names, registration of one's own, and decompression bounded against hostile bodies.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp/client/compression.hpp"
#include "amqp/client/serialization.hpp"

namespace amqp::client {
namespace {

bytes to_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

TEST(serializers, json_round_trips_with_its_content_type) {
  serializer_registry reg;
  const nlohmann::json order{{"id", 17}, {"items", {"tea", "milk"}}, {"price", 2.5}};
  auto d = reg.dumps(order, "json");
  ASSERT_TRUE(d) << d.error().what;
  EXPECT_EQ(d->content_type, "application/json");
  EXPECT_EQ(std::get<bytes>(d->body), to_bytes(R"({"id":17,"items":["tea","milk"],"price":2.5})"));
  auto back = reg.loads(d->body, "application/json; charset=utf-8");
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(std::get<nlohmann::json>(*back), order);
}

TEST(serializers, json_takes_text_as_a_json_string) {
  serializer_registry reg;
  auto d = reg.dumps(std::string("caf\xc3\xa9"), "json");
  ASSERT_TRUE(d);
  EXPECT_EQ(std::get<bytes>(d->body), to_bytes("\"caf\xc3\xa9\""));
}

TEST(serializers, text_raw_and_amqp_round_trip) {
  serializer_registry reg;
  auto t = reg.dumps(std::string("hello"), "text");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->content_type, "text/plain");
  EXPECT_EQ(std::get<std::string>(*reg.loads(t->body, t->content_type)), "hello");

  const bytes blob{0, 1, 2, 0xff};
  auto r = reg.dumps(blob, "raw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->content_type, "application/data");
  EXPECT_EQ(std::get<bytes>(*reg.loads(r->body, r->content_type)), blob);

  const amqp::value v = amqp::value::map_of({{"n", std::int32_t{7}}, {"ok", true}});
  auto a = reg.dumps(v, "amqp");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->content_type, "");
  EXPECT_EQ(std::get<amqp::value>(a->body), v);
  EXPECT_EQ(std::get<amqp::value>(*reg.loads(a->body, "")), v);
}

TEST(serializers, failures_name_the_serializer_and_why) {
  serializer_registry reg;
  auto no_json = reg.dumps(bytes{1, 2}, "json");
  ASSERT_FALSE(no_json);
  EXPECT_EQ(no_json.error().what,
            "json: a bytes payload cannot be written as JSON (give nlohmann::json or text)");
  auto bad_text = reg.dumps(std::string("\xff"), "text");
  ASSERT_FALSE(bad_text);
  EXPECT_EQ(bad_text.error().what, "text: the text is not UTF-8 (byte 0)");
  auto unknown = reg.dumps(std::string("x"), "pickle");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().what, "no serializer named 'pickle'");

  auto not_json = reg.loads(to_bytes("{\"id\": "), "application/json");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().what, "json: the body is not valid JSON");
  auto not_utf8 = reg.loads(bytes{'"', 0xc3, '"'}, "application/json");
  ASSERT_FALSE(not_utf8);
  EXPECT_EQ(not_utf8.error().what, "json: the body is not UTF-8 (byte 1)");
  auto value_as_text = reg.loads(amqp::value("x"), "text/plain");
  ASSERT_FALSE(value_as_text);
  EXPECT_EQ(value_as_text.error().what, "text: the body is an amqp-value, not data");
  auto unknown_type = reg.loads(to_bytes("x"), "application/x-yaml");
  ASSERT_FALSE(unknown_type);
  EXPECT_EQ(unknown_type.error().what, "no serializer reads content-type 'application/x-yaml'");
}

TEST(serializers, a_registered_serializer_replaces_by_name_and_reads_its_content_type) {
  serializer_registry reg;
  reg.add({.name = "upper",
           .content_type = "application/x-upper",
           .content_encoding = "utf-8",
           .dumps = [](const payload& p) -> result<serialized, codec_failure> {
             std::string s = std::get<std::string>(p);
             for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
             return serialized(bytes(s.begin(), s.end()));
           },
           .loads = [](const serialized& s) -> result<payload, codec_failure> {
             const bytes& b = std::get<bytes>(s);
             return payload(std::string(b.begin(), b.end()));
           }});
  auto d = reg.dumps(std::string("shout"), "upper");
  ASSERT_TRUE(d);
  EXPECT_EQ(std::get<std::string>(*reg.loads(d->body, "Application/X-Upper")), "SHOUT");
  EXPECT_EQ(reg.names(), (std::vector<std::string>{"json", "text", "raw", "amqp", "upper"}));
  // The same name again replaces it.
  reg.add({.name = "upper", .content_type = "application/x-upper2", .dumps = {}, .loads = {}});
  EXPECT_EQ(reg.find("upper")->content_type, "application/x-upper2");
  EXPECT_FALSE(reg.for_content_type("application/x-upper"));
}

class compressions_each : public testing::TestWithParam<const char*> {};

TEST_P(compressions_each, round_trips_and_names_its_content_encoding) {
  compression_registry reg;
  bytes body;
  for (int i = 0; i < 200000; ++i) body.push_back(static_cast<std::uint8_t>("order-17 "[i % 9]));
  auto c = reg.compress(body, GetParam());
  ASSERT_TRUE(c) << c.error().what;
  EXPECT_LT(c->body.size(), body.size() / 10);
  EXPECT_EQ(reg.find(c->content_encoding)->name, reg.find(GetParam())->name);
  auto back = reg.decompress(c->body, c->content_encoding, body.size());
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(*back, body);
  // Empty bodies too.
  auto empty = reg.compress({}, GetParam());
  ASSERT_TRUE(empty);
  auto empty_back = reg.decompress(empty->body, empty->content_encoding, 0);
  ASSERT_TRUE(empty_back) << empty_back.error().what;
  EXPECT_TRUE(empty_back->empty());
}

TEST_P(compressions_each, a_body_that_expands_past_the_limit_is_refused_without_expanding_it) {
  compression_registry reg;
  const bytes zeros(8 << 20, 0);  // compresses to a few KiB
  auto c = reg.compress(zeros, GetParam());
  ASSERT_TRUE(c);
  ASSERT_LT(c->body.size(), 64u * 1024);
  auto back = reg.decompress(c->body, c->content_encoding, 1 << 20);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().what, reg.find(GetParam())->name +
                                   ": the body decompresses to more than 1048576 bytes, the limit");
  EXPECT_TRUE(reg.decompress(c->body, c->content_encoding, 8 << 20));
}

TEST_P(compressions_each, a_truncated_or_corrupt_body_is_a_named_failure_at_every_cut) {
  compression_registry reg;
  const bytes body = bytes(5000, 'x');
  auto c = reg.compress(body, GetParam());
  ASSERT_TRUE(c);
  const std::string name = reg.find(GetParam())->name;
  for (std::size_t cut = 0; cut < c->body.size(); ++cut) {
    auto r = reg.decompress(bytes_view(c->body).first(cut), c->content_encoding, 1 << 20);
    ASSERT_FALSE(r) << "cut at " << cut;
    EXPECT_TRUE(r.error().what.starts_with(name + ": ")) << r.error().what;
  }
  bytes trailing = c->body;
  trailing.push_back(0x42);
  EXPECT_FALSE(reg.decompress(trailing, c->content_encoding, 1 << 20));
}

INSTANTIATE_TEST_SUITE_P(builtin, compressions_each, testing::Values("zlib", "gzip", "zstd"));

TEST(compressions, names_aliases_and_encodings_find_the_same_codec) {
  compression_registry reg;
  EXPECT_EQ(reg.find("deflate")->name, "zlib");
  EXPECT_EQ(reg.find("X-GZIP")->name, "gzip");
  EXPECT_EQ(reg.find("zstd")->content_encoding, "zstd");
  EXPECT_FALSE(reg.find("bzip2"));
  auto r = reg.decompress(bytes{1}, "br", 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, "no compression reads content-encoding 'br'");
}

TEST(compressions, a_registered_codec_is_found_by_its_names) {
  compression_registry reg;
  reg.add({.name = "reverse",
           .content_encoding = "x-reverse",
           .aliases = {"rev"},
           .compress = [](bytes_view in) -> result<bytes, codec_failure> {
             return bytes(in.rbegin(), in.rend());
           },
           .decompress = [](bytes_view in, std::size_t) -> result<bytes, codec_failure> {
             return bytes(in.rbegin(), in.rend());
           }});
  auto c = reg.compress(bytes{1, 2, 3}, "rev");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->content_encoding, "x-reverse");
  EXPECT_EQ(*reg.decompress(c->body, "x-reverse", 3), (bytes{1, 2, 3}));
}

}  // namespace
}  // namespace amqp::client
