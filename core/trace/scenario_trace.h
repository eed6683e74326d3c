// SPDX-License-Identifier: MIT
#pragma once
// A scenario as a Mooncake-style trace, for the trace-driven tools (the serving simulator): each generated
// request becomes one TraceRequest with its arrival, its prompt length (1 byte = 1 token, as the model's
// tokenizer) and one hash id per full block of `blockSize` tokens. The ids are the block cache's own chained
// keys (XXH3-128 of the parent key and the block's token ids, folded to 64 bits), so two requests share an
// id exactly when they share the whole prefix up to the end of that block, as in the published traces. A
// partial last block gets no id (it cannot be reused). Each request's output_length is the scenario
// request's own outputTokens (drawn from the scenario's output_tokens), unless an override is given.
#include <cstdint>
#include <optional>
#include <vector>

#include "core/trace/trace_request.h"
#include "core/workload/scenario.h"

namespace kvlab {

// blockSize >= 1. outputTokensOverride: output_length of every request instead of the scenario's (>= 1).
std::vector<TraceRequest> scenarioToTrace(const ScenarioSpec& spec, std::uint32_t blockSize,
                                          std::optional<std::uint32_t> outputTokensOverride = std::nullopt);

}  // namespace kvlab
