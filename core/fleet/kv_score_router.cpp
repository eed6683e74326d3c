// SPDX-License-Identifier: MIT
#include "core/fleet/kv_score_router.h"

#include "core/fleet/kv_block_index.h"

namespace kvlab {

std::size_t KvScoreRouter::route(const TraceRequest& request, const FleetView& view) {
  view.index->leadingBlocks(std::span<const std::uint64_t>(request.hashIds), m_overlap);
  std::size_t best = 0;
  double bestScore = 0;
  for (std::size_t r = 0; r < view.load.size(); ++r) {
    const double score = double(m_overlap[r]) - m_loadWeight * double(view.load[r]);
    // Strictly better, or equal and less loaded (equal load: the lower index, already in best, stays).
    if (r == 0 || score > bestScore || (score == bestScore && view.load[r] < view.load[best])) {
      best = r;
      bestScore = score;
    }
  }
  return best;
}

}  // namespace kvlab
