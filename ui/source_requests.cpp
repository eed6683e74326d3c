// SPDX-License-Identifier: MIT
#include "ui/source_requests.h"

#include "core/runner/scenario_runner.h"
#include "core/workload/scenario.h"
#include "core/workload/scenario_trace.h"

namespace kvlab {

SourceRequests loadSourceRequests(const std::string& source, const std::string& scenarioDir,
                                  std::uint32_t blockSizeOverride, std::optional<std::uint32_t> outputTokens,
                                  std::optional<std::uint64_t> seed) {
  SourceRequests out;
  out.trace = source.size() > 6 && source.ends_with(".jsonl");
  if (out.trace) {
    out.blockSize = blockSizeOverride ? blockSizeOverride : kTraceBlockSize;
    out.requests = readWholeTrace(source);
    return out;
  }
  ScenarioSpec spec =
      loadScenarioFile(resolveScenario(source, scenarioDir.empty() ? defaultScenarioDir() : scenarioDir));
  if (seed) spec.seed = *seed;
  out.blockSize = blockSizeOverride ? blockSizeOverride : spec.cache.blockSize;
  out.scenarioModel = spec.model;
  out.requests = scenarioToTrace(spec, out.blockSize, outputTokens);
  return out;
}

}  // namespace kvlab
