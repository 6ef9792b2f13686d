// The C++ member of every field has the type the spec XML gives the field (after resolving
// restricted types down to their primitive source), and the enums of restricted types accept
// exactly the XML's choices.
#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "spec/composites.hpp"
#include "spec/spec_xml.hpp"

namespace amqp::test {
namespace {

namespace sx = spec_xml;

// What a member can hold, named like the spec's primitives: "uint", "symbol[]", "*", "error",
// "enum:ubyte".
template <class M>
std::string member_type() {
  if constexpr (is_optional<M>::value) {
    return member_type<typename M::value_type>();
  } else if constexpr (std::is_enum_v<M>) {
    return "enum:" + member_type<std::underlying_type_t<M>>();
  } else if constexpr (std::is_same_v<M, bool>) {
    return "boolean";
  } else if constexpr (std::is_same_v<M, std::uint8_t>) {
    return "ubyte";
  } else if constexpr (std::is_same_v<M, std::uint16_t>) {
    return "ushort";
  } else if constexpr (std::is_same_v<M, std::uint32_t>) {
    return "uint";
  } else if constexpr (std::is_same_v<M, std::uint64_t>) {
    return "ulong";
  } else if constexpr (std::is_same_v<M, std::string_view>) {
    return "string";
  } else if constexpr (std::is_same_v<M, symbol_view>) {
    return "symbol";
  } else if constexpr (std::is_same_v<M, s::symbols>) {
    return "symbol[]";
  } else if constexpr (std::is_same_v<M, bytes_view>) {
    return "binary";
  } else if constexpr (std::is_same_v<M, timestamp>) {
    return "timestamp";
  } else if constexpr (std::is_same_v<M, s::value_ref>) {
    return "*";
  } else if constexpr (s::composite<M>) {
    return std::string(s::traits<M>::info.name);
  } else {
    return "unknown";
  }
}

// The member type a field of the XML needs.
std::string expected_member_type(const sx::document& doc, const sx::field& f) {
  if (f.type == "*") return "*";
  std::string t = f.type;
  bool choices = false;
  // Follow restricted types to their primitive source ("transfer-number" -> "sequence-no" ->
  // "uint"); a composite stays itself.
  for (int guard = 0; guard < 8; ++guard) {
    const sx::type* x = doc.find(t);
    if (!x || x->class_ != "restricted") {
      if (x && x->class_ == "composite") return t;
      break;
    }
    choices = choices || !x->choices.empty();
    t = x->source;
  }
  // Maps (fields, filter-set, node-properties, annotations) are held as value_ref.
  if (t == "map") return "*";
  if (f.multiple) return t + "[]";
  // Restricted types with numeric or boolean choices are enums; symbol choices stay symbols.
  if (choices && t != "symbol") return "enum:" + t;
  return t;
}

template <class T>
class member_types : public ::testing::Test {};
TYPED_TEST_SUITE(member_types, composite_test_types);

TYPED_TEST(member_types, match_the_xml_field_types) {
  AMQP_REQUIRE_SPEC_XML(doc);
  using T = TypeParam;
  const sx::type* x = doc->find(s::traits<T>::info.name);
  ASSERT_NE(x, nullptr);
  std::size_t i = 0;
  std::apply(
      [&](const auto&... f) {
        [[maybe_unused]] auto one = [&](const auto& fld) {
          using M = std::remove_cvref_t<decltype(T{}.*(fld.member))>;
          ASSERT_LT(i, x->fields.size());
          EXPECT_EQ(member_type<M>(), expected_member_type(*doc, x->fields[i]))
              << x->name << "." << x->fields[i].name << " (" << x->fields[i].type << ")";
          ++i;
        };
        (one(f), ...);
      },
      s::traits<T>::fields);
  EXPECT_EQ(i, x->fields.size());
}

TEST(member_types_check, resolves_restricted_types) {
  AMQP_REQUIRE_SPEC_XML(doc);
  auto field = [](std::string type, bool multiple = false) {
    return sx::field{"f", std::move(type), "", "", false, multiple};
  };
  EXPECT_EQ(expected_member_type(*doc, field("transfer-number")), "uint");
  EXPECT_EQ(expected_member_type(*doc, field("milliseconds")), "uint");
  EXPECT_EQ(expected_member_type(*doc, field("delivery-tag")), "binary");
  EXPECT_EQ(expected_member_type(*doc, field("sender-settle-mode")), "enum:ubyte");
  EXPECT_EQ(expected_member_type(*doc, field("role")), "enum:boolean");
  EXPECT_EQ(expected_member_type(*doc, field("terminus-expiry-policy")), "symbol");
  EXPECT_EQ(expected_member_type(*doc, field("ietf-language-tag", true)), "symbol[]");
  EXPECT_EQ(expected_member_type(*doc, field("fields")), "*");
  EXPECT_EQ(expected_member_type(*doc, field("node-properties")), "*");
  EXPECT_EQ(expected_member_type(*doc, field("error")), "error");
  // And the member side tells the types apart.
  EXPECT_EQ(member_type<std::optional<std::uint16_t>>(), "ushort");
  EXPECT_NE(member_type<std::uint16_t>(), member_type<std::uint32_t>());
  EXPECT_EQ(member_type<s::sender_settle_mode>(), "enum:ubyte");
  EXPECT_EQ(member_type<s::role>(), "enum:boolean");
}

// is_valid_choice of enum E accepts exactly the values the XML lists for `name`.
template <class E>
void expect_choices(const sx::document& doc, const char* name) {
  const sx::type* x = doc.find(name);
  ASSERT_NE(x, nullptr) << name;
  using U = std::underlying_type_t<E>;
  unsigned listed = 0;
  for (const sx::choice& c : x->choices) {
    const unsigned v = static_cast<unsigned>(std::stoul(c.value));
    EXPECT_TRUE(is_valid_choice(static_cast<E>(static_cast<U>(v)))) << name << " " << c.name;
    ++listed;
  }
  // Values are 0..n-1 in the spec; the next one is refused, and so is the largest.
  EXPECT_FALSE(is_valid_choice(static_cast<E>(static_cast<U>(listed)))) << name;
  EXPECT_FALSE(is_valid_choice(static_cast<E>(std::numeric_limits<U>::max()))) << name;
}

TEST(member_types, enums_accept_exactly_the_xml_choices) {
  AMQP_REQUIRE_SPEC_XML(doc);
  expect_choices<s::sender_settle_mode>(*doc, "sender-settle-mode");
  expect_choices<s::receiver_settle_mode>(*doc, "receiver-settle-mode");
  expect_choices<s::terminus_durability>(*doc, "terminus-durability");
  expect_choices<s::sasl_code>(*doc, "sasl-code");
  // role: both booleans are choices.
  EXPECT_EQ(doc->find("role")->choices.size(), 2u);
  EXPECT_TRUE(is_valid_choice(s::role::sender));
  EXPECT_TRUE(is_valid_choice(s::role::receiver));
  // Each enumerator carries the value of the XML choice of the same name.
  auto same = [&](const char* type, const char* choice, auto enumerator) {
    const sx::type* x = doc->find(type);
    ASSERT_NE(x, nullptr);
    std::string value = "(no such choice)";
    for (const sx::choice& c : x->choices)
      if (c.name == choice) value = c.value;
    const auto raw = static_cast<std::underlying_type_t<decltype(enumerator)>>(enumerator);
    const std::string text =
        std::is_same_v<decltype(raw), const bool> ? (raw ? "true" : "false") : std::to_string(raw);
    EXPECT_EQ(text, value) << type << " " << choice;
  };
  same("role", "sender", s::role::sender);
  same("role", "receiver", s::role::receiver);
  same("sender-settle-mode", "unsettled", s::sender_settle_mode::unsettled);
  same("sender-settle-mode", "settled", s::sender_settle_mode::settled);
  same("sender-settle-mode", "mixed", s::sender_settle_mode::mixed);
  same("receiver-settle-mode", "first", s::receiver_settle_mode::first);
  same("receiver-settle-mode", "second", s::receiver_settle_mode::second);
  same("terminus-durability", "none", s::terminus_durability::none);
  same("terminus-durability", "configuration", s::terminus_durability::configuration);
  same("terminus-durability", "unsettled-state", s::terminus_durability::unsettled_state);
  same("sasl-code", "ok", s::sasl_code::ok);
  same("sasl-code", "auth", s::sasl_code::auth);
  same("sasl-code", "sys", s::sasl_code::sys);
  same("sasl-code", "sys-perm", s::sasl_code::sys_perm);
  same("sasl-code", "sys-temp", s::sasl_code::sys_temp);
}

}  // namespace
}  // namespace amqp::test
