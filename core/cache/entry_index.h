// SPDX-License-Identifier: MIT
#pragma once
// Key -> value (a live SlotId or a "gone" marker) for the engine. Content hashes go to a flat hash map.
// Trace hash ids (key.hi == 0, small lo) are dense integers handed out in order of first appearance, so
// in dense mode they index a plain vector instead: one cache line touched per lookup instead of a hash
// probe, which is what lets replay run at tens of millions of blocks per second.
#include <absl/container/flat_hash_map.h>

#include <vector>

#include "core/cache/cache_types.h"

namespace kvlab {

class EntryIndex {
public:
  static constexpr std::uint64_t kDenseLimit = std::uint64_t(1) << 26;  // 64 Mi ids = 256 MiB of slots

  void setDense(bool dense) { m_dense = dense; }

  // The value stored for key, or nullptr if the key was never stored. Valid until the next valueFor().
  SlotId* find(const CacheKey& key) {
    if (isDense(key)) {
      if (key.lo >= m_denseValues.size() || m_denseValues[key.lo] == kNoSlot) return nullptr;
      return &m_denseValues[key.lo];
    }
    const auto it = m_hashed.find(key);
    return it == m_hashed.end() ? nullptr : &it->second;
  }
  const SlotId* find(const CacheKey& key) const { return const_cast<EntryIndex*>(this)->find(key); }

  // The value for key, created as kNoSlot (*fresh = true) if absent. The reference stays valid while only
  // other keys' values are rewritten (no valueFor/erase in between).
  SlotId& valueFor(const CacheKey& key, bool* fresh) {
    if (isDense(key)) {
      if (key.lo >= m_denseValues.size())
        m_denseValues.resize(std::max<std::size_t>(key.lo + 1, m_denseValues.size() * 2), kNoSlot);
      *fresh = m_denseValues[key.lo] == kNoSlot;
      return m_denseValues[key.lo];
    }
    const auto [it, inserted] = m_hashed.try_emplace(key, kNoSlot);
    *fresh = inserted;
    return it->second;
  }

  void erase(const CacheKey& key) {
    if (isDense(key)) {
      if (key.lo < m_denseValues.size()) m_denseValues[key.lo] = kNoSlot;
    } else {
      m_hashed.erase(key);
    }
  }

  void reserve(std::size_t entries) {
    if (m_dense)
      m_denseValues.reserve(entries);
    else
      m_hashed.reserve(entries);
  }

private:
  bool isDense(const CacheKey& key) const { return m_dense && key.hi == 0 && key.lo < kDenseLimit; }

  bool m_dense = false;
  std::vector<SlotId> m_denseValues;  // indexed by key.lo; kNoSlot = never stored
  absl::flat_hash_map<CacheKey, SlotId> m_hashed;
};

}  // namespace kvlab
