// SPDX-License-Identifier: MIT
#pragma once
// kv-score: kvlab's earlier overlap-minus-load score (kv-aware before it followed Dynamo). For each replica r,
//   score(r) = overlap(r) - loadWeight x load(r)
// overlap(r) = leading blocks of the request that the KV index lists on r (what r would not recompute),
// load(r) = the fleet's load figure (requests routed so far in replay; waiting + running when serving).
// The highest score wins; ties go to the least loaded, then the lowest index. loadWeight = 0 routes for
// reuse alone; a large loadWeight degenerates to least-loaded. Units: loadWeight is blocks of overlap given
// up per unit of load.
#include <vector>

#include "core/fleet/router.h"

namespace kvlab {

class KvScoreRouter : public Router {
public:
  explicit KvScoreRouter(double loadWeight) : m_loadWeight(loadWeight) {}
  std::size_t route(const TraceRequest& request, const FleetView& view) override;

private:
  double m_loadWeight;
  std::vector<std::uint32_t> m_overlap;  // reused per request
};

}  // namespace kvlab
