// SPDX-License-Identifier: MIT
#pragma once
// The shared KV memory of a serving engine, in the style of vLLM v1's BlockPool: a fixed number of
// equal blocks (blockSize tokens of K/V each, every layer), a reference count per block, and a hash -> block
// map for prefix reuse. A block is in exactly one of three states:
//   in use         ref > 0: held by one or more running sequences; never evicted;
//   cached-free    ref == 0 and it holds a hash: its K/V is still valid and can be hit, but it may be
//                  reallocated (evicting the hash) when a fresh block is needed;
//   free           ref == 0, no hash.
// Allocation takes a free block first and evicts a cached-free block only when none is left. Which
// cached-free block goes is decided by an eviction policy from core/policies/: the policy is told about a
// block when it becomes cached-free (onInsert) and forgets it when the block is taken back into use or
// evicted (onRemove), so it only ever sees evictable blocks. So that frequency and "visited" policies can
// tell hot prefixes from cold ones, a block that was hit while cached is re-inserted followed by one
// onAccess per hit (at most kMaxReplayedAccesses): LFU keeps its count, SIEVE sets its visited bit, LRU
// and FIFO order blocks by the time they were freed, as vLLM's free queue does.
// Not thread-safe: one simulator drives one pool.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/policies/eviction_policy.h"

namespace kvlab {

using BlockId = std::uint32_t;
inline constexpr BlockId kNoBlock = 0xFFFFFFFFu;

// What the pool can hit changes: a hash is recorded on a block (stored) or a cached-free block is
// reallocated and loses it (removed). The events a KV-event-fed fleet index listens to (NVIDIA Dynamo's
// KvIndexer). Called synchronously on the pool's thread.
class KvPoolObserver {
public:
  virtual ~KvPoolObserver() = default;
  virtual void onBlockStored(std::uint64_t hash) = 0;
  virtual void onBlockRemoved(std::uint64_t hash) = 0;
};

class KvBlockPool {
public:
  static constexpr std::uint32_t kMaxReplayedAccesses = 16;

  // numBlocks >= 1; policy must not be null (it orders only cached-free blocks).
  KvBlockPool(std::uint32_t numBlocks, std::unique_ptr<EvictionPolicy> policy);
  ~KvBlockPool();

  std::uint32_t numBlocks() const { return std::uint32_t(m_refCount.size()); }
  std::uint32_t usedBlocks() const { return m_usedBlocks; }                            // ref > 0
  std::uint32_t cachedFreeBlocks() const { return m_cachedFree; }                      // ref == 0, hashed
  std::uint32_t plainFreeBlocks() const { return std::uint32_t(m_plainFree.size()); }  // ref == 0, no hash
  // What allocate() can still supply: plain free + cached-free.
  std::uint32_t availableBlocks() const { return plainFreeBlocks() + m_cachedFree; }

  // The block whose K/V is the block with this hash (in use or cached-free), or kNoBlock.
  BlockId findCached(std::uint64_t hash) const;
  // Takes a reference on a cached block found by findCached (a prefix hit). A cached-free block leaves the
  // policy and is in use again.
  void acquireCached(BlockId block);
  // A fresh block with ref 1 and no hash: a plain free one if any, else a cached-free one the policy picks
  // (its hash is evicted). kNoBlock if every block is in use.
  BlockId allocate();
  // Records that an in-use block now holds the K/V of `hash` (its prompt tokens were computed). If another
  // block already holds that hash (two sequences computed the same prefix at once) the mapping is kept and
  // this block stays unhashed, as in vLLM. Returns whether the hash was recorded.
  bool setHash(BlockId block, std::uint64_t hash);
  // Drops one reference; at zero the block becomes cached-free (hashed) or free.
  void release(BlockId block);

  // Stored/removed events go to observer (not owned; nullptr stops them).
  void setObserver(KvPoolObserver* observer) { m_observer = observer; }
  std::uint32_t hashedBlocks() const { return std::uint32_t(m_byHash.size()); }  // in use or cached-free

  std::uint32_t refCount(BlockId block) const { return m_refCount[block]; }
  bool isCached(BlockId block) const { return m_hasHash[block] != 0; }
  std::uint64_t evictions() const { return m_evictions; }  // cached-free blocks reallocated
  std::uint32_t peakUsedBlocks() const { return m_peakUsed; }

  // Recounts every state from scratch and compares with the counters and the policy's view; "" if all
  // hold, else what is wrong. O(blocks): for tests.
  std::string checkInvariants() const;

private:
  class Context;  // what key- and size-aware policies read: a block's hash as its key, 1 byte per block
  std::unique_ptr<Context> m_context;
  std::unique_ptr<EvictionPolicy> m_policy;
  KvPoolObserver* m_observer = nullptr;
  std::vector<std::uint32_t> m_refCount;
  std::vector<std::uint64_t> m_hash;
  std::vector<unsigned char> m_hasHash;
  std::vector<unsigned char> m_inPolicy;         // cached-free: the policy knows it
  std::vector<std::uint32_t> m_hitsWhileCached;  // hits since the hash was set, for policy replay
  std::vector<BlockId> m_plainFree;              // stack of free, unhashed blocks
  absl::flat_hash_map<std::uint64_t, BlockId> m_byHash;
  std::uint32_t m_usedBlocks = 0;
  std::uint32_t m_cachedFree = 0;
  std::uint32_t m_peakUsed = 0;
  std::uint64_t m_evictions = 0;
};

}  // namespace kvlab
