// SPDX-License-Identifier: MIT
#pragma once
// Where kvlab-cli's torch-free commands (simulate, list) find the bundled scenarios. Torch-free.
#include <string>

namespace kvlab {

// KVLAB_SCENARIO_DIR if set; else <exe>/../share/kvlab/scenarios when installed; else the source tree's
// scenarios/ (the same order as core/runner's defaultScenarioDir, which lives on the LibTorch side).
std::string cliScenarioDir();

}  // namespace kvlab
