// SPDX-License-Identifier: MIT
#include "core/replay/replayer.h"

#include "core/replay/lean_block_replayer.h"
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

std::unique_ptr<Replayer> makeReplayer(const ReplayConfig& config,
                                       std::shared_ptr<const NextUseIndex> nextUse) {
  if (LeanBlockReplayer::supports(config)) return std::make_unique<LeanBlockReplayer>(config);
  return std::make_unique<TraceReplayer>(config, std::move(nextUse));
}

}  // namespace kvlab
