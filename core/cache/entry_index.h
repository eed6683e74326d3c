// SPDX-License-Identifier: MIT
#pragma once
// Key -> what the engine knows of it: its live slot, a marker saying why it went (evicted or expired), or
// nothing (never stored). The markers let every miss be classified as cold, evicted or expired.
//  - Content hashes (the default) go to one flat hash map holding slots and markers alike.
//  - Dense mode, for trace hash ids (key.hi == 0, small lo): the live entries go to a flat hash map sized
//    by the cache (O(capacity); IdSlotTable), and the history to 2 bits per id in a plain vector (never,
//    live, evicted, expired). A trace of N distinct blocks costs N / 4 bytes of history instead of a map
//    entry or a 4-byte slot per id, so replay memory stays near the cache's own size however long the trace
//    is.
#include <absl/container/flat_hash_map.h>

#include <vector>

#include "core/cache/cache_types.h"
#include "core/cache/id_slot_table.h"

namespace kvlab {

class EntryIndex {
public:
  static constexpr SlotId kGoneEvicted = 0xFFFFFFFEu;
  static constexpr SlotId kGoneExpired = 0xFFFFFFFDu;
  static bool isGone(SlotId value) { return value == kGoneEvicted || value == kGoneExpired; }
  // Ids below this use the 2-bit history in dense mode (at most 64 MiB of it); larger ones are hashed.
  static constexpr std::uint64_t kDenseLimit = std::uint64_t(1) << 28;

  void setDense(bool dense) { m_dense = dense; }

  // The live slot of key, kGoneEvicted, kGoneExpired, or kNoSlot if it was never stored.
  SlotId get(const CacheKey& key) const {
    if (isDense(key)) {
      switch (state(key.lo)) {
        case kNever:
          return kNoSlot;
        case kEvicted:
          return kGoneEvicted;
        case kExpired:
          return kGoneExpired;
        default:
          return m_live.find(key.lo);
      }
    }
    const auto it = m_hashed.find(key);
    return it == m_hashed.end() ? kNoSlot : it->second;
  }

  // Records key's live slot, or a gone marker when it leaves the cache.
  void put(const CacheKey& key, SlotId value) {
    if (isDense(key)) {
      if (isGone(value)) {
        setState(key.lo, value == kGoneEvicted ? kEvicted : kExpired);
        m_live.erase(key.lo);
      } else {
        setState(key.lo, kLive);
        m_live.put(key.lo, value);
      }
      return;
    }
    m_hashed.insert_or_assign(key, value);
  }

  void reserve(std::size_t entries) {
    if (m_dense)
      m_live.reserve(entries);
    else
      m_hashed.reserve(entries);
  }

private:
  enum State : unsigned { kNever = 0, kLive = 1, kEvicted = 2, kExpired = 3 };
  static constexpr unsigned kStatesPerWord = 32;  // 2 bits each in a uint64

  bool isDense(const CacheKey& key) const { return m_dense && key.hi == 0 && key.lo < kDenseLimit; }
  unsigned state(std::uint64_t id) const {
    const std::uint64_t word = id / kStatesPerWord;
    if (word >= m_states.size()) return kNever;
    return unsigned(m_states[word] >> (2 * (id % kStatesPerWord))) & 3u;
  }
  void setState(std::uint64_t id, unsigned s) {
    const std::uint64_t word = id / kStatesPerWord;
    if (word >= m_states.size()) m_states.resize(std::max<std::size_t>(word + 1, m_states.size() * 2), 0);
    const unsigned shift = 2 * unsigned(id % kStatesPerWord);
    m_states[word] = (m_states[word] & ~(std::uint64_t(3) << shift)) | (std::uint64_t(s) << shift);
  }

  bool m_dense = false;
  std::vector<std::uint64_t> m_states;             // dense mode: 2 bits per id (State)
  IdSlotTable m_live;                              // dense mode: live ids only (no tombstones)
  absl::flat_hash_map<CacheKey, SlotId> m_hashed;  // other keys: slot or gone marker
};

}  // namespace kvlab
