// SPDX-License-Identifier: MIT
#pragma once
// The host-memory tier of a live run: whole K/V blocks the device cache evicted for room (demoted), kept in
// CPU memory under their chained block keys, until a prefix walk promotes them back up or this tier evicts
// them in turn. The bookkeeping is a second CacheEngine (its own capacity and eviction policy from the
// policy registry, no TTL); this class adds the tensors and the per-tier figures. Exclusive with the device
// cache: a block is in one of the two (promotion removes it here, demotion adds it). Pinned (page-locked)
// memory when the compute device is CUDA, so host <-> GPU copies run at DMA bandwidth. Internal to
// core/runner (exposes tensors); one thread drives it (the run thread).
#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/tiers/tier_report.h"

namespace kvlab {

class HostKvTier {
public:
  // Called for each block this tier drops for room (capacity or a policy change) or cannot take at all
  // (larger than what it can free), with its K/V (host memory, (L, 2, H, T, D)) still valid during the call.
  using DropListener = std::function<void(const CacheKey& key, const at::Tensor& kv)>;

  // config: capacity (kUnlimited = no bound) and policy; its ttlMs is ignored (host blocks do not expire).
  // bytesPerBlock / blockTokens: one block's K/V bytes and tokens. pinned: allocate page-locked memory.
  HostKvTier(CacheConfig config, const Clock& clock, Bytes bytesPerBlock, std::uint32_t blockTokens,
             bool pinned);
  ~HostKvTier();
  HostKvTier(const HostKvTier&) = delete;
  HostKvTier& operator=(const HostKvTier&) = delete;

  void setDropListener(DropListener listener) { m_dropListener = std::move(listener); }

  // Demotion: copies kv ((L, 2, H, T, D), any device) into host memory and files it under key (the copy is
  // waited for and timed). A key already held is left as is. May evict other blocks (DropListener).
  void demote(const CacheKey& key, const at::Tensor& kv);
  // Whether key is held; not a use, not counted.
  bool contains(const CacheKey& key) { return m_engine->find(key) != kNoSlot; }
  // Promotion: removes key's block (it must be held) and returns its K/V on `device` (a copy, waited for
  // and timed; on "cpu" the host tensor itself is handed over). Counts a hit of blockTokens tokens.
  at::Tensor promote(const CacheKey& key, const std::string& device);
  // Serving without promotion (the device cache has no room for it): returns key's block (it must be held)
  // on `device`, a copy waited for and timed (on "cpu" the host tensor itself: read only, as every cached
  // tensor a prefix is built from); the block stays here and counts a use. Counts a hit.
  at::Tensor copyOut(const CacheKey& key, const std::string& device);
  // Removes key's block if held (it was stored in the device cache by other means): not a hit, not an
  // eviction. Keeps the tiers exclusive.
  void discard(const CacheKey& key);
  // The prefix walk asked for a block this tier does not hold.
  void countMiss() { ++m_misses; }

  // The "host" TierReport: hits/misses (blocks), hit tokens, bytes in (demotions) / out (promotions),
  // entries held now, evictions (capacity + policy change), transfer_ms = measured wall time of the copies.
  TierReport report() const;
  CacheEngine& engine() { return *m_engine; }
  const CacheEngine& engine() const { return *m_engine; }
  bool pinned() const { return m_pinned; }

private:
  // host -> device copy, waited for and timed; counts a hit and the bytes out.
  at::Tensor copyToDevice(const at::Tensor& host, const std::string& device);

  std::unique_ptr<CacheEngine> m_engine;
  std::vector<at::Tensor> m_tensors;  // by host SlotId, (L, 2, H, T, D) in host memory
  DropListener m_dropListener;
  Bytes m_bytesPerBlock = 0;
  std::uint32_t m_blockTokens = 0;
  bool m_pinned = false;
  std::uint64_t m_hits = 0;
  std::uint64_t m_misses = 0;
  std::uint64_t m_bytesIn = 0;
  std::uint64_t m_bytesOut = 0;
  double m_transferMs = 0;
};

}  // namespace kvlab
