// SPDX-License-Identifier: MIT
#pragma once
// What a trace replay is configured with and what it yields, and the interface both replayers implement:
// TraceReplayer (the general engine: every policy, tiers, events, live controls) and LeanBlockReplayer (the
// plain LRU/FIFO case in flat arrays, same results). makeReplayer() picks the faster one that can do it.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/cache/cache_types.h"
#include "core/replay/replay_warmup.h"
#include "core/tiers/tier_hierarchy.h"
#include "core/tiers/tier_report.h"
#include "core/trace/trace_bounds.h"
#include "core/trace/trace_format.h"
#include "core/trace/trace_request.h"

namespace kvlab {

struct ReplayConfig {
  // Tokens per block key (512 in the published Mooncake traces). The file replays (replayTraceFile,
  // replayFleetFile) read 0 as "the trace's own" (TraceInfo::blockSize) and refuse a size that contradicts
  // one the trace declares (resolveBlockSize); a Replayer needs it set.
  std::uint32_t blockSize = 512;
  std::string policy = "lru";
  // "block": vLLM's hashed-block pool (any block can be evicted); "radix": SGLang's prefix tree (only
  // unlocked leaves, LRU; RadixBlockReplayer).
  std::string granularity = "block";
  std::uint64_t maxTokens = 0;      // capacity; blocks = floor(maxTokens / blockSize); kUnlimited = no bound
  TimeMs ttlMs = 0;                 // 0 = no TTL
  TtlMode ttlMode = TtlMode::Idle;  // what ttlMs measures: time since last use, or since insertion
  // Off (the literal semantics above): a request's inserts may evict its own hit blocks. On: the hit blocks
  // are in use until its commit, as in a server (vLLM ref counts), and only other blocks are victims.
  bool protectInUse = false;
  Bytes bytesPerToken = 1;  // K/V bytes per token of the model whose memory is simulated
  bool skipBadLines = false;
  std::string inputFormat;  // trace format name for the file replays ("" = detect from the content)
  PromptTextOptions prompts;  // the prompts format's --tokenizer and --chat-template (its block size: blockSize)
  // Lower tiers under the device cache (host, remote; empty = one tier, the semantics above). See
  // TierHierarchy: demotion on eviction, promotion on hit, the walk per block, the transfer cost model.
  std::vector<LowerTierSpec> lowerTiers;
  bool remoteWriteThrough = true;  // with a remote tier: new blocks are also put there at once
  TierCostModel tierCost;
  // --warmup: the first requests fill the cache and are not measured (replay_warmup.h). A fraction is
  // resolved against the trace's request count (the file replays count them in a first pass).
  WarmupSpec warmup;
  // How the file replays open the trace: the format, skipping, and the prompts reader's tokenizer, template
  // and block size (blockSize; 0 = the format's own), so it cuts the tokens at the size replayed.
  TraceOpenOptions traceOpenOptions() const {
    TraceOpenOptions options{inputFormat, skipBadLines, prompts};
    options.prompts.blockSize = blockSize;
    return options;
  }
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
  std::string traceFormat;  // the format read (file replays; "" for requests replayed from memory)
  // File replays of traces that keep chunk ids (RAGPulse, Qwen-Bailian): the infinite-cache bounds, prefix
  // and chunk-level (what prefix caching cannot reuse); nullopt otherwise.
  std::optional<TraceBounds> bounds;
  double elapsedS = 0;  // wall time of the whole replay, parsing included
  double loopS = 0;     // wall time inside the replay loop only (parsing excluded)
  // Per tier, top first ("device", then "host"/"remote" when configured); hitTokens/hitBlocks above are
  // every tier's; the miss breakdown is the device's.
  std::vector<TierReport> tiers;
  // With warmup, requests/prompt/hit/block counters, evictions, expirations and the miss breakdown cover
  // the measured requests only (measuredAfterWarmup); peak, eviction means and tiers cover the whole run.
  std::uint64_t warmupRequests = 0;
  bool filledDuringWarmup = false;  // the cache held its capacity in blocks before measuring began

  double tokenHitRate() const { return promptTokens ? double(hitTokens) / double(promptTokens) : 0.0; }
  double blockHitRate() const { return blocks ? double(hitBlocks) / double(blocks) : 0.0; }
};

class Replayer {
public:
  virtual ~Replayer() = default;
  // Replays one request at its own timestamp. Requests must come in timestamp order.
  void replay(const TraceRequest& request) {
    replay(request.timestampMs, request.inputLength, request.hashIds, request.blockTokens);
  }
  void replay(std::int64_t timestampMs, std::uint32_t inputLength, std::span<const std::uint64_t> hashIds) {
    replay(timestampMs, inputLength, hashIds, {});
  }
  // blockTokens: the request's per-block token counts, one per hash id, or empty for uniform blocks of the
  // configured size (trace_request.h: the token accounting rule). Hit and miss tokens count through them;
  // capacity and evictions stay in blocks.
  virtual void replay(std::int64_t timestampMs, std::uint32_t inputLength, std::span<const std::uint64_t> hashIds,
                      std::span<const std::uint32_t> blockTokens) = 0;
  virtual ReplayResult result() const = 0;
};

// A one-tier replay's result from its cache counters (both replayers keep CacheCounters): the totals, the
// miss breakdown, the eviction means, and the device tier's report (transfer: the cost model's 0).
ReplayResult replayResultFromCounters(const CacheCounters& counters, const ReplayConfig& config,
                                      std::uint64_t peakBlocks, Bytes bytesPerBlock, std::uint64_t entries);

// The measured part of a replay with warmup: `whole` minus the counters `atBoundary` (the replayer's result
// just before the first measured request); warmupRequests and filledDuringWarmup set.
ReplayResult measuredAfterWarmup(const ReplayResult& whole, const ReplayResult& atBoundary,
                                 std::uint64_t warmupRequests);

// Replays requests through replayer with the first warmupRequests unmeasured; the measured result.
ReplayResult replayMeasured(Replayer& replayer, const std::vector<TraceRequest>& requests,
                            std::uint64_t warmupRequests);

class NextUseIndex;

// The fastest replayer for config with identical results: a LeanBlockReplayer when it supports config,
// else a TraceReplayer (nextUse as TraceReplayer's). For cache events or live controls, make a
// TraceReplayer directly: only it has an engine to observe.
std::unique_ptr<Replayer> makeReplayer(const ReplayConfig& config,
                                       std::shared_ptr<const NextUseIndex> nextUse = nullptr);

}  // namespace kvlab
