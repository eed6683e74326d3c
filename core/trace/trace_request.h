// SPDX-License-Identifier: MIT
#pragma once
// One request of a trace, whatever format it was read from (core/trace/trace_format.h lists the readers).
//
// Token accounting, the same for every format: a request's prompt tokens are its input length. Block i
// stands for tokens [i*B, (i+1)*B) of the prompt cut at the input length, B being the trace's block size
// (TraceInfo::blockSize): a last partial block weighs the remainder, a block past the input length weighs 0,
// and prompt tokens past the last block are never hits. Where the format gives per-block counts
// (blockTokens: kvcache-simulator's block_tokens, RAGPulse's token_length), block i stands for the
// tokens after those of the blocks before it instead, cut at the input length the same way.
// BlockTokenRuler (block_token_ruler.h) applies the rule.
#include <cstdint>
#include <vector>

namespace kvlab {

// An annotation a request does not have (index into a TraceInfo label table otherwise).
inline constexpr std::uint32_t kNoLabel = UINT32_MAX;

struct TraceRequest {
  std::int64_t timestampMs = 0;    // arrival, ms since trace start; non-decreasing in reading order
  std::uint32_t inputLength = 0;   // prompt tokens
  std::uint32_t outputLength = 0;  // generated tokens
  // Block keys in prompt order, prefix-chained: two requests share key i exactly when they share the whole
  // prompt up to the end of block i. Mooncake ids are chained at the source and kept as they are; readers
  // of formats whose ids are not (or are local to a file) renumber them (BlockChainer). Empty for
  // length-only traces.
  std::vector<std::uint64_t> hashIds;
  std::vector<std::uint32_t> blockTokens;  // empty = uniform blocks; else one token count per key

  // Annotations; formats without them leave the defaults.
  std::vector<std::uint64_t> chunkIds;  // the source's own ids, one per key, where chunk-level reuse is
                                        // analysed (RAGPulse chunks, Qwen-Bailian per-block hashes); else empty
  std::vector<std::uint8_t> segments;   // per key: index into TraceInfo::segments (RAGPulse); else empty
  std::int64_t requestId = -1;          // the source's id of the request (Qwen-Bailian chat_id), -1 = none
  std::int64_t parentId = -1;           // the request it continues (parent_chat_id; an agent's previous
                                        // request), -1 = none
  std::uint32_t session = kNoLabel;      // TraceInfo::sessions (conversation, chat root, agent context)
  std::uint32_t model = kNoLabel;        // TraceInfo::models
  std::uint32_t requestType = kNoLabel;  // TraceInfo::requestTypes (text/search/image/file, main/subagent)
  std::uint32_t turn = 0;                // 1-based turn in its session where the format says, 0 = unknown
};

}  // namespace kvlab
