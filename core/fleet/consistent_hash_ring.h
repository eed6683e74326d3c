// SPDX-License-Identifier: MIT
#pragma once
// A consistent-hash ring (Karger et al. 1997): each replica r owns virtualNodes points at
// splitMix64(splitMix64(r) ^ v), v = 0..virtualNodes-1; a key belongs to the owner of the first point at or
// after it, wrapping past the top. A replica's points do not depend on how many replicas there are, so
// adding replica N moves exactly the keys that now fall before one of its points: about 1/(N+1) of them.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace kvlab {

class ConsistentHashRing {
public:
  ConsistentHashRing(std::size_t replicas, std::uint32_t virtualNodes);
  std::size_t owner(std::uint64_t key) const;
  std::size_t replicas() const { return m_replicas; }

  // The 64-bit finaliser of SplitMix64 (Steele et al. 2014), also used by SeededRandom's seeding.
  static std::uint64_t splitMix64(std::uint64_t x);

private:
  std::size_t m_replicas;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> m_points;  // (position, replica), sorted
};

}  // namespace kvlab
