// SPDX-License-Identifier: MIT
#pragma once
// oracle-shared: not a placement but a bound. The fleet builds ONE cache of N x the per-replica capacity
// (RouterInfo::sharedCache) and every request goes to it: the hit rate a perfect shared KV tier — every
// replica reading every other's blocks for free — would give.
#include "core/fleet/router.h"

namespace kvlab {

class OracleSharedRouter : public Router {
public:
  std::size_t route(const TraceRequest&, const FleetView&) override { return 0; }
};

}  // namespace kvlab
