// SPDX-License-Identifier: MIT
#pragma once
// How long a source's blocks wait between uses: for every use of a block (hash id) after its first, the
// time since its previous use (request timestamps, ms). A TTL shorter than most of these expires entries
// that would have hit; a much longer one never expires anything. ttlsFromReuseTimes turns the distribution
// into heatmap rows: the 50th, 75th and 90th percentiles, each rounded to a readable duration (1 s, 2 s,
// 5 s, 10 s, 15 s, 30 s, 1 min, ... 24 h), distinct, ascending.
#include <cstdint>
#include <vector>

#include "core/cache/cache_types.h"
#include "core/trace/trace_request.h"

namespace kvlab {

// One entry per reuse, in request order.
std::vector<TimeMs> blockReuseTimesMs(const std::vector<TraceRequest>& requests);

// Nearest-rank percentile p (0..100] of `values` (sorted or not); 0 for none.
TimeMs reuseTimePercentile(std::vector<TimeMs> values, double p);

// The readable duration nearest to ms on a log scale (at least 100 ms).
TimeMs readableDuration(TimeMs ms);

// Heatmap TTLs (ms, > 0, ascending, distinct) for the percentiles `percents` of the reuse times; empty when
// nothing is reused.
std::vector<TimeMs> ttlsFromReuseTimes(const std::vector<TimeMs>& reuseMs,
                                       const std::vector<double>& percents = {50, 75, 90});

}  // namespace kvlab
