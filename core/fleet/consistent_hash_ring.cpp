// SPDX-License-Identifier: MIT
#include "core/fleet/consistent_hash_ring.h"

#include <algorithm>
#include <stdexcept>

namespace kvlab {

std::uint64_t ConsistentHashRing::splitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

ConsistentHashRing::ConsistentHashRing(std::size_t replicas, std::uint32_t virtualNodes)
    : m_replicas(replicas) {
  if (replicas == 0) throw std::invalid_argument("a hash ring needs at least one replica");
  if (virtualNodes == 0) throw std::invalid_argument("a hash ring needs at least one point per replica");
  m_points.reserve(replicas * virtualNodes);
  for (std::size_t r = 0; r < replicas; ++r) {
    const std::uint64_t base = splitMix64(r);
    for (std::uint32_t v = 0; v < virtualNodes; ++v)
      m_points.emplace_back(splitMix64(base ^ v), std::uint32_t(r));
  }
  // Equal positions (astronomically unlikely) are ordered by replica, so the owner never depends on
  // insertion order.
  std::sort(m_points.begin(), m_points.end());
}

std::size_t ConsistentHashRing::owner(std::uint64_t key) const {
  auto it =
      std::lower_bound(m_points.begin(), m_points.end(), std::pair<std::uint64_t, std::uint32_t>{key, 0});
  if (it == m_points.end()) it = m_points.begin();  // wrap around the top of the ring
  return it->second;
}

}  // namespace kvlab
