// SPDX-License-Identifier: MIT
#pragma once
// prefix-hash (called `session` before it was named for what it does; `session` is kept as a deprecated
// alias): the affinity key is a hash of the request's first K hash ids; the key goes to
// the replica owning the next point clockwise on a consistent-hash ring (ConsistentHashRing). Requests
// sharing their first K blocks always meet on one replica, and adding a replica moves only ~1/N of keys.
#include "core/fleet/consistent_hash_ring.h"
#include "core/fleet/router.h"

namespace kvlab {

class PrefixHashRouter : public Router {
public:
  PrefixHashRouter(std::size_t replicas, std::uint32_t affinityBlocks, std::uint32_t virtualNodes);
  std::size_t route(const TraceRequest& request, const FleetView& view) override;

  // The affinity key of a request: k = kAffinitySeed; k = splitMix64(k ^ id) for each of its first
  // affinityBlocks hash ids (all of them if it has fewer); key = splitMix64(k).
  static std::uint64_t affinityKey(std::span<const std::uint64_t> hashIds, std::uint32_t affinityBlocks);
  static constexpr std::uint64_t kAffinitySeed = 0x6b766c61622d6b76ull;  // "kvlab-kv"

private:
  ConsistentHashRing m_ring;
  std::uint32_t m_affinityBlocks;
};

}  // namespace kvlab
