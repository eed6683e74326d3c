// SPDX-License-Identifier: MIT
#pragma once
// Intrusive doubly linked list of SlotIds kept in flat arrays: O(1) push, remove and move, no allocation
// per entry. Front = oldest, back = newest. Used by the LRU/FIFO/SIEVE policies and the engine's TTL order.
#include <cstddef>
#include <vector>

#include "core/cache/cache_types.h"

namespace kvlab {

class SlotList {
public:
  bool contains(SlotId s) const { return s < m_member.size() && m_member[s]; }
  bool empty() const { return m_size == 0; }
  std::size_t size() const { return m_size; }
  SlotId front() const { return m_head; }
  SlotId back() const { return m_tail; }
  SlotId next(SlotId s) const { return m_next[s]; }  // towards the back
  SlotId prev(SlotId s) const { return m_prev[s]; }  // towards the front

  void pushBack(SlotId s) {
    ensure(s);
    m_prev[s] = m_tail;
    m_next[s] = kNoSlot;
    if (m_tail != kNoSlot)
      m_next[m_tail] = s;
    else
      m_head = s;
    m_tail = s;
    m_member[s] = 1;
    ++m_size;
  }

  void remove(SlotId s) {
    const SlotId p = m_prev[s];
    const SlotId n = m_next[s];
    if (p != kNoSlot)
      m_next[p] = n;
    else
      m_head = n;
    if (n != kNoSlot)
      m_prev[n] = p;
    else
      m_tail = p;
    m_member[s] = 0;
    --m_size;
  }

  // Links s (not a member) in just before pos (a member).
  void insertBefore(SlotId s, SlotId pos) {
    ensure(s);
    const SlotId p = m_prev[pos];
    m_prev[s] = p;
    m_next[s] = pos;
    m_prev[pos] = s;
    if (p != kNoSlot)
      m_next[p] = s;
    else
      m_head = s;
    m_member[s] = 1;
    ++m_size;
  }

  void moveToBack(SlotId s) {
    if (m_tail == s) return;
    remove(s);
    pushBack(s);
  }

  void clear() {
    m_prev.clear();
    m_next.clear();
    m_member.clear();
    m_head = m_tail = kNoSlot;
    m_size = 0;
  }

private:
  void ensure(SlotId s) {
    if (s < m_member.size()) return;
    const std::size_t n = std::max<std::size_t>(std::size_t(s) + 1, m_member.size() * 2);
    m_prev.resize(n, kNoSlot);
    m_next.resize(n, kNoSlot);
    m_member.resize(n, 0);
  }

  std::vector<SlotId> m_prev;
  std::vector<SlotId> m_next;
  std::vector<unsigned char> m_member;
  SlotId m_head = kNoSlot;
  SlotId m_tail = kNoSlot;
  std::size_t m_size = 0;
};

// The first slot from the front (oldest) that the filter accepts, or kNoSlot: LRU's and FIFO's victim.
template <typename Filter>
SlotId firstAccepted(const SlotList& list, const Filter& filter) {
  for (SlotId s = list.front(); s != kNoSlot; s = list.next(s))
    if (filter.accept(s)) return s;
  return kNoSlot;
}

}  // namespace kvlab
