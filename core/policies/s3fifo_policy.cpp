// SPDX-License-Identifier: MIT
#include "core/policies/s3fifo_policy.h"

#include <algorithm>
#include <stdexcept>

namespace kvlab {

void S3FifoPolicy::ensure(SlotId slot) {
  if (slot < m_queue.size()) return;
  const std::size_t n = std::max<std::size_t>(std::size_t(slot) + 1, m_queue.size() * 2);
  m_queue.resize(n, kNone);
  m_freq.resize(n, 0);
}

Bytes S3FifoPolicy::smallTarget() const {
  return Bytes(double(m_context->capacityBytes()) * m_params.smallRatio);
}

void S3FifoPolicy::onInsert(SlotId slot) {
  if (!m_context) throw std::logic_error("S3FifoPolicy used before attach()");
  ensure(slot);
  m_freq[slot] = 0;
  const Bytes bytes = m_context->bytes(slot);
  const CacheKey& key = m_context->key(slot);
  const bool wasGhost = (m_incomingWasGhost && m_incomingKey == key) || m_ghost.erase(key);
  m_incomingWasGhost = false;
  if (wasGhost) {
    m_queue[slot] = kMain;
    m_main.pushBack(slot);
    m_mainBytes += bytes;
  } else {
    m_queue[slot] = kSmall;
    m_small.pushBack(slot);
    m_smallBytes += bytes;
  }
}

void S3FifoPolicy::onAccess(SlotId slot) {
  m_freq[slot] = (unsigned char)std::min<int>(m_freq[slot] + 1, m_params.maxFrequency);
}

void S3FifoPolicy::onRemove(SlotId slot) {
  const Bytes bytes = m_context->bytes(slot);
  if (m_queue[slot] == kSmall) {
    m_small.remove(slot);
    m_smallBytes -= bytes;
    if (slot == m_victim) {
      m_ghost.pushBack(m_context->key(slot), bytes);
      const Bytes capacity = m_context->capacityBytes();
      const Bytes limit = capacity - std::min(capacity, smallTarget());
      while (!m_ghost.empty() && m_ghost.bytes() > limit) m_ghost.popFront();
    }
  } else if (m_queue[slot] == kMain) {
    m_main.remove(slot);
    m_mainBytes -= bytes;
  }
  m_queue[slot] = kNone;
  if (slot == m_victim) m_victim = kNoSlot;
}

SlotId S3FifoPolicy::pickVictim(const VictimFilter& filter) {
  Bytes incomingBytes = 0;
  if (const CacheKey* key = m_context->incoming(&incomingBytes);
      key && !(m_incomingWasGhost && m_incomingKey == *key) && m_ghost.erase(*key)) {
    m_incomingWasGhost = true;
    m_incomingKey = *key;
  }
  // Each pass over an entry either evicts it, promotes it, lowers its frequency or (refused) passes over
  // it: 5 passes per entry bound the loop even when the filter refuses everything.
  const std::size_t budget = 5 * (m_small.size() + m_main.size()) + 1;
  for (std::size_t step = 0; step < budget; ++step) {
    if (!m_small.empty() && (m_smallBytes >= smallTarget() || m_main.empty())) {
      const SlotId s = m_small.front();
      const Bytes bytes = m_context->bytes(s);
      if (m_freq[s] >= m_params.moveToMainThreshold) {
        m_small.remove(s);
        m_smallBytes -= bytes;
        m_freq[s] = 0;
        m_queue[s] = kMain;
        m_main.pushBack(s);
        m_mainBytes += bytes;
      } else if (filter.accept(s)) {
        m_victim = s;
        return s;
      } else {
        m_small.moveToBack(s);
      }
    } else if (!m_main.empty()) {
      const SlotId m = m_main.front();
      if (m_freq[m] > 0) {
        --m_freq[m];
        m_main.moveToBack(m);
      } else if (filter.accept(m)) {
        m_victim = m;
        return m;
      } else {
        m_main.moveToBack(m);
      }
    } else {
      break;
    }
  }
  return kNoSlot;
}

}  // namespace kvlab
