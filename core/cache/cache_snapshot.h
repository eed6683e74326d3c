// SPDX-License-Identifier: MIT
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/cache/cache_types.h"

namespace kvlab {

// A consistent copy of the engine's state, safe to hand to another thread.
struct CacheSnapshot {
  TimeMs timeMs = 0;
  std::string policy;
  Bytes capacityBytes = 0;
  TimeMs ttlMs = 0;
  TtlMode ttlMode = TtlMode::Idle;
  Bytes usedBytes = 0;
  Bytes peakBytes = 0;
  Bytes pinnedBytes = 0;
  Bytes pinnedBudgetBytes = 0;
  Bytes orphanedBytes = 0;  // prompt mode: layers of a prefix held after another of its layers went
  std::uint64_t entries = 0;
  std::vector<Bytes> layerBytes;            // per model layer
  std::vector<std::uint64_t> layerEntries;  // per model layer (an all-layer entry counts in each)
  // Bytes held by entries by how often they were reused since insert: 0, 1, 2-3, 4-7, 8+ (see reuseBucket).
  std::array<Bytes, kReuseBuckets> bytesByReuse{};
  CacheCounters counters;
};

}  // namespace kvlab
