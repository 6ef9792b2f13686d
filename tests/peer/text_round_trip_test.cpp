// The text parser against the printer (amqp/text.hpp): parse(print(v)) == v for every type,
// its edge values, every encoding of the spec table's types, and random nested values; in the
// one-line form and the multi-line one. Also the two cases the text cannot tell apart.
#include <gtest/gtest.h>

#include <bit>
#include <limits>
#include <random>

#include "amqp/spec.hpp"
#include "amqp/text.hpp"
#include "amqp/value.hpp"
#include "peer/text_parser.hpp"
#include "support/hex.hpp"

namespace amqp::peer {
namespace {

// The printer's text of `v`, one line or broken at `width`.
std::string print(const value& v, bool multiline, int width = 100) {
  const writer w = encode(v);
  auto view = decode_value(w.view());
  if (!view) {
    ADD_FAILURE() << "does not decode: " << view.error().message();
    return {};
  }
  return to_text(*view, {.multiline = multiline, .width = width});
}

void expect_round_trip(const value& v) {
  for (const bool multiline : {false, true}) {
    const std::string text = print(v, multiline, 24);
    auto parsed = parse_value(text);
    ASSERT_TRUE(parsed) << text << "\n" << parsed.error().to_string();
    EXPECT_TRUE(*parsed == v) << text << "\nreads back as\n" << print(*parsed, false);
  }
}

void expect_hex_round_trip(std::string_view hex) {
  const auto bytes = test::hex(hex);
  auto view = decode_value(bytes);
  ASSERT_TRUE(view) << hex;
  expect_round_trip(value::from_view(*view));
}

template <spec::composite T>
value composite(const T& c) {
  writer w;
  encoder e(w);
  spec::encode(e, c);
  return value::from_view(*decode_value(w.view()));
}

template <class F, class Bits>
F from_bits(Bits b) {
  return std::bit_cast<F>(b);
}

TEST(text_round_trip, scalars_at_their_edges) {
  using lim8 = std::numeric_limits<std::int8_t>;
  using lim16 = std::numeric_limits<std::int16_t>;
  using lim32 = std::numeric_limits<std::int32_t>;
  using lim64 = std::numeric_limits<std::int64_t>;
  const std::vector<value> values = {
      value(),
      true,
      false,
      std::uint8_t{0},
      std::uint8_t{255},
      std::uint16_t{0},
      std::uint16_t{65535},
      std::uint32_t{0},
      std::uint32_t{255},
      std::uint32_t{256},
      std::uint32_t{0xffffffff},
      std::uint64_t{0},
      std::uint64_t{~0ull},
      lim8::min(),
      lim8::max(),
      lim16::min(),
      lim16::max(),
      lim32::min(),
      lim32::max(),
      lim64::min(),
      lim64::max(),
      std::int64_t{0},
      0.0f,
      -0.0f,
      1.5f,
      0.1f,
      std::numeric_limits<float>::max(),
      std::numeric_limits<float>::denorm_min(),
      std::numeric_limits<float>::lowest(),
      std::numeric_limits<float>::infinity(),
      -std::numeric_limits<float>::infinity(),
      from_bits<float>(std::uint32_t{0x7fc00000}),
      from_bits<float>(std::uint32_t{0xffc00000}),
      from_bits<float>(std::uint32_t{0x7f800001}),
      0.0,
      -0.0,
      0.1,
      1e300,
      -3.141592653589793,
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::infinity(),
      from_bits<double>(std::uint64_t{0x7ff8000000000000}),
      from_bits<double>(std::uint64_t{0x7ff0000000000001}),
      decimal32{0},
      decimal32{0x2200000c},
      decimal32{0xffffffff},
      decimal64{0},
      decimal64{0x223800000000000c},
      decimal64{~0ull},
      decimal128{},
      decimal128{{0x22, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c}},
      decimal128{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                  0xff, 0xff, 0xff}},
      char32_t{'a'},
      char32_t{' '},
      char32_t{'\''},
      char32_t{'\\'},
      char32_t{'"'},
      char32_t{'#'},
      char32_t{0},
      char32_t{'\n'},
      char32_t{0xe9},
      char32_t{0x1f600},
      char32_t{0x10ffff},
      char32_t{0xfeff},
      timestamp{0},
      timestamp{-1},
      timestamp{1'795'000'000'123},
      timestamp{lim64::min()},
      timestamp{lim64::max()},
      timestamp{-62'167'219'200'000},
      timestamp{-62'167'219'200'001},
      timestamp{253'402'300'800'000},
      uuid{{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
            0xcd, 0xef}},
      uuid{},
  };
  for (const value& v : values) expect_round_trip(v);
}

TEST(text_round_trip, binaries_strings_and_symbols) {
  std::vector<std::uint8_t> all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  expect_round_trip(value::bin({}));
  expect_round_trip(value::bin(all));
  expect_round_trip(value::bin(test::hex("22 5c 0a 0d 09 7f 80 ff 23 20 23")));
  for (const char* s : {"", "text", "\"\\\n\r\t\x01\x1b\x7f", "caf\xc3\xa9's", "\xf0\x9f\x98\x80",
                        "\xc2\x85", "\xe2\x80\x8f", "\xe2\x80\xae", "\xef\xbb\xbf", "a # b",
                        "${NOT_A_VARIABLE}", "[{(", "x: y"})
    expect_round_trip(value(s));
  for (const char* s : {"name", "amqp:accepted:list", "ANONYMOUS-RELAY", "odd symbol", "a,b",
                        "\"\n", "", "a:", "a::", ":", "#", "a#b", "x]", "-_.:/+*$#%&=?!~^|@"})
    expect_round_trip(value::sym(s));
}

TEST(text_round_trip, compounds) {
  expect_round_trip(value::list_of({}));
  expect_round_trip(value::list_of({true, std::uint32_t{2}, value(), value::list_of({})}));
  expect_round_trip(value::map_of({}));
  // Symbol keys are written ":a: value"; one that ends in ':' reads back whole.
  expect_round_trip(value::map_of({{value::sym("a"), 1},
                                   {value::sym("a:"), 2},
                                   {value::sym("a::"), value::map_of({{value::sym(":"), 3}})},
                                   {"b", value::list_of({value::sym("c:")})}}));
  expect_round_trip(value::map_of({{std::uint32_t{1}, value::map_of({})},
                                   {timestamp{5}, "t"},
                                   {1.5, "d"},
                                   {char32_t{':'}, "c"},
                                   {value(), value()},
                                   {value::list_of({1}), value::bin({})}}));
  // Deep nesting up to the decoder's depth.
  value deep = value::list_of({});
  for (int i = 0; i < 30; ++i) deep = value::list_of({deep});
  expect_round_trip(deep);
}

TEST(text_round_trip, arrays_of_every_element_type) {
  expect_hex_round_trip("e0 04 02 52 01 02");                                      // uint[1, 2]
  expect_hex_round_trip("e0 02 00 70");                                            // uint[]
  expect_hex_round_trip("f0 00 00 00 0d 00 00 00 02 71 ff ff ff ff 00 00 00 05");  // int[-1, 5]
  expect_hex_round_trip("e0 04 02 56 01 00");                       // boolean[true, false]
  expect_hex_round_trip("e0 02 03 40");                             // null[null, null, null]
  expect_hex_round_trip("e0 06 02 a3 01 61 01 62");                 // symbol[:a, :b]
  expect_hex_round_trip("e0 05 02 a1 00 01 78");                    // string["", "x"]
  expect_hex_round_trip("e0 0a 02 73 00 00 00 61 00 01 f6 00");     // char
  expect_hex_round_trip("e0 0a 01 83 00 00 00 00 00 00 00 00");     // timestamp
  expect_hex_round_trip("e0 0a 02 72 3f c0 00 00 7f c0 00 00");     // float[1.5, nan]
  expect_hex_round_trip("e0 08 02 c0 01 00 03 01 52 07");           // list[[], [uint 7]]
  expect_hex_round_trip("e0 0b 02 e0 03 01 52 01 04 01 a3 01 61");  // array of arrays
  amqp::array maps{kind::map, {}, {value::map_of({{"k", 1}}), value::map_of({})}};
  expect_round_trip(value(maps));
  for (kind k : {kind::ubyte, kind::ushort, kind::ulong, kind::byte, kind::short_, kind::long_,
                 kind::double_, kind::decimal32, kind::decimal64, kind::decimal128, kind::uuid,
                 kind::binary})
    expect_round_trip(value(amqp::array{k, {}, {}}));
  expect_round_trip(value(amqp::array{kind::decimal128, {}, {decimal128{}, decimal128{{1}}}}));
  expect_round_trip(value(amqp::array{kind::uuid, {}, {uuid{}, uuid{{9}}}}));
  expect_round_trip(value(amqp::array{kind::binary, {}, {value::bin(test::hex("00 ff"))}}));
  expect_round_trip(value(amqp::array{kind::ulong, {}, {std::uint64_t{0}, std::uint64_t{~0ull}}}));
}

TEST(text_round_trip, the_spec_tables_types) {
  const symbol_view caps[] = {symbol_view{"ANONYMOUS-RELAY"}, symbol_view{"x"}};
  const value props = value::map_of({{value::sym("product"), "p"}, {value::sym("n"), 1}});
  expect_round_trip(composite(spec::open{.container_id = "c1",
                                         .hostname = "h",
                                         .max_frame_size = 512,
                                         .channel_max = 0,
                                         .idle_time_out = 1000,
                                         .outgoing_locales = caps,
                                         .incoming_locales = caps,
                                         .offered_capabilities = caps,
                                         .desired_capabilities = caps,
                                         .properties = props}));
  const value source = composite(spec::source{.address = "q",
                                              .durable = spec::terminus_durability::unsettled_state,
                                              .expiry_policy = symbol_view{"link-detach"},
                                              .timeout = 5,
                                              .dynamic = true,
                                              .distribution_mode = symbol_view{"copy"},
                                              .outcomes = caps});
  const value target = composite(spec::target{.address = "t"});
  expect_round_trip(composite(spec::attach{.name = "l",
                                           .handle = 3,
                                           .role = spec::role::receiver,
                                           .snd_settle_mode = spec::sender_settle_mode::settled,
                                           .rcv_settle_mode = spec::receiver_settle_mode::second,
                                           .source = source,
                                           .target = target,
                                           .initial_delivery_count = 0,
                                           .max_message_size = 0}));
  const std::uint8_t tag[] = {0, 1};
  const value accepted = composite(spec::accepted{});
  expect_round_trip(composite(spec::transfer{.handle = 1,
                                             .delivery_id = 0,
                                             .delivery_tag = tag,
                                             .message_format = 0,
                                             .settled = false,
                                             .more = true,
                                             .state = accepted,
                                             .aborted = true}));
  expect_round_trip(composite(spec::disposition{
      .role = spec::role::receiver, .first = 1, .last = 4, .settled = true, .state = accepted}));
  expect_round_trip(composite(spec::detach{
      .handle = 1,
      .closed = true,
      .error = spec::error{
          .condition = spec::amqp_error::not_found, .description = "gone", .info = props}}));
  expect_round_trip(composite(spec::close{}));
  expect_round_trip(composite(spec::sasl_outcome{.code = spec::sasl_code::sys_temp}));
  expect_round_trip(composite(spec::sasl_mechanisms{.sasl_server_mechanisms = caps}));
  // Sections, choices out of range or of another type, odd and unknown descriptors.
  for (const char* hex : {
           "00 53 75 a0 03 61 62 63",                    // @data(0x75) b"abc"
           "00 53 77 e0 04 02 52 01 02",                 // @amqp-value uint[1, 2]
           "00 53 77 a1 05 68 65 6c 6c 6f",              // @amqp-value "hello"
           "00 53 74 c1 07 02 a1 01 6b a1 01 76",        // application-properties
           "00 53 76 c0 03 01 52 01",                    // amqp-sequence
           "00 53 12 c0 09 04 a1 02 6c 31 43 42 50 07",  // snd-settle-mode: ubyte 7
           "00 53 12 c0 09 04 a1 02 6c 31 43 42 52 02",  // snd-settle-mode: uint 2
           "00 53 28 c0 11 03 40 52 02 a3 0b 6c 69 6e 6b 2d 64 65 74 61 63 68",
           "00 a3 0e 61 6d 71 70 3a 6f 70 65 6e 3a 6c 69 73 74 c0 04 01 a1 01 78",
           "00 53 10 a1 01 78",                                   // @open(0x10) "x"
           "00 53 10 c0 0c 0b 40 40 40 40 40 40 40 40 40 40 41",  // too many fields
           "00 53 10 c1 03 02 41 42",                             // @open(0x10) {true: false}
           "00 53 24 c0 02 01 41",                                // @accepted [true]
           "00 80 00 00 12 34 00 00 00 01 40",                    // @0x00001234:0x00000001
           "00 53 99 52 01",                                      // @0x00000000:0x00000099
           "00 a3 0d 63 6f 6d 2e 65 78 61 6d 70 6c 65 3a 78 a1 01 76",
           "00 a3 03 61 20 62 45",  // @:"a b" []
           "00 52 05 40",
           "00 a1 01 78 41",
           "00 c0 03 01 52 01 40",                                // @(...) descriptors
           "e0 09 02 00 53 75 a0 01 61 01 62",                    // @data binary[...]
           "e0 0f 02 00 53 28 c0 04 01 a1 01 61 04 01 a1 01 62",  // @source list[{...}]
       })
    expect_hex_round_trip(hex);
}

// The two things the text leaves out (text_parser.hpp): trailing nulls of a composite's list,
// and whether `@D T[...]` is an array of described values when D's value may be an array.
TEST(text_round_trip, what_the_text_cannot_tell_apart) {
  auto open_with_nulls = value::from_view(*decode_value(test::hex("00 53 10 c0 04 02 a1 00 40")));
  auto parsed = parse_value(print(open_with_nulls, false));
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(*parsed == value::from_view(*decode_value(test::hex("00 53 10 c0 03 01 a1 00"))));

  auto described_array =
      value::from_view(*decode_value(test::hex("e0 08 02 00 a3 01 78 52 01 02")));
  parsed = parse_value(print(described_array, false));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(print(*parsed, false), "@:x uint[1, 2]");
  EXPECT_EQ(parsed->type(), kind::described);
}

// Random nested values of every kind (described ones with descriptors outside the spec table,
// whose text is unambiguous): a seeded property test.
class random_values {
 public:
  explicit random_values(std::uint32_t seed) : rng_(seed) {}

