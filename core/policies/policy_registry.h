// SPDX-License-Identifier: MIT
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/policies/eviction_policy.h"

namespace kvlab {

struct PolicyInfo {
  std::string name;         // as typed on the command line: "lru"
  std::string description;  // one line for --help, `kvlab-cli list` and tooltips
  std::unique_ptr<EvictionPolicy> (*create)();
};

// Every policy, in display order. Adding a policy = its file pair + one line in policy_registry.cpp.
const std::vector<PolicyInfo>& policyRegistry();
const PolicyInfo* findPolicy(std::string_view name);
std::vector<std::string> policyNames();
// Throws std::invalid_argument naming the valid choices.
std::unique_ptr<EvictionPolicy> createPolicy(std::string_view name);

}  // namespace kvlab
