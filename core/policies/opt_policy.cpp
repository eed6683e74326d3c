// SPDX-License-Identifier: MIT
#include "core/policies/opt_policy.h"

#include <algorithm>
#include <stdexcept>

namespace kvlab {

void OptPolicy::rank(SlotId slot) {
  if (!m_oracle || !m_context)
    throw std::logic_error(
        "policy 'opt' (Belady, farthest next use) needs the whole trace up front: it runs in trace replay "
        "and sweep only");
  if (slot >= m_nextUse.size())
    m_nextUse.resize(std::max<std::size_t>(std::size_t(slot) + 1, m_nextUse.size() * 2), 0);
  m_nextUse[slot] = m_oracle->nextUse(m_context->key(slot));
  m_order.emplace(m_nextUse[slot], slot);
}

void OptPolicy::onInsert(SlotId slot) { rank(slot); }

void OptPolicy::onAccess(SlotId slot) {
  m_order.erase({m_nextUse[slot], slot});
  rank(slot);
}

void OptPolicy::onRemove(SlotId slot) { m_order.erase({m_nextUse[slot], slot}); }

SlotId OptPolicy::pickVictim(const VictimFilter& filter) {
  for (auto it = m_order.rbegin(); it != m_order.rend(); ++it)
    if (filter.accept(it->second)) return it->second;
  return kNoSlot;
}

}  // namespace kvlab
