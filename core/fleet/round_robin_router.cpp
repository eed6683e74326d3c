// SPDX-License-Identifier: MIT
#include "core/fleet/round_robin_router.h"

namespace kvlab {

std::size_t RoundRobinRouter::route(const TraceRequest&, const FleetView& view) {
  return std::size_t(m_next++ % view.load.size());
}

}  // namespace kvlab
