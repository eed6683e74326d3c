// SPDX-License-Identifier: MIT
#include "core/fleet/random_router.h"

namespace kvlab {

std::size_t RandomRouter::route(const TraceRequest&, const FleetView& view) {
  return std::size_t(m_random.uniformInt(0, view.load.size() - 1));
}

}  // namespace kvlab
