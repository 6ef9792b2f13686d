// Cross-checks the spec table (all_types, the restricted choices, the constants) against the
// OASIS AMQP 1.0 XML, and checks that the comparison notices every kind of difference.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "spec/spec_xml.hpp"
#include "support/hex.hpp"

namespace amqp::spec {
namespace {

namespace sx = test::spec_xml;

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

const char* const restricted_with_choices[] = {
    "role",          "sender-settle-mode",  "receiver-settle-mode",
    "amqp-error",    "connection-error",    "session-error",
    "link-error",    "terminus-durability", "terminus-expiry-policy",
    "std-dist-mode", "txn-capability",      "transaction-error",
    "sasl-code"};

// --- The XML reader, on a made-up document (no shared folder needed) ---

TEST(spec_xml_reader, reads_types_fields_choices_and_definitions) {
  const char* text = R"(<?xml version="1.0"?>
<amqp name="example">
  <section name="one">
    <doc><p>prose with a <type name="not-a-type"/> inside</p></doc>
    <type class="composite" name="widget" source="list" provides="thing, gadget">
      <doc><p>a widget</p></doc>
      <descriptor name="example:widget:list" code="0x00000001:0x0000abcd"/>
      <field name="size" type="uint" mandatory="true"/>
      <field name="tags" type="symbol" multiple="true" requires="tag"/>
      <field name="mode" type="colour" default="red"><doc><p>x</p></doc></field>
    </type>
    <type class="restricted" name="colour" source="ubyte">
      <choice name="red" value="0"/>
      <choice name="green" value="1"><doc><p>y</p></doc></choice>
    </type>
    <definition name="ANSWER" value="42"/>
  </section>
</amqp>)";
  sx::document d;
  ASSERT_EQ(sx::parse(text, d), "");
  ASSERT_EQ(d.types.size(), 2u);
  const sx::type& w = d.types[0];
  EXPECT_EQ(w.name, "widget");
  EXPECT_EQ(w.class_, "composite");
  EXPECT_EQ(w.source, "list");
  EXPECT_EQ(w.provides, "thing, gadget");
  EXPECT_TRUE(w.has_descriptor);
  EXPECT_EQ(w.symbol, "example:widget:list");
  EXPECT_EQ(w.code, 0x0000'0001'0000'abcdu);
  ASSERT_EQ(w.fields.size(), 3u);
  EXPECT_EQ(w.fields[0].name, "size");
  EXPECT_TRUE(w.fields[0].mandatory);
  EXPECT_FALSE(w.fields[0].multiple);
  EXPECT_EQ(w.fields[1].requires_, "tag");
  EXPECT_TRUE(w.fields[1].multiple);
  EXPECT_FALSE(w.fields[1].mandatory);
  EXPECT_EQ(w.fields[2].type, "colour");
  EXPECT_EQ(w.fields[2].default_value, "red");
  const sx::type& c = d.types[1];
  EXPECT_FALSE(c.has_descriptor);
  ASSERT_EQ(c.choices.size(), 2u);
  EXPECT_EQ(c.choices[1].name, "green");
  EXPECT_EQ(c.choices[1].value, "1");
  EXPECT_EQ(d.definitions.at("ANSWER"), "42");
}

TEST(spec_xml_reader, refuses_malformed_input) {
  sx::document d;
  EXPECT_NE(sx::parse("<amqp><section>", d), "");
  EXPECT_NE(sx::parse("<other/>", d), "");
  EXPECT_NE(
      sx::parse(R"(<amqp><type name="t"><descriptor name="x" code="0x10"/></type></amqp>)", d), "");
  EXPECT_FALSE(sx::parse_descriptor_code("0x00000000:0x0000001"));
  EXPECT_FALSE(sx::parse_descriptor_code("0x00000000:0x0000001g"));
  EXPECT_EQ(sx::parse_descriptor_code("0x00000000:0x00000010"), 0x10u);
}

// --- The comparison notices every single difference ---

// Every way one entry can differ from its declaration; each must be reported.
std::vector<std::pair<std::string, type_info>> alterations(
    const type_info& t, std::vector<std::vector<field_info>>& keep) {
  std::vector<std::pair<std::string, type_info>> out;
  auto with_fields = [&](std::string what, std::vector<field_info> f) {
    keep.push_back(std::move(f));
    type_info a = t;
    a.fields = keep.back();
    out.emplace_back(std::move(what), a);
  };
  type_info a = t;
  a.name = "renamed";
  out.emplace_back("type name", a);
  a = t;
  a.symbol = "amqp:renamed:list";
  out.emplace_back("symbol", a);
  a = t;
  a.code = t.code + 1;
  out.emplace_back("code", a);
  a = t;
  a.source = t.source == "list" ? "map" : "list";
  out.emplace_back("source", a);
  a = t;
  a.provides = t.provides.empty() ? "frame" : "";
  out.emplace_back("provides", a);
  a = t;
  a.restricted = !t.restricted;
  out.emplace_back("class", a);
  const std::vector<field_info> fields(t.fields.begin(), t.fields.end());
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::string at = "field " + std::string(fields[i].name) + " ";
    auto f = fields;
    f[i].name = "renamed";
    with_fields(at + "name", f);
    f = fields;
    f[i].type = f[i].type == "uint" ? "ulong" : "uint";
    with_fields(at + "type", f);
    f = fields;
    f[i].requires_ = f[i].requires_.empty() ? "source" : "";
    with_fields(at + "requires", f);
    f = fields;
    f[i].flags ^= mandatory;
    with_fields(at + "mandatory", f);
    f = fields;
    f[i].flags ^= multiple;
    with_fields(at + "multiple", f);
    f = fields;
    f[i].default_value = f[i].default_value.empty() ? "0" : "1";
    with_fields(at + "default", f);
    f = fields;
    f.erase(f.begin() + static_cast<std::ptrdiff_t>(i));
    with_fields(at + "missing", f);
    if (i + 1 < fields.size()) {
      f = fields;
      std::swap(f[i], f[i + 1]);
      with_fields(at + "order", f);
    }
  }
  auto f = fields;
  f.push_back({"extra", "uint"});
  with_fields("extra field", f);
  return out;
}

void expect_every_alteration_noticed(const sx::type& declared, const type_info& t) {
  EXPECT_EQ(joined(sx::compare(declared, t)), "") << "the unaltered entry must agree";
  std::vector<std::vector<field_info>> keep;
  keep.reserve(256);  // the spans of the altered entries point into these
  for (const auto& [what, altered] : alterations(t, keep))
    EXPECT_FALSE(sx::compare(declared, altered).empty())
        << t.name << ": altering the " << what << " went unnoticed";
}

TEST(spec_xml_compare, notices_every_alteration_of_every_entry) {
  // Against the table's own declarations, so this runs without the XML.
  for (const type_info& t : all_types()) expect_every_alteration_noticed(sx::mirror(t), t);
}

TEST(spec_xml_compare, notices_every_alteration_against_the_xml) {
  AMQP_REQUIRE_SPEC_XML(doc);
  for (const type_info& t : all_types()) {
    const sx::type* x = doc->find(t.name);
    ASSERT_NE(x, nullptr) << t.name;
    expect_every_alteration_noticed(*x, t);
  }
}

TEST(spec_xml_compare, notices_every_alteration_of_choices) {
  for (const restricted_info& r : all_restricted_types()) {
    const sx::type declared = sx::mirror(r);
    EXPECT_EQ(joined(sx::compare(declared, r)), "");
    std::vector<choice_info> choices(r.choices.begin(), r.choices.end());
    auto noticed = [&](const std::vector<choice_info>& c, std::string_view what,
                       std::string_view name = {}, std::string_view source = {}) {
      restricted_info a = r;
      a.choices = c;
      if (!name.empty()) a.name = name;
      if (!source.empty()) a.source = source;
      EXPECT_FALSE(sx::compare(declared, a).empty()) << r.name << ": " << what << " unnoticed";
    };
    noticed(choices, "name", "renamed");
    noticed(choices, "source", {}, r.source == "symbol" ? "ubyte" : "symbol");
    for (std::size_t i = 0; i < choices.size(); ++i) {
      auto c = choices;
      c[i].name = "renamed";
      noticed(c, "choice name");
      c = choices;
      c[i].value = "renamed";
      noticed(c, "choice value");
      c = choices;
      c.erase(c.begin() + static_cast<std::ptrdiff_t>(i));
      noticed(c, "missing choice");
      if (i + 1 < choices.size()) {
        c = choices;
        std::swap(c[i], c[i + 1]);
        noticed(c, "choice order");
      }
    }
    choices.push_back({"extra", "9"});
    noticed(choices, "extra choice");
  }
}

// --- The table against the XML ---

TEST(spec_xml, every_described_type_is_in_the_table_as_declared) {
  AMQP_REQUIRE_SPEC_XML(doc);
  std::size_t described = 0;
  for (const sx::type& x : doc->types) {
    if (!x.has_descriptor) continue;
    ++described;
    const type_info* by_code = find_type(x.code);
    const type_info* by_symbol = find_type(std::string_view(x.symbol));
    ASSERT_NE(by_code, nullptr) << x.name << " missing from the table (by code)";
    ASSERT_NE(by_symbol, nullptr) << x.name << " missing from the table (by symbol)";
    EXPECT_EQ(by_code, by_symbol) << x.name;
    EXPECT_EQ(joined(sx::compare(x, *by_code)), "");
  }
  EXPECT_EQ(described, 40u) << "the five parts declare 40 described types";
}

TEST(spec_xml, the_table_has_nothing_the_xml_does_not_declare) {
  AMQP_REQUIRE_SPEC_XML(doc);
  std::set<std::uint64_t> codes;
  for (const type_info& t : all_types()) {
    EXPECT_TRUE(codes.insert(t.code).second) << t.name << ": code listed twice";
    const sx::type* x = doc->find(t.name);
    ASSERT_NE(x, nullptr) << t.name << " is not in the XML";
    EXPECT_TRUE(x->has_descriptor) << t.name;
    EXPECT_EQ(x->symbol, t.symbol);
    EXPECT_EQ(x->code, t.code) << t.name;
  }
  EXPECT_EQ(all_types().size(), 40u);
}

TEST(spec_xml, restricted_choices_are_as_declared) {
  AMQP_REQUIRE_SPEC_XML(doc);
  std::set<std::string> expected(std::begin(restricted_with_choices),
                                 std::end(restricted_with_choices));
  std::set<std::string> in_xml;
  for (const sx::type& x : doc->types)
    if (!x.choices.empty()) in_xml.insert(x.name);
  EXPECT_EQ(in_xml, expected) << "the XML's restricted types with choices";
  for (const std::string& name : expected) {
    const sx::type* x = doc->find(name);
    ASSERT_NE(x, nullptr) << name;
    EXPECT_EQ(x->class_, "restricted");
    const restricted_info* r = find_restricted_type(name);
    ASSERT_NE(r, nullptr) << name << " missing from all_restricted_types()";
    EXPECT_EQ(joined(sx::compare(*x, *r)), "");
  }
  for (const restricted_info& r : all_restricted_types())
    EXPECT_TRUE(expected.count(std::string(r.name))) << r.name << " is not a type with choices";
  EXPECT_EQ(all_restricted_types().size(), expected.size());
  EXPECT_EQ(find_restricted_type("no-such-type"), nullptr);
}

TEST(spec_xml, every_field_type_is_declared) {
  AMQP_REQUIRE_SPEC_XML(doc);
  for (const type_info& t : all_types())
    for (const field_info& f : t.fields) {
      if (f.type != "*") {
        EXPECT_NE(doc->find(f.type), nullptr) << t.name << "." << f.name << ": " << f.type;
      }
    }
}

TEST(spec_xml, constants_are_as_defined) {
  AMQP_REQUIRE_SPEC_XML(doc);
  auto defined = [&](const char* name) -> std::string {
    auto it = doc->definitions.find(name);
    return it == doc->definitions.end() ? "(undefined)" : it->second;
  };
  EXPECT_EQ(defined("PORT"), std::to_string(port));
  EXPECT_EQ(defined("SECURE-PORT"), std::to_string(secure_port));
  EXPECT_EQ(defined("MIN-MAX-FRAME-SIZE"), std::to_string(min_max_frame_size));
  EXPECT_EQ(defined("MESSAGE-FORMAT"), std::to_string(message_format));
}

}  // namespace
}  // namespace amqp::spec
