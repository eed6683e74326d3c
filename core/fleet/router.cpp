// SPDX-License-Identifier: MIT
#include "core/fleet/router.h"

namespace kvlab {

std::size_t leastLoaded(std::span<const std::uint64_t> load) {
  std::size_t best = 0;
  for (std::size_t r = 1; r < load.size(); ++r)
    if (load[r] < load[best]) best = r;
  return best;
}

}  // namespace kvlab
