// SPDX-License-Identifier: MIT
#pragma once
// random: each request goes to a replica drawn uniformly (SeededRandom::uniformInt, portable across
// standard libraries), so a seed gives the same placement everywhere.
#include "core/fleet/router.h"
#include "core/workload/seeded_random.h"

namespace kvlab {

class RandomRouter : public Router {
public:
  // Stream 0 of SeededRandom(seed): the first draw places the first request.
  explicit RandomRouter(std::uint64_t seed) : m_random(seed) {}
  std::size_t route(const TraceRequest& request, const FleetView& view) override;

private:
  SeededRandom m_random;
};

}  // namespace kvlab
