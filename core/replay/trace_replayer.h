// SPDX-License-Identifier: MIT
#pragma once
// Simulate mode: replays Mooncake-format requests through the block cache with sizes only (no tensors).
// Semantics (README "Trace replay"): a request's hit blocks are the longest run of its leading hash ids
// present and unexpired at its arrival; hit tokens = min(hit blocks x block size, input_length); then it
// touches its blocks last to first, inserting the absent ones; capacity = floor(max tokens / block size)
// blocks; the TTL runs on trace time.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/cache/block_cache.h"
#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/tiers/tier_hierarchy.h"
#include "core/tiers/tier_report.h"
#include "core/workload/mooncake_trace.h"

namespace kvlab {

struct ReplayConfig {
  std::uint32_t blockSize = 512;  // tokens per hash id (512 in the published Mooncake traces)
  std::string policy = "lru";
  std::uint64_t maxTokens = 0;      // capacity; blocks = floor(maxTokens / blockSize); kUnlimited = no bound
  TimeMs ttlMs = 0;                 // 0 = no TTL
  TtlMode ttlMode = TtlMode::Idle;  // what ttlMs measures: time since last use, or since insertion
  // Off (the literal semantics above): a request's inserts may evict its own hit blocks. On: the hit blocks
  // are in use until its commit, as in a server (vLLM ref counts), and only other blocks are victims.
  bool protectInUse = false;
  Bytes bytesPerToken = 1;  // K/V bytes per token of the model whose memory is simulated
  bool skipBadLines = false;
  // Lower tiers under the device cache (host, remote; empty = one tier, the semantics above). See
  // TierHierarchy: demotion on eviction, promotion on hit, the walk per block, the transfer cost model.
  std::vector<LowerTierSpec> lowerTiers;
  bool remoteWriteThrough = true;  // with a remote tier: new blocks are also put there at once
  TierCostModel tierCost;
  std::uint64_t capacityBlocks() const {
    if (maxTokens == kUnlimited) return kUnlimited;
    return blockSize ? maxTokens / blockSize : 0;
  }
};

struct ReplayResult {
  std::uint64_t requests = 0;
  std::uint64_t promptTokens = 0;
  std::uint64_t hitTokens = 0;
  std::uint64_t blocks = 0;  // queried blocks (hash ids)
  std::uint64_t hitBlocks = 0;
  std::uint64_t evictions = 0;    // capacity evictions
  std::uint64_t expirations = 0;  // TTL removals
  std::array<std::uint64_t, kMissReasonCount> missTokens{};
  std::array<std::uint64_t, kMissReasonCount> missBlocks{};
  std::uint64_t peakBlocks = 0;
  std::uint64_t capacityBlocks = 0;  // kUnlimited for an unbounded cache
  Bytes bytesPerBlock = 0;
  std::uint64_t evictedNeverReused = 0;
  double meanEvictedAgeMs = 0;
  double meanEvictedIdleMs = 0;
  double meanEvictedReuse = 0;
  std::uint64_t skippedLines = 0;
  std::vector<std::string> skipReasons;
  double elapsedS = 0;  // wall time of the whole replay, parsing included
  double loopS = 0;     // wall time inside the replay loop only (parsing excluded)
  // Per tier, top first ("device", then "host"/"remote" when configured); hitTokens/hitBlocks above are
  // every tier's; the miss breakdown is the device's.
  std::vector<TierReport> tiers;

  double tokenHitRate() const { return promptTokens ? double(hitTokens) / double(promptTokens) : 0.0; }
  double blockHitRate() const { return blocks ? double(hitBlocks) / double(blocks) : 0.0; }
};

class NextUseIndex;
class NextUseCursor;

class TraceReplayer {
public:
  // nextUse: the trace's next-use index, required by policies that need the whole trace (opt; throws
  // std::invalid_argument without it), ignored by the others. Replay the same trace it was built from.
  explicit TraceReplayer(const ReplayConfig& config, std::shared_ptr<const NextUseIndex> nextUse = nullptr);
  ~TraceReplayer();

  // Replays one request at its own timestamp. Requests must come in timestamp order.
  void replay(const TraceRequest& request) {
    replay(request.timestampMs, request.inputLength, request.hashIds);
  }
  void replay(std::int64_t timestampMs, std::uint32_t inputLength, std::span<const std::uint64_t> hashIds);
  ReplayResult result() const;
  CacheEngine& engine() { return *m_engine; }

private:
  ReplayConfig m_config;
  ManualClock m_clock;
  std::unique_ptr<CacheEngine> m_engine;
  std::unique_ptr<BlockCache> m_blocks;
  std::vector<CacheKey> m_keys;  // reused per request
  BlockCache::Match m_match;
  std::vector<SlotId> m_slots;
  std::unique_ptr<NextUseCursor> m_nextUse;  // opt only
  std::unique_ptr<TierHierarchy> m_tiers;    // lower tiers, when configured
  std::vector<bool> m_inserted;              // per block of the request: new to the device
};

// True for policies that need the whole trace before replay (opt): replayTraceFile then reads the file
// twice, first to build the NextUseIndex.
bool policyNeedsWholeTrace(const std::string& policy);

struct ReplayProgress {
  std::uint64_t bytesRead = 0;
  std::uint64_t fileSize = 0;
  std::uint64_t requests = 0;
};

// Streams a trace file through a TraceReplayer (for opt, after a first pass that builds the next-use index).
// progress (optional) is called every few thousand requests; observer (optional) receives every cache event.
// Throws InputError on a malformed line (unless config.skipBadLines).
ReplayResult replayTraceFile(const std::string& path, const ReplayConfig& config,
                             const std::function<void(const ReplayProgress&)>& progress = {},
                             CacheObserver* observer = nullptr);

}  // namespace kvlab
