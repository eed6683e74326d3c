// SPDX-License-Identifier: MIT
#include "core/policies/policy_registry.h"

#include <stdexcept>

#include "core/policies/arc_policy.h"
#include "core/policies/fifo_policy.h"
#include "core/policies/gdsf_policy.h"
#include "core/policies/lfu_policy.h"
#include "core/policies/lru_policy.h"
#include "core/policies/opt_policy.h"
#include "core/policies/s3fifo_policy.h"
#include "core/policies/sieve_policy.h"
#include "core/util/input_error.h"

namespace kvlab {

namespace {
template <typename P>
std::unique_ptr<EvictionPolicy> make() {
  return std::make_unique<P>();
}
}  // namespace

const std::vector<PolicyInfo>& allPolicies() {
  static const std::vector<PolicyInfo> registry = {
      {"lru", "least recently used (vLLM, SGLang default)", &make<LruPolicy>, /*needsWholeTrace=*/false, ""},
      {"fifo", "first in, first out; hits do not reorder", &make<FifoPolicy>, /*needsWholeTrace=*/false, ""},
      {"lfu", "least frequently used, ties broken by LRU", &make<LfuPolicy>, /*needsWholeTrace=*/false, ""},
      {"sieve", "SIEVE: FIFO with a visited bit and a sweeping hand", &make<SievePolicy>,
       /*needsWholeTrace=*/false, ""},
      {"s3fifo", "S3-FIFO: small, main and ghost FIFO queues, 2-bit frequency", &make<S3FifoPolicy>,
       /*needsWholeTrace=*/false, ""},
      {"arc", "ARC: recency and frequency lists with ghosts and an adaptive target", &make<ArcPolicy>,
       /*needsWholeTrace=*/false, ""},
      {"gdsf", "GreedyDual-Size-Frequency: clock + frequency x tokens / bytes", &make<GdsfPolicy>,
       /*needsWholeTrace=*/false, ""},
      {"opt", "Belady (farthest next use): evicts the block needed farthest in the future", &make<OptPolicy>,
       /*needsWholeTrace=*/true, "Belady (farthest next use)"},
  };
  return registry;
}

const std::vector<PolicyInfo>& policyRegistry() {
  static const std::vector<PolicyInfo> live = [] {
    std::vector<PolicyInfo> out;
    for (const PolicyInfo& info : allPolicies())
      if (!info.needsWholeTrace) out.push_back(info);
    return out;
  }();
  return live;
}

const PolicyInfo* findReplayPolicy(std::string_view name) {
  for (const PolicyInfo& info : allPolicies())
    if (info.name == name) return &info;
  return nullptr;
}

const PolicyInfo* findPolicy(std::string_view name) {
  const PolicyInfo* info = findReplayPolicy(name);
  return info && !info->needsWholeTrace ? info : nullptr;
}

std::vector<std::string> policyNames() {
  std::vector<std::string> names;
  for (const PolicyInfo& info : policyRegistry()) names.push_back(info.name);
  return names;
}

std::vector<std::string> replayPolicyNames() {
  std::vector<std::string> names;
  for (const PolicyInfo& info : allPolicies()) names.push_back(info.name);
  return names;
}

std::string policyLabel(std::string_view name) {
  const PolicyInfo* info = findReplayPolicy(name);
  return info && !info->label.empty() ? info->label : std::string(name);
}

std::string policyList(bool forReplay) {
  std::string list;
  for (const std::string& name : forReplay ? replayPolicyNames() : policyNames())
    list += (list.empty() ? "" : ", ") + name;
  return list;
}

std::string unknownPolicyMessage(std::string_view name, bool forReplay) {
  const PolicyInfo* info = findReplayPolicy(name);
  if (info && info->needsWholeTrace && !forReplay)
    return "policy '" + info->name + "' (" + info->description +
           ") cannot run in a live cache; use it with kvlab-cli replay or sweep (live policies: " +
           policyList(false) + ")";
  return "unknown policy " + quoteForError(name) + " (choose from: " + policyList(forReplay) + ")";
}

std::unique_ptr<EvictionPolicy> createPolicy(std::string_view name) {
  if (const PolicyInfo* info = findPolicy(name)) return info->create();
  throw std::invalid_argument(unknownPolicyMessage(name, /*forReplay=*/false));
}

std::unique_ptr<EvictionPolicy> createReplayPolicy(std::string_view name) {
  if (const PolicyInfo* info = findReplayPolicy(name)) return info->create();
  throw std::invalid_argument(unknownPolicyMessage(name, /*forReplay=*/true));
}

}  // namespace kvlab
