// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "core/policies/eviction_policy.h"
#include "core/policies/next_use_oracle.h"

namespace kvlab {

// "Belady (farthest next use)": Belady's MIN for trace replay. On an insert into a full cache it evicts the
// cached entry whose next touch is farthest away in the trace's touch order (request by request, each
// request's blocks last to first); an entry never touched again is infinitely far. No bypass: the inserted
// block always enters. A touch's next use is its key's first touch by a later request (the oracle), which
// is the literal next touch whenever a request does not repeat an id (Mooncake ids are prefix-chained, so
// they never repeat within a request). Under prefix chains this is a reference, not a proven optimum.
// Needs the whole trace up front: replay builds a NextUseIndex in a first pass (O(trace) memory: 8 bytes
// per block) and replays in a second. Ties (entries never used again) go to the highest slot; they cannot
// change hit counts. Without an oracle (a live run) every verb throws std::logic_error.
class OptPolicy final : public EvictionPolicy, public NeedsNextUse {
public:
  void attach(const PolicyContext& context) override { m_context = &context; }
  void setNextUseOracle(const NextUseOracle* oracle) override { m_oracle = oracle; }
  void onInsert(SlotId slot) override;
  void onAccess(SlotId slot) override;
  void onRemove(SlotId slot) override;
  SlotId pickVictim(const VictimFilter& filter) override;

private:
  void rank(SlotId slot);
  const PolicyContext* m_context = nullptr;
  const NextUseOracle* m_oracle = nullptr;
  std::set<std::pair<std::uint64_t, SlotId>> m_order;  // (next use, slot), farthest last
  std::vector<std::uint64_t> m_nextUse;                // indexed by slot
};

}  // namespace kvlab
