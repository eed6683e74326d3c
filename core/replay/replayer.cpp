// SPDX-License-Identifier: MIT
#include "core/replay/replayer.h"

#include <algorithm>

#include "core/replay/lean_block_replayer.h"
#include "core/replay/radix_block_replayer.h"
#include "core/replay/trace_replayer.h"

namespace kvlab {

ReplayResult replayResultFromCounters(const CacheCounters& c, const ReplayConfig& config,
                                      std::uint64_t peakBlocks, Bytes bytesPerBlock, std::uint64_t entries) {
  ReplayResult r;
  r.requests = c.lookups;
  r.promptTokens = c.queriedTokens;
  r.hitTokens = c.hitTokens;
  r.blocks = c.queriedUnits;
  r.hitBlocks = c.hitUnits;
  r.evictions = c.capacityEvictions();
  r.expirations = c.expirations();
  r.missTokens = c.missTokens;
  r.missBlocks = c.missUnits;
  r.peakBlocks = peakBlocks;
  r.capacityBlocks = config.capacityBlocks();
  r.bytesPerBlock = bytesPerBlock;
  r.evictedNeverReused = c.evictedNeverReused;
  r.tiers = {deviceTierReport(c, entries, 0, /*costModel=*/true)};
  const std::uint64_t evicted = c.capacityEvictions() + c.expirations();
  if (evicted > 0) {
    r.meanEvictedAgeMs = c.sumEvictedAgeMs / double(evicted);
    r.meanEvictedIdleMs = c.sumEvictedIdleMs / double(evicted);
    r.meanEvictedReuse = c.sumEvictedReuse / double(evicted);
  }
  return r;
}

ReplayResult measuredAfterWarmup(const ReplayResult& whole, const ReplayResult& atBoundary,
                                 std::uint64_t warmupRequests) {
  ReplayResult r = whole;
  r.requests -= atBoundary.requests;
  r.promptTokens -= atBoundary.promptTokens;
  r.hitTokens -= atBoundary.hitTokens;
  r.blocks -= atBoundary.blocks;
  r.hitBlocks -= atBoundary.hitBlocks;
  r.evictions -= atBoundary.evictions;
  r.expirations -= atBoundary.expirations;
  for (std::size_t i = 0; i < r.missTokens.size(); ++i) {
    r.missTokens[i] -= atBoundary.missTokens[i];
    r.missBlocks[i] -= atBoundary.missBlocks[i];
  }
  r.warmupRequests = warmupRequests;
  r.filledDuringWarmup = whole.capacityBlocks != kUnlimited && whole.capacityBlocks > 0 &&
                         atBoundary.peakBlocks >= whole.capacityBlocks;
  return r;
}

ReplayResult replayMeasured(Replayer& replayer, const std::vector<TraceRequest>& requests,
                            std::uint64_t warmupRequests) {
  ReplayResult atBoundary;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (i == warmupRequests && warmupRequests > 0) atBoundary = replayer.result();
    replayer.replay(requests[i]);
  }
  if (warmupRequests == 0) return replayer.result();
  if (warmupRequests >= requests.size()) atBoundary = replayer.result();
  return measuredAfterWarmup(replayer.result(), atBoundary, std::min<std::uint64_t>(warmupRequests, requests.size()));
}

std::unique_ptr<Replayer> makeReplayer(const ReplayConfig& config,
                                       std::shared_ptr<const NextUseIndex> nextUse) {
  if (config.granularity == "radix") return std::make_unique<RadixBlockReplayer>(config, std::move(nextUse));
  if (config.granularity != "block")
    throw std::invalid_argument("granularity must be block or radix, not " + config.granularity);
  if (LeanBlockReplayer::supports(config)) return std::make_unique<LeanBlockReplayer>(config);
  return std::make_unique<TraceReplayer>(config, std::move(nextUse));
}

}  // namespace kvlab
