// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <vector>

#include "core/policies/eviction_policy.h"
#include "core/policies/ghost_list.h"
#include "core/policies/slot_list.h"

namespace kvlab {

// ARC (Megiddo & Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST '03), the paper's
// Figure 4 mapped onto the engine's verbs. T1 holds entries used once since they entered, T2 entries used
// at least twice; B1 and B2 are ghost lists (keys only) of what T1 and T2 evicted; p is the adaptive target
// size of T1. The cache size c counts entries: c = max(1, floor(max size / size of the incoming entry)),
// exact when all entries have one size (trace replay, block mode).
//  - hit (onAccess): the entry moves to the most recent end of T2;
//  - insert of a key in B1: p = min(c, p + max(1, floor(|B2| / |B1|))); in B2: p = max(0, p - max(1,
//    floor(|B1| / |B2|))); the key leaves its ghost list and the entry enters T2;
//  - insert of a new key: if |T1| + |B1| >= c, drop B1's oldest key when |T1| < c, else the victim is T1's
//    oldest entry, evicted without a ghost; otherwise, when |T1| + |T2| + |B1| + |B2| >= 2c, drop B2's
//    oldest key; the entry enters T1;
//  - REPLACE (pickVictim): T1's oldest if |T1| >= 1 and (|T1| > p, or |T1| = p and the incoming key is in
//    B2), its key to B1; else T2's oldest, its key to B2.
// The engine evicts only when the cache is full, which is exactly when the paper calls REPLACE as long as
// nothing else removes entries; after a TTL removal the paper would still replace, the engine does not.
// The adaptation for an insert happens once, at its first pickVictim or at onInsert if nothing had to go.
// Entries removed for other reasons (TTL, clear, pinning) leave no ghost. Radix mode: refused candidates
// are skipped, the next oldest of the same list is taken, then the other list.
class ArcPolicy final : public EvictionPolicy {
public:
  void attach(const PolicyContext& context) override { m_context = &context; }
  void onInsert(SlotId slot) override;
  void onAccess(SlotId slot) override;
  void onRemove(SlotId slot) override;
  SlotId pickVictim(const VictimFilter& filter) override;

  std::uint64_t target() const { return m_p; }  // p, in entries (for tests)

private:
  enum List : unsigned char { kNone, kT1, kT2 };
  enum class Ghost : unsigned char { None, B1, B2 };
  void ensure(SlotId slot);
  void prepare(const CacheKey& key, Bytes bytes);

  const PolicyContext* m_context = nullptr;
  SlotList m_t1;  // front = least recent
  SlotList m_t2;
  GhostList m_b1;
  GhostList m_b2;
  std::uint64_t m_p = 0;
  std::vector<unsigned char> m_list;  // indexed by slot
  // The insert being prepared: its key, where it was a ghost, whether T1's oldest goes without a ghost.
  bool m_prepared = false;
  CacheKey m_preparedKey;
  Ghost m_ghostHit = Ghost::None;
  bool m_dropWithoutGhost = false;
  SlotId m_victim = kNoSlot;
  bool m_victimToGhost = false;
};

}  // namespace kvlab
