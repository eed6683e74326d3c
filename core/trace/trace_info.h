// SPDX-License-Identifier: MIT
#pragma once
// What a reader knows about the trace as a whole: its format, its block size and where that came from, what
// the requests carry, and the label tables their annotations index.
#include <cstdint>
#include <string>
#include <vector>

#include "core/trace/label_table.h"

namespace kvlab {

struct TraceInfo {
  std::string path;    // as the user gave it (a file, or a directory for directory formats)
  std::string format;  // registry name (trace_format.h), e.g. "mooncake"
  // Tokens per block key. Declared (blockSizeDeclared) when the file says it (kvcache-simulator and
  // kv-cache-tester's block_size) or the format fixes it (Qwen-Bailian: 16 tokens per id; RAGPulse: chunks
  // of at most 512 tokens, one key per chunk); otherwise the format's convention (Mooncake: 512, the
  // published traces' size; any other value is the user's to give).
  std::uint32_t blockSize = 512;
  bool blockSizeDeclared = false;
  std::string blockSizeSource;  // for messages: "field 'block_size'", "the format (16 tokens per id)"
  bool hasBlockIds = true;      // false: lengths only, no prefix information (Azure, BurstGPT)
  bool sourceIdsChained = true; // the source's ids already imply their prefix; false: chained by the reader
  bool perBlockTokens = false;  // requests carry blockTokens
  bool hasChunkIds = false;     // requests carry chunkIds
  // The prompts format: how text became tokens ("tokenizer PATH, chat template chatml"), "" otherwise.
  std::string tokenization;
  LabelTable sessions;
  LabelTable models;
  LabelTable requestTypes;
  LabelTable segments;
};

// The block size a run uses: the trace's when `requested` is 0, else `requested`. Throws InputError naming
// the field 'block-size' when the trace declares a different size (a contradicting flag would count every
// hit wrong; omit the flag).
std::uint32_t resolveBlockSize(const TraceInfo& info, std::uint32_t requested);

// Throws InputError(path, 0, "", ...) for a length-only trace: `what` needs block ids (replay, sweep).
void requireBlockIds(const TraceInfo& info, const std::string& what);

}  // namespace kvlab
