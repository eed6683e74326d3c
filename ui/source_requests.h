// SPDX-License-Identifier: MIT
#pragma once
// A page's source as the request stream the trace-driven core takes (replay, sweep, serving, fleet): a
// trace read whole, or a scenario turned into its token-block stream (no model runs). One function, so
// every worker (Serving, Fleet, Tune, the Live page's bound) reads a source the same way. Any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/workload/mooncake_trace.h"

namespace kvlab {

struct SourceRequests {
  std::vector<TraceRequest> requests;
  std::uint32_t blockSize = 512;  // tokens per hash id: 512 for a trace (Mooncake), the scenario's own
  bool trace = false;
  std::string scenarioModel;  // the scenario's model preset ("" for a trace)
};

// Throws (InputError, std::invalid_argument) naming the source when it cannot be read.
// blockSizeOverride 0 = the source's own; outputTokens: every request's output length for a scenario
// (nullopt = the scenario's own output_tokens); seed: the scenario's prompts drawn with this seed instead
// of the file's (a Live run's --seed).
SourceRequests loadSourceRequests(const std::string& source, const std::string& scenarioDir,
                                  std::uint32_t blockSizeOverride,
                                  std::optional<std::uint32_t> outputTokens = std::nullopt,
                                  std::optional<std::uint64_t> seed = std::nullopt);

// The tokens one hash id stands for in the published Mooncake traces.
inline constexpr std::uint32_t kTraceBlockSize = 512;

}  // namespace kvlab
