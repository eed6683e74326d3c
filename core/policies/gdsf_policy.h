// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <set>
#include <vector>

#include "core/policies/eviction_policy.h"

namespace kvlab {

// GreedyDual-Size-Frequency (Cherkasova, 1998): priority H = L + frequency x cost / size, where cost = the
// tokens a hit on the entry saves (its tokens), size = its bytes, frequency = 1 at insert and +1 per hit,
// and L, the clock, is set to the priority of each entry the policy evicts (so old frequencies age). The
// lowest H goes first; ties go to the entry whose H was set longest ago. H is recomputed at every hit.
// Computed in doubles exactly as written: L + (double(frequency) * double(tokens)) / double(bytes).
// Note: K/V bytes are proportional to tokens in every granularity here (bytes per token of the model), so
// cost / size is the same for every entry of a run and GDSF behaves as LFU with dynamic aging (LFU-DA):
// it differs from `lfu` by the clock, which lets entries that were popular long ago be evicted.
class GdsfPolicy final : public EvictionPolicy {
public:
  void attach(const PolicyContext& context) override { m_context = &context; }
  void onInsert(SlotId slot) override;
  void onAccess(SlotId slot) override;
  void onRemove(SlotId slot) override;
  SlotId pickVictim(const VictimFilter& filter) override;

  double clock() const { return m_clock; }  // L (for tests)

private:
  struct Rank {
    double priority;
    std::uint64_t tick;
    SlotId slot;
    auto operator<=>(const Rank&) const = default;
  };
  void ensure(SlotId slot);
  void rank(SlotId slot);

  const PolicyContext* m_context = nullptr;
  std::set<Rank> m_order;
  std::vector<Rank> m_rankOf;  // indexed by slot
  std::vector<std::uint64_t> m_frequency;
  double m_clock = 0;
  std::uint64_t m_tick = 0;
  SlotId m_victim = kNoSlot;
};

}  // namespace kvlab
