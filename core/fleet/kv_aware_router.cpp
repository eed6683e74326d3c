// SPDX-License-Identifier: MIT
#include "core/fleet/kv_aware_router.h"

#include <stdexcept>

#include "core/fleet/kv_block_index.h"

namespace kvlab {

KvAwareRouter::KvAwareRouter(std::size_t replicas, double overlapWeight)
    : m_overlapWeight(overlapWeight), m_replicas(replicas) {
  if (!(overlapWeight >= 0)) throw std::invalid_argument("kv-aware: the overlap weight must be >= 0");
}

std::size_t KvAwareRouter::route(const TraceRequest& request, const FleetView& view) {
  view.index->leadingBlocks(std::span<const std::uint64_t>(request.hashIds), m_overlap);
  const std::size_t n = view.load.size();
  const double blockSize = double(view.blockSize ? view.blockSize : 1);
  const std::uint64_t isl = request.inputLength;
  m_logits.assign(n, 0.0);
  std::size_t best = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const Replica& rep = m_replicas[r];
    const std::uint64_t cached = std::uint64_t(m_overlap[r]) * view.blockSize;
    const std::uint64_t newTokens = isl > cached ? isl - cached : 0;  // Dynamo saturates at 0
    std::uint64_t newBlocks = 0;
    for (const std::uint64_t h : request.hashIds)
      if (!rep.uniqueBlocks.contains(h)) ++newBlocks;
    const double prefillBlocks = double(newTokens + rep.activeTokens) / blockSize;
    const double decodeBlocks = double(newBlocks + rep.uniqueBlocks.size());
    m_logits[r] = m_overlapWeight * prefillBlocks + decodeBlocks;
    if (r == 0) continue;
    if (m_logits[r] < m_logits[best] ||
        (m_logits[r] == m_logits[best] && view.index->heldBlocks(r) < view.index->heldBlocks(best)))
      best = r;
  }
  // Dynamo's add_request: the chosen replica now holds the request's prompt blocks and prefill tokens.
  Active& a = m_active[view.requestId];
  a.replica = best;
  const std::uint64_t cached = std::uint64_t(m_overlap[best]) * view.blockSize;
  a.prefillTokens = isl > cached ? isl - cached : 0;
  a.blocks = request.hashIds;
  Replica& rep = m_replicas[best];
  rep.activeTokens += a.prefillTokens;
  for (const std::uint64_t h : a.blocks) ++rep.uniqueBlocks[h];
  return best;
}

void KvAwareRouter::finished(std::uint64_t requestId) {
  const auto it = m_active.find(requestId);
  if (it == m_active.end()) return;
  Replica& rep = m_replicas[it->second.replica];
  rep.activeTokens -= it->second.prefillTokens;
  for (const std::uint64_t h : it->second.blocks) {
    const auto b = rep.uniqueBlocks.find(h);
    if (b != rep.uniqueBlocks.end() && --b->second == 0) rep.uniqueBlocks.erase(b);
  }
  m_active.erase(it);
}

}  // namespace kvlab
