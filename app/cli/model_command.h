// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli model: what a model's architecture means for its K/V cache (core/arch/model_figures.h), for a
// preset, a config.json or a model directory. Torch-free.
#include "replay_commands.h"

namespace kvlab {

CommandAction addModelCommand(CLI::App& app);

}  // namespace kvlab
