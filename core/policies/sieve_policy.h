// SPDX-License-Identifier: MIT
#pragma once
#include <vector>

#include "core/policies/eviction_policy.h"
#include "core/policies/slot_list.h"

namespace kvlab {

// SIEVE (Zhang et al., NSDI '24): a FIFO queue with one "visited" bit per entry and a hand that sweeps from
// the oldest end; a visited entry gets its bit cleared and is spared, the first unvisited one is evicted.
// Accesses only set the bit, so hits never reorder the queue.
class SievePolicy final : public EvictionPolicy {
public:
  void onInsert(SlotId slot) override;
  void onAccess(SlotId slot) override { m_visited[slot] = 1; }
  void onRemove(SlotId slot) override;
  SlotId pickVictim(const VictimFilter& filter) override;

private:
  SlotList m_queue;  // front = oldest
  std::vector<unsigned char> m_visited;
  SlotId m_hand = kNoSlot;  // next candidate; kNoSlot = start from the front
};

}  // namespace kvlab
