// SPDX-License-Identifier: MIT
#include "core/trace/trace_bounds.h"

#include "core/trace/block_token_ruler.h"

namespace kvlab {

void TraceBoundsPass::add(const TraceRequest& r) {
  TraceBounds& out = m_bounds;
  ++out.requests;
  out.promptTokens += r.inputLength;
  out.outputTokens += r.outputLength;
  out.blocks += r.hashIds.size();
  // Lookups first, over what earlier requests left; then this request's blocks join.
  BlockTokenRuler ruler(m_blockSize, r.inputLength, r.blockTokens);
  bool run = true;
  const bool withChunks = !r.chunkIds.empty() && r.chunkIds.size() == r.hashIds.size();
  m_anyChunks = m_anyChunks || withChunks;
  std::uint64_t chunkHits = 0;
  for (std::size_t i = 0; i < r.hashIds.size(); ++i) {
    const std::uint64_t tokens = ruler.nextBlock();
    run = run && m_keys.contains(r.hashIds[i]);
    if (run) out.prefixHitTokens += tokens;
    if (withChunks && m_chunks.contains(r.chunkIds[i])) chunkHits += tokens;
  }
  if (withChunks) out.chunkHitTokens = out.chunkHitTokens.value_or(0) + chunkHits;
  m_keys.insert(r.hashIds.begin(), r.hashIds.end());
  if (withChunks) m_chunks.insert(r.chunkIds.begin(), r.chunkIds.end());
}

TraceBounds TraceBoundsPass::result() const {
  TraceBounds out = m_bounds;
  out.distinctBlocks = m_keys.size();
  return out;
}

TraceBounds computeBounds(const Trace& trace, std::uint32_t blockSize) {
  TraceBoundsPass pass(blockSize ? blockSize : trace.info.blockSize);
  for (const TraceRequest& r : trace.requests) pass.add(r);
  return pass.result();
}

}  // namespace kvlab
