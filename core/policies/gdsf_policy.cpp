// SPDX-License-Identifier: MIT
#include "core/policies/gdsf_policy.h"

#include <algorithm>
#include <stdexcept>

namespace kvlab {

void GdsfPolicy::ensure(SlotId slot) {
  if (slot < m_rankOf.size()) return;
  const std::size_t n = std::max<std::size_t>(std::size_t(slot) + 1, m_rankOf.size() * 2);
  m_rankOf.resize(n);
  m_frequency.resize(n, 0);
}

void GdsfPolicy::rank(SlotId slot) {
  const double cost = double(m_context->tokens(slot));
  const double size = double(std::max<Bytes>(1, m_context->bytes(slot)));
  m_rankOf[slot] = Rank{m_clock + double(m_frequency[slot]) * cost / size, ++m_tick, slot};
  m_order.insert(m_rankOf[slot]);
}

void GdsfPolicy::onInsert(SlotId slot) {
  if (!m_context) throw std::logic_error("GdsfPolicy used before attach()");
  ensure(slot);
  m_frequency[slot] = 1;
  rank(slot);
}

void GdsfPolicy::onAccess(SlotId slot) {
  m_order.erase(m_rankOf[slot]);
  ++m_frequency[slot];
  rank(slot);
}

void GdsfPolicy::onRemove(SlotId slot) {
  m_order.erase(m_rankOf[slot]);
  if (slot == m_victim) {
    m_clock = m_rankOf[slot].priority;
    m_victim = kNoSlot;
  }
}

SlotId GdsfPolicy::pickVictim(const VictimFilter& filter) {
  for (const Rank& r : m_order)
    if (filter.accept(r.slot)) return m_victim = r.slot;
  return kNoSlot;
}

}  // namespace kvlab
