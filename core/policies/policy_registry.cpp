// SPDX-License-Identifier: MIT
#include "core/policies/policy_registry.h"

#include <stdexcept>

#include "core/policies/fifo_policy.h"
#include "core/policies/lfu_policy.h"
#include "core/policies/lru_policy.h"
#include "core/policies/sieve_policy.h"

namespace kvlab {

namespace {
template <typename P>
std::unique_ptr<EvictionPolicy> make() {
  return std::make_unique<P>();
}
}  // namespace

const std::vector<PolicyInfo>& policyRegistry() {
  static const std::vector<PolicyInfo> registry = {
      {"lru", "least recently used (vLLM, SGLang default)", &make<LruPolicy>},
      {"fifo", "first in, first out; hits do not reorder", &make<FifoPolicy>},
      {"lfu", "least frequently used, ties broken by LRU", &make<LfuPolicy>},
      {"sieve", "SIEVE: FIFO with a visited bit and a sweeping hand", &make<SievePolicy>},
  };
  return registry;
}

const PolicyInfo* findPolicy(std::string_view name) {
  for (const PolicyInfo& info : policyRegistry())
    if (info.name == name) return &info;
  return nullptr;
}

std::vector<std::string> policyNames() {
  std::vector<std::string> names;
  for (const PolicyInfo& info : policyRegistry()) names.push_back(info.name);
  return names;
}

std::unique_ptr<EvictionPolicy> createPolicy(std::string_view name) {
  if (const PolicyInfo* info = findPolicy(name)) return info->create();
  std::string valid;
  for (const PolicyInfo& info : policyRegistry()) valid += (valid.empty() ? "" : ", ") + info.name;
  throw std::invalid_argument("unknown policy '" + std::string(name) + "' (choose from: " + valid + ")");
}

}  // namespace kvlab
