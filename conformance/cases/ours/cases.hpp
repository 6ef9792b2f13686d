// The cases of each suite, by the names conformance/lib/cases.py gives them.
#pragma once

#include <span>
#include <string_view>

#include "script.hpp"

namespace conformance {

struct case_entry {
  std::string_view name;  // "suite.case"
  verdict (*run)(script&);
};

std::span<const case_entry> connection_cases();
std::span<const case_entry> session_cases();
std::span<const case_entry> link_cases();
std::span<const case_entry> transfer_cases();
std::span<const case_entry> delivery_cases();
std::span<const case_entry> security_cases();
std::span<const case_entry> transaction_cases();
std::span<const case_entry> reconnect_cases();

}  // namespace conformance
