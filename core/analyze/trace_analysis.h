// SPDX-License-Identifier: MIT
#pragma once
// How cacheable is a workload, without choosing a cache size (kvlab-cli analyze, docs/analyze.md):
// - the infinite-cache bound (prefix semantics, TraceBoundsPass), whole trace and per segment, request type,
//   model and session where the format has them; chunk-level reuse where it keeps chunk ids;
// - the reuse structure: the top shared prefixes, the reusable prefix per request, what idle TTLs would
//   lose of the bound, the footprint;
// - the LRU hit-rate curve over every size from one stack-distance pass (LruStackPass), and the smallest
//   sizes reaching fractions of the bound.
// Tokens count as trace_request.h says. With warmupRequests, the first requests fill the cache and only the
// rest are counted (hits, prompt tokens, the bound, the curve), as replay --warmup does.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/trace/trace.h"

namespace kvlab {

struct AnalyzeOptions {
  std::uint32_t blockSize = 0;         // 0 = the trace's own
  std::uint64_t warmupRequests = 0;    // not measured (they fill the cache)
  std::size_t topPrefixes = 10;
  std::size_t topSessions = 20;
  std::vector<std::int64_t> ttlsMs = {10'000, 60'000, 300'000, 600'000, 1'800'000, 3'600'000};
  std::vector<double> boundFractions = {0.5, 0.8, 0.9, 0.95};
  // Set from another thread to stop a long analysis (a GUI page whose source changed): analyzeTrace then
  // throws AnalysisCancelled between requests. nullptr = never.
  const std::atomic<bool>* cancel = nullptr;
};

struct AnalysisCancelled {};

// The bound over the measured requests that carry one label.
struct LabelBound {
  std::string label;
  std::uint64_t requests = 0;
  std::uint64_t promptTokens = 0;
  std::uint64_t hitTokens = 0;  // infinite cache, prefix semantics
  double hitRate() const { return promptTokens ? double(hitTokens) / double(promptTokens) : 0.0; }
};

// A longest prefix shared by a set of requests (no longer prefix is shared by all of them).
struct SharedPrefix {
  std::uint64_t blocks = 0;
  std::uint64_t tokens = 0;
  std::uint64_t requests = 0;     // requests (measured or not) whose prompt starts with it
  std::uint64_t savedTokens = 0;  // (requests - 1) x tokens: what an infinite cache saves on it
};

struct CurveSample {
  std::uint64_t capacityBlocks = 0;
  std::uint64_t hitTokens = 0;
  std::uint64_t hitBlocks = 0;
  double tokenHitRate = 0;
};

struct TtlLoss {
  std::int64_t ttlMs = 0;
  std::uint64_t hitTokens = 0;   // infinite cache whose blocks expire after ttlMs idle
  std::uint64_t lostTokens = 0;  // of the bound
};

struct BoundSize {
  double fraction = 0;                          // of the infinite-cache hit tokens
  std::optional<std::uint64_t> capacityBlocks;  // smallest LRU size reaching it; nullopt if the bound is 0
};

struct TraceAnalysis {
  std::string format;
  std::string tokenization;  // your own prompts: how text became tokens (the tokenizer, the chat template)
  std::uint32_t blockSize = 0;
  std::uint64_t requests = 0;  // measured
  std::uint64_t warmupRequests = 0;
  bool filledDuringWarmup = false;  // not meaningful without a size: false
  std::uint64_t promptTokens = 0;
  std::uint64_t blocks = 0;
  std::uint64_t infiniteHitTokens = 0;
  std::uint64_t infiniteHitBlocks = 0;
  std::optional<std::uint64_t> chunkHitTokens;  // formats with chunk ids
  std::uint64_t distinctBlocks = 0;             // footprint, whole trace
  std::uint64_t footprintTokens = 0;
  std::vector<LabelBound> bySegment, byRequestType, byModel, bySession;  // bySession: top by prompt tokens
  std::uint64_t sessions = 0;
  std::vector<SharedPrefix> topPrefixes;
  // Reusable prefix per measured request (infinite cache), tokens.
  std::uint64_t requestsWithReuse = 0;
  double meanReusableTokens = 0;
  std::uint64_t reusableP50 = 0, reusableP90 = 0, reusableP99 = 0, reusableMax = 0;
  std::vector<TtlLoss> ttlLosses;
  // Whole curve: hit tokens at capacity C = hitTokensBelow[min(C, size)] (cumulative by stack distance).
  std::vector<std::uint64_t> hitTokensBelow, hitBlocksBelow;
  std::vector<CurveSample> lruCurve;  // sampled: powers of two up to the footprint, the footprint, bound sizes
  std::vector<BoundSize> boundSizes;

  double infiniteHitRate() const { return promptTokens ? double(infiniteHitTokens) / double(promptTokens) : 0.0; }
  double chunkHitRate() const {
    return promptTokens && chunkHitTokens ? double(*chunkHitTokens) / double(promptTokens) : 0.0;
  }
  CurveSample lruAt(std::uint64_t capacityBlocks) const;
};

// Throws InputError for a length-only trace (no block ids: nothing to reuse), AnalysisCancelled when
// options.cancel is set.
TraceAnalysis analyzeTrace(const Trace& trace, const AnalyzeOptions& options = {});

}  // namespace kvlab
