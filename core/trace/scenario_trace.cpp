// SPDX-License-Identifier: MIT
#include "core/trace/scenario_trace.h"

#include <stdexcept>

#include "core/cache/key_hasher.h"

namespace kvlab {

std::vector<TraceRequest> scenarioToTrace(const ScenarioSpec& spec, std::uint32_t blockSize,
                                          std::optional<std::uint32_t> outputTokensOverride) {
  if (blockSize == 0) throw std::invalid_argument("scenarioToTrace: block size must be at least 1");
  std::vector<TraceRequest> trace;
  std::vector<std::int32_t> tokens;
  for (const ScenarioRequest& r : generateRequests(spec)) {
    TraceRequest t;
    t.timestampMs = r.arrivalMs;
    t.inputLength = std::uint32_t(r.text.size());
    t.outputLength = outputTokensOverride.value_or(r.outputTokens);
    tokens.assign(r.text.begin(), r.text.end());  // byte tokenizer: token id = byte (ASCII text)
    CacheKey parent;
    for (std::size_t start = 0; start + blockSize <= tokens.size(); start += blockSize) {
      parent = chainedBlockKey(BlockHash::Xxh3, parent, std::span(tokens).subspan(start, blockSize));
      t.hashIds.push_back(parent.lo ^ parent.hi);
    }
    trace.push_back(std::move(t));
  }
  return trace;
}

}  // namespace kvlab
