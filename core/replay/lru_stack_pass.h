// SPDX-License-Identifier: MIT
#pragma once
// The one-pass LRU stack-distance pass under prefix chains, fed one request at a time. LRU's inclusion
// property (a cache of C blocks holds the C most recently touched blocks, since every request touches all
// its blocks whatever the size) lets a block's stack distance (distinct blocks touched since its last
// touch) decide its presence at every size at once; a block is a hit only if every block before it in the
// request is too, so what decides is the running maximum of the distances over the request's leading
// blocks. TTL keeps the property (expiry depends on touch times only). lruCurveOnePass
// (miss_ratio_curve.h) and the analyze report (core/analyze) are built on it: one implementation.
//
// Warmup: add(request, measured = false) replays the request (it touches the cache) without counting it;
// the counters, the histogram and the eviction count then cover the measured requests only.
#include <cstdint>
#include <span>
#include <vector>

#include "core/cache/id_slot_table.h"
#include "core/replay/replayer.h"
#include "core/util/huge_page_allocator.h"

namespace kvlab {

class LruStackPass {
public:
  // capacities: in blocks (kUnlimited = no bound), one ReplayResult each. withHistogram: also keep hit
  // tokens and blocks by stack distance, the whole curve (hitTokensBelow()).
  LruStackPass(const ReplayConfig& base, std::vector<std::uint64_t> capacities, bool withHistogram = false);

  void add(const TraceRequest& request, bool measured = true);

  // After add(): per block of the last request, the running max of the stack distances over its leading
  // blocks (UINT64_MAX = absent or expired: a miss at every size); and the running max of the idle gaps
  // (ms since each block's last touch) over the same leading blocks, meaningful where the distance is finite.
  std::span<const std::uint64_t> lastDistances() const { return m_prefixMax; }
  std::span<const std::int64_t> lastIdleGaps() const { return m_prefixGap; }

  // The results at the capacities given, in their order (fields the pass does not compute stay 0; evictions
  // only without a TTL: countsEvictions()). elapsedS and skippedLines are copied in.
  std::vector<ReplayResult> results(double elapsedS = 0, std::uint64_t skippedLines = 0) const;
  bool countsEvictions() const { return m_base.ttlMs == 0; }

  // With the histogram: measured hit tokens (blocks) at every capacity C is the sum of the histogram below
  // C; index d holds the tokens (blocks) of the hits whose running max distance is exactly d.
  struct DistanceHits {
    std::uint64_t tokens = 0, blocks = 0;
  };
  std::span<const DistanceHits> hitsByDistance() const { return m_hitsByDistance; }

  std::uint64_t distinctBlocks() const { return m_lasts.size(); }
  // Distinct blocks when the first measured request arrived (the whole footprint if none was measured):
  // without a TTL, a cache of C blocks was full before measuring exactly when this is >= C.
  std::uint64_t distinctBeforeMeasuring() const { return m_sawMeasured ? m_distinctAtBoundary : m_lasts.size(); }
  std::uint64_t warmupRequests() const { return m_warmupRequests; }

private:
  // The marks over touch times: a 1 marks the latest touch of some block. The stack distance of a block
  // last touched at time t = number of marks after t = distinct blocks touched since. One bit per touch, and
  // a Fenwick tree over the 64-bit words' counts: a trace's touches fit in a few cache-resident kilobytes
  // per hundred thousand, where a tree with a node per touch would not. Counts are 32-bit: the marks are
  // distinct blocks, far fewer than 2^31 in any trace that fits in memory.
  class TouchTree {
  public:
    void mark(std::uint64_t t);    // t = the newest touch so far
    void unmark(std::uint64_t t);  // t = a marked touch
    std::int64_t after(std::uint64_t t) const { return m_total - prefix(t); }

  private:
    std::int64_t prefix(std::uint64_t t) const;  // marks at times <= t
    void grow(std::uint64_t words);
    std::vector<std::uint64_t> m_bits;  // bit t % 64 of word t / 64: touch t is marked
    std::vector<std::int32_t> m_words;  // power-of-two size; node k (1-based) sums words (k - lowbit(k), k]
    std::uint64_t m_flushedWords = 0;   // words [0, this) have their counts in m_words
    std::int64_t m_inTree = 0;          // the marks those words hold
    std::int64_t m_total = 0;           // every mark
  };
  struct Last {
    std::uint64_t touch;  // kNotYet between the two loops of add() for a block seen for the first time
    std::int64_t timeMs;
  };
  static constexpr std::uint64_t kNotYet = UINT64_MAX;

  ReplayConfig m_base;
  std::vector<std::uint64_t> m_capacities;
  std::vector<std::uint64_t> m_hitTokens, m_hitBlocks;  // per capacity, measured requests
  bool m_withHistogram;
  std::vector<DistanceHits, HugePageAllocator<DistanceHits>> m_hitsByDistance;
  IdSlotTable m_index;  // hash id -> its entry in m_lasts
  std::vector<Last, HugePageAllocator<Last>> m_lasts;  // per distinct block: its latest touch
  TouchTree m_tree;
  std::uint64_t m_now = 0;
  std::vector<std::uint64_t> m_prefixMax;  // running max stack distance over leading blocks
  std::vector<std::int64_t> m_prefixGap;   // running max idle gap over leading blocks
  std::vector<SlotId> m_slots;             // the request's entries in m_lasts: one probe per block
  std::uint64_t m_requests = 0, m_promptTokens = 0, m_blocks = 0;  // measured
  std::uint64_t m_warmupRequests = 0;
  bool m_sawMeasured = false;
  std::uint64_t m_distinctAtBoundary = 0;
  std::uint64_t m_firstTouches = 0;              // measured requests' first touches
  std::vector<std::uint64_t> m_touchDistances;  // measured touches (not first ones) by stack distance
};

}  // namespace kvlab
