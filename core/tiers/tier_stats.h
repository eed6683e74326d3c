// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

namespace kvlab {

// Counters of one storage tier, all counted (never estimated). A block is one cache block's K/V payload.
//   hits / misses : blocks asked for by get() that were returned / not returned (a failed or corrupt
//                   fetch is a miss too, so hits + misses == blocks asked for).
//   bytesIn       : payload bytes written into the tier by put() that it accepted.
//   bytesOut      : payload bytes returned by get() hits.
//   errors        : blocks whose operation failed for a reason other than a time-out (connection refused or
//                   reset, authentication failure, a Redis error reply, a server that went away).
//   timeouts      : blocks whose operation ran past the tier's time-out.
//   corrupt       : blobs read back that failed validation (checksum, format version, model/layout
//                   fingerprint, shape, size) and were not used.
//   transferNs    : wall time spent inside the tier's operations (network round trips included), ns.
struct TierStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t bytesIn = 0;
  uint64_t bytesOut = 0;
  uint64_t puts = 0;
  uint64_t removes = 0;
  uint64_t errors = 0;
  uint64_t timeouts = 0;
  uint64_t corrupt = 0;
  uint64_t transferNs = 0;
};

}  // namespace kvlab
