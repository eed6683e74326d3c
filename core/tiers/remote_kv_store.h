// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tiers/tier_stats.h"

namespace kvlab {

// One K/V payload to store: the block's hash (the cache key of the block) and its raw payload bytes
// (the block's K and V tensors, contiguous, in the tier's BlobLayout).
struct TierItem {
  uint64_t blockHash = 0;
  std::string_view payload;
};

// The remote store under a live run's tiers (LMCache's remote backend, SGLang HiCache's storage layer):
// contains / get / put / remove over batches of block hashes. Implemented by RedisTier (one server) and
// RedisClusterTier (a Redis Cluster); tests use an in-memory one. Only the remote tier has this interface:
// the device and host tiers are bookkeeping engines in TierHierarchy with tensors beside them. Batches let
// a networked store pipeline one round trip per batch instead of one per block.
//
// Contract for every implementation:
// - Never throws for a tier fault (unreachable, slow, full, corrupt data): the fault is counted in stats()
//   and the affected blocks read as misses / are not stored. Results stay correct because a miss is
//   recomputed by the caller. Only programming errors (e.g. a payload of the wrong size) may throw.
// - Never blocks longer than the tier's configured time-out per round trip.
// - Thread-safe: calls may come from several threads; they are serialised inside the tier.
class RemoteKvStore {
public:
  virtual ~RemoteKvStore() = default;

  // Short name used as the key of the JSON "tiers" object: "device", "host", "remote".
  virtual std::string_view name() const = 0;

  // For each hash: true if the tier holds a block under it (not validated: a later get() may still find
  // it corrupt). A failed probe reads as false.
  virtual std::vector<bool> contains(std::span<const uint64_t> blockHashes) = 0;

  // For each hash: the validated payload, or nullopt (absent, failed, timed out, corrupt).
  virtual std::vector<std::optional<std::string>> get(std::span<const uint64_t> blockHashes) = 0;

  // Stores each item (overwriting). Returns how many were stored.
  virtual size_t put(std::span<const TierItem> items) = 0;

  // Removes each hash if present. Returns how many were removed.
  virtual size_t remove(std::span<const uint64_t> blockHashes) = 0;

  virtual TierStats stats() const = 0;

  // How many blocks the store holds in this lab's namespace, by its own count (Redis: a SCAN of the
  // namespace), or nullopt when it cannot say now (unreachable, no such count). Slow on a big keyspace:
  // for end-of-run reports, never on the data path.
  virtual std::optional<std::uint64_t> countEntries() { return std::nullopt; }
};

}  // namespace kvlab
