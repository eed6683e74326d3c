// SPDX-License-Identifier: MIT
#pragma once
// least-loaded: the replica with the smallest load figure (requests so far in replay; waiting + running in
// a serving simulation), the lowest index among equals. Blind to the cache.
#include "core/fleet/router.h"

namespace kvlab {

class LeastLoadedRouter : public Router {
public:
  std::size_t route(const TraceRequest& request, const FleetView& view) override;
};

}  // namespace kvlab
