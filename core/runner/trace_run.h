// SPDX-License-Identifier: MIT
#pragma once
// A trace run (simulate mode): a Mooncake-format trace replayed through the block cache, sizes only, no
// tensors. Per-request TTFTs come from a FLOP cost model (FLOPs / the matmul GFLOP/s measured at start)
// and are flagged simulated; the summary carries no measured speedup or TTFT (they would only restate the
// cost model), only the ideal speedup from FLOPs. Internal to core/runner.
#include <string>

#include "core/runner/run_controls.h"
#include "core/runner/run_types.h"

namespace kvlab {

RunSummary runTrace(const RunSettings& settings, const std::string& path, RunControls& controls,
                    RunObserver& observer, int runId);

}  // namespace kvlab