  value any(int depth) {
    const int k = pick(depth > 0 ? 25 : 21);
    switch (k) {
      case 0:
        return value();
      case 1:
        return pick(2) == 1;
      case 2:
        return static_cast<std::uint8_t>(bits());
      case 3:
        return static_cast<std::uint16_t>(bits());
      case 4:
        return static_cast<std::uint32_t>(bits());
      case 5:
        return bits();
      case 6:
        return static_cast<std::int8_t>(bits());
      case 7:
        return static_cast<std::int16_t>(bits());
      case 8:
        return static_cast<std::int32_t>(bits());
      case 9:
        return static_cast<std::int64_t>(bits());
      case 10:
        return std::bit_cast<float>(static_cast<std::uint32_t>(bits()));
      case 11:
        return std::bit_cast<double>(bits());
      case 12:
        return decimal64{bits()};
      case 13:
        return static_cast<char32_t>(pick(0xd800));
      case 14:
        return timestamp{static_cast<std::int64_t>(bits())};
      case 15:
        return uuid{
            {static_cast<std::uint8_t>(bits()), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}};
      case 16:
        return value::bin(bytes());
      case 17:
        return text();
      case 18:
        return value::sym(symbol_text());
      case 19:
        return decimal32{static_cast<std::uint32_t>(bits())};
      case 20:
        return decimal128{
            {static_cast<std::uint8_t>(bits()), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}};
      case 21: {
        amqp::list l;
        for (int n = pick(4); n > 0; --n) l.push_back(any(depth - 1));
        return l;
      }
      case 22: {
        amqp::map m;
        for (int n = pick(4); n > 0; --n) m.emplace_back(any(depth - 1), any(depth - 1));
        return m;
      }
      case 23: {
        // Elements of one kind: scalars drawn until one of the first one's kind comes up.
        const value first = any(0);
        amqp::array a{first.type(), {}, {first}};
        for (int n = pick(4), tries = 0; n > 0 && tries < 200; ++tries) {
          value e = any(0);
          if (e.type() == a.element_type) a.elements.push_back(std::move(e)), --n;
        }
        return a;
      }
      default: {
        value descriptor = pick(2) ? value(std::uint64_t{0x0000137000000000ull} + bits() % 1000)
                                   : value::sym("com.example:" + symbol_text());
        return value::described_of(std::move(descriptor), any(depth - 1));
      }
    }
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint32_t>(n)); }
  std::uint64_t bits() {
    // Mostly edges: 0, all ones, a sign bit, else random.
    switch (pick(5)) {
      case 0:
        return 0;
      case 1:
        return ~0ull;
      case 2:
        return 1ull << pick(64);
      default:
        return (std::uint64_t{rng_()} << 32) | rng_();
    }
  }
  std::vector<std::uint8_t> bytes() {
    std::vector<std::uint8_t> b(static_cast<std::size_t>(pick(8)));
    for (auto& x : b) x = static_cast<std::uint8_t>(rng_());
    return b;
  }
  std::string text() {
    static const char32_t points[] = {'a',  ' ',    '"',    '\\',    '\n', 0x7f, 0x85,
                                      0xe9, 0x200f, 0xfeff, 0x1f600, ':',  '#',  '{'};
    std::string s;
    for (int n = pick(6); n > 0; --n) append_utf8(s, points[pick(std::size(points))]);
    return s;
  }
  std::string symbol_text() {
    static constexpr std::string_view chars = "az:#-\" ,]x";
    std::string s;
    for (int n = pick(5); n > 0; --n)
      s += chars[static_cast<std::size_t>(pick(static_cast<int>(chars.size())))];
    return s;
  }

  std::mt19937 rng_;
};

TEST(text_round_trip, random_nested_values) {
  random_values gen(20261205);
  int nested = 0;
  for (int i = 0; i < 3000; ++i) {
    const value v = gen.any(4);
    expect_round_trip(v);
    if (HasFailure()) break;
    nested += v.type() >= kind::list ? 1 : 0;
  }
  EXPECT_GT(nested, 300);  // the property covers compounds, not only scalars
}

}  // namespace
}  // namespace amqp::peer
