// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli simulate: a trace or a scenario through the continuous-batching serving simulator
// (core/serving) on a cost model. Torch-free.
#include "replay_commands.h"

namespace kvlab {

CommandAction addSimulateCommand(CLI::App& app);

}  // namespace kvlab
