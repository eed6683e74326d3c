// SPDX-License-Identifier: MIT
#pragma once
// The verbs every eviction policy implements. The engine owns storage, sizes, TTL and stats; a policy only
// orders the evictable entries it was told about. Pinned entries are never handed to a policy.
#include "core/cache/cache_types.h"
#include "core/policies/policy_context.h"

namespace kvlab {

// Lets the engine veto a candidate (radix mode: only leaves may go). Most candidates are accepted.
class VictimFilter {
public:
  virtual ~VictimFilter() = default;
  virtual bool accept(SlotId slot) const = 0;
};

class EvictionPolicy {
public:
  virtual ~EvictionPolicy() = default;
  virtual void onInsert(SlotId slot) = 0;  // slot became evictable (new entry, unpinned, policy switch)
  virtual void onAccess(SlotId slot) = 0;  // slot was used again
  virtual void onRemove(SlotId slot) = 0;  // slot left the policy (evicted, expired, pinned, cleared)
  // The entry to evict next among those the filter accepts; kNoSlot if none. Does not remove it: the
  // engine does, and then calls onRemove.
  virtual SlotId pickVictim(const VictimFilter& filter) = 0;
  // Called once by the engine before any other verb. Only policies that need keys or sizes override it
  // (S3-FIFO, ARC, GDSF, opt); the context outlives the policy's use by that engine.
  virtual void attach(const PolicyContext& /*context*/) {}
};

}  // namespace kvlab
