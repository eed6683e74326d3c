// SPDX-License-Identifier: MIT
#pragma once
// A scenario as a Mooncake-style trace, for the trace-driven tools (the serving simulator): each generated
// request becomes one TraceRequest with its arrival, its prompt length (1 byte = 1 token, as the model's
// tokenizer) and one hash id per full block of `blockSize` tokens. The ids are the block cache's own chained
// keys (XXH3-128 of the parent key and the block's token ids, folded to 64 bits), so two requests share an
// id exactly when they share the whole prefix up to the end of that block, as in the published traces. A
// partial last block gets no id (it cannot be reused).
#include <cstdint>
#include <vector>

#include "core/workload/mooncake_trace.h"
#include "core/workload/scenario.h"

namespace kvlab {

// outputTokens: output_length of every request (scenarios do not yet say how long a reply is).
// blockSize >= 1.
std::vector<TraceRequest> scenarioToTrace(const ScenarioSpec& spec, std::uint32_t blockSize,
                                          std::uint32_t outputTokens);

}  // namespace kvlab
