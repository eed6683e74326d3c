// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <vector>

#include "core/policies/eviction_policy.h"
#include "core/policies/ghost_list.h"
#include "core/policies/slot_list.h"

namespace kvlab {

// The thresholds of S3-FIFO (the and the paper's choices; see S3FifoPolicy).
struct S3FifoParams {
  double smallRatio = 0.10;     // the small queue's share of the max size (bytes)
  int moveToMainThreshold = 1;  // hits in the small queue that earn promotion to main
  int maxFrequency = 3;         // 2-bit frequency counter
};

// S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction", SOSP '23). Three FIFO queues:
//  - small S, target 10% of the max size (bytes: floor(capacity x 0.1)): every insert enters S,
//    except one whose key is in the ghost queue G, which goes straight to main M (and leaves G; G is
//    checked before the evictions for that insert, as libCacheSim does at lookup);
//  - a hit raises the entry's frequency by one, capped at 3 (2 bits); hits never reorder a queue;
//  - eviction takes from S while S holds at least its target (or M is empty), else from M;
//  - leaving S: an entry with frequency >= 1 (hit at least once while in S) moves to the back of M with its
//    frequency reset to 0; otherwise it is evicted and its key joins G;
//  - leaving M: FIFO-reinsertion, an entry with frequency > 0 has it decremented and goes to the back of M;
//    one with frequency 0 is evicted (not ghosted);
//  - G holds at most as many bytes of keys as M's share of the max size (capacity - small target): the
//    ids of about as many entries as M holds, oldest dropped first.
// Why these: the issue specifies 10% / 2 bits / ghost as large as M; the promotion threshold is 1, as in
// the paper's algorithm and libCacheSim's S3FIFOv0 (libCacheSim's current S3FIFO.c defaults to 2, and also
// sends inserts to M while S is full before the first eviction; we keep the paper's simpler rule). An
// entry the engine removes for any other reason (TTL, clear, pinning) leaves without a ghost. Radix mode:
// a candidate the filter refuses (a parent) is passed over as if reinserted, with its frequency unchanged.
class S3FifoPolicy final : public EvictionPolicy {
public:
  void attach(const PolicyContext& context) override { m_context = &context; }
  void onInsert(SlotId slot) override;
  void onAccess(SlotId slot) override;
  void onRemove(SlotId slot) override;
  SlotId pickVictim(const VictimFilter& filter) override;

private:
  enum Queue : unsigned char { kNone, kSmall, kMain };
  void ensure(SlotId slot);
  Bytes smallTarget() const;

  S3FifoParams m_params;
  const PolicyContext* m_context = nullptr;
  SlotList m_small;  // front = oldest
  SlotList m_main;
  GhostList m_ghost;
  Bytes m_smallBytes = 0;
  Bytes m_mainBytes = 0;
  std::vector<unsigned char> m_queue;  // indexed by slot
  std::vector<unsigned char> m_freq;
  SlotId m_victim = kNoSlot;  // returned by the last pickVictim: ghosted when the engine removes it
  // The incoming key was found (and dropped) in the ghost queue before the evictions made room for it.
  bool m_incomingWasGhost = false;
  CacheKey m_incomingKey;
};

}  // namespace kvlab
