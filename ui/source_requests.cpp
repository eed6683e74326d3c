// SPDX-License-Identifier: MIT
#include "ui/source_requests.h"

#include <utility>

#include "core/runner/scenario_runner.h"
#include "core/trace/scenario_trace.h"
#include "core/trace/trace.h"
#include "core/trace/trace_format.h"
#include "core/trace/uniform_blocks.h"
#include "core/workload/scenario.h"

namespace kvlab {

Trace openSourceTrace(const std::string& source, std::uint32_t blockSize, const PromptTextOptions& prompts) {
  // A prompts file (token ids, or text with the chosen tokenizer) is cut at the block size asked for.
  TraceOpenOptions options;
  options.prompts = prompts;
  options.prompts.blockSize = blockSize;
  return loadTrace(source, options);
}

SourceRequests loadSourceRequests(const std::string& source, const std::string& scenarioDir,
                                  std::uint32_t blockSizeOverride, std::optional<std::uint32_t> outputTokens,
                                  std::optional<std::uint64_t> seed, SourceUse use,
                                  const PromptTextOptions& prompts) {
  SourceRequests out;
  out.trace = looksLikeTrace(source);
  if (out.trace) {
    Trace trace = openSourceTrace(source, blockSizeOverride, prompts);
    out.format = trace.info.format;
    if (use == SourceUse::Serving) {
      out.requests = servingRequests(trace, blockSizeOverride, &out.blockSize);
    } else {
      requireBlockIds(trace.info, "a cache replay");
      out.blockSize = resolveBlockSize(trace.info, blockSizeOverride);  // 0 = the trace's own
      out.requests = std::move(trace.requests);
    }
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
