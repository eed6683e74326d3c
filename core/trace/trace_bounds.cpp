// SPDX-License-Identifier: MIT
#include "core/trace/trace_bounds.h"

#include <absl/container/flat_hash_set.h>

#include "core/trace/block_token_ruler.h"

namespace kvlab {

TraceBounds computeBounds(const Trace& trace, std::uint32_t blockSize) {
  const std::uint32_t b = blockSize ? blockSize : trace.info.blockSize;
  TraceBounds out;
  absl::flat_hash_set<std::uint64_t> keys;    // block keys (chained: a key names its path) seen so far
  absl::flat_hash_set<std::uint64_t> chunks;  // chunk ids seen so far
  bool anyChunks = false;
  for (const TraceRequest& r : trace.requests) {
    ++out.requests;
    out.promptTokens += r.inputLength;
    out.outputTokens += r.outputLength;
    out.blocks += r.hashIds.size();
    // Lookups first, over what earlier requests left; then this request's blocks join.
    BlockTokenRuler ruler(b, r.inputLength, r.blockTokens);
    bool run = true;
    const bool withChunks = r.chunkIds.size() == r.hashIds.size() && !r.chunkIds.empty();
    anyChunks = anyChunks || !r.chunkIds.empty();
    for (std::size_t i = 0; i < r.hashIds.size(); ++i) {
      const std::uint64_t tokens = ruler.nextBlock();
      run = run && keys.contains(r.hashIds[i]);
      if (run) out.prefixHitTokens += tokens;
      if (withChunks && chunks.contains(r.chunkIds[i])) out.chunkHitTokens = out.chunkHitTokens.value_or(0) + tokens;
    }
    keys.insert(r.hashIds.begin(), r.hashIds.end());
    chunks.insert(r.chunkIds.begin(), r.chunkIds.end());
  }
  out.distinctBlocks = keys.size();
  if (anyChunks && !out.chunkHitTokens) out.chunkHitTokens = 0;
  return out;
}

}  // namespace kvlab
