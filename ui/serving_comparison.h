// SPDX-License-Identifier: MIT
#pragma once
// What the Serving page shows: the same source served twice by the serving simulator (core/serving) on the
// same cost model, with prefix caching and without it, as plain values the charts, the headline and the
// exports read. Side 0 is with the cache, side 1 without. GUI thread (filled by ServingPage from the
// worker's batches).
#include <array>
#include <cstdint>
#include <vector>

#include "core/serving/serving_types.h"

namespace kvlab {

struct ServingSide {
  std::vector<ServingTimelinePoint> points;  // in time order
  std::vector<ServingRequestResult> done;    // completed requests, in completion order
  ServingSummary summary;                    // when finished
  double wallS = 0;                          // measured simulation time, when finished
  std::vector<TierReport> tiers;             // when finished: host and remote tiers under the pool, if any
  bool finished = false;
  // Prompt tokens the engine computed: prompts minus prefix hits, plus what preemptions threw away minus
  // what re-admitted requests found still cached (ServingSummary's counters).
  std::uint64_t computedTokens() const {
    return summary.promptTokens - summary.hitTokens + summary.recomputedTokens - summary.recomputeHitTokens;
  }
};

struct ServingComparison {
  static constexpr int kWithCache = 0;
  static constexpr int kWithoutCache = 1;
  ServingConfig config;        // as run (block size and pool resolved); prefixCache is side 0's
  std::uint64_t requests = 0;  // in the source
  double arrivalSpanS = 0;     // first to last arrival, at the run's speed
  std::array<ServingSide, 2> sides;

  bool finished() const { return sides[0].finished && sides[1].finished; }
  bool empty() const { return requests == 0; }
  // Serving time / arrival span: above 1 the queue grew faster than the engine emptied it.
  static double loadFactor(const ServingSide& side, double arrivalSpanS) {
    return arrivalSpanS > 0 ? side.summary.simDurationS / arrivalSpanS : 0;
  }
};

}  // namespace kvlab
