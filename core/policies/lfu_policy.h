// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <set>
#include <vector>

#include "core/policies/eviction_policy.h"

namespace kvlab {

// Least frequently used; ties go to the least recently used. Ordered set keyed by (uses, last-use tick):
// O(log n) per access, which keeps the code short; LFU is not the policy the replay loop is tuned for.
class LfuPolicy final : public EvictionPolicy {
public:
  void onInsert(SlotId slot) override;
  void onAccess(SlotId slot) override;
  void onRemove(SlotId slot) override;
  SlotId pickVictim(const VictimFilter& filter) override;

private:
  struct Rank {
    std::uint64_t uses;
    std::uint64_t tick;
    SlotId slot;
    auto operator<=>(const Rank&) const = default;
  };
  void ensure(SlotId slot);
  std::set<Rank> m_order;
  std::vector<Rank> m_rankOf;  // indexed by slot
  std::uint64_t m_tick = 0;
};

}  // namespace kvlab
