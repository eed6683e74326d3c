// SPDX-License-Identifier: MIT
#pragma once
// The one cache engine behind every granularity (prompt, block, radix) and trace replay: find; on a miss
// evict until the new entry fits; insert. It stores sizes and metadata only; tensors live in a payload
// layer (core/runner) that listens for removals. Not thread-safe except snapshot(): one thread drives it.
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/cache/cache_snapshot.h"
#include "core/cache/cache_types.h"
#include "core/cache/clock.h"
#include "core/cache/entry_index.h"
#include "core/policies/eviction_policy.h"
#include "core/policies/slot_list.h"

namespace kvlab {

struct CacheConfig {
  Bytes capacityBytes = Bytes(1) << 30;  // max size; never exceeded once insert() returns; kUnlimited = none
  TimeMs ttlMs = 0;                      // time after which an entry expires (see ttlMode); 0 = never
  TtlMode ttlMode = TtlMode::Idle;       // what ttlMs measures: idle time or age since insertion
  std::string policy = "lru";            // a name from policyRegistry()
  Bytes pinnedBudgetBytes = 0;           // at most this many bytes may be pinned (counted inside capacity)
  int layers = 1;                        // model layers, for per-layer occupancy
  bool denseKeys = false;                // keys are small integers (trace hash ids): see EntryIndex
};

// What the engine knows about one stored entry.
struct EntryMeta {
  CacheKey key;
  std::uint64_t id = 0;  // monotonic, never reused (events name entries by it)
  Bytes bytes = 0;
  std::uint32_t tokens = 0;
  std::int32_t layer = kAllLayers;
  TimeMs insertedMs = 0;
  TimeMs lastAccessMs = 0;
  std::uint32_t reuseCount = 0;  // touches after the insert
  std::uint32_t children = 0;    // radix mode: an entry with children is not evictable
  std::uint32_t inUse = 0;       // protect() count: a request uses it, so capacity eviction skips it
  bool pinned = false;
  bool live = false;
};

struct EntryInit {
  Bytes bytes = 0;
  std::uint32_t tokens = 0;
  std::int32_t layer = kAllLayers;
};

class CacheEngine {
public:
  // Called for every removed entry (any reason), before its slot is reused. Payload layers free tensors.
  using RemovalListener = std::function<void(SlotId, const EntryMeta&, EvictReason)>;

  // policy: an already made policy for config.policy (trace replay hands over opt with its oracle); null =
  // createPolicy(config.policy), which refuses replay-only policies.
  CacheEngine(CacheConfig config, const Clock& clock, std::unique_ptr<EvictionPolicy> policy = nullptr);
  ~CacheEngine();
  CacheEngine(const CacheEngine&) = delete;
  CacheEngine& operator=(const CacheEngine&) = delete;

  // The live, unexpired entry for key, or kNoSlot. An expired entry found here is removed (reason Ttl).
  // Does not count as a use: call touch() for that.
  SlotId find(const CacheKey& key) {
    const SlotId value = m_index.get(key);
    if (value == kNoSlot || isGone(value)) return kNoSlot;
    return isExpired(m_entries[value], m_clock.nowMs()) ? dropExpired(value) : value;
  }
  // Records a use at the clock's now: refreshes an idle TTL, tells the policy, counts a reuse.
  void touch(SlotId slot);
  // Stores a new entry, evicting per policy until it fits. key must be absent. Decides first: when the entry
  // is larger than max size minus the bytes no eviction can free (pinned, in use), it returns kNoSlot,
  // evicts nothing and counts a rejected insert. Entries past the TTL go first either way. Radix parents
  // count as evictable (their leaves go first, then they are leaves): exact while every ancestor of a
  // pinned or in-use entry is pinned or in use, as prefix pinning and match paths are, and as
  // RadixCache::insert() makes the new leaf's path for the duration of the insert.
  // find() and absentReason() in one probe: the live slot, or kNoSlot with *reason set.
  SlotId findOrReason(const CacheKey& key, MissReason* reason) {
    const SlotId slot = m_index.get(key);
    if (slot == kNoSlot) {
      *reason = MissReason::Cold;
      return kNoSlot;
    }
    if (!isGone(slot)) {
      if (!isExpired(m_entries[slot], m_clock.nowMs())) return slot;
      dropExpired(slot);
      *reason = MissReason::Expired;
      return kNoSlot;
    }
    *reason = slot == kGoneExpired ? MissReason::Expired : MissReason::Evicted;
    return kNoSlot;
  }
  SlotId insert(const CacheKey& key, const EntryInit& init);
  // One hash probe for the replay loop: the live slot of key (touched), or a new entry (*inserted = true).
  SlotId touchOrInsert(const CacheKey& key, const EntryInit& init, bool* inserted);
  // Pre-sizes the index and slot arrays for about this many entries.
  void reserve(std::size_t entries);
  void remove(SlotId slot, EvictReason reason);
  // For a key that find() did not return: was it ever stored, and why did it go?
  MissReason absentReason(const CacheKey& key) const;
  // The largest entry insert() would accept now: max size minus pinned and in-use bytes (0 when those fill
  // it; kUnlimited for an unbounded cache). Expires entries past the TTL first, as insert() does.
  Bytes insertableBytes();

