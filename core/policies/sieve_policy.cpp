// SPDX-License-Identifier: MIT
#include "core/policies/sieve_policy.h"

namespace kvlab {

void SievePolicy::onInsert(SlotId slot) {
  if (slot >= m_visited.size()) m_visited.resize(std::max<std::size_t>(slot + 1, m_visited.size() * 2), 0);
  m_visited[slot] = 0;
  m_queue.pushBack(slot);
}

void SievePolicy::onRemove(SlotId slot) {
  if (m_hand == slot) m_hand = m_queue.next(slot);
  m_queue.remove(slot);
}

SlotId SievePolicy::pickVictim(const VictimFilter& filter) {
  // Two full sweeps suffice: the first clears every visited bit it passes.
  const std::size_t budget = 2 * m_queue.size() + 1;
  SlotId s = m_hand == kNoSlot ? m_queue.front() : m_hand;
  for (std::size_t step = 0; step < budget && !m_queue.empty(); ++step) {
    if (s == kNoSlot) s = m_queue.front();
    if (m_visited[s]) {
      m_visited[s] = 0;
    } else if (filter.accept(s)) {
      m_hand = m_queue.next(s);
      return s;
    }
    s = m_queue.next(s);
  }
  return kNoSlot;
}

}  // namespace kvlab
