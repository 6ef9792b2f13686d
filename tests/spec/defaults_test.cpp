// The defaults the table declares (from the spec) agree with the defaults of the C++ struct
// members, and a default-constructed struct sends every optional field as null or not at all.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "spec/composites.hpp"

namespace amqp::test {
namespace {

// The member's value as the spec would write it ("false", "4294967295", "2", "session-end"),
// or nullopt for members without a value of their own (unset optionals, null refs, no symbols).
template <class M>
std::optional<std::string> member_text(const M& m) {
  if constexpr (std::is_same_v<M, bool>) {
    return m ? "true" : "false";
  } else if constexpr (std::is_enum_v<M>) {
    return member_text(static_cast<std::underlying_type_t<M>>(m));
  } else if constexpr (std::is_integral_v<M>) {
    return std::to_string(+m);
  } else if constexpr (std::is_same_v<M, symbol_view>) {
    return std::string(m.str);
  } else if constexpr (std::is_same_v<M, std::string_view>) {
    return std::string(m);
  } else {
    return std::nullopt;
  }
}

// The field's default as a wire value: a choice name of a restricted type ("mixed", "none",
// "session-end") stands for the choice's value; anything else is the value itself.
std::optional<std::string> declared_text(const s::field_info& f, std::string& problem) {
  if (f.default_value.empty()) return std::nullopt;
  if (const s::restricted_info* r = s::find_restricted_type(f.type)) {
    for (const s::choice_info& c : r->choices)
      if (c.name == f.default_value) return std::string(c.value);
    problem =
        "default '" + std::string(f.default_value) + "' is no choice of " + std::string(f.type);
    return std::nullopt;
  }
  return std::string(f.default_value);
}

// Why the member's default disagrees with the field's declared default, or "".
template <class M>
std::string default_problem(const s::field_info& f, const M& member) {
  std::string problem;
  const std::optional<std::string> declared = declared_text(f, problem);
  if (!problem.empty()) return problem;
  const std::optional<std::string> actual = member_text(member);
  if (declared) {
    if (!actual) return "declared default " + *declared + ", but the member has none";
    if (*actual != *declared)
      return "declared default " + *declared + ", but the member defaults to " + *actual;
    return "";
  }
  // No default: an optional field must start out absent, or T{} would send a value.
  if (!f.is_mandatory() && !s::detail::is_null(member))
    return "no declared default, but the member is not null (" + actual.value_or("?") + ")";
  return "";
}

template <class T>
class composite_defaults : public ::testing::Test {};
TYPED_TEST_SUITE(composite_defaults, composite_test_types);

TYPED_TEST(composite_defaults, members_default_to_the_declared_default) {
  using T = TypeParam;
  const T d{};
  std::apply(
      [&](const auto&... f) {
        [[maybe_unused]] auto one = [&](const auto& fld) {
          EXPECT_EQ(default_problem(fld.info, d.*(fld.member)), "")
              << s::traits<T>::info.name << "." << fld.info.name;
        };
        (one(f), ...);
      },
      s::traits<T>::fields);
}

TYPED_TEST(composite_defaults, default_constructed_sends_optional_fields_as_null) {
  using T = TypeParam;
  const auto& info = s::traits<T>::info;
  const writer w = encode_one(T{});
  const list_view fields = encoded_fields(w);
  ASSERT_LE(fields.size(), info.fields.size());
  // Which members of T{} hold no value (a mandatory value_ref or symbols can be empty).
  std::vector<bool> member_null;
  const T d{};
  std::apply(
      [&](const auto&... f) { (member_null.push_back(s::detail::is_null(d.*(f.member))), ...); },
      s::traits<T>::fields);
  std::size_t i = 0;
  value_view last;
  for (value_view v : fields) {
    const bool expect_null = !info.fields[i].is_mandatory() || member_null[i];
    EXPECT_EQ(v.is_null(), expect_null) << info.name << "." << info.fields[i].name;
    last = v;
    ++i;
  }
  // What is not sent is null, and the last field sent is not a trailing null.
  for (; i < info.fields.size(); ++i)
    EXPECT_TRUE(!info.fields[i].is_mandatory() || member_null[i]) << info.fields[i].name;
  if (fields.size() > 0) {
    EXPECT_FALSE(last.is_null()) << "a trailing null was sent";
  }
  // And it decodes back to the defaults (where the mandatory fields allow decoding at all).
  const auto back = s::decode<T>(w.view());
  if (back) {
    EXPECT_EQ(diff(T{}, *back), "");
  }
}

// The check above must be able to fail: feed it deliberately wrong declarations.
TEST(composite_defaults_check, notices_a_wrong_default) {
  const s::field_info priority{"priority", "ubyte", "", s::none, "4"};
  EXPECT_EQ(default_problem(priority, std::uint8_t{4}), "");
  EXPECT_NE(default_problem(priority, std::uint8_t{5}), "");
  EXPECT_NE(default_problem(s::field_info{"priority", "ubyte", "", s::none, "5"}, std::uint8_t{4}),
            "");
  EXPECT_NE(default_problem(s::field_info{"priority", "ubyte"}, std::uint8_t{4}), "")
      << "a non-null member without a declared default";
  EXPECT_EQ(default_problem(s::field_info{"priority", "ubyte", "", s::mandatory}, std::uint8_t{4}),
            "")
      << "a mandatory field needs no default";
  EXPECT_NE(default_problem(priority, std::optional<std::uint8_t>{}), "")
      << "a declared default, but the member starts unset";
  EXPECT_EQ(default_problem(s::field_info{"ttl", "milliseconds"}, std::optional<std::uint32_t>{}),
            "");
}

TEST(composite_defaults_check, reads_booleans_and_restricted_choices) {
  const s::field_info drain{"drain", "boolean", "", s::none, "false"};
  EXPECT_EQ(default_problem(drain, false), "");
  EXPECT_NE(default_problem(drain, true), "");
  EXPECT_NE(default_problem(s::field_info{"drain", "boolean", "", s::none, "true"}, false), "");
  const s::field_info snd{"snd-settle-mode", "sender-settle-mode", "", s::none, "mixed"};
  EXPECT_EQ(default_problem(snd, s::sender_settle_mode::mixed), "");
  EXPECT_NE(default_problem(snd, s::sender_settle_mode::settled), "");
  EXPECT_NE(default_problem(
                s::field_info{"snd-settle-mode", "sender-settle-mode", "", s::none, "unknown"},
                s::sender_settle_mode::mixed),
            "");
  const s::field_info durable{"durable", "terminus-durability", "", s::none, "none"};
  EXPECT_EQ(default_problem(durable, s::terminus_durability::none), "");
  EXPECT_NE(default_problem(durable, s::terminus_durability::configuration), "");
  const s::field_info expiry{"expiry-policy", "terminus-expiry-policy", "", s::none, "session-end"};
  EXPECT_EQ(default_problem(expiry, s::expiry_policy::session_end), "");
  EXPECT_NE(default_problem(expiry, s::expiry_policy::never), "");
  EXPECT_NE(default_problem(expiry, symbol_view{}), "");
  const s::field_info role{"role", "role", "", s::none, "receiver"};
  EXPECT_EQ(default_problem(role, s::role::receiver), "");
  EXPECT_NE(default_problem(role, s::role::sender), "");
}

}  // namespace
}  // namespace amqp::test