  // In-use protection (vLLM's ref counts, SGLang's lock refs): a protected entry is never a capacity or
  // policy-change victim; it still expires by the TTL and goes on clear()/remove(). Counted: every protect()
  // needs one release(). release() names the entry by id too, and ignores a slot whose entry has gone (and
  // whose slot may hold another entry by now).
  void protect(SlotId slot);
  void release(SlotId slot, std::uint64_t entryId);
  // A re-store of an entry that is still held: its TTL starts again in both modes (insertion and last use
  // are now) and the policy sees it as newly inserted. Not a reuse. Radix mode revives an expired parent
  // with it when a request computes its tokens again.
  void renew(SlotId slot);
  // Radix mode: a split head takes over the insertion time of the entry it was cut from (its tokens were
  // stored then), so age-mode expiry is not reset by a split.
  void inheritInsertion(SlotId head, SlotId from);

  // Live parameter changes: take effect at once (shrinking evicts right away, reason PolicyChange).
  void setCapacity(Bytes capacityBytes);
  void setTtlMs(TimeMs ttlMs);
  void setTtlMode(TtlMode mode);            // expires at once what the new mode says is past the TTL
  void setPolicy(const std::string& name);  // throws std::invalid_argument for an unknown name
  void setPinnedBudget(Bytes bytes);
  // Pinned entries are never evicted by a policy nor expired. False if the budget would be exceeded.
  bool pin(SlotId slot);
  void unpin(SlotId slot);
  void clear();             // removes everything, pinned included (reason Clear)
  std::size_t expireNow();  // removes every entry past the TTL (idle or age); returns how many

  // Radix mode: an entry with children cannot be evicted (only leaves go).
  void addChild(SlotId parent) { ++m_entries[parent].children; }
  void removeChild(SlotId parent) { --m_entries[parent].children; }
  // Radix mode: a node split keeps this entry for the tail of its edge. Sets its size in place (bytes,
  // tokens) with exact accounting (used, pinned, per-layer, peak). Never evicts: callers shrink, or grow back
  // what they just shrank.
  void resizeEntry(SlotId slot, Bytes newBytes, std::uint32_t newTokens);

  // Stats written by the granularities, which know what a query was.
  void recordQuery(std::uint64_t queriedTokens, std::uint64_t hitTokens, std::uint64_t queriedUnits,
                   std::uint64_t hitUnits);
  void recordMiss(MissReason reason, std::uint64_t tokens, std::uint64_t units);
  // A lower tier (TierHierarchy) served tokens this engine recorded as missed for `reason`: they leave the
  // miss breakdown ("why tokens were computed") and are counted as servedBelow instead.
  void recordServedBelow(MissReason reason, std::uint64_t tokens, std::uint64_t units);
  void recordTransfer(Bytes toCompute, Bytes toStorage);
  // Prompt mode keeps this up to date (the engine cannot tell which layers belong to one prefix).
  void setOrphanedBytes(Bytes bytes) { m_orphanedBytes = bytes; }
  void resetStats();  // counters and peak start again; stored entries stay

  void addObserver(CacheObserver* observer);  // not owned; must outlive its registration
  void removeObserver(CacheObserver* observer);
  bool hasObservers() const { return !m_observers.empty(); }
  void notify(const CacheEvent& event) const;
  void addRemovalListener(RemovalListener listener);

