// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli list: what the lab offers (scenarios, model presets, policies, routers, granularities,
// hardware profiles), read without LibTorch; devices (CUDA, BLAS) only with --devices, which loads the
// compute module. Torch-free.
#include <CLI/CLI.hpp>

#include "replay_commands.h"

namespace kvlab {

CommandAction addListCommand(CLI::App& app);

}  // namespace kvlab
