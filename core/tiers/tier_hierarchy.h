// SPDX-License-Identifier: MIT
#pragma once
// The tiers under a device block cache, and their rules, for trace replay and live runs alike (one
// implementation: a live run hands the bytes to a TierPayloads, replay moves sizes only). The device is the
// caller's engine; host and remote are engines here (their own capacity and eviction policy). In a live run
// the remote engine is the lab's belief of what the remote store holds (unbounded: the store evicts by
// itself), corrected whenever the store answers (a block it no longer holds is forgotten, so it is written
// again later). LibTorch-free.
//
// Rules (LMCache's local CPU + remote backends, SGLang HiCache's host pool + storage layer):
//  - walk (after the device's leading hit run): the host tier's leading run of the next blocks, then the
//    remote tier's leading run of the blocks after that, as SGLang HiCache matches device, host, then
//    storage; the first block the current tier lacks ends the walk. A block the device still holds past its
//    own run is not used (it is unreachable, as in vLLM), though a lower tier's copy of it may serve.
//  - promotion: a host hit is moved into the device at once (the host copy removed first, so what the
//    device then evicts finds room in the host tier) if the device can take it without evicting a block in
//    use; from the first one it cannot, the rest of the host run is served by copy and stays in the host
//    tier (the caller's commit may still store it later). A remote hit is copied up (it stays there); the
//    caller's commit inserts it.
//  - protection: with protectInUse, promoted blocks are in use (never eviction victims) until
//    finishRequest() or releasePromoted(); the caller protects its own hit run before walk().
//  - demotion: a block the device evicts for room (capacity, or a max-size change) goes into the host tier
//    unless already there, else (no host tier, or larger than it) into the remote tier unless it is
//    believed there; a block the host tier evicts goes to the remote tier unless believed there. What the
//    remote tier evicts is gone.
//  - write-through: every block new to the device is also written to the remote tier unless believed there.
//  - exclusive host: a block the commit stores in the device leaves the host tier (not a hit, no bytes).
// Without a device engine (the serving engine, whose top tier is vLLM's block pool, not a CacheEngine):
// the owner forwards its evictions with deviceRemoved(key), asks peek() before it commits to a walk, and
// loads what walk() serves into blocks of its own, as a vLLM KV connector loads external tokens into newly
// allocated blocks. So nothing is promoted: every host hit is served by copy and leaves the host tier by
// the exclusive rule when finishRequest() hears the owner stored it. No miss reason is recorded and
// reports() has no device entry (the owner reports its own pool).
// A shared remote tier (sharedRemote): several hierarchies (a fleet's replicas) file into and walk one
// remote engine, as Mooncake Store pools the DRAM of every node; each hierarchy counts the hits, misses,
// bytes and transfer time of its own walks and writes, the engine's entries and evictions are shared.
// Counting: a tier a walk asked and that ended it counts one miss; hits, hit tokens, bytes per tier. The
// tokens the lower tiers serve leave the device's miss breakdown (CacheEngine::recordServedBelow): they
// were not computed.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/tiers/tier_cost_model.h"
#include "core/tiers/tier_payloads.h"
#include "core/tiers/tier_report.h"

namespace kvlab {

struct LowerTierSpec {
  std::string name;                  // "host" or "remote" (in this order when both)
  std::uint64_t capacityBlocks = 0;  // kUnlimited = no bound
  std::string policy = "lru";        // a policyRegistry() name
};

struct TierHierarchyConfig {
  Bytes bytesPerBlock = 1;              // one block's K/V bytes
  std::uint32_t blockTokens = 1;        // tokens per block
  std::vector<LowerTierSpec> lower;     // host, remote, or host then remote
  bool remoteWriteThrough = false;      // see the rules above
  bool protectInUse = false;            // promoted blocks in use until finishRequest (live runs: always)
  TierCostModel cost;                   // replay's transfer times (a live run measures its own)
  TierPayloads* payloads = nullptr;     // not owned; null = sizes only (replay). Set: the remote tier's walk
                                        // asks payloads->fetchRemote() instead of its engine
  bool forwardDeviceRemovals = false;   // true: the owner calls deviceRemoved() from its own device
                                        // listener (to order it before its payload store frees the tensor)
  CacheEngine* sharedRemote = nullptr;  // not owned, outlives this: the remote tier's engine, shared (its
                                        // own capacity and policy; the remote spec's are ignored). null:
                                        // this hierarchy makes its own from the spec
};

class TierHierarchy {
public:
  // device: the top tier's engine (not owned; must outlive this). Throws std::invalid_argument for an
  // empty or unknown tier list (names other than host/remote, or out of order) or an unknown policy.
  TierHierarchy(CacheEngine& device, TierHierarchyConfig config);
  TierHierarchy(CacheEngine& device, Bytes bytesPerBlock, std::uint32_t blockTokens,
                std::vector<LowerTierSpec> lower, bool remoteWriteThrough, TierCostModel cost);
  // Without a device engine (see above); clock and denseKeys configure the lower tiers' engines.
  TierHierarchy(TierHierarchyConfig config, const Clock& clock, bool denseKeys);
  ~TierHierarchy();
  TierHierarchy(const TierHierarchy&) = delete;
  TierHierarchy& operator=(const TierHierarchy&) = delete;