  const EntryMeta& entry(SlotId slot) const { return m_entries[slot]; }
  const CacheConfig& config() const { return m_config; }
  const Clock& clock() const { return m_clock; }
  Bytes usedBytes() const { return m_usedBytes; }
  Bytes pinnedBytes() const { return m_pinnedBytes; }
  // Bytes capacity evictions could free now: unpinned and not in use (radix parents after their leaves).
  Bytes evictableBytes() const { return m_usedBytes - m_pinnedBytes - m_blockedBytes; }
  Bytes peakBytes() const { return m_peakBytes; }
  std::size_t entryCount() const { return m_liveEntries; }
  const CacheCounters& counters() const { return m_counters; }
  // Bytes of entries of each layer (kAllLayers entries are split evenly across layers).
  std::vector<Bytes> layerBytes() const;

  // Snapshots: the driving thread publishes at consistent points (after each mutating call when
  // autoPublish is on, else when the owner calls publish()); snapshot() may be called from any thread.
  void setAutoPublish(bool on) { m_autoPublish = on; }
  void publish();
  CacheSnapshot snapshot() const;

private:
  class LeafFilter;
  class Context;
  SlotId dropExpired(SlotId slot);
  SlotId insertFresh(const CacheKey& key, const EntryInit& init);
  void evictUntilFits(Bytes incoming, EvictReason reason);
  void removeSlot(SlotId slot, EvictReason reason);
  void expireIdle();  // the proactive sweep, in the order the TTL mode counts from
  void maybePublish() {
    if (m_autoPublish) publish();
  }
  // The time the TTL counts from: last use (Idle) or insertion (Age).
  TimeMs ttlBase(const EntryMeta& e) const {
    return m_config.ttlMode == TtlMode::Age ? e.insertedMs : e.lastAccessMs;
  }
  bool isExpired(const EntryMeta& e, TimeMs now) const {
    return m_config.ttlMs > 0 && !e.pinned && now - ttlBase(e) > m_config.ttlMs;
  }
  // Unpinned but not a victim: in use. Kept in m_blockedBytes so insert() can decide from the evictable
  // bytes before it evicts anything.
  static bool isBlocked(const EntryMeta& e) { return !e.pinned && e.inUse > 0; }
  void updateBlocked(const EntryMeta& e, bool before) {
    const bool after = isBlocked(e);
    if (after && !before) m_blockedBytes += e.bytes;
    if (before && !after) m_blockedBytes -= e.bytes;
  }
  void rebuildInsertionOrder();

  CacheConfig m_config;
  const Clock& m_clock;
  std::unique_ptr<EvictionPolicy> m_policy;
  std::unique_ptr<LeafFilter> m_leafFilter;
  std::unique_ptr<Context> m_context;       // what policies may read (PolicyContext)
  const CacheKey* m_incomingKey = nullptr;  // the entry insertFresh() is making room for
  Bytes m_incomingBytes = 0;
  // Every key ever stored: its live slot, or a marker saying why it went (one lookup answers both; see
  // EntryIndex for what that costs per key).
  static constexpr SlotId kGoneEvicted = EntryIndex::kGoneEvicted;
  static constexpr SlotId kGoneExpired = EntryIndex::kGoneExpired;
  static bool isGone(SlotId value) { return EntryIndex::isGone(value); }
  EntryIndex m_index;
  std::size_t m_liveEntries = 0;
  std::vector<EntryMeta> m_entries;  // indexed by SlotId
  std::vector<SlotId> m_freeSlots;
  SlotList m_byLastAccess;  // unpinned entries, least recently touched first
  SlotList m_byInsertion;   // Age mode only: unpinned entries, oldest insertion first (empty in Idle mode)
  std::uint64_t m_nextId = 1;
  Bytes m_usedBytes = 0;
  Bytes m_pinnedBytes = 0;
  Bytes m_blockedBytes = 0;  // unpinned entries in use (see isBlocked)
  Bytes m_peakBytes = 0;
  Bytes m_orphanedBytes = 0;
  Bytes m_allLayerBytes = 0;        // bytes of kAllLayers entries
  std::vector<Bytes> m_layerBytes;  // bytes of single-layer entries, per layer
  std::uint64_t m_allLayerEntries = 0;
  std::vector<std::uint64_t> m_layerEntries;
  std::array<Bytes, kReuseBuckets> m_bytesByReuse{};  // by reuseBucket(reuseCount)
  CacheCounters m_counters;
  std::vector<CacheObserver*> m_observers;
  std::vector<RemovalListener> m_removalListeners;
  bool m_autoPublish = true;

  mutable std::mutex m_snapshotMutex;  // guards m_published only
  CacheSnapshot m_published;
};

}  // namespace kvlab
