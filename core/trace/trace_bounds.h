// SPDX-License-Identifier: MIT
#pragma once
// What any cache could reuse of a trace, without choosing a size: the infinite-cache bound. Prefix
// semantics (what vLLM's and SGLang's prefix caches reuse): a block is a hit when an earlier request had the
// same path of blocks up to it, and only a request's leading run of such blocks counts. Where the format
// keeps its own chunk ids (RAGPulse, Qwen-Bailian), also chunk-level reuse (CacheBlend-style): a block is
// reusable when its chunk occurred in an earlier request at any position; the difference is what prefix
// caching cannot reuse. Tokens count as trace_request.h says (BlockTokenRuler).
#include <absl/container/flat_hash_set.h>

#include <cstdint>
#include <optional>

#include "core/trace/trace.h"

namespace kvlab {

struct TraceBounds {
  std::uint64_t requests = 0;
  std::uint64_t promptTokens = 0;
  std::uint64_t outputTokens = 0;
  std::uint64_t blocks = 0;           // block keys over all requests
  std::uint64_t distinctBlocks = 0;   // the footprint of an infinite cache, in keys
  std::uint64_t prefixHitTokens = 0;  // infinite cache, prefix semantics
  std::optional<std::uint64_t> chunkHitTokens;  // any earlier occurrence of the chunk; formats with chunk ids

  double prefixHitRate() const { return promptTokens ? double(prefixHitTokens) / double(promptTokens) : 0.0; }
  double chunkHitRate() const {
    return promptTokens && chunkHitTokens ? double(*chunkHitTokens) / double(promptTokens) : 0.0;
  }
};

// The bounds fed one request at a time (arrival order), for a streaming reader.
class TraceBoundsPass {
public:
  // blockSize: tokens per uniform block (per-block counts override it where a request gives them).
  explicit TraceBoundsPass(std::uint32_t blockSize) : m_blockSize(blockSize) {}
  void add(const TraceRequest& request);
  TraceBounds result() const;

private:
  std::uint32_t m_blockSize;
  TraceBounds m_bounds;
  bool m_anyChunks = false;
  absl::flat_hash_set<std::uint64_t> m_keys;    // block keys (chained: a key names its path) seen so far
  absl::flat_hash_set<std::uint64_t> m_chunks;  // chunk ids seen so far
};

// blockSize: tokens per uniform block (0 = the trace's own; per-block counts override it where given).
TraceBounds computeBounds(const Trace& trace, std::uint32_t blockSize = 0);

}  // namespace kvlab