  struct Promotion {
    std::uint32_t block = 0;  // index in the request's keys
    SlotId slot = kNoSlot;    // the device's new entry
  };
  struct Walk {
    std::uint32_t blocks = 0;            // served past the device's run, a leading run
    std::uint64_t tokens = 0;            // their tokens
    std::uint64_t hostTokens = 0;        // of tokens: from the host tier
    std::uint64_t hostCopiedTokens = 0;  // of hostTokens: copied (no room in the device), not promoted
    std::uint64_t remoteTokens = 0;      // of tokens: from the remote tier (after the host's)
    std::uint32_t hostBlocks = 0;        // of blocks: from the host tier
    std::uint32_t remoteBlocks = 0;      // of blocks: from the remote tier
    std::vector<Promotion> promoted;     // host blocks moved into the device, in block order
  };
  // After the device served keys[0, from): walks the lower tiers from block `from` while block b's first
  // token is below maxTokens (block b covers [b * B, min((b + 1) * B, maxTokens)) tokens). Promotes,
  // copies and counts as the rules say.
  Walk walk(std::span<const CacheKey> keys, std::uint32_t from, std::uint64_t maxTokens);
  // The blocks walk() would serve now, changing nothing (no touch, no count). Without a device engine only.
  std::uint32_t peek(std::span<const CacheKey> keys, std::uint32_t from, std::uint64_t maxTokens) const;
  // The cost model's time to load what a walk served: one host (PCIe) batch and one remote (network) batch.
  double loadMs(const Walk& walk) const;
  // walk() for callers that need only the count: blocks served, *tokens their tokens.
  std::uint32_t extend(std::span<const CacheKey> keys, std::uint32_t from, std::uint64_t maxTokens,
                       std::uint64_t* tokens);
  // After the caller's commit of the same keys (slots: each block's device slot or kNoSlot; inserted: new
  // to the device): the exclusive host rule, write-through, the promoted blocks released, then the
  // request's transfer batches costed. Call once per request (also when walk() was not called). The
  // two-argument form finds the slots itself.
  void finishRequest(std::span<const CacheKey> keys, std::span<const SlotId> slots,
                     const std::vector<bool>& inserted);
  void finishRequest(std::span<const CacheKey> keys, const std::vector<bool>& inserted);
  // Releases the in-use protection of the last walk's promoted blocks (a request dropped before its commit).
  void releasePromoted();
  // The device removed an entry (forwardDeviceRemovals: the owner's listener calls this; else the
  // hierarchy's own listener does): demotes it when the rules say so.
  void deviceRemoved(SlotId slot, const EntryMeta& meta, EvictReason reason);
  // The device without an engine evicted key's block for room: demotes it as the rules say.
  void deviceRemoved(const CacheKey& key);
  // The remote store refused these writes (a fault): they are not believed there any more.
  void remoteWritesFailed(std::span<const CacheKey> keys);

  // Device first (its engine's counters; bytes in = blocks served into it from lower tiers, bytes out =
  // blocks demoted from it; transfer 0: a link's time is charged to the lower tier it leads to), then each
  // lower tier (transfer = the cost model's time of the batches read from it and written into it; a live
  // run replaces it with what it measured).
  std::vector<TierReport> reports() const;
  // Tokens / blocks the lower tiers served: add to the device engine's counted hits for the total.
  std::uint64_t walkHitTokens() const;
  std::uint64_t walkHitBlocks() const;
  const TierCostModel& cost() const { return m_config.cost; }
  // The host tier's engine (null without one), for its figures and tests.
  const CacheEngine* hostEngine() const;
  bool hostHolds(const CacheKey& key);
  bool remoteBelieved(const CacheKey& key);

private:
  struct Tier;
  void buildTiers(const Clock& clock, bool denseKeys);
  std::uint32_t heldRun(const Tier& tier, std::span<const CacheKey> keys, std::size_t from,
                        std::size_t end) const;
  Tier* host() const;
  Tier* remote() const;
  void hostRemoved(SlotId slot, const EntryMeta& meta, EvictReason reason);
  // Files key in the remote tier unless believed there; true if it is to be written.
  bool writeRemote(const CacheKey& key);
  void countServed(Tier& tier, std::uint64_t tokens, MissReason reason);
  double batchMs(const Tier& tier, std::uint64_t bytes) const;

  CacheEngine* m_device;  // null: no device engine
  TierHierarchyConfig m_config;
  std::vector<std::unique_ptr<Tier>> m_tiers;                // host, remote (those configured), top first
  std::vector<std::pair<SlotId, std::uint64_t>> m_promoted;  // (slot, entry id) protected by the last walk
  std::vector<MissReason> m_reasons;                         // per walked block, reused
  std::uint64_t m_devicePromotedBytes = 0;                   // bytes in of the device from lower tiers
  std::uint64_t m_deviceDemotedBytes = 0;
};

}  // namespace kvlab
