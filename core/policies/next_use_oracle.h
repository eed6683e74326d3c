// SPDX-License-Identifier: MIT
#pragma once
// The small extra interface through which a policy that needs the future (opt) learns it. Trace replay
// implements the oracle (core/replay/next_use_index.h); live runs have none, so such a policy is refused
// there (PolicyInfo::needsWholeTrace).
#include <cstdint>

#include "core/cache/cache_types.h"

namespace kvlab {

class NextUseOracle {
public:
  static constexpr std::uint64_t kNever = UINT64_MAX;
  virtual ~NextUseOracle() = default;
  // For a key the current request touches: the position, in the trace's touch order (request by request,
  // each request's blocks last to first, counted from 0), of its first touch by a later request; kNever
  // if no later request touches it.
  virtual std::uint64_t nextUse(const CacheKey& key) const = 0;
};

// Implemented by policies that need an oracle; the replayer hands it one before the first verb.
class NeedsNextUse {
public:
  virtual ~NeedsNextUse() = default;
  virtual void setNextUseOracle(const NextUseOracle* oracle) = 0;  // not owned; outlives the policy's use
};

}  // namespace kvlab
