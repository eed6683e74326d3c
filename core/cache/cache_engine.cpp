// SPDX-License-Identifier: MIT
#include "core/cache/cache_engine.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/policies/policy_registry.h"

namespace kvlab {

// Radix mode keeps parents while they have children, and no entry in use is a victim (see protect()).
class CacheEngine::LeafFilter final : public VictimFilter {
public:
  explicit LeafFilter(const std::vector<EntryMeta>& entries) : m_entries(entries) {}
  bool accept(SlotId slot) const override {
    const EntryMeta& e = m_entries[slot];
    return e.children == 0 && e.inUse == 0;
  }

private:
  const std::vector<EntryMeta>& m_entries;
};

// Keys and sizes for policies that need them (ghost lists, size-aware priorities).
class CacheEngine::Context final : public PolicyContext {
public:
  explicit Context(const CacheEngine& engine) : m_engine(engine) {}
  const CacheKey& key(SlotId slot) const override { return m_engine.m_entries[slot].key; }
  Bytes bytes(SlotId slot) const override { return m_engine.m_entries[slot].bytes; }
  std::uint32_t tokens(SlotId slot) const override { return m_engine.m_entries[slot].tokens; }
  Bytes capacityBytes() const override { return m_engine.m_config.capacityBytes; }
  const CacheKey* incoming(Bytes* bytes) const override {
    if (bytes) *bytes = m_engine.m_incomingBytes;
    return m_engine.m_incomingKey;
  }

private:
  const CacheEngine& m_engine;
};

CacheEngine::CacheEngine(CacheConfig config, const Clock& clock, std::unique_ptr<EvictionPolicy> policy)
    : m_config(std::move(config)),
      m_clock(clock),
      m_policy(policy ? std::move(policy) : createPolicy(m_config.policy)),
      m_leafFilter(std::make_unique<LeafFilter>(m_entries)),
      m_context(std::make_unique<Context>(*this)) {
  m_policy->attach(*m_context);
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
  const SlotId value = m_index.get(key);
  if (value != kNoSlot && !isGone(value)) throw std::logic_error("CacheEngine::insert: key already stored");
  return insertFresh(key, init);
}

SlotId CacheEngine::touchOrInsert(const CacheKey& key, const EntryInit& init, bool* inserted) {
  SlotId value = m_index.get(key);
  // A loop, not a recursion: an expired entry is dropped and the key looked up again. It ends after one
  // more probe: the key is then gone (a fresh insert follows) or still held as a radix parent, which
  // dropExpired() keeps and which is then reused as it is.
  while (value != kNoSlot && !isGone(value)) {
    const SlotId slot = value;
    if (!isExpired(m_entries[slot], m_clock.nowMs())) {
      if (inserted) *inserted = false;
      touch(slot);
      return slot;
    }
    if (m_entries[slot].children > 0) {  // an expired radix parent, stored again
      if (inserted) *inserted = false;
      renew(slot);
      return slot;
    }
    dropExpired(slot);
    value = m_index.get(key);
  }
  const SlotId slot = insertFresh(key, init);
  if (inserted) *inserted = slot != kNoSlot;
  return slot;
}

// key is absent (never stored, or gone). The index learns its slot only once it is stored, so a failed
// insert leaves the key's history as it was.
SlotId CacheEngine::insertFresh(const CacheKey& key, const EntryInit& init) {
  if (init.layer != kAllLayers && (init.layer < 0 || init.layer >= m_config.layers)) {
    throw std::out_of_range("CacheEngine::insert: layer " + std::to_string(init.layer) + " out of range");
  }
  // Decide before evicting anything: the entry fits once every evictable entry is gone, or never.
  if (init.bytes > insertableBytes()) {
    ++m_counters.rejectedInserts;
    m_counters.tooLargeTokens += init.tokens;
    maybePublish();
    return kNoSlot;
  }
  {
    m_incomingKey = &key;
    m_incomingBytes = init.bytes;
    struct Reset {
      const CacheKey*& key;
      ~Reset() { key = nullptr; }
    } reset{m_incomingKey};
    evictUntilFits(init.bytes, EvictReason::Capacity);
  }
  if (m_usedBytes + init.bytes > m_config.capacityBytes) {  // only if a radix caller broke the contract above
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
  e = EntryMeta{.key = key,
                .id = m_nextId++,
                .bytes = init.bytes,
                .tokens = init.tokens,
                .layer = init.layer,
                .insertedMs = now,
                .lastAccessMs = now,
                .live = true};
  m_index.put(key, slot);
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
  if (m_config.ttlMode == TtlMode::Age) m_byInsertion.pushBack(slot);
  m_policy->onInsert(slot);
  ++m_counters.inserts;
  if (hasObservers()) {
    CacheEvent ev;
    ev.type = CacheEventType::Insert;
    ev.timeMs = now;
    ev.entryId = e.id;
    ev.key = e.key;
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
  if (isBlocked(e)) m_blockedBytes = m_blockedBytes - e.bytes + newBytes;
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
  const SlotId value = m_index.get(key);
  if (value == kGoneExpired) return MissReason::Expired;
  if (value == kGoneEvicted) return MissReason::Evicted;
  return MissReason::Cold;  // stored right now: not absent
}

Bytes CacheEngine::insertableBytes() {
  expireIdle();
  if (m_config.capacityBytes == kUnlimited) return kUnlimited;
  const Bytes fixed = m_pinnedBytes + m_blockedBytes;
  return m_config.capacityBytes > fixed ? m_config.capacityBytes - fixed : 0;
}

void CacheEngine::protect(SlotId slot) {
  EntryMeta& e = m_entries[slot];
  const bool before = isBlocked(e);
  ++e.inUse;
  updateBlocked(e, before);
}

void CacheEngine::release(SlotId slot, std::uint64_t entryId) {
  if (slot >= m_entries.size()) return;
  EntryMeta& e = m_entries[slot];
  if (!e.live || e.id != entryId || e.inUse == 0) return;
  const bool before = isBlocked(e);
  --e.inUse;
  updateBlocked(e, before);
}

void CacheEngine::renew(SlotId slot) {
  EntryMeta& e = m_entries[slot];
  e.insertedMs = e.lastAccessMs = m_clock.nowMs();
  if (e.pinned) return;
  m_byLastAccess.moveToBack(slot);
  if (m_config.ttlMode == TtlMode::Age) m_byInsertion.moveToBack(slot);
  m_policy->onRemove(slot);
  m_policy->onInsert(slot);
}

void CacheEngine::inheritInsertion(SlotId head, SlotId from) {
  EntryMeta& h = m_entries[head];
  h.insertedMs = m_entries[from].insertedMs;
  if (m_config.ttlMode != TtlMode::Age || h.pinned) return;
  m_byInsertion.remove(head);
  if (m_byInsertion.contains(from))
    m_byInsertion.insertBefore(head, from);  // equal insertion time, and a parent before its child
  else
    rebuildInsertionOrder();  // from is pinned: find head's place by time
}

void CacheEngine::rebuildInsertionOrder() {
  m_byInsertion.clear();
  if (m_config.ttlMode != TtlMode::Age) return;
  std::vector<SlotId> order;
  for (SlotId s = m_byLastAccess.front(); s != kNoSlot; s = m_byLastAccess.next(s)) order.push_back(s);
  std::stable_sort(order.begin(), order.end(),
                   [&](SlotId a, SlotId b) { return m_entries[a].insertedMs < m_entries[b].insertedMs; });
  for (const SlotId s : order) m_byInsertion.pushBack(s);
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
    if (m_config.ttlMode == TtlMode::Age) m_byInsertion.remove(slot);
  }
  if (isBlocked(e)) m_blockedBytes -= e.bytes;
  e.inUse = 0;
  e.children = 0;
  m_index.put(e.key, reason == EvictReason::Ttl ? kGoneExpired : kGoneEvicted);
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
    ev.key = e.key;
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
  // The list the TTL mode counts from is ordered by that time (last use, or insertion), so the expired
  // entries form its front. A radix parent is passed over while it has children; when a pass removed an
  // entry after passing such a parent, the next pass may find the parent as a leaf (passes <= depth + 1).
  const SlotList& order = m_config.ttlMode == TtlMode::Age ? m_byInsertion : m_byLastAccess;
  bool again = true;
  while (again) {
    again = false;
    bool skippedParent = false;
    SlotId s = order.front();
    while (s != kNoSlot && isExpired(m_entries[s], now)) {
      const SlotId next = order.next(s);
      if (m_entries[s].children == 0) {
        removeSlot(s, EvictReason::Ttl);
        again = again || skippedParent;
      } else {
        skippedParent = true;
      }
      s = next;
    }
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

void CacheEngine::setTtlMode(TtlMode mode) {
  if (mode == m_config.ttlMode) return;
  m_config.ttlMode = mode;
  rebuildInsertionOrder();
  expireIdle();
  maybePublish();
}

void CacheEngine::setPolicy(const std::string& name) {
  auto policy = createPolicy(name);  // throws before anything changes
  policy->attach(*m_context);
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
  if (m_config.ttlMode == TtlMode::Age) m_byInsertion.remove(slot);
  const bool before = isBlocked(e);
  e.pinned = true;
  updateBlocked(e, before);
  m_pinnedBytes += e.bytes;
  maybePublish();
  return true;
}

void CacheEngine::unpin(SlotId slot) {
  EntryMeta& e = m_entries[slot];
  if (!e.pinned) return;
  e.pinned = false;
  updateBlocked(e, /*before=*/false);
  m_pinnedBytes -= e.bytes;
  e.lastAccessMs = m_clock.nowMs();
  m_byLastAccess.pushBack(slot);
  if (m_config.ttlMode == TtlMode::Age) rebuildInsertionOrder();  // keeps its insertion time: find its place
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

void CacheEngine::recordServedBelow(MissReason reason, std::uint64_t tokens, std::uint64_t units) {
  std::uint64_t& missTokens = m_counters.missTokens[std::size_t(reason)];
  std::uint64_t& missUnits = m_counters.missUnits[std::size_t(reason)];
  tokens = std::min(tokens, missTokens);
  units = std::min(units, missUnits);
  missTokens -= tokens;
  missUnits -= units;
  m_counters.servedBelowTokens += tokens;
  m_counters.servedBelowUnits += units;
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
  snap.ttlMode = m_config.ttlMode;
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
