// The declarations of the AMQP 1.0 spec XML (types, fields, choices, definitions) as plain
// structs, and the comparisons of the spec table against them. Used by xml_test.cpp.
#pragma once

#include <gtest/gtest.h>
#include <tinyxml2.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/spec.hpp"
#include "support/hex.hpp"

namespace amqp::test::spec_xml {

struct field {
  std::string name, type, requires_, default_value;
  bool mandatory = false, multiple = false;
};
struct choice {
  std::string name, value;
};
struct type {
  std::string name, class_, source, provides;
  bool has_descriptor = false;
  std::string symbol;
  std::uint64_t code = 0;
  std::vector<field> fields;
  std::vector<choice> choices;
};
struct document {
  std::vector<type> types;
  std::map<std::string, std::string> definitions;  // name -> value

  const type* find(std::string_view name) const {
    for (const type& t : types)
      if (t.name == name) return &t;
    return nullptr;
  }
};

inline std::string attr(const tinyxml2::XMLElement& e, const char* name) {
  const char* v = e.Attribute(name);
  return v ? v : "";
}

// "0x00000000:0x00000010" -> 0x10 (domain in the high 32 bits, id in the low 32 bits).
inline std::optional<std::uint64_t> parse_descriptor_code(std::string_view text) {
  auto hex32 = [](std::string_view s) -> std::optional<std::uint64_t> {
    if (s.substr(0, 2) != "0x" || s.size() != 10) return std::nullopt;
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), v, 16);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
  };
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto domain = hex32(text.substr(0, colon)), id = hex32(text.substr(colon + 1));
  if (!domain || !id) return std::nullopt;
  return *domain << 32 | *id;
}

// Collects every <type> and <definition> below `e`; returns an error text or "".
inline std::string collect(const tinyxml2::XMLElement& e, document& out) {
  for (const tinyxml2::XMLElement* c = e.FirstChildElement(); c; c = c->NextSiblingElement()) {
    const std::string_view tag = c->Name();
    if (tag == "definition") {
      out.definitions[attr(*c, "name")] = attr(*c, "value");
    } else if (tag == "type") {
      type t{attr(*c, "name"), attr(*c, "class"), attr(*c, "source"), attr(*c, "provides")};
      for (const tinyxml2::XMLElement* d = c->FirstChildElement(); d; d = d->NextSiblingElement()) {
        const std::string_view dtag = d->Name();
        if (dtag == "descriptor") {
          const auto code = parse_descriptor_code(attr(*d, "code"));
          if (!code) return "bad descriptor code in type " + t.name;
          t.has_descriptor = true;
          t.symbol = attr(*d, "name");
          t.code = *code;
        } else if (dtag == "field") {
          t.fields.push_back({attr(*d, "name"), attr(*d, "type"), attr(*d, "requires"),
                              attr(*d, "default"), attr(*d, "mandatory") == "true",
                              attr(*d, "multiple") == "true"});
        } else if (dtag == "choice") {
          t.choices.push_back({attr(*d, "name"), attr(*d, "value")});
        }
      }
      out.types.push_back(std::move(t));
    } else if (tag != "doc") {
      if (std::string err = collect(*c, out); !err.empty()) return err;
    }
  }
  return "";
}

// Adds the declarations of one XML document (its text) to `out`; returns an error text or "".
inline std::string parse(const char* text, document& out) {
  tinyxml2::XMLDocument doc;
  if (doc.Parse(text) != tinyxml2::XML_SUCCESS) return doc.ErrorStr();
  const tinyxml2::XMLElement* root = doc.RootElement();
  if (!root || std::string_view(root->Name()) != "amqp") return "root element is not <amqp>";
  return collect(*root, out);
}

inline std::string parse_file(const std::filesystem::path& path, document& out) {
  tinyxml2::XMLDocument doc;
  if (doc.LoadFile(path.string().c_str()) != tinyxml2::XML_SUCCESS)
    return path.string() + ": " + doc.ErrorStr();
  const tinyxml2::XMLElement* root = doc.RootElement();
  if (!root || std::string_view(root->Name()) != "amqp") return path.string() + ": not <amqp>";
  return collect(*root, out);
}

inline std::string flag_text(bool b) {
  return b ? "true" : "false";
}

