// SPDX-License-Identifier: MIT
#include "core/fleet/prefix_hash_router.h"

#include <algorithm>
#include <stdexcept>

namespace kvlab {

PrefixHashRouter::PrefixHashRouter(std::size_t replicas, std::uint32_t affinityBlocks, std::uint32_t virtualNodes)
    : m_ring(replicas, virtualNodes), m_affinityBlocks(affinityBlocks) {
  if (affinityBlocks == 0) throw std::invalid_argument("prefix-hash routing needs at least one affinity block");
}

std::uint64_t PrefixHashRouter::affinityKey(std::span<const std::uint64_t> hashIds,
                                         std::uint32_t affinityBlocks) {
  std::uint64_t key = kAffinitySeed;
  const std::size_t n = std::min<std::size_t>(hashIds.size(), affinityBlocks);
  for (std::size_t i = 0; i < n; ++i) key = ConsistentHashRing::splitMix64(key ^ hashIds[i]);
  return ConsistentHashRing::splitMix64(key);
}

std::size_t PrefixHashRouter::route(const TraceRequest& request, const FleetView&) {
  return m_ring.owner(affinityKey(request.hashIds, m_affinityBlocks));
}

}  // namespace kvlab
