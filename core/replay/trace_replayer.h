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
#include "core/replay/replayer.h"
#include "core/trace/trace_reader.h"

namespace kvlab {

class NextUseCursor;

class TraceReplayer final : public Replayer {
public:
  // nextUse: the trace's next-use index, required by policies that need the whole trace (opt; throws
  // std::invalid_argument without it), ignored by the others. Replay the same trace it was built from.
  explicit TraceReplayer(const ReplayConfig& config, std::shared_ptr<const NextUseIndex> nextUse = nullptr);
  ~TraceReplayer();

  // Replays one request at its own timestamp. Requests must come in timestamp order.
  using Replayer::replay;
  // Per-block token counts with lower tiers: std::invalid_argument (the tiers count uniform blocks).
  void replay(std::int64_t timestampMs, std::uint32_t inputLength, std::span<const std::uint64_t> hashIds,
              std::span<const std::uint32_t> blockTokens) override;
  ReplayResult result() const override;
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

// Streams a trace (any format: config.inputFormat or detected) through a replayer (for opt, after a first
// pass that builds the next-use index). config.blockSize 0 = the trace's own; a size contradicting one the
// trace declares is an InputError naming 'block-size'. progress (optional) is called every few thousand
// requests; observer (optional) receives every cache event. Throws InputError on a malformed line (unless
// config.skipBadLines), on a length-only trace (no block ids to replay) and on an empty one.
ReplayResult replayTraceFile(const std::string& path, const ReplayConfig& config,
                             const std::function<void(const ReplayProgress&)>& progress = {},
                             CacheObserver* observer = nullptr);
// Same over an opened reader (the caller resolved nothing: block size and checks as above).
ReplayResult replayTrace(std::unique_ptr<TraceReader> reader, const ReplayConfig& config,
                         const std::function<void(const ReplayProgress&)>& progress = {},
                         CacheObserver* observer = nullptr);
// The configuration a replay of this trace runs with: blockSize resolved against the trace's (0 = its
// own), and the checks every trace replay makes (block ids present; per-block token counts and lower
// tiers do not mix). Throws InputError.
ReplayConfig configForTrace(const TraceInfo& info, const ReplayConfig& config);

}  // namespace kvlab