// Every difference between a described type of the XML and its table entry, as readable text;
// empty when they agree.
inline std::vector<std::string> compare(const type& x, const amqp::spec::type_info& t) {
  std::vector<std::string> d;
  auto check = [&](std::string_view what, std::string_view xml, std::string_view table) {
    if (xml != table)
      d.push_back(x.name + ": " + std::string(what) + " is '" + std::string(table) +
                  "' in the table, '" + std::string(xml) + "' in the XML");
  };
  check("name", x.name, t.name);
  check("descriptor symbol", x.symbol, t.symbol);
  if (!x.has_descriptor) d.push_back(x.name + ": the XML declares no descriptor");
  if (x.code != t.code)
    d.push_back(x.name + ": descriptor code is " + std::to_string(t.code) + " in the table, " +
                std::to_string(x.code) + " in the XML");
  check("source", x.source, t.source);
  check("provides", x.provides, t.provides);
  check("class", x.class_, t.restricted ? "restricted" : "composite");
  if (x.fields.size() != t.fields.size())
    d.push_back(x.name + ": " + std::to_string(t.fields.size()) + " fields in the table, " +
                std::to_string(x.fields.size()) + " in the XML");
  for (std::size_t i = 0; i < x.fields.size() && i < t.fields.size(); ++i) {
    const field& xf = x.fields[i];
    const amqp::spec::field_info& tf = t.fields[i];
    const std::string at = "field " + std::to_string(i) + " (" + xf.name + ") ";
    check(at + "name", xf.name, tf.name);
    check(at + "type", xf.type, tf.type);
    check(at + "requires", xf.requires_, tf.requires_);
    check(at + "mandatory", flag_text(xf.mandatory), flag_text(tf.is_mandatory()));
    check(at + "multiple", flag_text(xf.multiple), flag_text(tf.is_multiple()));
    check(at + "default", xf.default_value, tf.default_value);
    if ((tf.flags & ~(amqp::spec::mandatory | amqp::spec::multiple)) != 0)
      d.push_back(x.name + ": " + at + "has unknown flags");
  }
  return d;
}

// Every difference between a restricted type with choices and its table entry.
inline std::vector<std::string> compare(const type& x, const amqp::spec::restricted_info& r) {
  std::vector<std::string> d;
  auto check = [&](std::string_view what, std::string_view xml, std::string_view table) {
    if (xml != table)
      d.push_back(x.name + ": " + std::string(what) + " is '" + std::string(table) +
                  "' in the table, '" + std::string(xml) + "' in the XML");
  };
  check("name", x.name, r.name);
  check("source", x.source, r.source);
  if (x.choices.size() != r.choices.size())
    d.push_back(x.name + ": " + std::to_string(r.choices.size()) + " choices in the table, " +
                std::to_string(x.choices.size()) + " in the XML");
  for (std::size_t i = 0; i < x.choices.size() && i < r.choices.size(); ++i) {
    const std::string at = "choice " + std::to_string(i) + " ";
    check(at + "name", x.choices[i].name, r.choices[i].name);
    check(at + "value", x.choices[i].value, r.choices[i].value);
  }
  return d;
}

// The XML model of a table entry, as if the XML said exactly what the table says.
inline type mirror(const amqp::spec::type_info& t) {
  type x{std::string(t.name), t.restricted ? "restricted" : "composite", std::string(t.source),
         std::string(t.provides)};
  x.has_descriptor = true;
  x.symbol = t.symbol;
  x.code = t.code;
  for (const amqp::spec::field_info& f : t.fields)
    x.fields.push_back({std::string(f.name), std::string(f.type), std::string(f.requires_),
                        std::string(f.default_value), f.is_mandatory(), f.is_multiple()});
  return x;
}

inline type mirror(const amqp::spec::restricted_info& r) {
  type x{std::string(r.name), "restricted", std::string(r.source), ""};
  for (const amqp::spec::choice_info& c : r.choices)
    x.choices.push_back({std::string(c.name), std::string(c.value)});
  return x;
}

// The five XML parts that declare types (../shared/spec/amqp-1.0), parsed once. Null when they
// are absent or do not parse; `why` then says which ("... is absent" when not there at all).
inline const document* spec_document(std::string& why) {
  static std::string error;
  static const document* doc = []() -> const document* {
    const std::filesystem::path shared = amqp::test::shared_dir();
    if (shared.empty()) {
      error = "the shared folder (../shared) is absent";
      return nullptr;
    }
    static document d;
    for (const char* part : {"types", "transport", "messaging", "transactions", "security"}) {
      const auto path =
          shared / "spec" / "amqp-1.0" / (std::string("amqp-core-") + part + "-v1.0-os.xml");
      if (!std::filesystem::exists(path)) {
        error = path.string() + " is absent";
        return nullptr;
      }
      error = parse_file(path, d);
      if (!error.empty()) return nullptr;
    }
    return &d;
  }();
  why = error;
  return doc;
}

// In a test: `doc` is the parsed spec, or the test is skipped when the XML is not there (and
// fails when it is there but unreadable).
#define AMQP_REQUIRE_SPEC_XML(doc)                                                           \
  std::string why_;                                                                          \
  const ::amqp::test::spec_xml::document* doc = ::amqp::test::spec_xml::spec_document(why_); \
  if (!doc) {                                                                                \
    ASSERT_TRUE(why_.find("absent") != std::string::npos) << why_;                           \
    GTEST_SKIP() << "spec XML not available, cross-check skipped: " << why_;                 \
  }

}  // namespace amqp::test::spec_xml
