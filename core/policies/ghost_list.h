// SPDX-License-Identifier: MIT
#pragma once
// Keys of entries a policy evicted recently, oldest first, with their sizes: the ghost queues of S3-FIFO and
// ARC. Only keys are kept (a ghost has no slot and no payload). O(1) push, pop, lookup and erase.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <list>

#include "core/cache/cache_types.h"

namespace kvlab {

class GhostList {
public:
  bool contains(const CacheKey& key) const { return m_where.contains(key); }
  std::size_t size() const { return m_order.size(); }
  bool empty() const { return m_order.empty(); }
  Bytes bytes() const { return m_bytes; }  // sum of the sizes of the keys held

  // Appends key as the newest ghost; a key already held moves to the newest end.
  void pushBack(const CacheKey& key, Bytes bytes) {
    erase(key);
    m_order.push_back(Ghost{key, bytes});
    m_where.emplace(key, std::prev(m_order.end()));
    m_bytes += bytes;
  }
  // Removes key; false if it was not held.
  bool erase(const CacheKey& key) {
    const auto it = m_where.find(key);
    if (it == m_where.end()) return false;
    m_bytes -= it->second->bytes;
    m_order.erase(it->second);
    m_where.erase(it);
    return true;
  }
  // Forgets the oldest ghost (no-op when empty).
  void popFront() {
    if (m_order.empty()) return;
    m_bytes -= m_order.front().bytes;
    m_where.erase(m_order.front().key);
    m_order.pop_front();
  }
  void clear() {
    m_order.clear();
    m_where.clear();
    m_bytes = 0;
  }

private:
  struct Ghost {
    CacheKey key;
    Bytes bytes;
  };
  std::list<Ghost> m_order;  // front = oldest
  absl::flat_hash_map<CacheKey, std::list<Ghost>::iterator> m_where;
  Bytes m_bytes = 0;
};

}  // namespace kvlab
