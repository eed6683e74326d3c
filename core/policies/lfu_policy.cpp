// SPDX-License-Identifier: MIT
#include "core/policies/lfu_policy.h"

namespace kvlab {

void LfuPolicy::ensure(SlotId slot) {
  if (slot >= m_rankOf.size()) m_rankOf.resize(std::max<std::size_t>(slot + 1, m_rankOf.size() * 2));
}

void LfuPolicy::onInsert(SlotId slot) {
  ensure(slot);
  m_rankOf[slot] = Rank{1, ++m_tick, slot};
  m_order.insert(m_rankOf[slot]);
}

void LfuPolicy::onAccess(SlotId slot) {
  Rank& rank = m_rankOf[slot];
  m_order.erase(rank);
  rank.uses += 1;
  rank.tick = ++m_tick;
  m_order.insert(rank);
}

void LfuPolicy::onRemove(SlotId slot) { m_order.erase(m_rankOf[slot]); }

SlotId LfuPolicy::pickVictim(const VictimFilter& filter) {
  for (const Rank& rank : m_order)
    if (filter.accept(rank.slot)) return rank.slot;
  return kNoSlot;
}

}  // namespace kvlab
