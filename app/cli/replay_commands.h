// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli replay / sweep / bench: simulate mode over Mooncake traces. Torch-free.
#include <CLI/CLI.hpp>
#include <functional>

namespace kvlab {

// Each add*Command registers its subcommand and returns the action to run once parsing succeeded; the
// action returns the exit code.
using CommandAction = std::function<int()>;
CommandAction addReplayCommand(CLI::App& app);
CommandAction addSweepCommand(CLI::App& app);
CommandAction addBenchCommand(CLI::App& app);
CommandAction addListCommand(CLI::App& app);

}  // namespace kvlab
