// SPDX-License-Identifier: MIT
#pragma once
// The bytes behind TierHierarchy's bookkeeping: what a run that holds real K/V (a live run: tensors in host
// memory, blobs in a remote store) does when the hierarchy's rules move a block. Trace replay moves sizes
// only and has none. The hierarchy decides which tier serves, holds and drops what; an implementation only
// copies bytes where it is told, so replay and live runs follow one set of rules.
// Every call comes synchronously from the thread that drives the hierarchy, in the order the rules move
// blocks; a slot named in a call is valid (its payload still there) during the call.
#include <cstddef>
#include <span>
#include <vector>

#include "core/cache/cache_types.h"

namespace kvlab {

class TierPayloads {
public:
  virtual ~TierPayloads() = default;

  // Demotion: the device tier drops deviceSlot's block for room and the host tier filed it at hostSlot.
  // The device payload may be missing (a block inserted and dropped within one commit, before its K/V was
  // filed): the implementation then fills hostSlot itself once it has the K/V.
  virtual void deviceToHost(const CacheKey& key, SlotId deviceSlot, SlotId hostSlot) = 0;
  // Write deviceSlot's block to the remote store (a demotion without a host tier, or write-through of a
  // block new to the device). The payload may be missing as for deviceToHost.
  virtual void deviceToRemote(const CacheKey& key, SlotId deviceSlot) = 0;
  // The block at hostSlot leaves the host tier (dropped for room, promoted, or discarded because the device
  // holds it now); toRemote: write it to the remote store first (dropped for room, not believed there).
  virtual void hostRemoved(const CacheKey& key, SlotId hostSlot, bool toRemote) = 0;
  // Promotion, in two steps around the host removal: take hostSlot's payload now, then hand it to
  // deviceSlot (the device's new entry for the same block) in promotedToDevice().
  virtual void promoteFromHost(const CacheKey& key, SlotId hostSlot) = 0;
  virtual void promotedToDevice(SlotId deviceSlot) = 0;
  // Serves hostSlot's block to this request without moving it (the device has no room it may take).
  virtual void copyFromHost(const CacheKey& key, SlotId hostSlot) = 0;

  // The remote tier's part of a walk: of `keys` (in prefix order) the request wants the leading run the
  // store holds. held: per key asked, whether the store holds it (what it answered, e.g. a probe; may be
  // shorter than keys: the rest were not asked); served: how many leading blocks were fetched, validated
  // and kept for this request (<= the leading run of held). A held block that then failed to arrive must be
  // reported as not held, so the hierarchy stops believing the store has it.
  struct RemoteFetch {
    std::vector<bool> held;
    std::size_t served = 0;
  };
  virtual RemoteFetch fetchRemote(std::span<const CacheKey> keys) = 0;
};

}  // namespace kvlab
