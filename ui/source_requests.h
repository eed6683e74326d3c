// SPDX-License-Identifier: MIT
#pragma once
// A page's source as the request stream the trace-driven core takes (replay, sweep, serving, fleet): a
// trace of any format core/trace reads (detected from the content), read whole, or a scenario turned into
// its token-block stream (no model runs). One function, so every worker (Serving, Fleet, Tune, the Live
// page's bound) reads a source the same way. Any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/trace/trace.h"
#include "core/trace/trace_reader.h"
#include "core/trace/trace_request.h"

namespace kvlab {

struct SourceRequests {
  std::vector<TraceRequest> requests;
  std::uint32_t blockSize = 512;  // tokens per block key: the trace's own (512 for Mooncake), the scenario's
  bool trace = false;
  std::string format;         // the trace's format ("mooncake", ...); "" for a scenario
  std::string scenarioModel;  // the scenario's model preset ("" for a trace)
};

// How the requests will be consumed. Replay: a block cache keyed by the trace's own block keys (replay,
// sweep, the bound); a length-only trace is refused. Serving: a fixed-block pool (the serving simulator):
// per-block token counts are re-cut into uniform blocks, a length-only trace runs without reuse.
enum class SourceUse { Replay, Serving };

// Throws (InputError, std::invalid_argument) naming the source when it cannot be read.
// blockSizeOverride 0 = the source's own; outputTokens: every request's output length for a scenario
// (nullopt = the scenario's own output_tokens); seed: the scenario's prompts drawn with this seed instead
// of the file's (a Live run's --seed); prompts: the tokenizer and chat template a prompts file's text is read
// with (SourceSelection::promptOptions; its block size is blockSizeOverride).
SourceRequests loadSourceRequests(const std::string& source, const std::string& scenarioDir,
                                  std::uint32_t blockSizeOverride,
                                  std::optional<std::uint32_t> outputTokens = std::nullopt,
                                  std::optional<std::uint64_t> seed = std::nullopt,
                                  SourceUse use = SourceUse::Replay, const PromptTextOptions& prompts = {});

// A trace source (looksLikeTrace) read whole, as loadSourceRequests reads it: a prompts file's text with
// `prompts`, cut into blocks of blockSize tokens (0 = its default). For a page that needs the trace's own
// description (format, declared block size) as well as its requests (the Workload page).
Trace openSourceTrace(const std::string& source, std::uint32_t blockSize, const PromptTextOptions& prompts);

}  // namespace kvlab
