// SPDX-License-Identifier: MIT
#pragma once
#include "core/policies/eviction_policy.h"
#include "core/policies/slot_list.h"

namespace kvlab {

// Least recently used: every access moves the entry to the back; victims come from the front.
class LruPolicy final : public EvictionPolicy {
public:
  void onInsert(SlotId slot) override { m_order.pushBack(slot); }
  void onAccess(SlotId slot) override { m_order.moveToBack(slot); }
  void onRemove(SlotId slot) override { m_order.remove(slot); }
  SlotId pickVictim(const VictimFilter& filter) override { return firstAccepted(m_order, filter); }

private:
  SlotList m_order;
};

}  // namespace kvlab
