// SPDX-License-Identifier: MIT
#include "core/policies/arc_policy.h"

#include <algorithm>
#include <stdexcept>

namespace kvlab {

void ArcPolicy::ensure(SlotId slot) {
  if (slot >= m_list.size())
    m_list.resize(std::max<std::size_t>(std::size_t(slot) + 1, m_list.size() * 2), kNone);
}

void ArcPolicy::prepare(const CacheKey& key, Bytes bytes) {
  const std::uint64_t c = std::max<std::uint64_t>(1, m_context->capacityBytes() / std::max<Bytes>(1, bytes));
  m_prepared = true;
  m_preparedKey = key;
  m_dropWithoutGhost = false;
  if (m_b1.contains(key)) {
    m_ghostHit = Ghost::B1;
    const std::uint64_t delta = std::max<std::uint64_t>(1, m_b2.size() / m_b1.size());
    m_p = std::min(c, m_p + delta);
  } else if (m_b2.contains(key)) {
    m_ghostHit = Ghost::B2;
    const std::uint64_t delta = std::max<std::uint64_t>(1, m_b1.size() / m_b2.size());
    m_p = m_p > delta ? m_p - delta : 0;
  } else {
    m_ghostHit = Ghost::None;
    if (m_t1.size() + m_b1.size() >= c) {
      if (m_t1.size() < c)
        m_b1.popFront();
      else
        m_dropWithoutGhost = true;
    } else if (m_t1.size() + m_t2.size() + m_b1.size() + m_b2.size() >= 2 * c) {
      m_b2.popFront();
    }
  }
}

void ArcPolicy::onInsert(SlotId slot) {
  if (!m_context) throw std::logic_error("ArcPolicy used before attach()");
  ensure(slot);
  const CacheKey& key = m_context->key(slot);
  if (!m_prepared || !(m_preparedKey == key)) prepare(key, m_context->bytes(slot));
  if (m_ghostHit == Ghost::B1) m_b1.erase(key);
  if (m_ghostHit == Ghost::B2) m_b2.erase(key);
  if (m_ghostHit == Ghost::None) {
    m_list[slot] = kT1;
    m_t1.pushBack(slot);
  } else {
    m_list[slot] = kT2;
    m_t2.pushBack(slot);
  }
  m_prepared = false;
  m_ghostHit = Ghost::None;
  m_dropWithoutGhost = false;
}

void ArcPolicy::onAccess(SlotId slot) {
  if (m_list[slot] == kT1) {
    m_t1.remove(slot);
    m_t2.pushBack(slot);
    m_list[slot] = kT2;
  } else {
    m_t2.moveToBack(slot);
  }
}

void ArcPolicy::onRemove(SlotId slot) {
  const unsigned char list = m_list[slot];
  if (list == kT1) m_t1.remove(slot);
  if (list == kT2) m_t2.remove(slot);
  m_list[slot] = kNone;
  if (slot == m_victim) {
    if (m_victimToGhost) (list == kT1 ? m_b1 : m_b2).pushBack(m_context->key(slot), m_context->bytes(slot));
    m_victim = kNoSlot;
  }
}

SlotId ArcPolicy::pickVictim(const VictimFilter& filter) {
  Bytes incomingBytes = 0;
  if (const CacheKey* key = m_context->incoming(&incomingBytes);
      key && (!m_prepared || !(m_preparedKey == *key)))
    prepare(*key, incomingBytes);
  SlotId victim = kNoSlot;
  m_victimToGhost = true;
  if (m_dropWithoutGhost && !m_t1.empty()) {
    m_dropWithoutGhost = false;
    victim = firstAccepted(m_t1, filter);
    m_victimToGhost = false;
  }
  if (victim == kNoSlot) {
    m_victimToGhost = true;
    const bool fromT1 =
        !m_t1.empty() && (m_t1.size() > m_p || (m_ghostHit == Ghost::B2 && m_t1.size() == m_p));
    victim = firstAccepted(fromT1 ? m_t1 : m_t2, filter);
    if (victim == kNoSlot) victim = firstAccepted(fromT1 ? m_t2 : m_t1, filter);
  }
  m_victim = victim;
  return victim;
}

}  // namespace kvlab
