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
  // Needs to know the future (opt): trace replay and sweep only, never a live cache.
  bool needsWholeTrace = false;
  std::string label;  // how charts and tables name it, when not by name ("Belady (farthest next use)")
};

// Adding a policy = its file pair + one line in policy_registry.cpp (+ rows in tests/engine/tst_policies).
// Every policy, in display order: those a live cache can use, then the replay-only ones (opt).
const std::vector<PolicyInfo>& allPolicies();
// The policies a live cache can use (allPolicies() without needsWholeTrace), in display order.
const std::vector<PolicyInfo>& policyRegistry();
const PolicyInfo* findPolicy(std::string_view name);        // live policies only
const PolicyInfo* findReplayPolicy(std::string_view name);  // any policy (replay, sweep)
std::vector<std::string> policyNames();                     // live policies
std::vector<std::string> replayPolicyNames();               // every policy
// The label of a policy for tables, charts and reports: its label, else its name.
std::string policyLabel(std::string_view name);
// "lru, fifo, ..." for help texts (every policy when forReplay).
std::string policyList(bool forReplay);
// The sentence for a name that is not a policy of that kind: "unknown policy 'x' (choose from: ...)", or
// for opt in a live context why it cannot run there.
std::string unknownPolicyMessage(std::string_view name, bool forReplay);
// A live policy; throws std::invalid_argument with unknownPolicyMessage(name, false) otherwise.
std::unique_ptr<EvictionPolicy> createPolicy(std::string_view name);
// Any policy (trace replay); throws std::invalid_argument for an unknown name.
std::unique_ptr<EvictionPolicy> createReplayPolicy(std::string_view name);

}  // namespace kvlab
