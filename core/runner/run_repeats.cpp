// SPDX-License-Identifier: MIT
#include "core/runner/run_repeats.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/runner/run_recorder.h"
#include "core/runner/run_statistics.h"

namespace kvlab {

namespace {

// The spread of figure(run) over the runs; nullopt when any run lacks it (figure <= 0: not measured).
std::optional<RepeatSpread> spreadOf(std::span<const RunSummary> runs,
                                     const std::function<double(const RunSummary&)>& figure) {
  std::vector<double> values;
  for (const RunSummary& run : runs) {
    const double v = figure(run);
    if (!(v > 0)) return std::nullopt;
    values.push_back(v);
  }
  if (values.empty()) return std::nullopt;
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  return RepeatSpread{percentile(values, 50), *low, *high};
}

nlohmann::ordered_json spreadJson(const std::optional<RepeatSpread>& s) {
  if (!s) return nullptr;
  return {{"median", s->median}, {"low", s->low}, {"high", s->high}};
}

}  // namespace

RepeatSummary summariseRepeats(std::span<const RunSummary> runs) {
  RepeatSummary r;
  r.runs = int(runs.size());
  r.speedup = spreadOf(runs, [](const RunSummary& s) { return s.speedup; });
  r.measuredOverIdeal = spreadOf(runs, [](const RunSummary& s) {
    return s.speedup > 0 && s.idealSpeedup > 0 ? s.speedup / s.idealSpeedup : 0.0;
  });
  r.ttftMsCachedMedian = spreadOf(runs, [](const RunSummary& s) { return s.ttftMsCachedMedian; });
  r.ttftMsUncachedMedian = spreadOf(runs, [](const RunSummary& s) { return s.ttftMsUncachedMedian; });
  return r;
}

std::string repeatJson(std::span<const RunInfo> infos, std::span<const RunSummary> summaries) {
  if (infos.size() != summaries.size()) throw std::invalid_argument("repeatJson: one info per summary");
  const RepeatSummary r = summariseRepeats(summaries);
  nlohmann::ordered_json j;
  j["repeat"] = {{"runs", r.runs},
                 {"speedup", spreadJson(r.speedup)},
                 {"measured_over_ideal", spreadJson(r.measuredOverIdeal)},
                 {"ttft_ms_cached_median", spreadJson(r.ttftMsCachedMedian)},
                 {"ttft_ms_uncached_median", spreadJson(r.ttftMsUncachedMedian)}};
  j["runs"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < infos.size(); ++i)
    j["runs"].push_back(nlohmann::ordered_json::parse(summaryJson(infos[i], summaries[i])));
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace kvlab
