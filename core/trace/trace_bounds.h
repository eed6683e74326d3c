// SPDX-License-Identifier: MIT
#pragma once
// What any cache could reuse of a trace, without choosing a size: the infinite-cache bound. Prefix
// semantics (what vLLM's and SGLang's prefix caches reuse): a block is a hit when an earlier request had the
// same path of blocks up to it, and only a request's leading run of such blocks counts. Where the format
// keeps its own chunk ids (RAGPulse, Qwen-Bailian), also chunk-level reuse (CacheBlend-style): a block is
// reusable when its chunk occurred in an earlier request at any position; the difference is what prefix
// caching cannot reuse. Tokens count as trace_request.h says (BlockTokenRuler).
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

// blockSize: tokens per uniform block (0 = the trace's own; per-block counts override it where given).
TraceBounds computeBounds(const Trace& trace, std::uint32_t blockSize = 0);

}  // namespace kvlab
