// SPDX-License-Identifier: MIT
#pragma once
// round-robin: request i (in arrival order) goes to replica i mod N. Blind to load and cache.
#include "core/fleet/router.h"

namespace kvlab {

class RoundRobinRouter : public Router {
public:
  std::size_t route(const TraceRequest& request, const FleetView& view) override;

private:
  std::uint64_t m_next = 0;  // requests routed so far
};

}  // namespace kvlab
