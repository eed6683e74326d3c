// SPDX-License-Identifier: MIT
#pragma once
#include "core/policies/eviction_policy.h"
#include "core/policies/slot_list.h"

namespace kvlab {

// First in, first out: accesses do not reorder (the engine still refreshes the TTL on access).
class FifoPolicy final : public EvictionPolicy {
public:
  void onInsert(SlotId slot) override { m_order.pushBack(slot); }
  void onAccess(SlotId) override {}
  void onRemove(SlotId slot) override { m_order.remove(slot); }
  SlotId pickVictim(const VictimFilter& filter) override { return firstAccepted(m_order, filter); }

private:
  SlotList m_order;
};

}  // namespace kvlab
