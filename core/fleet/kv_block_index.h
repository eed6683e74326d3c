// SPDX-License-Identifier: MIT
#pragma once
// Which replica holds which block: the fleet-side index a KV-aware router reads (NVIDIA Dynamo's
// KvIndexer). It is fed only by each replica's engine events — Insert = stored, Eviction = removed, for any
// reason — so it knows exactly what a router listening to KV events would know. Between an entry's TTL
// expiry and the engine removing it (the engine expires lazily, before inserts) the index still lists it,
// as a real event-fed index would. Not thread-safe: driven on the fleet's thread.
//
// Event lag: a real router hears of a block some time after the engine stored or removed it (the engine
// publishes KV events once per step, over ZMQ/NATS in Dynamo). With a lag L > 0 an event that happened at
// event time t reaches the index (and what leadingBlocks/heldBlocks answer) only once advanceTo(t') is
// called with t' >= t + L; events due at the same time apply in the order they happened. L = 0: at once.
#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <queue>
#include <span>
#include <vector>

#include "core/cache/cache_types.h"

namespace kvlab {

class KvBlockIndex {
public:
  static constexpr std::size_t kMaxReplicas = 64;  // holders are a 64-bit mask per block

  explicit KvBlockIndex(std::size_t replicas);  // 1..kMaxReplicas, else std::invalid_argument
  ~KvBlockIndex();
  KvBlockIndex(const KvBlockIndex&) = delete;
  KvBlockIndex& operator=(const KvBlockIndex&) = delete;

  std::size_t replicas() const { return m_blockCounts.size(); }
  // An engine event at the current event time (setEventTimeMs); applied at once when the lag is 0.
  void stored(std::size_t replica, const CacheKey& key);
  void removed(std::size_t replica, const CacheKey& key);
  // Lag in ms of the fleet's clock (trace ms in replay, simulated ms in serving); >= 0.
  void setEventLagMs(double lagMs) { m_lagMs = lagMs; }
  double eventLagMs() const { return m_lagMs; }
  // When the next stored/removed events happen (ms).
  void setEventTimeMs(double timeMs) { m_eventTimeMs = timeMs; }
  // The router looks at time nowMs: every queued event due by then (event time + lag <= nowMs) is applied.
  void advanceTo(double nowMs);
  // For each replica, how many of keys' leading blocks it holds (a run from the first block). out is
  // resized to replicas().
  void leadingBlocks(std::span<const CacheKey> keys, std::vector<std::uint32_t>& out) const;
  // Same for trace hash ids (replay keys are CacheKey{hashId, 0}).
  void leadingBlocks(std::span<const std::uint64_t> hashIds, std::vector<std::uint32_t>& out) const;
  std::uint64_t heldBlocks(std::size_t replica) const { return m_blockCounts[replica]; }

  // The observer to add to replica r's engine: turns its Insert/Eviction events into stored/removed.
  // Owned by the index.
  CacheObserver& feed(std::size_t replica);

private:
  class Feed;
  template <typename Key>
  void leadingRun(std::span<const Key> keys, std::vector<std::uint32_t>& out) const;

  void apply(std::size_t replica, const CacheKey& key, bool stored);
  struct Pending {
    double dueMs;
    std::uint64_t seq;  // order of arrival, so equal due times apply in event order
    std::size_t replica;
    CacheKey key;
    bool stored;
    bool operator>(const Pending& o) const { return dueMs != o.dueMs ? dueMs > o.dueMs : seq > o.seq; }
  };
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> m_pending;
  double m_lagMs = 0;
  double m_eventTimeMs = 0;
  std::uint64_t m_seq = 0;
  absl::flat_hash_map<CacheKey, std::uint64_t> m_holders;  // key -> bit r set while replica r holds it
  std::vector<std::uint64_t> m_blockCounts;                // blocks held, per replica
  std::vector<std::unique_ptr<Feed>> m_feeds;
};

}  // namespace kvlab
