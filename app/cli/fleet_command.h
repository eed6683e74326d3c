// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli fleet: a trace over N replicas behind a router (core/fleet). Torch-free.
#include <CLI/CLI.hpp>

#include "replay_commands.h"

namespace kvlab {

CommandAction addFleetCommand(CLI::App& app);

}  // namespace kvlab
