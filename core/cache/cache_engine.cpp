// SPDX-License-Identifier: MIT
#include "core/cache/cache_engine.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/policies/policy_registry.h"

namespace kvlab {

// Radix mode keeps parents while they have children; everything else is always a candidate.
class CacheEngine::LeafFilter final : public VictimFilter {
public:
  explicit LeafFilter(const std::vector<EntryMeta>& entries) : m_entries(entries) {}
  bool accept(SlotId slot) const override { return m_entries[slot].children == 0; }

private:
  const std::vector<EntryMeta>& m_entries;
};

CacheEngine::CacheEngine(CacheConfig config, const Clock& clock)
    : m_config(std::move(config)),
      m_clock(clock),
      m_policy(createPolicy(m_config.policy)),
      m_leafFilter(std::make_unique<LeafFilter>(m_entries)) {
  m_index.setDense(m_config.denseKeys);
  if (m_config.layers < 1) throw std::invalid_argument("cache needs at least one layer");
  m_layerBytes.assign(std::size_t(m_config.layers), 0);
  m_layerEntries.assign(std::size_t(m_config.layers), 0);
  publish();
}

CacheEngine::~CacheEngine() = default;

SlotId CacheEngine::dropExpired(SlotId slot) {
  // Never a hit once expired. A radix parent waits for its children to expire before it is removed.
  if (m_entries[slot].children == 0) {
    removeSlot(slot, EvictReason::Ttl);
    maybePublish();
  }
  return kNoSlot;
}

void CacheEngine::reserve(std::size_t entries) {
  m_index.reserve(entries);
  m_entries.reserve(entries);
}

void CacheEngine::touch(SlotId slot) {
  EntryMeta& e = m_entries[slot];
  e.lastAccessMs = m_clock.nowMs();
  const int bucketBefore = reuseBucket(e.reuseCount);
  ++e.reuseCount;
  if (reuseBucket(e.reuseCount) != bucketBefore) {
    m_bytesByReuse[std::size_t(bucketBefore)] -= e.bytes;
    m_bytesByReuse[std::size_t(reuseBucket(e.reuseCount))] += e.bytes;
  }
  if (!e.pinned) {
    m_byLastAccess.moveToBack(slot);
    m_policy->onAccess(slot);
  }
}

SlotId CacheEngine::insert(const CacheKey& key, const EntryInit& init) {
  bool fresh = false;
  SlotId& value = m_index.valueFor(key, &fresh);
  if (!fresh && !isGone(value)) throw std::logic_error("CacheEngine::insert: key already stored");
  return insertFresh(key, value, fresh, init);
}

SlotId CacheEngine::touchOrInsert(const CacheKey& key, const EntryInit& init, bool* inserted) {
  bool fresh = false;
  SlotId& value = m_index.valueFor(key, &fresh);
  if (!fresh && !isGone(value)) {
    const SlotId slot = value;
    if (!isExpired(m_entries[slot], m_clock.nowMs())) {
      if (inserted) *inserted = false;
      touch(slot);
      return slot;
    }
    dropExpired(slot);
    return touchOrInsert(key, init, inserted);  // the expired entry is gone (or, radix, still a parent)
  }
  const SlotId slot = insertFresh(key, value, fresh, init);
  if (inserted) *inserted = slot != kNoSlot;
  return slot;
}

// indexValue: the key's index value, new (freshKey) or a gone marker. Evictions only rewrite other keys'
// values, so the reference stays valid. On failure the value is put back as it was.
SlotId CacheEngine::insertFresh(const CacheKey& key, SlotId& indexValue, bool freshKey,
                                const EntryInit& init) {
  const SlotId previous = indexValue;
  auto restore = [&] {
    if (freshKey)
      m_index.erase(key);
    else
      indexValue = previous;
  };
  if (init.layer != kAllLayers && (init.layer < 0 || init.layer >= m_config.layers)) {
    restore();
    throw std::out_of_range("CacheEngine::insert: layer " + std::to_string(init.layer) + " out of range");
  }
  expireIdle();
  const Bytes room = m_config.capacityBytes > m_pinnedBytes ? m_config.capacityBytes - m_pinnedBytes : 0;
  if (init.bytes > room) {
    restore();
    ++m_counters.rejectedInserts;
    m_counters.tooLargeTokens += init.tokens;
    maybePublish();
    return kNoSlot;
  }
  evictUntilFits(init.bytes, EvictReason::Capacity);
  if (m_usedBytes + init.bytes > m_config.capacityBytes) {  // only non-evictable entries left
    restore();
    ++m_counters.rejectedInserts;
    maybePublish();
    return kNoSlot;
  }

  SlotId slot;
  if (!m_freeSlots.empty()) {
    slot = m_freeSlots.back();
    m_freeSlots.pop_back();
  } else {
    slot = SlotId(m_entries.size());
    m_entries.emplace_back();
  }
  const TimeMs now = m_clock.nowMs();
  EntryMeta& e = m_entries[slot];
  e = EntryMeta{key, m_nextId++, init.bytes, init.tokens, init.layer, now, now, 0, 0, false, true};
  indexValue = slot;
  ++m_liveEntries;
  m_usedBytes += init.bytes;
  m_bytesByReuse[0] += init.bytes;
  m_peakBytes = std::max(m_peakBytes, m_usedBytes);
  if (init.layer == kAllLayers) {
    m_allLayerBytes += init.bytes;
    ++m_allLayerEntries;
  } else {
    m_layerBytes[std::size_t(init.layer)] += init.bytes;
    ++m_layerEntries[std::size_t(init.layer)];
  }
  m_byLastAccess.pushBack(slot);
  m_policy->onInsert(slot);
  ++m_counters.inserts;
  if (hasObservers()) {
    CacheEvent ev;
    ev.type = CacheEventType::Insert;
    ev.timeMs = now;
    ev.entryId = e.id;
    ev.layer = e.layer;
    ev.bytes = e.bytes;
    ev.tokens = e.tokens;
    notify(ev);
  }
  maybePublish();
  return slot;
}

void CacheEngine::remove(SlotId slot, EvictReason reason) {
  removeSlot(slot, reason);
  maybePublish();
}

void CacheEngine::resizeEntry(SlotId slot, Bytes newBytes, std::uint32_t newTokens) {
  EntryMeta& e = m_entries[slot];
  m_usedBytes = m_usedBytes - e.bytes + newBytes;
  Bytes& reuse = m_bytesByReuse[std::size_t(reuseBucket(e.reuseCount))];
  reuse = reuse - e.bytes + newBytes;
  if (e.pinned) m_pinnedBytes = m_pinnedBytes - e.bytes + newBytes;
  if (e.layer == kAllLayers) {
    m_allLayerBytes = m_allLayerBytes - e.bytes + newBytes;
  } else {
    Bytes& layer = m_layerBytes[std::size_t(e.layer)];
    layer = layer - e.bytes + newBytes;
  }
  m_peakBytes = std::max(m_peakBytes, m_usedBytes);
  e.bytes = newBytes;
  e.tokens = newTokens;
  maybePublish();
}

MissReason CacheEngine::absentReason(const CacheKey& key) const {
  const SlotId* value = m_index.find(key);
  if (!value) return MissReason::Cold;
  if (*value == kGoneExpired) return MissReason::Expired;
  if (*value == kGoneEvicted) return MissReason::Evicted;
  return MissReason::Cold;  // stored right now: not absent
}

void CacheEngine::evictUntilFits(Bytes incoming, EvictReason reason) {
  while (m_usedBytes + incoming > m_config.capacityBytes) {
    const SlotId victim = m_policy->pickVictim(*m_leafFilter);
    if (victim == kNoSlot) return;
    removeSlot(victim, reason);
  }
}

void CacheEngine::removeSlot(SlotId slot, EvictReason reason) {
  EntryMeta& e = m_entries[slot];
  const TimeMs now = m_clock.nowMs();
  for (const RemovalListener& listener : m_removalListeners) listener(slot, e, reason);

  if (e.pinned) {
    m_pinnedBytes -= e.bytes;
  } else {
    m_policy->onRemove(slot);
    m_byLastAccess.remove(slot);
  }
  *m_index.find(e.key) = reason == EvictReason::Ttl ? kGoneExpired : kGoneEvicted;
  --m_liveEntries;
  m_usedBytes -= e.bytes;
  m_bytesByReuse[std::size_t(reuseBucket(e.reuseCount))] -= e.bytes;
  if (e.layer == kAllLayers) {
    m_allLayerBytes -= e.bytes;
    --m_allLayerEntries;
  } else {
    m_layerBytes[std::size_t(e.layer)] -= e.bytes;
    --m_layerEntries[std::size_t(e.layer)];
  }
  ++m_counters.evictions[std::size_t(reason)];
  m_counters.evictedTokens[std::size_t(reason)] += e.tokens;
  if (reason != EvictReason::Clear) {
    if (e.reuseCount == 0) ++m_counters.evictedNeverReused;
    m_counters.sumEvictedAgeMs += double(now - e.insertedMs);
    m_counters.sumEvictedIdleMs += double(now - e.lastAccessMs);
    m_counters.sumEvictedReuse += e.reuseCount;
  }
  if (hasObservers()) {
    CacheEvent ev;
    ev.type = CacheEventType::Eviction;
    ev.evictReason = reason;
    ev.timeMs = now;
    ev.entryId = e.id;
    ev.layer = e.layer;
    ev.bytes = e.bytes;
    ev.tokens = e.tokens;
    ev.ageMs = now - e.insertedMs;
    ev.idleMs = now - e.lastAccessMs;
    ev.reuseCount = e.reuseCount;
    notify(ev);
  }
  e.live = false;
  e.pinned = false;
  m_freeSlots.push_back(slot);
}

void CacheEngine::expireIdle() {
  if (m_config.ttlMs <= 0) return;
  const TimeMs now = m_clock.nowMs();
  // m_byLastAccess is ordered by last touch, so the expired entries form its front. A parent in radix mode
  // is touched after its children, so children go first and the parent is reached as a leaf.
  SlotId s = m_byLastAccess.front();
  while (s != kNoSlot && isExpired(m_entries[s], now)) {
    const SlotId next = m_byLastAccess.next(s);
    if (m_entries[s].children == 0) removeSlot(s, EvictReason::Ttl);
    s = next;
  }
}

void CacheEngine::setCapacity(Bytes capacityBytes) {
  m_config.capacityBytes = capacityBytes;
  evictUntilFits(0, EvictReason::PolicyChange);
  maybePublish();
}

void CacheEngine::setTtlMs(TimeMs ttlMs) {
  m_config.ttlMs = std::max<TimeMs>(0, ttlMs);
  expireIdle();
  maybePublish();
}

void CacheEngine::setPolicy(const std::string& name) {
  auto policy = createPolicy(name);  // throws before anything changes
  // The new policy learns the current entries in last-use order, so LRU-like policies start sensibly.
  for (SlotId s = m_byLastAccess.front(); s != kNoSlot; s = m_byLastAccess.next(s)) policy->onInsert(s);
  m_policy = std::move(policy);
  m_config.policy = name;
  maybePublish();
}

void CacheEngine::setPinnedBudget(Bytes bytes) {
  m_config.pinnedBudgetBytes = bytes;
  // Entries beyond the new budget become ordinary evictable entries again (unpinned in slot order).
  for (SlotId s = 0; s < m_entries.size() && m_pinnedBytes > bytes; ++s)
    if (m_entries[s].live && m_entries[s].pinned) unpin(s);
  maybePublish();
}

bool CacheEngine::pin(SlotId slot) {
  EntryMeta& e = m_entries[slot];
  if (e.pinned) return true;
  if (m_pinnedBytes + e.bytes > m_config.pinnedBudgetBytes) return false;
  m_policy->onRemove(slot);
  m_byLastAccess.remove(slot);
  e.pinned = true;
  m_pinnedBytes += e.bytes;
  maybePublish();
  return true;
}

void CacheEngine::unpin(SlotId slot) {
  EntryMeta& e = m_entries[slot];
  if (!e.pinned) return;
  e.pinned = false;
  m_pinnedBytes -= e.bytes;
  e.lastAccessMs = m_clock.nowMs();
  m_byLastAccess.pushBack(slot);
  m_policy->onInsert(slot);
  maybePublish();
}

void CacheEngine::clear() {
  for (SlotId s = 0; s < m_entries.size(); ++s)
    if (m_entries[s].live) removeSlot(s, EvictReason::Clear);
  maybePublish();
}

std::size_t CacheEngine::expireNow() {
  const std::uint64_t before = m_counters.expirations();
  expireIdle();
  maybePublish();
  return std::size_t(m_counters.expirations() - before);
}

void CacheEngine::recordQuery(std::uint64_t queriedTokens, std::uint64_t hitTokens,
                              std::uint64_t queriedUnits, std::uint64_t hitUnits) {
  ++m_counters.lookups;
  m_counters.queriedTokens += queriedTokens;
  m_counters.hitTokens += hitTokens;
  m_counters.queriedUnits += queriedUnits;
  m_counters.hitUnits += hitUnits;
  if (hitUnits > 0)
    ++m_counters.hits;
  else
    ++m_counters.misses;
}

void CacheEngine::recordMiss(MissReason reason, std::uint64_t tokens, std::uint64_t units) {
  m_counters.missTokens[std::size_t(reason)] += tokens;
  m_counters.missUnits[std::size_t(reason)] += units;
}

void CacheEngine::recordTransfer(Bytes toCompute, Bytes toStorage) {
  m_counters.bytesToCompute += toCompute;
  m_counters.bytesToStorage += toStorage;
}

void CacheEngine::resetStats() {
  m_counters = CacheCounters{};
  m_peakBytes = m_usedBytes;
  maybePublish();
}

void CacheEngine::addObserver(CacheObserver* observer) { m_observers.push_back(observer); }

void CacheEngine::removeObserver(CacheObserver* observer) {
  m_observers.erase(std::remove(m_observers.begin(), m_observers.end(), observer), m_observers.end());
}

void CacheEngine::notify(const CacheEvent& event) const {
  for (CacheObserver* observer : m_observers) observer->onCacheEvent(event);
}

void CacheEngine::addRemovalListener(RemovalListener listener) {
  m_removalListeners.push_back(std::move(listener));
}

std::vector<Bytes> CacheEngine::layerBytes() const {
  std::vector<Bytes> bytes = m_layerBytes;
  // All-layer entries hold equal K/V per layer, so their bytes divide evenly by the layer count.
  for (Bytes& b : bytes) b += m_allLayerBytes / Bytes(m_config.layers);
  return bytes;
}

void CacheEngine::publish() {
  CacheSnapshot snap;
  snap.timeMs = m_clock.nowMs();
  snap.policy = m_config.policy;
  snap.capacityBytes = m_config.capacityBytes;
  snap.ttlMs = m_config.ttlMs;
  snap.usedBytes = m_usedBytes;
  snap.peakBytes = m_peakBytes;
  snap.pinnedBytes = m_pinnedBytes;
  snap.pinnedBudgetBytes = m_config.pinnedBudgetBytes;
  snap.orphanedBytes = m_orphanedBytes;
  snap.entries = m_liveEntries;
  snap.layerBytes = layerBytes();
  snap.layerEntries = m_layerEntries;
  for (std::uint64_t& n : snap.layerEntries) n += m_allLayerEntries;
  snap.bytesByReuse = m_bytesByReuse;
  snap.counters = m_counters;
  std::lock_guard lock(m_snapshotMutex);
  m_published = std::move(snap);
}

CacheSnapshot CacheEngine::snapshot() const {
  std::lock_guard lock(m_snapshotMutex);
  return m_published;
}

}  // namespace kvlab
