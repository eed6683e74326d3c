// SPDX-License-Identifier: MIT
#pragma once
// Hit rate as a function of cache size (a miss-ratio curve) that respects prefix chains: a block counts
// only if every block before it in the request is also cached. LRU gets all sizes from one pass (stack
// distances); other policies replay once per size, in parallel.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/replay/trace_replayer.h"

namespace kvlab {

struct CurvePoint {
  std::string policy;
  std::uint64_t maxTokens = 0;
  ReplayResult result;  // for LRU one-pass points only the hit counters and totals are filled
  bool onePass = false;
  bool countsEvictions = false;  // one-pass points without a TTL also count capacity evictions
};

// One pass over the trace for every size: LRU's inclusion property (the cache of C blocks holds the C most
// recently touched blocks, since every request touches all its blocks whatever the size) lets a block's
// stack distance decide its presence at all sizes at once. TTL keeps the property (expiry depends on
// touch times only). Results are exactly those of replaying each size. Idle TTLs and literal semantics only:
// with TtlMode::Age or protectInUse, use missRatioCurve() (kvlab-cli sweep does).
std::vector<CurvePoint> lruCurveOnePass(const std::string& tracePath, const ReplayConfig& base,
                                        const std::vector<std::uint64_t>& maxTokens);

// Same over requests already in memory; returns nothing if *cancel becomes true (checked between requests).
std::vector<CurvePoint> lruCurveOnePass(const std::vector<TraceRequest>& requests, const ReplayConfig& base,
                                        const std::vector<std::uint64_t>& maxTokens,
                                        const std::atomic<bool>* cancel = nullptr);

// The general path: one replay per (policy, size), run on `threads` threads.
std::vector<CurvePoint> missRatioCurve(
    const std::string& tracePath, const ReplayConfig& base, const std::vector<std::string>& policies,
    const std::vector<std::uint64_t>& maxTokens, unsigned threads,
    const std::function<void(std::size_t done, std::size_t total)>& progress = {});

}  // namespace kvlab
