// SPDX-License-Identifier: MIT
#include "core/replay/reuse_times.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace kvlab {

std::vector<TimeMs> blockReuseTimesMs(const std::vector<TraceRequest>& requests) {
  std::unordered_map<std::uint64_t, std::int64_t> lastUse;  // hash id -> timestamp of its previous use
  std::vector<TimeMs> out;
  for (const TraceRequest& r : requests)
    for (const std::uint64_t id : r.hashIds) {
      auto [it, fresh] = lastUse.try_emplace(id, r.timestampMs);
      if (!fresh) {
        out.push_back(TimeMs(r.timestampMs - it->second));
        it->second = r.timestampMs;
      }
    }
  return out;
}

TimeMs reuseTimePercentile(std::vector<TimeMs> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * double(values.size()));
  const std::size_t index = std::size_t(std::clamp(rank, 1.0, double(values.size()))) - 1;
  return values[index];
}

TimeMs readableDuration(TimeMs ms) {
  static const TimeMs kLadder[] = {100,     200,     500,     1000,     2000,     5000,    10000,
                                   15000,   30000,   60000,   120000,   300000,   600000,  900000,
                                   1800000, 3600000, 7200000, 21600000, 43200000, 86400000};
  const double x = std::log(double(std::max<TimeMs>(ms, 1)));
  TimeMs best = kLadder[0];
  double bestD = INFINITY;
  for (const TimeMs v : kLadder) {
    const double d = std::abs(std::log(double(v)) - x);
    if (d < bestD) {
      bestD = d;
      best = v;
    }
  }
  return best;
}

std::vector<TimeMs> ttlsFromReuseTimes(const std::vector<TimeMs>& reuseMs,
                                       const std::vector<double>& percents) {
  std::vector<TimeMs> out;
  if (reuseMs.empty()) return out;
  std::vector<TimeMs> sorted = reuseMs;
  std::sort(sorted.begin(), sorted.end());
  for (const double p : percents) {
    const TimeMs t = readableDuration(reuseTimePercentile(sorted, p));
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kvlab
