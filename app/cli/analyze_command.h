// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli analyze: how cacheable is a trace, without choosing a cache size (core/analyze, docs/analyze.md).
// Torch-free.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/analyze/trace_analysis.h"
#include "replay_commands.h"

namespace kvlab {

CommandAction addAnalyzeCommand(CLI::App& app);

// The JSON object `analyze --json` prints. bytesPerToken 0 = no model given (no byte sizes).
nlohmann::ordered_json analysisJson(const TraceAnalysis& a, std::uint64_t bytesPerToken);

}  // namespace kvlab
