// SPDX-License-Identifier: MIT
#include "core/replay/sweep_ranking.h"

#include <algorithm>

#include "core/policies/policy_registry.h"

namespace kvlab {

double SizeRanking::bestKnown() const {
  double best = online.empty() ? 0 : online.front().hitRate;
  if (reference) best = std::max(best, reference->hitRate);
  return best;
}

SizeRanking rankAtSize(const std::vector<SweepPoint>& points, const std::vector<std::string>& policies,
                       std::uint64_t maxTokens, double bound) {
  SizeRanking ranking;
  ranking.maxTokens = maxTokens;
  ranking.bound = bound;
  for (const std::string& policy : policies) {
    const auto it = std::find_if(points.begin(), points.end(), [&](const SweepPoint& p) {
      return p.config.policy == policy && p.config.ttlMs == 0 && p.config.maxTokens == maxTokens;
    });
    if (it == points.end()) continue;
    const PolicyAtSize at{policy, it->result.hitTokens, it->result.tokenHitRate()};
    const PolicyInfo* info = findReplayPolicy(policy);
    if (info && info->needsWholeTrace)
      ranking.reference = at;
    else
      ranking.online.push_back(at);
  }
  std::stable_sort(ranking.online.begin(), ranking.online.end(),
                   [](const PolicyAtSize& a, const PolicyAtSize& b) { return a.hitTokens > b.hitTokens; });
  ranking.referenceBelowOnline = ranking.reference && !ranking.online.empty() &&
                                 ranking.reference->hitTokens < ranking.online.front().hitTokens;
  return ranking;
}

std::optional<std::uint64_t> sizeForShareOfBound(const std::vector<SweepPoint>& points,
                                                 const std::string& policy, double bound, double share) {
  std::optional<std::uint64_t> best;
  if (!(bound > 0)) return best;
  for (const SweepPoint& p : points)
    if (p.config.policy == policy && p.config.ttlMs == 0 &&
        p.result.tokenHitRate() >= share * bound - 1e-12 && (!best || p.config.maxTokens < *best))
      best = p.config.maxTokens;
  return best;
}

}  // namespace kvlab
