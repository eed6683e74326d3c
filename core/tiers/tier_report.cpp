// SPDX-License-Identifier: MIT
#include "core/tiers/tier_report.h"

namespace kvlab {

TierReport deviceTierReport(const CacheCounters& counters, std::uint64_t entries, double transferMs,
                            bool costModel) {
  TierReport r;
  r.name = "device";
  r.hitTokens = counters.hitTokens;
  r.hits = counters.hitUnits;
  r.misses = counters.queriedUnits - counters.hitUnits;
  r.bytesIn = counters.bytesToStorage;
  r.bytesOut = counters.bytesToCompute;
  r.entries = entries;
  r.evictions = counters.capacityEvictions();
  r.transferMs = transferMs;
  r.transferCostModel = costModel;
  return r;
}

}  // namespace kvlab
