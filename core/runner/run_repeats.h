// SPDX-License-Identifier: MIT
#pragma once
// Several whole runs of one scenario (kvlab-cli run --repeat N): each run's headline figures and their
// median, lowest and highest. One run's speedup moves with the machine (a shared VM's speed can drift by a
// third within minutes, docs/run-output.md), so a goal such as "measured/ideal >= 0.85 as the median of 3
// runs" is checked by one command instead of a script around three.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/runner/run_types.h"

namespace kvlab {

// Median (numpy's linear percentile: the mean of the middle two for an even count), lowest, highest.
struct RepeatSpread {
  double median = 0;
  double low = 0;
  double high = 0;
};

struct RepeatSummary {
  int runs = 0;
  // Absent when a run did not measure it (--no-baseline: no uncached prefill, so no speedup).
  std::optional<RepeatSpread> speedup;            // sum uncached TTFT / sum cached TTFT of each run
  std::optional<RepeatSpread> measuredOverIdeal;  // each run's speedup / its FLOP-ideal speedup
  std::optional<RepeatSpread> ttftMsCachedMedian;
  std::optional<RepeatSpread> ttftMsUncachedMedian;
};

RepeatSummary summariseRepeats(std::span<const RunSummary> runs);

// {"repeat": {"runs": N, "speedup": {"median", "low", "high"}, ...}, "runs": [each run's summary JSON]};
// infos[i] and summaries[i] describe run i. A figure is null unless every run measured it.
std::string repeatJson(std::span<const RunInfo> infos, std::span<const RunSummary> summaries);

}  // namespace kvlab
