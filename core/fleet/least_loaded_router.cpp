// SPDX-License-Identifier: MIT
#include "core/fleet/least_loaded_router.h"

namespace kvlab {

std::size_t LeastLoadedRouter::route(const TraceRequest&, const FleetView& view) {
  return leastLoaded(view.load);
}

}  // namespace kvlab
