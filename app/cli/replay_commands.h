// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli replay / sweep / bench: simulate mode over Mooncake traces. Torch-free.
#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/replay/trace_replayer.h"

namespace kvlab {

// Each add*Command registers its subcommand and returns the action to run once parsing succeeded; the
// action returns the exit code.
using CommandAction = std::function<int()>;
CommandAction addReplayCommand(CLI::App& app);
CommandAction addSweepCommand(CLI::App& app);
CommandAction addBenchCommand(CLI::App& app);

// The JSON object `replay --json` prints (fleet prints one per replica).
nlohmann::ordered_json replayResultJson(const ReplayResult& result, const ReplayConfig& config);

}  // namespace kvlab
