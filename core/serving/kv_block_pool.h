// SPDX-License-Identifier: MIT
#pragma once
// The shared KV memory of a serving engine, as vLLM v1's BlockPool keeps it (vllm/v1/core/block_pool.py at
// the commit named in docs/serving.md): a fixed number of equal blocks (blockSize tokens of K/V each, every
// layer), a reference count per block, and a key -> blocks map for prefix reuse. A block is in exactly one
// of three states:
//   in use         ref > 0: held by one or more running sequences; never evicted;
//   cached-free    ref == 0 and it holds a key: its K/V is still valid and can be hit, but it may be
//                  reallocated (evicting the key) when a fresh block is needed;
//   free           ref == 0, no key.
// A block gets its key when the engine schedules the tokens that fill it (cacheBlock), as vLLM's
// allocate_slots -> cache_full_blocks does, so a request admitted later in the same step can hit it.
// Keys are not de-duplicated, as in vLLM: two sequences that compute the same block each keep their copy
// under the one key; a lookup returns the copy filed first that is still there.
//
// Free order, as vLLM's FreeKVCacheBlockQueue with free_blocks putting unkeyed blocks at the head and keyed
// ones at the tail: allocation takes a free block first and evicts a cached-free block only when none is
// left. Which cached-free block goes is decided by an eviction policy from core/policies/; "lru" is vLLM's
// queue order (blocks ordered by the time they were freed; a sequence frees its tail first). The other
// policies are the lab's extension: the policy is told about a block when it becomes cached-free
// (onInsert) and forgets it when the block is taken back into use or evicted (onRemove), so it only ever
// sees evictable blocks; so that frequency and "visited" policies can tell hot prefixes from cold ones, a
// block that was hit while cached is re-inserted followed by one onAccess per hit (at most
// kMaxReplayedAccesses): LFU keeps its count, SIEVE sets its visited bit (LRU and FIFO are unaffected).
// Not thread-safe: one simulator drives one pool.
#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/cache/cache_types.h"
#include "core/policies/eviction_policy.h"

namespace kvlab {

using BlockId = std::uint32_t;
inline constexpr BlockId kNoBlock = 0xFFFFFFFFu;

// A block's key stands for vLLM's block hash (a hash of the block's tokens chained to its prefix's):
//   shared:  hi == 0, lo = the trace's hash id of a full prompt block (equal ids = equal block and prefix,
//            as Mooncake's ids are), so every request with that prefix can hit it;
//   private: hi != 0, a block no other request can have, because generated tokens fill it (or the trace
//            gives no id for it): hi = owner + 1, lo = the block's index in the owner's sequence. Only the
//            owner can hit it again (recomputing after a preemption).
inline CacheKey sharedBlockKey(std::uint64_t hashId) { return CacheKey{hashId, 0}; }
inline CacheKey privateBlockKey(std::uint32_t owner, std::uint32_t blockIndex) {
  return CacheKey{blockIndex, std::uint64_t(owner) + 1};
}
inline bool isSharedBlockKey(const CacheKey& key) { return key.hi == 0; }

// What a router can match changes: a shared key is now held by the pool (its first copy was filed) or no
// longer (its last copy was reallocated). The events a KV-event-fed fleet index listens to (NVIDIA
// Dynamo's KvIndexer); private keys are not reported, since no other request can ask for them. Called
// synchronously on the pool's thread.
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
  std::uint32_t cachedFreeBlocks() const { return m_cachedFree; }                      // ref == 0, keyed
  std::uint32_t plainFreeBlocks() const { return std::uint32_t(m_plainFree.size()); }  // ref == 0, no key
  // What allocate() can still supply: plain free + cached-free.
  std::uint32_t availableBlocks() const { return plainFreeBlocks() + m_cachedFree; }

  // The first-filed block still holding this key (in use or cached-free), or kNoBlock.
  BlockId findCached(const CacheKey& key) const;
  BlockId findCached(std::uint64_t hashId) const { return findCached(sharedBlockKey(hashId)); }
  // Takes a reference on a cached block found by findCached (a prefix hit). A cached-free block leaves the
  // policy and is in use again.
  void acquireCached(BlockId block);
  // A fresh block with ref 1 and no key: a plain free one if any, else a cached-free one the policy picks
  // (its key is evicted). kNoBlock if every block is in use.
  BlockId allocate();
  // Files an in-use block without a key under `key`: its tokens are scheduled. Another block may already
  // hold the key (both are kept). std::logic_error if the block is free or already keyed.
  void cacheBlock(BlockId block, const CacheKey& key);
  // Drops one reference; at zero the block becomes cached-free (keyed) or free.
  void release(BlockId block);

  // Stored/removed events go to observer (not owned; nullptr stops them).
  void setObserver(KvPoolObserver* observer) { m_observer = observer; }
  // Distinct shared keys held (in use or cached-free): what an index fed by the events above lists.
  std::uint32_t sharedKeys() const { return m_sharedKeys; }
  std::uint32_t keyedBlocks() const { return m_keyedBlocks; }  // blocks holding a key, copies included

  std::uint32_t refCount(BlockId block) const { return m_refCount[block]; }
  bool isCached(BlockId block) const { return m_hasKey[block] != 0; }
  const CacheKey& key(BlockId block) const { return m_key[block]; }  // valid if isCached(block)
  std::uint64_t evictions() const { return m_evictions; }            // cached-free blocks reallocated
  std::uint32_t peakUsedBlocks() const { return m_peakUsed; }

  // Recounts every state from scratch and compares with the counters, the key map and the policy's view;
  // "" if all hold, else what is wrong. O(blocks): for tests.
  std::string checkInvariants() const;

private:
  class Context;  // what key- and size-aware policies read: a block's key, 1 byte per block
  void forgetKey(BlockId block);

  std::unique_ptr<Context> m_context;
  std::unique_ptr<EvictionPolicy> m_policy;
  KvPoolObserver* m_observer = nullptr;
  std::vector<std::uint32_t> m_refCount;
  std::vector<CacheKey> m_key;
  std::vector<unsigned char> m_hasKey;
  std::vector<unsigned char> m_inPolicy;         // cached-free: the policy knows it
  std::vector<std::uint32_t> m_hitsWhileCached;  // hits since the key was set, for policy replay
  std::vector<BlockId> m_plainFree;              // stack of free, unkeyed blocks
  // Key -> the blocks holding it, in the order they were filed (vLLM's BlockHashToBlockMap).
  absl::flat_hash_map<CacheKey, absl::InlinedVector<BlockId, 1>> m_byKey;
  std::uint32_t m_usedBlocks = 0;
  std::uint32_t m_cachedFree = 0;
  std::uint32_t m_keyedBlocks = 0;
  std::uint32_t m_sharedKeys = 0;
  std::uint32_t m_peakUsed = 0;
  std::uint64_t m_evictions = 0;
};

}  // namespace kvlab
