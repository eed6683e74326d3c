// SPDX-License-Identifier: MIT
#pragma once
// Reading a sweep for a decision: at one cache size, which policy hits most and how far it is from the
// best possible (the infinite-cache bound, and the Belady reference where it is a bound); and per policy,
// the smallest swept size that reaches a share (90 %) of the bound. Plain functions of SweepPoints (the
// Tune page and, for the same answer, the CLI). Belady (a policy that needs the whole trace in advance)
// is reported apart from the online policies and flagged when it falls below one of them: under prefix
// chains farthest-next-use is not an upper bound, and a "best possible" must never be below a real policy.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/replay/trace_sweep.h"

namespace kvlab {

struct PolicyAtSize {
  std::string policy;
  std::uint64_t hitTokens = 0;
  double hitRate = 0;  // token hit rate, 0..1
};

struct SizeRanking {
  std::uint64_t maxTokens = 0;
  std::vector<PolicyAtSize> online;  // online policies measured at this size, best first (ties: given order)
  std::optional<PolicyAtSize> reference;  // Belady (farthest next use), when measured at this size
  bool referenceBelowOnline = false;      // the reference hits less than the best online policy here
  double bound = 0;                       // the infinite-cache hit rate
  // The best hit rate known to be reachable at this size: max(best online, reference when it is above).
  double bestKnown() const;
};

// TTL-off points of `points` at exactly `maxTokens`; `policies` gives the tie order and which are online
// (a policy is the reference when findReplayPolicy(name)->needsWholeTrace).
SizeRanking rankAtSize(const std::vector<SweepPoint>& points, const std::vector<std::string>& policies,
                       std::uint64_t maxTokens, double bound);

// The smallest swept size (TTL off) at which `policy` reaches share x bound; nullopt when none does.
std::optional<std::uint64_t> sizeForShareOfBound(const std::vector<SweepPoint>& points,
                                                 const std::string& policy, double bound, double share = 0.9);

}  // namespace kvlab
