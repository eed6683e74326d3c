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
  void replay(std::int64_t timestampMs, std::uint32_t inputLength,
              std::span<const std::uint64_t> hashIds) override;
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

// Streams a trace file through a TraceReplayer (for opt, after a first pass that builds the next-use index).
// progress (optional) is called every few thousand requests; observer (optional) receives every cache event.
// Throws InputError on a malformed line (unless config.skipBadLines).
ReplayResult replayTraceFile(const std::string& path, const ReplayConfig& config,
                             const std::function<void(const ReplayProgress&)>& progress = {},
                             CacheObserver* observer = nullptr);

}  // namespace kvlab
