// SPDX-License-Identifier: MIT
#pragma once
// A trace with per-block token counts (RAGPulse chunks, kvcache-simulator's block_tokens) as a trace of
// uniform blocks of blockSize tokens, for the consumers that allocate fixed-size blocks (the serving
// simulator's vLLM-style pool). Exact: uniform block k (tokens [k*B, (k+1)*B)) is keyed by the chained key
// of the block holding its last token and that token's offset in it, so two requests share uniform block k
// exactly when they share the prompt up to its end, as the chained keys promise. Only full uniform blocks
// inside the tokens the source blocks cover get keys (a partial block cannot be reused, as in
// scenarioToTrace). Traces without per-block counts are returned unchanged.
#include <cstdint>
#include <vector>

#include "core/trace/trace.h"
#include "core/trace/trace_info.h"

namespace kvlab {

// blockSize >= 1.
std::vector<TraceRequest> uniformBlockRequests(const Trace& trace, std::uint32_t blockSize);

// The requests a fixed-block consumer (simulate, fleet --serving) runs and the block size it runs them at
// (*blockSize): with per-block token counts, any requested size (0 = the trace's) through
// uniformBlockRequests; otherwise the trace's own keys at resolveBlockSize(requested). Length-only traces
// come back without ids (no prefix reuse).
std::vector<TraceRequest> servingRequests(const Trace& trace, std::uint32_t requested, std::uint32_t* blockSize);

}  // namespace kvlab
