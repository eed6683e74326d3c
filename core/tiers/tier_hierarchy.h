// SPDX-License-Identifier: MIT
#pragma once
// Lower tiers under a block cache, size only (no payloads): what trace replay uses to model host memory and
// a shared remote store below the device cache (LMCache's local CPU backend + remote backend, SGLang
// HiCache's host pool + storage layer). LibTorch-free; live runs move real tensors in core/runner instead.
//
// Tiers, top first: device (the caller's engine), then host and/or remote (each its own CacheEngine with
// its own capacity and eviction policy). Rules:
//  - write: new blocks enter the device. A block the device evicts for room (capacity or a max-size
//    change) is demoted into the next tier unless it is already there; the host demotes into the remote
//    tier the same way; what the last tier evicts is gone. Write-through additionally puts every block new
//    to the device into the remote tier at once.
//  - read: after the device's leading hit run, the walk continues per block: each next block is looked up
//    in the device (from the second walked block on), host, then remote; the first tier holding it serves it;
//    the first block no tier holds ends the hit (later blocks are unreachable without it). A host hit is
//    moved up (removed from host), a remote hit copied up (it stays there); the caller's commit then inserts
//    the block into the device.
// Counting: a tier asked for a block it does not hold counts a miss; hits/hit tokens per serving tier.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/tiers/tier_cost_model.h"
#include "core/tiers/tier_report.h"

namespace kvlab {

struct LowerTierSpec {
  std::string name;                  // "host" or "remote" (in this order when both)
  std::uint64_t capacityBlocks = 0;  // kUnlimited = no bound
  std::string policy = "lru";        // a policyRegistry() name
};

class TierHierarchy {
public:
  // device: the top tier's engine (not owned; must outlive this). Throws std::invalid_argument for an
  // empty or unknown tier list (names other than host/remote, or out of order) or an unknown policy.
  TierHierarchy(CacheEngine& device, Bytes bytesPerBlock, std::uint32_t blockTokens,
                std::vector<LowerTierSpec> lower, bool remoteWriteThrough, TierCostModel cost);
  ~TierHierarchy();
  TierHierarchy(const TierHierarchy&) = delete;
  TierHierarchy& operator=(const TierHierarchy&) = delete;

  // After the device served keys[0, from): walks the lower tiers from block `from` while block b's first
  // token is below maxTokens. Returns the blocks served (a leading run); *tokens gets their tokens (block b
  // covers [b * B, min((b + 1) * B, maxTokens))). Promotes as above.
  std::uint32_t extend(std::span<const CacheKey> keys, std::uint32_t from, std::uint64_t maxTokens,
                       std::uint64_t* tokens);
  // After the caller's commit of the same keys: write-through of the blocks new to the device, then the
  // request's transfer batches are costed. Call once per request (also when extend() was not called).
  void finishRequest(std::span<const CacheKey> keys, const std::vector<bool>& insertedIntoDevice);

  // Device first (its engine's counters; bytes in = blocks promoted into it, bytes out = blocks demoted
  // from it; transfer 0: a link's time is charged to the lower tier it leads to), then each lower tier
  // (transfer = the cost model's time of the batches read from it and written into it).
  std::vector<TierReport> reports() const;
  // Tokens / blocks the walks served beyond the device's own leading run (lower tiers, and later device
  // blocks reached through them): add to the device engine's counted hits for the request's total.
  std::uint64_t walkHitTokens() const;
  std::uint64_t walkHitBlocks() const;
  const TierCostModel& cost() const { return m_cost; }

private:
  struct Tier;
  void demote(std::size_t into, const CacheKey& key);
  double batchMs(const Tier& tier, std::uint64_t bytes) const;

  CacheEngine& m_device;
  Bytes m_bytesPerBlock;
  std::uint32_t m_blockTokens;
  bool m_writeThrough;
  TierCostModel m_cost;
  std::vector<std::unique_ptr<Tier>> m_tiers;  // host, remote (those configured), top first
  std::uint64_t m_devicePromotedBytes = 0;     // bytes in of the device from lower tiers
  std::uint64_t m_deviceDemotedBytes = 0;
  std::uint64_t m_deviceWalkHits = 0;  // device blocks reached by a walk past a gap the lower tiers filled
  std::uint64_t m_deviceWalkHitTokens = 0;
};

}  // namespace kvlab
