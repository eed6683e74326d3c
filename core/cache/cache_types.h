// SPDX-License-Identifier: MIT
#pragma once
// Plain value types shared by the engine, the granularities, the policies and their observers.
#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include "core/util/units.h"  // kUnlimited, saturatingMul
#include "kvlab/ttl_mode.h"

namespace kvlab {

using Bytes = std::uint64_t;
using TimeMs = std::int64_t;   // milliseconds on the engine's injected clock
using SlotId = std::uint32_t;  // index of an entry in the engine's slot arrays; reused after removal
inline constexpr SlotId kNoSlot = 0xFFFFFFFFu;
inline constexpr int kAllLayers = -1;  // an entry that holds K/V of every layer (block and radix modes)

// 128-bit key: SHA-256 truncated (prompt mode), XXH3-128 or SHA-256 (block mode), a trace hash id (replay).
struct CacheKey {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  friend bool operator==(const CacheKey&, const CacheKey&) = default;
  template <typename H>
  friend H AbslHashValue(H state, const CacheKey& key) {
    return H::combine(std::move(state), key.lo, key.hi);
  }
};

// Why a queried token or block was not served from the cache.
enum class MissReason : std::uint8_t {
  Cold,      // never stored before
  Evicted,   // stored once, removed to make room (or by a max-size change / clear)
  Expired,   // stored once, removed by the TTL
  Orphaned,  // still stored, but an earlier part of its prefix is gone so it cannot be reached
};
inline constexpr int kMissReasonCount = 4;

// TtlMode (what the TTL measures: Idle or Age) lives in the public header <kvlab/ttl_mode.h>.
std::string_view toString(TtlMode mode);                                           // "idle", "age"
TtlMode parseTtlMode(std::string_view text, std::string_view field = "ttl-mode");  // throws InputError

enum class EvictReason : std::uint8_t {
  Capacity,      // an insert needed room
  Ttl,           // past the TTL (idle or age, see TtlMode)
  PolicyChange,  // a live parameter change: max size or pinned budget lowered
  Clear,         // the user cleared the cache
};
inline constexpr int kEvictReasonCount = 4;

// Reuse-count buckets for occupancy: 0, 1, 2-3, 4-7, 8+ reuses since insert.
inline constexpr int kReuseBuckets = 5;
constexpr int reuseBucket(std::uint32_t reuseCount) {
  return reuseCount == 0 ? 0 : reuseCount == 1 ? 1 : reuseCount < 4 ? 2 : reuseCount < 8 ? 3 : 4;
}

enum class CacheEventType : std::uint8_t { Insert, Hit, Miss, Eviction };

std::string_view toString(MissReason reason);
std::string_view toString(EvictReason reason);
std::string_view toString(CacheEventType type);

// One engine event, delivered synchronously on the thread that drives the engine.
struct CacheEvent {
  CacheEventType type = CacheEventType::Insert;
  EvictReason evictReason = EvictReason::Capacity;  // Eviction only
  MissReason missReason = MissReason::Cold;         // Miss only
  TimeMs timeMs = 0;
  std::uint64_t entryId = 0;  // monotonic id given at insert; 0 for a miss of an absent entry
  CacheKey key;               // Insert and Eviction: the entry's key (what a KV-event-fed index records)
  std::int32_t layer = kAllLayers;
  std::int64_t block = -1;  // block index within the request (block mode), -1 otherwise
  Bytes bytes = 0;
  std::uint32_t tokens = 0;
  // Eviction only: how old the entry was, how long since its last use, how often it was reused.
  TimeMs ageMs = 0;
  TimeMs idleMs = 0;
  std::uint32_t reuseCount = 0;
};

class CacheObserver {
public:
  virtual ~CacheObserver() = default;
  // Called on the engine's thread, in event order. Must not call back into the engine.
  virtual void onCacheEvent(const CacheEvent& event) = 0;
};

// Cumulative counters since the last resetStats(). Hit rate = hitTokens / queriedTokens.
struct CacheCounters {
  std::uint64_t lookups = 0;  // queries (requests, or prompt-mode get calls)
  std::uint64_t queriedTokens = 0;
  std::uint64_t hitTokens = 0;
  std::uint64_t queriedUnits = 0;  // blocks (block/replay), entries (prompt), tokens (radix)
  std::uint64_t hitUnits = 0;
  std::uint64_t hits = 0;    // lookups that reused something
  std::uint64_t misses = 0;  // lookups that reused nothing
  std::uint64_t inserts = 0;
  std::uint64_t rejectedInserts = 0;  // entries that could not fit at all
  std::uint64_t tooLargeTokens = 0;   // tokens of rejected entries larger than the room the cache has
  std::array<std::uint64_t, kMissReasonCount> missTokens{};
  std::array<std::uint64_t, kMissReasonCount> missUnits{};
  // Missed here but served by a lower tier (host, remote), so not computed: not in missTokens/missUnits.
  std::uint64_t servedBelowTokens = 0;
  std::uint64_t servedBelowUnits = 0;
  std::array<std::uint64_t, kEvictReasonCount> evictions{};      // by reason; [Ttl] = expirations
  std::array<std::uint64_t, kEvictReasonCount> evictedTokens{};  // tokens those entries held, by reason
  // Eviction records (all reasons but Clear), for telling a thrashing cache from a healthy one.
  std::uint64_t evictedNeverReused = 0;
  double sumEvictedAgeMs = 0;
  double sumEvictedIdleMs = 0;
  double sumEvictedReuse = 0;
  Bytes bytesToCompute = 0;  // bytes copied storage -> compute device on hits
  Bytes bytesToStorage = 0;  // bytes copied compute -> storage device on inserts

  double tokenHitRate() const { return queriedTokens ? double(hitTokens) / double(queriedTokens) : 0.0; }
  double unitHitRate() const { return queriedUnits ? double(hitUnits) / double(queriedUnits) : 0.0; }
  std::uint64_t capacityEvictions() const {
    return evictions[std::size_t(EvictReason::Capacity)] + evictions[std::size_t(EvictReason::PolicyChange)];
  }
  std::uint64_t expirations() const { return evictions[std::size_t(EvictReason::Ttl)]; }
  std::uint64_t totalEvictions() const { return evictions[0] + evictions[1] + evictions[2] + evictions[3]; }
};

}  // namespace kvlab
